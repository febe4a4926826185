"""`acoustic-lr`: per-clip MFCC statistics + standardisation + logistic regression.

The no-pre-training speech baseline: what do classic spectral statistics get without any speech
encoder? The scaler and classifier see the training fold only; the validation fold picks C.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from baselines.acoustic_features import MfccConfig, clip_features
from baselines.common import check_fit_inputs, fit_logistic_regression, predict_logistic_regression
from baselines.config import AcousticConfig
from lemer.interface import Example, FitEnv, Model, ModelInfo, Prediction, Requirements


class AcousticLR(Model):
    info = ModelInfo(
        name="acoustic-lr",
        modalities=("speech",),
        description="per-clip MFCC+delta statistics (mean, std, 10/50/90th percentiles, log duration), "
        "standardised, logistic regression (C chosen on valid)",
        encoders=(),
        citation=(
            "Davis, S., Mermelstein, P. Comparison of parametric representations for monosyllabic word recognition "
            "in continuously spoken sentences. IEEE Transactions on Acoustics, Speech, and Signal Processing 28(4), 1980."
        ),
    )

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.cfg = AcousticConfig.from_dict(config)
        self.mfcc = MfccConfig(n_mfcc=self.cfg.n_mfcc, n_mels=self.cfg.n_mels)
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.clf: Any = None
        self.C: float | None = None
        self.classes: tuple[str, ...] = ()

    @property
    def requirements(self) -> Requirements:
        return Requirements()  # reads Example.audio itself; no encoder features

    def _features(self, examples: Sequence[Example]) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="blas"):  # see acoustic_features.clip_features_many
            rows = []
            for e in examples:
                try:
                    rows.append(clip_features(e.audio, self.mfcc))
                except (FileNotFoundError, ValueError) as err:
                    raise type(err)(f"{self.info.name}: example {e.uid!r}: {err}") from err
        return np.stack(rows).astype(np.float64)

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        assert self.mean is not None and self.scale is not None
        return (x - self.mean) / self.scale

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        name = self.info.name
        check_fit_inputs(name, train, valid, env.classes)
        self.classes = tuple(env.classes)
        x_train = self._features(train)
        self.mean = x_train.mean(0)
        std = x_train.std(0)
        self.scale = np.where(std > 1e-8, std, 1.0)  # constant features stay at zero instead of dividing by 0
        x_valid = self._standardise(self._features(valid)) if valid else None
        self.clf, self.C = fit_logistic_regression(
            name, self._standardise(x_train), train, x_valid, valid, self.classes,
            self.cfg.c_grid, self.cfg.class_weight, env.log,
        )
        env.log(f"{name}: {x_train.shape[1]} features, C={self.C}")

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        return predict_logistic_regression(self.info.name, self.clf, self.classes, examples,
                                           lambda ex: self._standardise(self._features(ex)))
