"""LE-MER's trainable network on encoder outputs (`LEMERNet`) and the pieces the fine-tuning mode shares with it.

Equations and their marks (paper (abstract) / summary / ours) are in `lemer/model/fusion.py`; the switches in
`lemer/model/config.py`; the `Model` wrapper that fits and predicts in `lemer/model/lemer.py`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from lemer.core.layers import Projection, masked_max, mlp_head
from lemer.model.config import LEMERConfig
from lemer.model.fusion import CrossAttention, GuidedFusion, LabelAware, alignment, constraint_loss


class LEMERNet(nn.Module):
    """The trainable part of LE-MER on frozen encoder features; `forward` returns (logits, auxiliary loss or None).

    The auxiliary loss is everything but the training loop's own cross-entropy (equation (9) in lemer/model/fusion.py):
    (mu1 - 1) * CE(main) + mu2 * CE(text branch) + mu3 * CE(speech branch) + mu4 * constraint; the CE terms need the
    batch's gold labels (`batch["y"]`, set by LE-MER's encoder for labelled examples) and are skipped without them.
    """

    def __init__(self, cfg: LEMERConfig, n_classes: int, d_text: int | None, d_speech: int | None,
                 text_labels: np.ndarray | None = None, speech_labels: np.ndarray | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.drop = nn.Dropout(cfg.dropout)
        labels = cfg.use_label_embeddings
        width = 0
        branch = n_classes * d if labels else d  # label-wise pooled (C x d, flattened) or max-pooled (d)
        if cfg.uses_text:
            self._add_branch("t", "text", d_text, text_labels, n_classes)
            width += branch
        if cfg.uses_speech:
            self._add_branch("s", "speech", d_speech, speech_labels, n_classes)
            width += branch
        if cfg.modalities == "both":
            self.cross = CrossAttention(d)
            self.fusion = GuidedFusion(d, cfg.effective_fusion_attention)
            width += d  # the fused target tokens, max-pooled
        self.head = mlp_head(width, n_classes, hidden=cfg.head_hidden, dropout=cfg.head_dropout)
        # auxiliary branch classifiers (mu2, mu3), built only when weighted so the default model's weights do not move
        # (label-specific when labels are on: class c is scored from R[c] alone, so label c must find class c's cues)
        if cfg.uses_text and cfg.mu2 > 0:
            self.head_t = BranchHead(n_classes, d, labels, cfg.head_dropout)
        if cfg.uses_speech and cfg.mu3 > 0:
            self.head_s = BranchHead(n_classes, d, labels, cfg.head_dropout)

    def _add_branch(self, m: str, modality: str, d_in: int | None, init: np.ndarray | None, n_classes: int) -> None:
        """One modality's branch (`m`: "t" or "s"): `proj_m`, and with label embeddings `labels_m` and `aware_m`."""
        if d_in is None:
            raise ValueError(f"LEMERNet: {modality} modality needs d_{modality}")
        setattr(self, f"proj_{m}", Projection(d_in, self.cfg.d_model, dropout=0.0))
        if self.cfg.use_label_embeddings:
            setattr(self, f"labels_{m}", nn.Parameter(_label_tensor(init, n_classes, d_in)))
            setattr(self, f"aware_{m}", LabelAware())

    def _branch_repr(self, out: dict[str, torch.Tensor], m: str, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """A branch's pooled representation: label-wise R (B, C, d) flattened (stores `g<m>`, `r<m>` in `out`), or
        masked max-pooling without label embeddings."""
        if not self.cfg.use_label_embeddings:
            return masked_max(h, mask)
        proj, labels, aware = getattr(self, f"proj_{m}"), getattr(self, f"labels_{m}"), getattr(self, f"aware_{m}")
        out[f"g{m}"], out[f"r{m}"] = aware(h, mask, proj(labels))
        return out[f"r{m}"].flatten(1)

    def parts(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Every intermediate the tests and analyses need: gt (B,T,C), gs (B,S,C), ar/al (B,L,S) over the L target
        tokens, rt/rs (B,C,d) label-enhanced representations, pooled, logits, constraint."""
        cfg, out = self.cfg, {}
        pooled: list[torch.Tensor] = []
        ht = hs = None
        if cfg.uses_text:
            mask_t = batch["text_mask"]
            ht = self.drop(self.proj_t(batch["text"]))
            out["text_repr"] = self._branch_repr(out, "t", ht, mask_t)
            pooled.append(out["text_repr"])
        if cfg.uses_speech:
            mask_s = batch["speech_mask"]
            hs = self.drop(self.proj_s(batch["speech"]))
            out["speech_repr"] = self._branch_repr(out, "s", hs, mask_s)
            pooled.append(out["speech_repr"])
        if ht is not None and hs is not None:
            # only the target's tokens are aligned with (and fused with) the target's frames
            idx, mask_l = batch["target_index"], batch["target_mask"]
            tokens = _gather(ht, idx)
            out["ar"], values = self.cross(tokens, hs, mask_s)
            if cfg.use_label_embeddings:
                out["al"] = alignment(_gather(out["gt"], idx), out["gs"], mask_l, mask_s)
                al = out["al"].detach() if cfg.detach_al else out["al"]
                out["constraint"] = constraint_loss(out["ar"], al, mask_l, mask_s)
            fused = self.fusion(tokens, values, out["ar"], out.get("al"))
            pooled.append(masked_max(fused, mask_l))
        out["pooled"] = torch.cat(pooled, dim=-1)
        out["logits"] = self.head(out["pooled"])
        return out

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        cfg, out = self.cfg, self.parts(batch)
        terms: list[torch.Tensor] = []
        if cfg.constraint_active and "constraint" in out and cfg.mu4 > 0:
            terms.append(cfg.mu4 * out["constraint"])
        y = batch.get("y")
        if y is not None and self.training:
            ce = nn.functional.cross_entropy
            if cfg.mu1 != 1.0:
                terms.append((cfg.mu1 - 1.0) * ce(out["logits"], y))
            if hasattr(self, "head_t"):
                terms.append(cfg.mu2 * ce(self.head_t(out.get("rt", out["text_repr"])), y))
            if hasattr(self, "head_s"):
                terms.append(cfg.mu3 * ce(self.head_s(out.get("rs", out["speech_repr"])), y))
        return out["logits"], (sum(terms) if terms else None)  # type: ignore[return-value]


class BranchHead(nn.Module):
    """Auxiliary classifier of one modality's branch (mu2 / mu3). With label embeddings it is label-specific:
    logit_c = w_c . R[c] + b_c on the label-wise pooled R (B, C, d) (ours); without, a linear layer on the pooled vector."""

    def __init__(self, n_classes: int, d: int, label_wise: bool, dropout: float) -> None:
        super().__init__()
        self.label_wise = label_wise
        self.drop = nn.Dropout(dropout)
        if label_wise:
            self.weight = nn.Parameter(torch.randn(n_classes, d) / d ** 0.5)
            self.bias = nn.Parameter(torch.zeros(n_classes))
        else:
            self.linear = nn.Linear(d, n_classes)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        r = self.drop(r)
        if self.label_wise:
            return torch.einsum("bcd,cd->bc", r, self.weight) + self.bias
        return self.linear(r)


def _gather(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Rows `index` (B, L) of x (B, T, D) -> (B, L, D)."""
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def target_positions(spans: Sequence[tuple[int, int]], n_tokens: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, L) indices of each example's target tokens and their mask, given each example's real token count.

    An empty target (ASR heard nothing) is represented by the one real token at (or, at the end, just before) its
    position, i.e. the closing separator, so pooling is always defined and never reads padding."""
    lengths = [max(1, end - start) for start, end in spans]
    index = torch.zeros(len(spans), max(lengths), dtype=torch.long)
    mask = torch.zeros(len(spans), max(lengths), dtype=torch.bool)
    for i, ((start, end), n, real) in enumerate(zip(spans, lengths, n_tokens)):
        if not 0 <= start <= end <= max(real, 1):
            raise ValueError(f"target span {(start, end)} outside the {real} tokens of example {i} in the batch")
        first = min(start, max(0, real - 1))
        index[i, :n] = torch.arange(first, first + n)
        mask[i, :n] = True
    return index, mask


def _label_tensor(init: np.ndarray | None, n_classes: int, dim: int) -> torch.Tensor:
    """Label-embedding initial values: given rows, or N(0, 1) (the projection starts with LayerNorm, so scale is moot)."""
    if init is None:
        return torch.randn(n_classes, dim)
    if init.shape != (n_classes, dim):
        raise ValueError(f"label-embedding init has shape {init.shape}, expected {(n_classes, dim)}")
    return torch.from_numpy(np.ascontiguousarray(init, dtype=np.float32)).clone()


