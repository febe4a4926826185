"""The three tasks a model can be trained for, in one place: what its outputs are, what it learns from, how it is
scored on the validation split, and how its outputs become predictions.

- `categorical`: one class per utterance (the consensus label); outputs C logits; cross-entropy; validation UA.
- `soft`: the annotators' distribution over the classes (`Example.soft`); outputs C logits; the cross-entropy
  to that distribution (= KL up to the targets' entropy); validation: minus that cross-entropy.
- `dimensional`: arousal, valence, dominance in [-1, 1] (`Example.dims`, each dimension rescaled from the
  corpus's scale); outputs 3 values; loss 1 - mean CCC over the batch's dimensions (the objective of the
  MSP-Podcast challenge's strong baselines and of Wagner et al., TPAMI 2023; ours for these models);
  validation: mean CCC.
Models read the task from `FitEnv.task`; neural models hand these functions to `lemer.core.training.fit_module`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lemer.core.metrics import DIMENSIONS, mean_ccc, soft_cross_entropy, unweighted_accuracy

TASKS: tuple[str, ...] = ("categorical", "dimensional", "soft")


def n_outputs(task: str, n_classes: int) -> int:
    """Width of a model's output layer for `task`."""
    return len(DIMENSIONS) if task == "dimensional" else n_classes


def soft_targets(examples: Sequence[Any], classes: Sequence[str]) -> np.ndarray:
    """(N, C) annotator distributions over `classes` of training examples; an error names one without."""
    missing = [e.uid for e in examples if e.soft is None]
    if missing:
        raise ValueError(f"{len(missing)} training example(s) have no annotator distribution, e.g. {missing[0]}")
    out = np.array([[float(e.soft.get(c, 0.0)) for c in classes] for e in examples], dtype=np.float64)
    return out / out.sum(axis=1, keepdims=True)


def dim_targets(examples: Sequence[Any]) -> np.ndarray:
    """(N, 3) arousal, valence, dominance in [-1, 1] of training examples; an error names one without."""
    missing = [e.uid for e in examples if e.dims is None]
    if missing:
        raise ValueError(f"{len(missing)} training example(s) have no arousal/valence/dominance, e.g. {missing[0]}")
    return np.array([list(e.dims) for e in examples], dtype=np.float64)


def validation_score(task: str, outputs: np.ndarray, examples: Sequence[Any], classes: Sequence[str]) -> float:
    """What early stopping maximises on the validation split (`outputs`: probabilities, or dims for `dimensional`)."""
    if task == "dimensional":
        return mean_ccc(outputs, dim_targets(examples))
    if task == "soft":
        return -soft_cross_entropy(outputs, soft_targets(examples, classes))
    index = {c: i for i, c in enumerate(classes)}
    gold = np.array([index[e.label] for e in examples])
    return unweighted_accuracy(gold, outputs.argmax(1), len(classes))
