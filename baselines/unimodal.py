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
from lemer.core.contract import ModelInfo
from lemer.core.layers import mlp_head
from lemer.core.tasks import TASKS


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


def feature_model_info(name: str, description: str, modalities: tuple[str, ...], citation: str | None = None) -> ModelInfo:
    """The info of a neural baseline on cached encoder features: it consumes the encoders of the modalities it reads,
    and trains for every task (`lemer.core.tasks`: a class head, soft targets, or three regression outputs)."""
    return ModelInfo(name=name, modalities=modalities, description=description, encoders=modalities, citation=citation,
                     tasks=TASKS)


class UnimodalBaseline(NeuralBaseline):
    """`UnimodalNet` over the features of the one modality its `info` names; subclasses set info and switches."""

    def build(self, d_text: int, d_speech: int, n_classes: int) -> nn.Module:
        c, (modality,) = self.cfg, self.info.modalities
        d_in = d_text if modality == "text" else d_speech
        return UnimodalNet(modality, d_in, n_classes, c.d_model, c.pooling, c.dropout, c.head_dropout)


class TextOnly(UnimodalBaseline):
    info = feature_model_info("text-only", "pre-trained text-encoder token features, attentive (or mean) pooling, MLP head",
                              ("text",))
    uses_text = True
    config_class = TextOnlyConfig


class SpeechOnly(UnimodalBaseline):
    info = feature_model_info("speech-only", "pre-trained speech-encoder frame features, attentive (or mean) pooling, MLP head",
                              ("speech",))
    uses_speech = True
    config_class = SpeechOnlyConfig
