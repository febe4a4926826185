"""LE-MER's label interactions, emotion-aware alignment, cross-attention and label-guided fusion.

Notation (B batch, T tokens (in the model: the target's tokens for Al, Ar), S frames, C classes, d shared size),
all masked (True = real position):
- label-token attention   Gt = softmax_over_tokens(Ht Lt^T / sqrt d)        (B, T, C): where label c looks in the text
- label-frame attention   Gs = softmax_over_frames(Hs Ls^T / sqrt d)        (B, S, C): where label c looks in the audio
- emotion-aware alignment Al = rownorm(Gt Gs^T)                              (B, T, S): token i and frame j are aligned
  when the labels that attend to token i also attend to frame j. Row i equals a mixture, over labels, of the labels'
  frame distributions, weighted by how much each label attends to token i: a distribution over real frames.
- semantic cross-attention Ar = softmax_over_frames(Q(Ht) K(Hs)^T / sqrt d)  (B, T, S): also a distribution per token.
- constraint loss = mean over real tokens of sum over real frames (Ar - Al)^2, i.e. the masked MSE scaled by the number
  of frames, so its size does not shrink with utterance length (a plain element mean is O(1/S^2) and vanishes).
  Al is detached: the label alignment is the teacher of the cross-attention; letting gradients flow into Al as well
  lets both collapse to the uniform distribution, which satisfies the constraint without any label guidance.
Label-aware sequences add to each position its label mixture (softmax over classes of the same scores); the fusion
adds to every token the speech it attends to (Ar V(Hs)), gated per dimension by a gate that sees the token, the
attended speech and the token's label mixture (the "label-guided" part). The paper's exact fusion equations were not
available offline; this is our reading of its description, documented in `lemer/model.py`.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from lemer.layers import masked_softmax


def label_scores(h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Scaled dot products between every position (B, T, d) and every label (C, d) -> (B, T, C)."""
    return torch.einsum("btd,cd->btc", h, labels) / math.sqrt(h.shape[-1])


def label_attention(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Gt/Gs: for each label, a distribution over the real positions (softmax over time); padding gets 0."""
    return masked_softmax(scores, mask.unsqueeze(-1), dim=1)


def label_mixture(scores: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """For each position, the label embeddings weighted by softmax over classes; zero at padding."""
    weights = torch.softmax(scores, dim=-1) * mask.unsqueeze(-1)
    return torch.einsum("btc,cd->btd", weights, labels)


def alignment(gt: torch.Tensor, gs: torch.Tensor, mask_t: torch.Tensor, mask_s: torch.Tensor) -> torch.Tensor:
    """Al = row-normalised Gt Gs^T: tokens and frames aligned through the label space (rows sum to 1 on real tokens)."""
    m = torch.einsum("btc,bsc->bts", gt, gs)
    m = m * (mask_t.unsqueeze(-1) & mask_s.unsqueeze(1))
    return m / m.sum(-1, keepdim=True).clamp(min=1e-12)


def constraint_loss(ar: torch.Tensor, al: torch.Tensor, mask_t: torch.Tensor, mask_s: torch.Tensor) -> torch.Tensor:
    """Masked row-wise squared error between Ar and Al (see module docstring); exactly 0 when Ar equals Al."""
    pair = (mask_t.unsqueeze(-1) & mask_s.unsqueeze(1)).to(ar.dtype)
    per_token = ((ar - al) ** 2 * pair).sum(-1)
    return (per_token * mask_t).sum() / mask_t.sum().clamp(min=1)


class CrossAttention(nn.Module):
    """Single-head scaled dot-product attention from tokens to frames, returning the attention map Ar too."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, ht: torch.Tensor, hs: torch.Tensor, mask_s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = torch.einsum("btd,bsd->bts", self.q(ht), self.k(hs)) / math.sqrt(ht.shape[-1])
        ar = masked_softmax(scores, mask_s.unsqueeze(1), dim=-1)
        return ar, torch.einsum("bts,bsd->btd", ar, self.v(hs))


class LabelAware(nn.Module):
    """Label-token (or label-frame) interaction: Gt and the label-enhanced sequence LayerNorm(H + label mixture)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d)

    def forward(self, h: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (label attention G (B,T,C), label-aware sequence (B,T,d), label mixture (B,T,d))."""
        scores = label_scores(h, labels)
        mix = label_mixture(scores, mask, labels)
        return label_attention(scores, mask), self.norm(h + mix), mix


class GatedFusion(nn.Module):
    """Label-guided attentive fusion: token + gate * (speech attended by the token), gate sees the token's label mixture."""

    def __init__(self, d: int, with_labels: bool) -> None:
        super().__init__()
        self.with_labels = with_labels
        self.gate = nn.Linear(3 * d if with_labels else 2 * d, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, ht: torch.Tensor, attended: torch.Tensor, mix: torch.Tensor | None) -> torch.Tensor:
        parts = [ht, attended] + ([mix] if self.with_labels and mix is not None else [])
        if self.with_labels and mix is None:
            raise ValueError("GatedFusion built with labels needs the label mixture")
        g = torch.sigmoid(self.gate(torch.cat(parts, dim=-1)))
        return self.norm(ht + g * attended)


__all__ = [
    "label_scores", "label_attention", "label_mixture", "alignment", "constraint_loss",
    "CrossAttention", "LabelAware", "GatedFusion",
]
