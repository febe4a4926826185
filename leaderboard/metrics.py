"""WA, UA, macro-F1, per-class precision / recall / F1 and the confusion matrix, computed from label codes.

Label set (decided here, used everywhere in the leaderboard):
- labels are the run's `labels` (result.json), in that order; a gold or predicted label outside
  them is bad input and is rejected by the reader, never dropped.
- WA  = accuracy over all utterances                 == sklearn `accuracy_score`.
- UA  = mean recall over the classes PRESENT IN GOLD  == sklearn `balanced_accuracy_score`
  (computed by `lemer/core/metrics.py`, numpy only, shared with training and the baselines).
  A class absent from the gold labels of a fold has no defined recall, so it is left out of
  that fold's mean (and reported as `None` in `per_class`) rather than counted as 0 or 1.
- macro-F1 = mean F1 over the classes present in gold OR predictions
  == sklearn `f1_score(average="macro")` with its default label set: a class that is predicted
  but absent from gold scores F1 = 0 (its false positives are penalised); a class in neither
  has undefined F1 and is left out.
- per class: precision (None when the class is never predicted), recall (None when it is absent
  from gold) and F1 (None when it is in neither), so the mean of the defined F1 values is macro-F1.
Pooled metrics concatenate the folds of one seed, so every utterance counts once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from lemer.core.metrics import (
    accuracy_from_confusion,
    class_recall,
    confusion_matrix,
    macro_f1_from_confusion,
    ua_from_confusion,
)


@dataclass(frozen=True)
class ClassScores:
    """One class's precision, recall and F1; None where the quantity is undefined (see the module docstring)."""

    label: str
    n_gold: int
    n_predicted: int
    precision: float | None
    recall: float | None
    f1: float | None

    def to_json(self) -> dict[str, Any]:
        return {"n_gold": self.n_gold, "n_predicted": self.n_predicted, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


def class_scores(cm: np.ndarray, labels: Sequence[str]) -> list[ClassScores]:
    """Per-class precision, recall and F1 of a confusion matrix (rows gold, columns predicted)."""
    cm = np.asarray(cm)
    tp = np.diag(cm)
    gold_n, pred_n = cm.sum(axis=1), cm.sum(axis=0)
    out = []
    for i, label in enumerate(labels):
        g, p, t = int(gold_n[i]), int(pred_n[i]), int(tp[i])
        out.append(ClassScores(label, g, p, precision=t / p if p else None, recall=t / g if g else None,
                               f1=2 * t / (g + p) if g + p else None))
    return out


@dataclass(frozen=True)
class Scores:
    """The metrics of one set of predictions; fractions in [0, 1]."""

    labels: tuple[str, ...]
    wa: float
    ua: float
    macro_f1: float
    n: int
    recall: tuple[float | None, ...]  # per class, None when the class is absent from gold
    confusion: np.ndarray  # (C, C) counts, rows = gold, columns = predicted, order = labels

    @property
    def per_class(self) -> dict[str, float | None]:
        """Recall per class (the name and shape JSON readers of version 1 rely on)."""
        return dict(zip(self.labels, self.recall))

    @property
    def classes(self) -> list[ClassScores]:
        return class_scores(self.confusion, self.labels)

    def to_json(self) -> dict[str, Any]:
        return {"wa": self.wa, "ua": self.ua, "macro_f1": self.macro_f1, "n": self.n, "per_class": self.per_class,
                "classes": {c.label: c.to_json() for c in self.classes}}


def scores_from_confusion(cm: np.ndarray, labels: Sequence[str]) -> Scores:
    """All metrics from a confusion matrix (so pooled scores can sum per-fold matrices)."""
    cm = np.asarray(cm)
    n = int(cm.sum())
    if n == 0:
        raise ValueError("no predictions to score (empty prediction set)")
    recall, in_gold = class_recall(cm)
    return Scores(
        labels=tuple(labels),
        wa=accuracy_from_confusion(cm),
        ua=ua_from_confusion(cm),
        macro_f1=macro_f1_from_confusion(cm),
        n=n,
        recall=tuple(float(r) if g else None for r, g in zip(recall, in_gold)),
        confusion=cm,
    )


def score_codes(gold: np.ndarray, pred: np.ndarray, labels: Sequence[str]) -> Scores:
    """Metrics for integer-coded gold/pred arrays (codes index `labels`)."""
    gold = np.asarray(gold)
    pred = np.asarray(pred)
    if gold.shape != pred.shape:
        raise ValueError(f"gold and pred differ in length ({gold.size} vs {pred.size})")
    return scores_from_confusion(confusion_matrix(gold, pred, len(labels)), labels)


def encode(values: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Label strings -> codes; an unknown label is an error naming it and the label set."""
    index = {lab: i for i, lab in enumerate(labels)}
    try:
        return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))
    except KeyError as e:
        raise ValueError(f"label {e.args[0]!r} is not in the label set {list(labels)}") from None


def score_labels(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> Scores:
    """Metrics for string labels; `labels` defaults to the sorted union of gold and predicted labels."""
    if labels is None:
        labels = sorted(set(gold) | set(pred))
    return score_codes(encode(gold, labels), encode(pred, labels), labels)


def ua_per_utterance_weights(gold: np.ndarray, n_classes: int) -> np.ndarray:
    """Weights w with UA = sum(w * correct): 1 / (n_present_classes * n_gold_class) per utterance.

    UA is linear in per-utterance correctness once the gold labels are fixed, which is what
    lets the permutation test and the seed averaging work on per-utterance scores.
    """
    counts = np.bincount(gold, minlength=n_classes).astype(float)
    present = int((counts > 0).sum())
    return 1.0 / (present * counts[gold])
