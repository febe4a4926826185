"""LE-MER's label interactions, emotion-aware alignment, cross-attention and label-guided fusion.

Marks: **paper** = stated in the paper (its abstract/method summary and component map: text -> encoder -> Ht -> Gt ->
Al -> guided fusion; speech -> encoder -> Hs -> Gs -> guided fusion; Al and Ar both used, with a reported drop when
only one is used; constraint = MSE(Al, Ar); loss = cross-entropy + constraint with weights mu1..mu4; K keywords /
frames); **our reading** = our interpretation of a step the paper names without an equation available offline (the
full text is not available here); **ours** = an implementation choice with no counterpart in the paper.

Notation: B batch, T tokens, L target tokens (the tokens aligned with the target's audio), S frames, C classes,
d shared size; every softmax is masked (padding gets exactly 0 and is never pooled).

(1) Ht = P_t(text features), Hs = P_s(speech features)                                         (B, T, d), (B, S, d)
    **paper**: encoder outputs; **ours**: a LayerNorm-Linear-GELU projection P into a shared d (frozen encoders here).
(2) Lt = P_t(E_t), Ls = P_s(E_s), E_t / E_s the trainable semantic / tonal label embeddings (C, d_enc)
    **paper**: label embeddings initialised from top-K keywords / top-K frames per class (lemer/model/label_embeddings.py);
    **our reading**: projected by the modality's own projection, so they land where its tokens / frames land.
(3) Gt = softmax_over_tokens(s_t cos(Ht, Lt)),  Gs = softmax_over_frames(s_s cos(Hs, Ls))              (B, T|S, C)
    **paper**: emotion-specific similarity matrices between label embeddings and tokens / frames;
    **our reading**: normalised over time (column c = where label c looks); **ours**: cosine similarity times a
    learnable scale s = exp(log_scale) (initialised at 5, clamped to [1/100, 100], CLIP-style), so the attention can
    sharpen: the earlier fixed dot product / sqrt d left Gt and Gs almost uniform (normalised entropy 0.99+), and a
    learnable multiplier of that dot product initialised at 1 barely moved in a few hundred AdamW steps (measured: 1.01
    after a Session1 fit, entropies 0.96).
(4) Label-enhanced representations R_t[c] = sum_t Gt[t, c] Ht[t],  R_s[c] = sum_s Gs[s, c] Hs[s]          (B, C, d)
    **our reading** of "label-token / label-frame interaction enhances the representation": label-wise attentive
    pooling (as in label-attention text classifiers and Dai et al.'s emotion-embedding attention); the C pooled
    vectors, flattened, feed the classifier, so the cross-entropy reaches Gt, Gs, the label embeddings and the scales.
    (The earlier version added a label mixture taken from a softmax over CLASSES to every position and max-pooled;
    Gt and Gs then fed only a detached Al and received no gradient at all.)
(5) Al = rownorm(Gt_L Gs^T)                                                                                (B, L, S)
    **paper**: emotion-aware alignment computed from Gt and Gs; **our reading**: tokens and frames are aligned when
    the labels that attend to token i also attend to frame j (row i is a distribution over real frames).
(6) Ar = softmax_over_frames(Q(Ht_L) K(Hs)^T / sqrt d)                                                     (B, L, S)
    **paper**: semantic cross-attention from text to speech.
(7) Guided fusion: F_i = LayerNorm(h_i + g_r,i * (Ar V(Hs))_i + g_l,i * (Al V(Hs))_i),
    g = sigmoid(W [h_i; (Ar V Hs)_i; (Al V Hs)_i])                                                        (B, L, d)
    **paper**: fusion guided by Al and Ar together (both matrices; a drop when only one is used);
    **our reading**: each matrix reads the same speech values V(Hs); **ours**: per-dimension sigmoid gates, residual,
    LayerNorm. Switch `fusion_attention = both | ar | al` keeps one term only (the paper's single-matrix ablation).
    The fused target tokens are max-pooled over time (**paper**: max-pool -> classifier).
(8) constraint = mean over real target tokens i of  S * sum_j (Ar[i, j] - Al[i, j])^2  over the S real frames
                 = mean over tokens of the mean over frames of (S Ar - S Al)^2                            scalar
    **paper**: MSE between Al and Ar; **ours**: the maps are compared relative to the uniform 1/S (an element mean
    of the raw maps is O(1/S^2), and even summed over frames it is O(1/S): measured 6e-4 and 1e-2, too small to move
    much: on a weak-signal test problem the summed version flipped 0 of 200 predicted labels against
    `lemer-no-constraint`, this one 8 (tests/test_lemer_label_attention.py)).
    Switch `detach_al`: when true Al is a fixed teacher for Ar; when false the constraint also moves Gt, Gs, the label
    embeddings toward the semantic alignment (both directions, as an MSE between two trainable maps implies).
(9) loss = mu1 * CE(fused classifier) + mu2 * CE(text branch) + mu3 * CE(speech branch) + mu4 * constraint
    **paper**: cross-entropy + constraint, weights mu1..mu4; **our reading**: which term each mu weights (the text
    available offline names four weights and two kinds of loss): mu1 the main classifier on [R_t; R_s; maxpool F],
    mu2 / mu3 auxiliary classifiers on the label-enhanced text / speech representations R_t / R_s alone, mu4 the
    attention constraint; **ours**: the auxiliary classifiers are label-specific, logit_c = w_c . R[c] + b_c, so label
    c must attend to class c's tokens / frames (the main classifier sees all C pooled vectors and does not tie label c
    to class c: on a planted-cue problem the gold label's attention then found the cue for only some classes).
    See lemer/model/config.py for the defaults and how they were chosen.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from lemer.core.layers import masked_softmax

FUSION_ATTENTION_CHOICES = ("both", "ar", "al")
MAX_LOG_SCALE = math.log(100.0)
LOG_SCALE_INIT = math.log(5.0)  # cosine similarities times 5 at the start (ours; CLIP-style learnable scale)


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


__all__ = [
    "FUSION_ATTENTION_CHOICES", "label_scores", "label_attention", "label_pooling", "alignment", "constraint_loss",
    "CrossAttention", "LabelAware", "GuidedFusion",
]
