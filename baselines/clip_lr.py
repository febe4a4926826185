"""The "per-clip feature vector + standardisation + logistic regression" baselines, in one place.

`acoustic-lr` (MFCC statistics) and `egemaps-lr` (openSMILE eGeMAPS functionals) differ only in the clip
encoder they name (`Requirements.clip_features`; the harness's feature store computes and caches the vectors,
`benchmarks/features/`); error messages, standardisation, C selection on validation and prediction live here once. The scaler and
classifier see the training fold only; the validation fold picks C. `LogisticBaseline`, their base,
holds what every logistic-regression baseline (`tfidf-lr` too) shares: switches, fit with C on valid, predict.
"""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace
from typing import Any, ClassVar, Sequence

import numpy as np

from baselines.common import (
    check_fit_inputs,
    fit_linear_for_task,
    fit_logistic_regression,
    predict_linear_for_task,
    predict_logistic_regression,
)
from baselines.config import ClipLRConfig, LogisticConfig
from lemer.core.contract import Example, FitEnv, Model, ModelInfo, Prediction, Requirements
from lemer.core.tasks import TASKS


class LogisticBaseline(Model):
    """Base of the logistic-regression baselines (`tfidf-lr` and the per-clip-vector ones): switches from
    `config_class`, fitting with C chosen on validation UA, prediction. A subclass turns examples into
    a feature matrix: `_fit_features` on the folds to fit (what it learns from them, from train only),
    `_transform` on examples to predict; `_describe` says what was fitted, for the log."""

    config_class: ClassVar[type[LogisticConfig]]

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.cfg = self.config_class.from_dict(config)
        self.clf: Any = None
        self.C: float | None = None
        self.classes: tuple[str, ...] = ()
        self.task = "categorical"

    @abstractmethod
    def _fit_features(self, train: Sequence[Example], valid: Sequence[Example]) -> tuple[Any, Any]:
        """(train matrix, valid matrix or None when `valid` is empty); fits any transform on `train` only."""

    @abstractmethod
    def _transform(self, examples: Sequence[Example]) -> Any:
        """The feature matrix of `examples` with the fitted transform."""

    @abstractmethod
    def _describe(self, x_train: Any) -> str:
        """What was fitted, for the log line (`N features`, `vocabulary N terms`)."""

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        name = self.info.name
        check_fit_inputs(name, train, valid, env.classes, env.task)
        self.classes = tuple(env.classes)
        self.task = env.task
        x_train, x_valid = self._fit_features(train, valid)
        if env.task == "categorical":
            self.clf, self.C = fit_logistic_regression(
                name, x_train, train, x_valid, valid, self.classes, self.cfg.c_grid, self.cfg.class_weight, env.log
            )
        else:
            self.clf, self.C = fit_linear_for_task(name, env.task, x_train, train, x_valid, valid, self.classes,
                                                   self.cfg.c_grid, env.log)
        env.log(f"{name}: {self._describe(x_train)}, C={self.C}")

    def refit(self, train_valid: Sequence[Example], env: FitEnv) -> None:
        """Fit again on train + valid with the C validation chose (a one-value grid; no split left to choose on)."""
        if self.C is None:
            raise RuntimeError(f"{self.info.name}: refit called before fit")
        self.cfg = replace(self.cfg, c_grid=(self.C,))
        self.fit(train_valid, [], env)

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        if self.task == "categorical":
            return predict_logistic_regression(self.info.name, self.clf, self.classes, examples, self._transform)
        return predict_linear_for_task(self.info.name, self.task, self.clf, self.classes, examples, self._transform)


def clip_lr_info(name: str, description: str, citation: str) -> ModelInfo:
    """The `info` of a per-clip-vector LR baseline: it reads the speech as one vector per clip; every task
    (logistic regression; on soft targets; ridge regression for the dimensions: `fit_linear_for_task`)."""
    return ModelInfo(name=name, modalities=("speech",), description=description, encoders=("clip",), citation=citation,
                     tasks=TASKS)


class ClipStatisticsLR(LogisticBaseline):
    """Base of the per-clip-vector LR baselines: subclasses set `info`, `config_class` and `clip_spec`."""

    config_class: ClassVar[type[ClipLRConfig]] = ClipLRConfig

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    @property
    @abstractmethod
    def clip_spec(self) -> str:
        """The clip encoder (a spec of `benchmarks/features/spec.py`) whose vectors this model reads."""

    @property
    def requirements(self) -> Requirements:
        return Requirements(clip_features=self.clip_spec)

    def _features(self, examples: Sequence[Example]) -> np.ndarray:
        missing = [e.uid for e in examples if e.features is None or e.features.clip is None]
        if missing:
            raise ValueError(f"{self.info.name}: {len(missing)} example(s) without clip features ({self.clip_spec}), "
                             f"e.g. {missing[0]}: the harness fills them from Requirements.clip_features")
        return np.stack([e.features.clip for e in examples]).astype(np.float64)  # type: ignore[union-attr]

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        assert self.mean is not None and self.scale is not None
        return (x - self.mean) / self.scale

    def _fit_features(self, train: Sequence[Example], valid: Sequence[Example]) -> tuple[np.ndarray, np.ndarray | None]:
        x_train = self._features(train)
        self.mean = x_train.mean(0)
        std = x_train.std(0)
        self.scale = np.where(std > 1e-8, std, 1.0)  # constant features stay at zero instead of dividing by 0
        x_valid = self._standardise(self._features(valid)) if valid else None
        return self._standardise(x_train), x_valid

    def _transform(self, examples: Sequence[Example]) -> np.ndarray:
        return self._standardise(self._features(examples))

    def _describe(self, x_train: np.ndarray) -> str:
        return f"{x_train.shape[1]} features"
