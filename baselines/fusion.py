"""Fusion baselines: `early-fusion` (concatenate pooled text and speech, one MLP) and `late-fusion`
(train a text-only and a speech-only model, average their posteriors).

Citation for both: the early/late fusion taxonomy of Baltrusaitis, Ahuja and Morency (2019).
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from baselines.common import NeuralBaseline, PooledEncoder, check_unique_uids
from baselines.config import EarlyFusionConfig, LateFusionConfig, NeuralConfig
from baselines.unimodal import SpeechOnly, TextOnly, feature_model_info
from lemer.core.contract import Example, FitEnv, Model, Prediction, Requirements
from lemer.core.layers import mlp_head
from lemer.core.tasks import validation_score
from lemer.core.training import outputs_to_predictions

FUSION_CITATION = (
    "Baltrusaitis, T., Ahuja, C., Morency, L.-P. Multimodal Machine Learning: A Survey and Taxonomy. "
    "IEEE Transactions on Pattern Analysis and Machine Intelligence 41(2), 2019."
)


class EarlyFusionNet(nn.Module):
    """Pool each modality separately, concatenate, classify."""

    def __init__(self, d_text: int, d_speech: int, n_classes: int, d_model: int, pooling: str,
                 dropout: float, head_dropout: float) -> None:
        super().__init__()
        self.text = PooledEncoder(d_text, d_model, pooling, dropout)
        self.speech = PooledEncoder(d_speech, d_model, pooling, dropout)
        self.head = mlp_head(2 * d_model, n_classes, hidden=d_model, dropout=head_dropout)

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, None]:
        t = self.text(batch["text"], batch["text_mask"])
        s = self.speech(batch["speech"], batch["speech_mask"])
        return self.head(torch.cat([t, s], dim=-1)), None


class EarlyFusion(NeuralBaseline):
    info = feature_model_info("early-fusion", "pooled text and speech encoder features concatenated, one MLP head",
                              ("text", "speech"), FUSION_CITATION)
    uses_text = True
    uses_speech = True
    config_class = EarlyFusionConfig

    def build(self, d_text: int, d_speech: int, n_classes: int) -> nn.Module:
        c = self.cfg
        return EarlyFusionNet(d_text, d_speech, n_classes, c.d_model, c.pooling, c.dropout, c.head_dropout)


WEIGHT_GRID = tuple(round(0.1 * i, 1) for i in range(11))


def tune_text_weight(p_text: np.ndarray, p_speech: np.ndarray, valid: Sequence[Example], classes: Sequence[str],
                     task: str = "categorical") -> tuple[float, float]:
    """The grid weight with the best validation score of the task (UA; minus the soft cross-entropy; mean CCC);
    ties go to the weight nearest 0.5 (plain averaging)."""
    scores = {w: validation_score(task, w * p_text + (1 - w) * p_speech, valid, classes) for w in WEIGHT_GRID}
    best = max(scores.values())
    return min((w for w, s in scores.items() if s >= best - 1e-12), key=lambda w: abs(w - 0.5)), best


class LateFusion(Model):
    """Weighted average of a text-only and a speech-only model's class probabilities."""

    info = feature_model_info("late-fusion", "average of text-only and speech-only posteriors (weight 0.5, or tuned on valid)",
                              ("text", "speech"), FUSION_CITATION)

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.cfg = LateFusionConfig.from_dict(config)
        unimodal = {f.name: getattr(self.cfg, f.name) for f in fields(NeuralConfig)}  # the neural switches
        self.text_model = TextOnly(**unimodal)
        self.speech_model = SpeechOnly(**unimodal)
        self.text_weight = float(self.cfg.text_weight)
        self.classes: tuple[str, ...] = ()

    @property
    def requirements(self) -> Requirements:
        return Requirements(text_features=True, speech_features=True, text_context=self.cfg.context_window)

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        self.text_model.fit(train, valid, env)
        self.speech_model.fit(train, valid, env)
        self.classes = tuple(env.classes)
        self.text_weight = float(self.cfg.text_weight)
        if self.cfg.tune_weight:
            if not valid:
                env.log(f"late-fusion: no validation examples, keeping text_weight={self.text_weight}")
                return
            p_text, p_speech = self.text_model.predict_probs(valid), self.speech_model.predict_probs(valid)
            self.text_weight, best = tune_text_weight(p_text, p_speech, valid, self.classes, env.task)
            env.log(f"late-fusion: text_weight={self.text_weight} (valid {env.task} score {best:.4f})")

    def refit(self, train_valid: Sequence[Example], env: FitEnv) -> None:
        """Each branch refits with its own chosen epochs; the text weight chosen on validation is kept."""
        if not self.classes:
            raise RuntimeError("late-fusion: refit called before fit")
        self.text_model.refit(train_valid, env)
        self.speech_model.refit(train_valid, env)

    def predict_probs(self, examples: Sequence[Example]) -> np.ndarray:
        if not self.classes:
            raise RuntimeError("late-fusion: predict called before fit")
        w = self.text_weight
        return w * self.text_model.predict_probs(examples) + (1 - w) * self.speech_model.predict_probs(examples)

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        check_unique_uids(self.info.name, examples)
        return outputs_to_predictions([e.uid for e in examples], self.predict_probs(examples), self.classes,
                                      self.text_model.task)
