"""The majority-class baseline: the floor every other model must clear.

It predicts the most frequent training label for every utterance and reports the training class
frequencies as its probabilities. It reads neither text nor speech, so the runner runs it once per
(corpus, fold, seed) rather than once per transcript condition. Ties go to the class listed
first in the label map, so the baseline is deterministic.

Its counterparts for the other tasks (`lemer.core.tasks`) are the same floor: the mean training
annotator distribution (soft; it predicts the plurality class of that mean), and the mean training
arousal, valence and dominance (dimensional: CCC 0 by construction, the floor a regressor must clear).
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from baselines.config import MajorityConfig
from lemer.core.contract import Example, FitEnv, Model, ModelInfo, Prediction
from lemer.core.metrics import DIMENSIONS
from lemer.core.tasks import TASKS, dim_targets, soft_targets


class Majority(Model):
    info = ModelInfo(
        name="majority",
        modalities=(),
        description="Predicts the most frequent training class; probabilities = training class frequencies "
        "(soft: the mean training annotator distribution; dimensional: the mean training A/V/D).",
        tasks=TASKS,
    )

    def __init__(self, **config: object) -> None:
        super().__init__(**config)
        self.cfg = MajorityConfig.from_dict(config)  # no switches: any key is a ConfigError
        self._label: str | None = None
        self._probs: dict[str, float] = {}
        self._dims: dict[str, float] | None = None

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        if not train:
            raise ValueError("majority: empty training set")
        if env.task == "dimensional":
            self._label, self._probs = "", {}
            self._dims = dict(zip(DIMENSIONS, (float(v) for v in dim_targets(train).mean(0))))
            return
        if env.task == "soft":
            mean = soft_targets(train, env.classes).mean(0)
            self._probs = {c: float(p) for c, p in zip(env.classes, mean)}
            self._label = env.classes[int(np.argmax(mean))]  # first of tied classes, in label-map order
            return
        counts = Counter(ex.label for ex in train)
        unknown = set(counts) - set(env.classes)
        if None in counts or unknown:
            raise ValueError(f"majority: training labels outside the label set {env.classes}: {sorted(map(str, unknown))}")
        if not counts:
            raise ValueError("majority: empty training set")
        total = sum(counts.values())
        self._probs = {c: counts.get(c, 0) / total for c in env.classes}
        self._label = max(env.classes, key=lambda c: (counts.get(c, 0), -env.classes.index(c)))

    def refit(self, train_valid: Sequence[Example], env: FitEnv) -> None:
        """Nothing is chosen on validation: the same statistic over train + valid."""
        self.fit(train_valid, [], env)

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        if self._label is None:
            raise RuntimeError("majority: predict() called before fit()")
        return [Prediction(uid=ex.uid, label=self._label, probs=dict(self._probs),
                           dims=None if self._dims is None else dict(self._dims)) for ex in examples]
