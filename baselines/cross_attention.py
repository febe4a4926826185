"""`cross-attention`: token <-> frame cross-attention fusion without any label information.

Text tokens attend over speech frames and speech frames attend over text tokens (masked, multi-head,
residual + layer norm); each attended sequence is pooled and the two vectors feed the MLP head.
It is LE-MER's fusion skeleton with the label embeddings and the attention constraint left out, so
the LE-MER vs cross-attention gap isolates what the label guidance adds.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from baselines.common import NeuralBaseline, make_pooling
from baselines.config import CrossAttentionConfig
from baselines.unimodal import feature_model_info
from lemer.core.layers import Projection, mlp_head


class MaskedCrossAttention(nn.Module):
    """Multi-head attention of `query` positions over `context` positions; padded context gets zero weight.

    Dropout is applied to the output only, not to the (B, H, Tq, Tk) weights: on CPU sampling that mask
    cost more than the attention itself.
    """

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"d_model={dim} is not divisible by heads={heads}")
        self.heads, self.d_head = heads, dim // heads
        self.q, self.k, self.v, self.out = (nn.Linear(dim, dim) for _ in range(4))
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(dim)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.d_head).transpose(1, 2)  # (B, H, T, d_head)

    def forward(self, query: torch.Tensor, context: torch.Tensor, context_mask: torch.Tensor) -> torch.Tensor:
        q, k, v = self._split(self.q(query)), self._split(self.k(context)), self._split(self.v(context))
        # Fused kernel: same result as masked_softmax(q k^T / sqrt(d)) v (checked in the tests), 2-3x faster on CPU.
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=context_mask[:, None, None, :])
        attended = attended.transpose(1, 2).reshape(query.shape)
        return self.norm(query + self.drop(self.out(attended)))


class CrossAttentionNet(nn.Module):
    def __init__(self, d_text: int, d_speech: int, n_classes: int, d_model: int, heads: int, pooling: str,
                 dropout: float, head_dropout: float) -> None:
        super().__init__()
        self.proj_text = Projection(d_text, d_model, dropout)
        self.proj_speech = Projection(d_speech, d_model, dropout)
        self.text_to_speech = MaskedCrossAttention(d_model, heads, dropout)  # tokens query frames
        self.speech_to_text = MaskedCrossAttention(d_model, heads, dropout)  # frames query tokens
        self.pool_text = make_pooling(pooling, d_model)
        self.pool_speech = make_pooling(pooling, d_model)
        self.head = mlp_head(2 * d_model, n_classes, hidden=d_model, dropout=head_dropout)

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, None]:
        t, tm = self.proj_text(batch["text"]), batch["text_mask"]
        s, sm = self.proj_speech(batch["speech"]), batch["speech_mask"]
        t_att = self.text_to_speech(t, s, sm)
        s_att = self.speech_to_text(s, t, tm)
        pooled = torch.cat([self.pool_text(t_att, tm), self.pool_speech(s_att, sm)], dim=-1)
        return self.head(pooled), None


class CrossAttention(NeuralBaseline):
    info = feature_model_info(
        "cross-attention", "bidirectional masked token<->frame cross-attention, pooled, MLP head; no label information",
        ("text", "speech"),
        "Tsai, Y.-H. H., Bai, S., Liang, P. P., Kolter, J. Z., Morency, L.-P., Salakhutdinov, R. "
        "Multimodal Transformer for Unaligned Multimodal Language Sequences. ACL 2019.",
    )
    uses_text = True
    uses_speech = True
    config_class = CrossAttentionConfig
    cfg: CrossAttentionConfig

    def build(self, d_text: int, d_speech: int, n_classes: int) -> nn.Module:
        c = self.cfg
        return CrossAttentionNet(d_text, d_speech, n_classes, c.d_model, c.heads, c.pooling, c.dropout, c.head_dropout)
