"""LE-MER's label interactions, label-enhanced sequences, the two alignments, the constraint and the guided fusion.

Marks (exactly three tiers; `lemer/model/config.py` uses the same ones per switch):
- **paper (abstract)**: the abstract says it: label embeddings for text and, separately, for speech; label-enhanced
  text and speech representations learned per utterance through label-token and label-frame interactions; a
  label-guided attentive fusion module fusing the LABEL-AWARE text and speech representations for classification.
- **summary**: only the machine-written seed summary (`shared/seeds/`) says it: a hint, not evidence. BERT and
  wav2vec 2.0, top-k keyword / top-k frame label initialisation, matrices Gt / Gs, Al (emotion-aware alignment, from
  Gt and Gs) and Ar (semantic cross-attention), an MSE through which Al guides Ar, max-pooling then a classifier,
  CE + constraint with weights mu1..mu4.
- **ours**: neither says it: every form, normalisation, size and value below that is not marked otherwise.
No equation, shape or hyperparameter of the paper is reachable here; every formula below is ours in its exact form.

Notation: B batch, T attended tokens, L target tokens (the tokens aligned with the target's audio, a subset of the T),
S frames, C classes, d shared size; every softmax is masked (padding gets exactly 0 and is never pooled).

Default model (`lemer`, the most literal reading):
(1) Ht = P_t(text features), Hs = P_s(speech features)                                         (B, T, d), (B, S, d)
    **paper (abstract)**: text and speech representations; **summary**: from BERT / wav2vec 2.0; **ours**: a
    LayerNorm-Linear-GELU projection P into a shared d (on frozen features, or on the fine-tuned encoders' states).
(2) Lt = P_t(E_t), Ls = P_s(E_s), E_t / E_s the trainable text / speech label embeddings (C, d_enc)      (C, d)
    **paper (abstract)**: label embeddings for each modality; **summary**: initialised from the mean of each class's
    top-k keywords / top-k frames (lemer/model/label_embeddings.py); **ours**: projected by the modality's own
    projection, so they land where its tokens / frames land.
(3) Gt = softmax_over_tokens(s_t cos(Ht, Lt)),  Gs = softmax_over_frames(s_s cos(Hs, Ls))              (B, T|S, C)
    **paper (abstract)**: label-token / label-frame interactions; **summary**: matrices Gt, Gs; **ours**: cosine times a
    learnable scale s = exp(log_scale) (initialised at 5, clamped to [1/100, 100], CLIP-style), normalised over time
    (column c = where label c looks). (A fixed dot product / sqrt d left Gt and Gs almost uniform, entropy 0.99+.)
(4) Label-enhanced sequences (what the fusion reads):
        At[t, c] = Gt[t, c] / sum_c' Gt[t, c'],   Ht~ = Ht + At Lt                                   (B, T, C), (B, T, d)
        As[s, c] = Gs[s, c] / sum_c' Gs[s, c'],   Hs~ = Hs + As Ls                                   (B, S, C), (B, S, d)
    **paper (abstract)**: label-enhanced text and speech representations, per utterance, through the label-token /
    label-frame interactions; **ours**: this form: each position plus the mixture of the projected label embeddings
    weighted by its share of each label's attention (computed in log space: softmax over classes of
    s cos - logsumexp_over_time(s cos), the row-normalised Gt without underflow). Gradient reaches Gt / Gs, the
    scales and the label embeddings through every use of Ht~ / Hs~ (Ar, both fusion directions, the pooled streams).
    Switch `fusion_input = "plain"` feeds Ht / Hs instead (lemer-v1).
    Label-pooled R_t[c] = sum_t Gt[t, c] Ht[t], R_s likewise (B, C, d): a classifier input only under switch
    `classifier_branches` (**ours**, lemer-v1), and the input of the auxiliary heads (mu2, mu3).
(5) Al = rownorm(Gt_L Gs^T)                                                                                (B, L, S)
    **summary**: emotion-aware alignment from Gt and Gs; **ours**: token i and frame j are aligned when the labels that
    attend to token i also attend to frame j (row i is a distribution over the real frames).
(6) Ar = softmax_over_frames(Q(Ht~_L) K(Hs~)^T / sqrt d)                                                   (B, L, S)
    **summary**: semantic cross-attention; **paper (abstract)**: between the label-aware representations; **ours**:
    single-head scaled dot product from the target tokens to the frames.
(7) Guided fusion, text side (every model):
        F_t,i = LayerNorm(Ht~_i + g_r,i * (Ar V_s(Hs~))_i + g_l,i * (Al V_s(Hs~))_i),
        [g_r; g_l] = sigmoid(W_t [Ht~_i; (Ar V_s Hs~)_i; (Al V_s Hs~)_i])                                    (B, L, d)
    speech side (`fusion_directions = "both"`, the default):
        F_s,j = LayerNorm(Hs~_j + g'_r,j * (Ar' V_t(Ht~_L))_j + g'_l,j * (Al' V_t(Ht~_L))_j)                 (B, S, d)
        with Ar' / Al' = Ar^T / Al^T renormalised over the real target tokens (each frame's distribution over tokens)
    **paper (abstract)**: a label-guided attentive fusion of the label-aware text and speech representations;
    **summary**: guided by Al and Ar together (a drop when only one is used); **ours**: gates, residual, LayerNorm,
    both maps reading the same values, and the speech side reading the SAME two token-frame maps transposed (one
    semantic and one emotion alignment between tokens and frames, read both ways; no second attention to constrain).
    Why both directions by default: the summary's component map max-pools a text stream AND a speech stream after
    the guided fusion, and with the label-pooled R_s gone from the classifier the speech's own label-aware frames
    would otherwise reach it only as what the target tokens read. `fusion_directions = "text_to_speech"` keeps the
    text side only (lemer-v1). `fusion_attention = both | ar | al` keeps one map only (both sides).
(8) pooled = [maxpool_i F_t,i ; maxpool_j F_s,j] -> MLP -> logits
    **summary**: max-pooling then a classifier. One modality (`modalities = text | speech`): maxpool of Ht~ (or Hs~).
(9) constraint = sum over real (i, j) of (Ar[i, j] - sg(Al[i, j]))^2 / number of real (i, j) pairs         scalar
    **summary**: an MSE through which Al guides Ar: the plain element mean over every real token-frame pair of the
    batch (`constraint_norm = "element_mean"`), Al the target (sg = stop-gradient, `detach_al = true`). With Al
    detached the constraint still moves Gt / Gs and the label embeddings: through Ht~ / Hs~, Ar's inputs.
    **ours** (lemer-v1, switch `constraint_norm = "frame_scaled"`): each token's squared error summed over frames
    and scaled by S, i.e. the maps compared relative to the uniform 1/S (the element mean is O(1/S^2)); its mu4 is
    therefore not comparable with the element mean's. `detach_al = false` (lemer-two-way-constraint, lemer-v1): the
    constraint also pulls Al toward Ar.
(10) loss = mu1 CE(logits) + mu2 CE(text branch) + mu3 CE(speech branch) + mu4 constraint
    **summary**: cross-entropy + constraint with weights mu1..mu4; **ours**: which term each weight scales, and the
    defaults mu1 = 1, mu2 = mu3 = 0 (no auxiliary branch losses), mu4 = 1. mu2 / mu3 > 0 (lemer-aux-heads) add
    label-specific auxiliary classifiers on R_t / R_s, logit_c = w_c . R[c] + b_c (lemer/model/net.py BranchHead).

lemer-v1 (the architecture before label-aware fusion, kept so earlier results stay comparable; bit-identical
predictions, tests/test_lemer_v1_parity.py): fusion on the plain Ht_L / Hs (`fusion_input = "plain"`), text side
only, classifier on [R_t; R_s; maxpool F_t] (`classifier_branches = true`), frame-scaled two-way constraint,
mu2 = mu3 = 0.5.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from lemer.core.layers import masked_softmax

FUSION_ATTENTION_CHOICES = ("both", "ar", "al")
CONSTRAINT_NORM_CHOICES = ("element_mean", "frame_scaled")
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


def label_mixture(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(4) At/As: G row-normalised over the classes, (B, T, C); each real position's rows sum to 1, padding is 0.

    Computed as softmax_c(scores - logsumexp_t(scores)), which equals G[t, c] / sum_c' G[t, c'] exactly but does not
    underflow when a sharp label attention leaves a position with ~0 weight from every label."""
    m = mask.unsqueeze(-1)
    lse = torch.logsumexp(scores.masked_fill(~m, float("-inf")), dim=1, keepdim=True)  # (B, 1, C)
    return torch.softmax((scores - lse).masked_fill(~m, 0.0), dim=-1) * m


def label_enhance(h: torch.Tensor, mixture: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(4) H~ = H + A L: each position plus its label read-out, (B, T, d) + (B, T, C) x (C, d)."""
    return h + torch.einsum("btc,cd->btd", mixture, labels)


def label_pooling(g: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """(4) label-wise attentive pooling: R[c] = sum_t G[t, c] h_t, (B, T, C) x (B, T, d) -> (B, C, d)."""
    return torch.einsum("btc,btd->bcd", g, h)


def alignment(gt: torch.Tensor, gs: torch.Tensor, mask_t: torch.Tensor, mask_s: torch.Tensor) -> torch.Tensor:
    """(5) Al = row-normalised Gt Gs^T: tokens and frames aligned through the label space (rows sum to 1 on real tokens)."""
    m = torch.einsum("btc,bsc->bts", gt, gs)
    m = m * (mask_t.unsqueeze(-1) & mask_s.unsqueeze(1))
    return m / m.sum(-1, keepdim=True).clamp(min=1e-12)


def transpose_map(m: torch.Tensor, mask_t: torch.Tensor) -> torch.Tensor:
    """(7) a token->frame map (B, L, S) read the other way: (B, S, L), each real frame's row a distribution over the
    real target tokens (a frame no token looks at keeps a zero row)."""
    mt = (m * mask_t.unsqueeze(-1)).transpose(1, 2)
    return mt / mt.sum(-1, keepdim=True).clamp(min=1e-12)


def constraint_loss(ar: torch.Tensor, al: torch.Tensor, mask_t: torch.Tensor, mask_s: torch.Tensor,
                    norm: str = "element_mean") -> torch.Tensor:
    """(9) masked squared error between Ar and Al over the real token-frame pairs; exactly 0 when Ar equals Al.

    "element_mean": the plain MSE, the sum over real pairs divided by their number (the default).
    "frame_scaled" (lemer-v1): the mean over real tokens of S * sum_j (Ar - Al)^2 over the S real frames."""
    pair = (mask_t.unsqueeze(-1) & mask_s.unsqueeze(1)).to(ar.dtype)
    if norm == "element_mean":
        return ((ar - al) ** 2 * pair).sum() / pair.sum().clamp(min=1)
    if norm != "frame_scaled":
        raise ValueError(f"constraint norm must be one of {list(CONSTRAINT_NORM_CHOICES)}, got {norm!r}")
    n_frames = mask_s.sum(-1, keepdim=True).to(ar.dtype)  # (B, 1)
    per_token = ((ar - al) ** 2 * pair).sum(-1) * n_frames
    return (per_token * mask_t).sum() / mask_t.sum().clamp(min=1)


class CrossAttention(nn.Module):
    """(6) single-head scaled dot-product attention from tokens to frames: the map Ar and the speech values V_s."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, ht: torch.Tensor, hs: torch.Tensor, mask_s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (Ar (B, L, S), values V_s(Hs) (B, S, d))."""
        scores = torch.einsum("btd,bsd->bts", self.q(ht), self.k(hs)) / math.sqrt(ht.shape[-1])
        return masked_softmax(scores, mask_s.unsqueeze(1), dim=-1), self.v(hs)


class LabelAware(nn.Module):
    """(3)+(4) label-token (or label-frame) interaction with a learnable sharpness."""

    def __init__(self) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(LOG_SCALE_INIT))

    def forward(self, h: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor,
                mixture: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Returns (label attention G (B, T, C), label-pooled R (B, C, d), label mixture A (B, T, C) or None)."""
        scores = label_scores(h, labels, self.log_scale)
        g = label_attention(scores, mask)
        return g, label_pooling(g, h), (label_mixture(scores, mask) if mixture else None)


class GuidedFusion(nn.Module):
    """(7) label-guided attentive fusion of one side's positions with the other side read through Ar and/or Al."""

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
    "FUSION_ATTENTION_CHOICES", "CONSTRAINT_NORM_CHOICES", "label_scores", "label_attention", "label_mixture",
    "label_enhance", "label_pooling", "alignment", "transpose_map", "constraint_loss", "CrossAttention", "LabelAware",
    "GuidedFusion",
]
