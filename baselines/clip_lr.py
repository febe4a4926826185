"""The "per-clip feature vector + standardisation + logistic regression" baselines, in one place.

`acoustic-lr` (MFCC statistics) and `egemaps-lr` (openSMILE eGeMAPS functionals) differ only in the
function that turns one audio file into a fixed-size vector (memoised by `clip_cache`); error
messages, standardisation, C selection on validation and prediction live here once. The scaler and
classifier see the training fold only; the validation fold picks C.
"""
from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from baselines.common import check_fit_inputs, fit_logistic_regression, predict_logistic_regression
from baselines.config import ClipLRConfig
from dataset_adapters.audio import AudioError
from lemer.interface import Example, FitEnv, Model, Prediction, Requirements

class ClipStatisticsLR(Model):
    """Base of the per-clip-vector LR baselines: subclasses set `info`, `config_class` and `clip_vector`."""

    config_class: ClassVar[type[ClipLRConfig]] = ClipLRConfig

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.cfg = self.config_class.from_dict(config)
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.clf: Any = None
        self.C: float | None = None
        self.classes: tuple[str, ...] = ()

    @property
    def requirements(self) -> Requirements:
        return Requirements()  # reads Example.audio itself; no encoder features

    @abstractmethod
    def clip_vector(self, path: str) -> np.ndarray:
        """The fixed-size feature vector of the clip at `path` (errors name the file)."""

    def _features(self, examples: Sequence[Example]) -> np.ndarray:
        # per-clip matrices are tiny: a multi-threaded BLAS spins on them (see acoustic_features.clip_features_many)
        with threadpool_limits(limits=1, user_api="blas"):
            rows = []
            for e in examples:
                try:
                    rows.append(self.clip_vector(e.audio))
                except AudioError as err:  # keep the type and the path-first message, add who asked
                    raise AudioError(err.path, f"{err.reason} ({self.info.name}, example {e.uid!r})") from err
                except (FileNotFoundError, ValueError) as err:
                    kind = FileNotFoundError if isinstance(err, FileNotFoundError) else ValueError
                    raise kind(f"{self.info.name}: example {e.uid!r}: {err}") from err
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
