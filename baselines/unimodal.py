"""Unimodal neural baselines on the cached encoder features: `text-only` and `speech-only`.

Each projects its modality's frames/tokens into a small space, pools them (attentive or mean,
switch `pooling`) and classifies with the same MLP head as LE-MER, so the gap to LE-MER measures
what the other modality and the label guidance add.
"""
from __future__ import annotations

import torch
from torch import nn

from baselines.common import NeuralBaseline, PooledEncoder
from baselines.config import SpeechOnlyConfig, TextOnlyConfig
from lemer.interface import ModelInfo
from lemer.layers import mlp_head


class UnimodalNet(nn.Module):
    """Projection -> pooling -> MLP head over one modality of the batch."""

    def __init__(self, modality: str, d_in: int, n_classes: int, d_model: int, pooling: str,
                 dropout: float, head_dropout: float) -> None:
        super().__init__()
        self.modality = modality
        self.encoder = PooledEncoder(d_in, d_model, pooling, dropout)
        self.head = mlp_head(d_model, n_classes, hidden=d_model, dropout=head_dropout)

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, None]:
        pooled = self.encoder(batch[self.modality], batch[f"{self.modality}_mask"])
        return self.head(pooled), None


class TextOnly(NeuralBaseline):
    info = ModelInfo(
        name="text-only",
        modalities=("text",),
        description="pre-trained text-encoder token features, attentive (or mean) pooling, MLP head",
        encoders=("text",),
    )
    uses_text = True
    config_class = TextOnlyConfig

    def build(self, d_text: int, d_speech: int, n_classes: int) -> nn.Module:
        c = self.cfg
        return UnimodalNet("text", d_text, n_classes, c.d_model, c.pooling, c.dropout, c.head_dropout)


class SpeechOnly(NeuralBaseline):
    info = ModelInfo(
        name="speech-only",
        modalities=("speech",),
        description="pre-trained speech-encoder frame features, attentive (or mean) pooling, MLP head",
        encoders=("speech",),
    )
    uses_speech = True
    config_class = SpeechOnlyConfig

    def build(self, d_text: int, d_speech: int, n_classes: int) -> nn.Module:
        c = self.cfg
        return UnimodalNet("speech", d_speech, n_classes, c.d_model, c.pooling, c.dropout, c.head_dropout)
