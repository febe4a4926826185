"""A FROZEN copy of LE-MER's network as it was before label-aware fusion (lemer/model/{fusion,net}.py at commit
500602c), for the parity test only (tests/test_lemer_v1_parity.py): `lemer-v1` must give bit-identical predictions
to this network. Never edit it to follow the live code; that would defeat the test.

Its equations, switches and marks are documented where they live now (lemer/model/fusion.py, "lemer-v1").
"""
# ruff: noqa: E501
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from lemer.core.layers import Projection, masked_max, masked_softmax, mlp_head
from lemer.model.config import LEMERConfig

FUSION_ATTENTION_CHOICES = ("both", "ar", "al")
MAX_LOG_SCALE = math.log(100.0)
LOG_SCALE_INIT = math.log(5.0)


def label_scores(h: torch.Tensor, labels: torch.Tensor, log_scale: torch.Tensor | float = LOG_SCALE_INIT) -> torch.Tensor:
    """(3): scaled cosine similarities between every position (B, T, d) and every label (C, d) -> (B, T, C)."""
    cos = torch.einsum("btd,cd->btc", nn.functional.normalize(h, dim=-1), nn.functional.normalize(labels, dim=-1))
    scale = log_scale.clamp(-MAX_LOG_SCALE, MAX_LOG_SCALE).exp() if isinstance(log_scale, torch.Tensor) \
        else math.exp(log_scale)
    return cos * scale


def label_attention(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(3) Gt/Gs: for each label, a distribution over the real positions (softmax over time); padding gets 0."""
    return masked_softmax(scores, mask.unsqueeze(-1), dim=1)


def label_pooling(g: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """(4) label-wise attentive pooling: R[c] = sum_t G[t, c] h_t, (B, T, C) x (B, T, d) -> (B, C, d)."""
    return torch.einsum("btc,btd->bcd", g, h)


def alignment(gt: torch.Tensor, gs: torch.Tensor, mask_t: torch.Tensor, mask_s: torch.Tensor) -> torch.Tensor:
    """(5) Al = row-normalised Gt Gs^T: tokens and frames aligned through the label space (rows sum to 1 on real tokens)."""
    m = torch.einsum("btc,bsc->bts", gt, gs)
    m = m * (mask_t.unsqueeze(-1) & mask_s.unsqueeze(1))
    return m / m.sum(-1, keepdim=True).clamp(min=1e-12)


def constraint_loss(ar: torch.Tensor, al: torch.Tensor, mask_t: torch.Tensor, mask_s: torch.Tensor) -> torch.Tensor:
    """(8) masked row-wise squared error between Ar and Al; exactly 0 when Ar equals Al."""
    pair = (mask_t.unsqueeze(-1) & mask_s.unsqueeze(1)).to(ar.dtype)
    n_frames = mask_s.sum(-1, keepdim=True).to(ar.dtype)  # (B, 1)
    per_token = ((ar - al) ** 2 * pair).sum(-1) * n_frames
    return (per_token * mask_t).sum() / mask_t.sum().clamp(min=1)


class CrossAttention(nn.Module):
    """(6) single-head scaled dot-product attention from tokens to frames: the map Ar and the speech values V(Hs)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, ht: torch.Tensor, hs: torch.Tensor, mask_s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (Ar (B, L, S), values V(Hs) (B, S, d))."""
        scores = torch.einsum("btd,bsd->bts", self.q(ht), self.k(hs)) / math.sqrt(ht.shape[-1])
        return masked_softmax(scores, mask_s.unsqueeze(1), dim=-1), self.v(hs)


class LabelAware(nn.Module):
    """(3)+(4) label-token (or label-frame) interaction with a learnable sharpness."""

    def __init__(self) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(LOG_SCALE_INIT))

    def forward(self, h: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (label attention G (B, T, C), label-enhanced representation R (B, C, d))."""
        g = label_attention(label_scores(h, labels, self.log_scale), mask)
        return g, label_pooling(g, h)


class GuidedFusion(nn.Module):
    """(7) label-guided attentive fusion of target tokens with the speech read through Ar and/or Al."""

    def __init__(self, d: int, attention: str) -> None:
        super().__init__()
        if attention not in FUSION_ATTENTION_CHOICES:
            raise ValueError(f"fusion_attention must be one of {list(FUSION_ATTENTION_CHOICES)}, got {attention!r}")
        self.attention = attention
        n = 2 if attention == "both" else 1
        self.gate = nn.Linear((1 + n) * d, n * d)
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: torch.Tensor, values: torch.Tensor, ar: torch.Tensor | None,
                al: torch.Tensor | None) -> torch.Tensor:
        maps = {"both": (ar, al), "ar": (ar,), "al": (al,)}[self.attention]
        if any(m is None for m in maps):
            raise ValueError(f"GuidedFusion({self.attention!r}) needs " + " and ".join(
                n for n, m in zip({"both": ("Ar", "Al"), "ar": ("Ar",), "al": ("Al",)}[self.attention], maps) if m is None))
        read = [torch.einsum("bls,bsd->bld", m, values) for m in maps]  # type: ignore[arg-type]
        gates = torch.sigmoid(self.gate(torch.cat([tokens, *read], dim=-1))).chunk(len(read), dim=-1)
        return self.norm(tokens + sum(g * r for g, r in zip(gates, read)))



class FrozenV1Net(nn.Module):
    """The trainable part of LE-MER on frozen encoder features; `forward` returns (logits, auxiliary loss or None).

    The auxiliary loss is everything but the training loop's own cross-entropy (equation (9) in lemer/model/fusion.py):
    (mu1 - 1) * CE(main) + mu2 * CE(text branch) + mu3 * CE(speech branch) + mu4 * constraint; the CE terms need the
    batch's gold labels (`batch["y"]`, set by LE-MER's encoder for labelled examples) and are skipped without them.
    """

    def __init__(self, cfg: LEMERConfig, n_classes: int, d_text: int | None, d_speech: int | None,
                 text_labels: np.ndarray | None = None, speech_labels: np.ndarray | None = None,
                 n_outputs: int | None = None) -> None:
        assert n_outputs in (None, n_classes), "the frozen network is categorical only"  # the head's width today
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


def _label_tensor(init: np.ndarray | None, n_classes: int, dim: int) -> torch.Tensor:
    """Label-embedding initial values: given rows, or N(0, 1) (the projection starts with LayerNorm, so scale is moot)."""
    if init is None:
        return torch.randn(n_classes, dim)
    if init.shape != (n_classes, dim):
        raise ValueError(f"label-embedding init has shape {init.shape}, expected {(n_classes, dim)}")
    return torch.from_numpy(np.ascontiguousarray(init, dtype=np.float32)).clone()


