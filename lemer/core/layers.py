"""Masked building blocks shared by LE-MER and the neural baselines.

Every function takes a boolean mask (True = real position) so that padding is never attended to
or pooled over; the tests check this by perturbing padded positions.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

NEG_INF = -1e9


def pad_sequences(arrays: Sequence[np.ndarray], max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack variable-length (T_i, D) arrays into a float32 (B, T, D) tensor and a (B, T) bool mask.

    Sequences longer than `max_len` keep their first `max_len` rows. An empty sequence gets one
    zero row marked as real, so pooling is always defined (its content is the zero vector).
    """
    if not arrays:
        raise ValueError("pad_sequences needs at least one array")
    dim = arrays[0].shape[1]
    lengths = [max(1, min(len(a), max_len) if max_len else len(a)) for a in arrays]
    out = np.zeros((len(arrays), max(lengths), dim), dtype=np.float32)
    mask = np.zeros((len(arrays), max(lengths)), dtype=bool)
    for i, (a, n) in enumerate(zip(arrays, lengths)):
        if len(a):
            out[i, :n] = a[:n]
        mask[i, :n] = True
    return torch.from_numpy(out), torch.from_numpy(mask)


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax over `dim` where masked-out positions get exactly zero weight."""
    scores = scores.masked_fill(~mask, NEG_INF)
    return torch.softmax(scores, dim=dim) * mask


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over time of (B, T, D) using only real positions."""
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp(min=1.0)


def masked_max(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over time of (B, T, D) using only real positions."""
    return x.masked_fill(~mask.unsqueeze(-1), NEG_INF).max(dim=1).values


class AttentivePooling(nn.Module):
    """Learned single-query attention pooling over time (masked)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        w = masked_softmax(self.score(x).squeeze(-1), mask)
        return torch.einsum("bt,btd->bd", w, x)


class Projection(nn.Module):
    """Linear projection into the shared space with layer norm and dropout."""

    def __init__(self, d_in: int, d_out: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(d_in), nn.Linear(d_in, d_out), nn.GELU(), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def mlp_head(d_in: int, n_classes: int, hidden: int = 128, dropout: float = 0.2) -> nn.Module:
    """The classifier used by LE-MER and the neural baselines alike."""
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(d_in, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes))
