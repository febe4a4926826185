"""The confusion matrix and unweighted accuracy on integer label codes: the one home of UA.

Numpy only (no torch), so the leaderboard imports it as well as training (early stopping) and the
baselines (C selection, late-fusion weights): every UA in the project is computed here.

- UA = mean recall over the classes PRESENT IN GOLD == sklearn `balanced_accuracy_score`. A class
  absent from gold has no defined recall and is left out of the mean, not counted as 0 or 1; with
  no gold at all UA is 0.0.
"""
from __future__ import annotations

import numpy as np


def confusion_matrix(gold: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (gold, pred) code pairs; codes are ints in [0, n_classes)."""
    flat = np.asarray(gold, dtype=np.int64) * n_classes + np.asarray(pred, dtype=np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def class_recall(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall per class, whether the class is in gold) of a confusion matrix; recall is 0 where undefined."""
    cm = np.asarray(cm)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1).astype(float)
    in_gold = support > 0
    return np.divide(tp, support, out=np.zeros_like(tp), where=in_gold), in_gold


def ua_from_confusion(cm: np.ndarray) -> float:
    """Mean recall over the classes present in gold (0.0 when gold is empty)."""
    recall, in_gold = class_recall(cm)
    return float(recall[in_gold].mean()) if in_gold.any() else 0.0


def unweighted_accuracy(gold: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """UA of integer-coded gold/pred arrays (same as sklearn's balanced accuracy)."""
    return ua_from_confusion(confusion_matrix(gold, pred, n_classes))
