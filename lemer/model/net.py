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
from lemer.model.fusion import (
    CrossAttention,
    GuidedFusion,
    LabelAware,
    alignment,
    constraint_loss,
    label_enhance,
    transpose_map,
)


class LEMERNet(nn.Module):
    """The trainable part of LE-MER on encoder outputs; `forward` returns (logits, auxiliary loss or None).

    The auxiliary loss is everything but the training loop's own cross-entropy (equation (10) in lemer/model/fusion.py):
    (mu1 - 1) * CE(main) + mu2 * CE(text branch) + mu3 * CE(speech branch) + mu4 * constraint; the CE terms need the
    batch's gold labels (`batch["y"]`, set by LE-MER's encoder for labelled examples) and are skipped without them.

    Modules are created in one fixed order, and the ones only the default fusion needs (the speech side) are
    created where the earlier network created none, so `lemer-v1`'s switches build it weight for weight.
    """

    def __init__(self, cfg: LEMERConfig, n_classes: int, d_text: int | None, d_speech: int | None,
                 text_labels: np.ndarray | None = None, speech_labels: np.ndarray | None = None,
                 n_outputs: int | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.drop = nn.Dropout(cfg.dropout)
        labels = cfg.use_label_embeddings
        width = 0
        branch = n_classes * d if labels else d  # label-wise pooled (C x d, flattened) or max-pooled (d)
        if cfg.uses_text:
            self._add_branch("t", "text", d_text, text_labels, n_classes)
        if cfg.uses_speech:
            self._add_branch("s", "speech", d_speech, speech_labels, n_classes)
        width += branch * len(self._branch_inputs())
        if cfg.modalities == "both":
            self.cross = CrossAttention(d)
            self.fusion = GuidedFusion(d, cfg.effective_fusion_attention)
            width += d  # the fused target tokens, max-pooled
            if cfg.fusion_directions == "both":  # (7) the speech side: frames read the target tokens
                self.value_t = nn.Linear(d, d)
                self.fusion_s = GuidedFusion(d, cfg.effective_fusion_attention)
                width += d  # the fused frames, max-pooled
        elif cfg.fusion_input == "label_enhanced":
            width += d  # one modality: its (label-enhanced) sequence, max-pooled
        # the head's width: C logits, or 3 values for the dimensional task (lemer/core/tasks.py); the label
        # embeddings stay one per class whatever the task
        self.head = mlp_head(width, n_outputs or n_classes, hidden=cfg.head_hidden, dropout=cfg.head_dropout)
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

    def _branch_inputs(self) -> tuple[str, ...]:
        """The modalities whose own pooled representation (R, or max-pooled H without labels) enters the classifier:
        every used one under `classifier_branches`, and a lone modality on plain input (nothing else to read)."""
        cfg = self.cfg
        used = tuple(m for m, u in (("t", cfg.uses_text), ("s", cfg.uses_speech)) if u)
        if cfg.classifier_branches or (cfg.modalities != "both" and cfg.fusion_input == "plain"):
            return used
        return ()

    def _branch(self, out: dict[str, torch.Tensor], m: str, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """One modality after projection: stores its label attention `g<m>`, label-pooled `r<m>` and label mixture
        `a<m>` in `out` (with label embeddings), its branch representation `<m>_repr`; returns the sequence the
        fusion reads (Ht~ / Hs~, or H itself on plain input or without label embeddings)."""
        cfg = self.cfg
        if not cfg.use_label_embeddings:
            out[f"{m}_repr"] = masked_max(h, mask)
            return h
        proj, labels, aware = getattr(self, f"proj_{m}"), getattr(self, f"labels_{m}"), getattr(self, f"aware_{m}")
        lab = proj(labels)
        enhanced = cfg.fusion_input == "label_enhanced"
        out[f"g{m}"], out[f"r{m}"], mix = aware(h, mask, lab, mixture=enhanced)
        out[f"{m}_repr"] = out[f"r{m}"].flatten(1)
        if mix is None:
            return h
        out[f"a{m}"] = mix
        return label_enhance(h, mix, lab)

    def parts(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Every intermediate the tests and analyses need: gt (B,T,C), gs (B,S,C) label attention; at/as (B,T|S,C)
        label mixtures and ht_enh/hs_enh (B,T|S,d) label-enhanced sequences (fusion_input="label_enhanced"); ar/al
        (B,L,S) over the L target tokens; rt/rs (B,C,d) label-pooled representations; fused_t (B,L,d), fused_s (B,S,d);
        pooled, logits, constraint."""
        cfg, out = self.cfg, {}
        seq_t = seq_s = None
        if cfg.uses_text:
            mask_t = batch["text_mask"]
            seq_t = self._branch(out, "t", self.drop(self.proj_t(batch["text"])), mask_t)
        if cfg.uses_speech:
            mask_s = batch["speech_mask"]
            seq_s = self._branch(out, "s", self.drop(self.proj_s(batch["speech"])), mask_s)
        if cfg.fusion_input == "label_enhanced" and cfg.use_label_embeddings:
            out.update({k: v for k, v in (("ht_enh", seq_t), ("hs_enh", seq_s)) if v is not None})
        pooled = [out[f"{m}_repr"] for m in self._branch_inputs()]
        if seq_t is not None and seq_s is not None:
            # only the target's tokens are aligned with (and fused with) the target's frames
            idx, mask_l = batch["target_index"], batch["target_mask"]
            tokens = _gather(seq_t, idx)
            out["ar"], values = self.cross(tokens, seq_s, mask_s)
            if cfg.use_label_embeddings:
                out["al"] = alignment(_gather(out["gt"], idx), out["gs"], mask_l, mask_s)
                al = out["al"].detach() if cfg.detach_al else out["al"]
                out["constraint"] = constraint_loss(out["ar"], al, mask_l, mask_s, cfg.constraint_norm)
            out["fused_t"] = self.fusion(tokens, values, out["ar"], out.get("al"))
            pooled.append(masked_max(out["fused_t"], mask_l))
            if hasattr(self, "fusion_s"):
                al_s = transpose_map(out["al"], mask_l) if "al" in out else None
                out["fused_s"] = self.fusion_s(seq_s, self.value_t(tokens), transpose_map(out["ar"], mask_l), al_s)
                pooled.append(masked_max(out["fused_s"], mask_s))
        elif cfg.fusion_input == "label_enhanced":  # one modality: its label-aware sequence, max-pooled
            seq, mask = (seq_t, mask_t) if seq_t is not None else (seq_s, mask_s)
            pooled.append(masked_max(seq, mask))  # type: ignore[arg-type]
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
                terms.append(cfg.mu2 * ce(self.head_t(out.get("rt", out["t_repr"])), y))
            if hasattr(self, "head_s"):
                terms.append(cfg.mu3 * ce(self.head_s(out.get("rs", out["s_repr"])), y))
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


