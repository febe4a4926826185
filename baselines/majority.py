"""The majority-class baseline: the floor every other model must clear.

It predicts the most frequent training label for every utterance and reports the training class
frequencies as its probabilities. It reads neither text nor speech, so the runner runs it once per
(corpus, fold, seed) rather than once per transcript condition. Ties go to the class listed
first in the label map, so the baseline is deterministic.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

from baselines.config import MajorityConfig
from lemer.core.contract import Example, FitEnv, Model, ModelInfo, Prediction


class Majority(Model):
    info = ModelInfo(
        name="majority",
        modalities=(),
        description="Predicts the most frequent training class; probabilities = training class frequencies.",
    )

    def __init__(self, **config: object) -> None:
        super().__init__(**config)
        self.cfg = MajorityConfig.from_dict(config)  # no switches: any key is a ConfigError
        self._label: str | None = None
        self._probs: dict[str, float] = {}

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        counts = Counter(ex.label for ex in train)
        unknown = set(counts) - set(env.classes)
        if None in counts or unknown:
            raise ValueError(f"majority: training labels outside the label set {env.classes}: {sorted(map(str, unknown))}")
        if not counts:
            raise ValueError("majority: empty training set")
        total = sum(counts.values())
        self._probs = {c: counts.get(c, 0) / total for c in env.classes}
        self._label = max(env.classes, key=lambda c: (counts.get(c, 0), -env.classes.index(c)))

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        if self._label is None:
            raise RuntimeError("majority: predict() called before fit()")
        return [Prediction(uid=ex.uid, label=self._label, probs=dict(self._probs)) for ex in examples]
