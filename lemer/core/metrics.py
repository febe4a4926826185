"""Metrics by name: every score the project reports, with its direction, its display name and what it needs.

Numpy only (no torch), so training (early stopping), the baselines (C selection) and the leaderboard compute
every number here, the same way. `METRICS` is the registry: a `Metric` says which task it scores, whether
higher is better, how tables name it, and which inputs it needs (`MetricInputs`); tables, CSV columns and the
API's frames are generated from it, and a suite names its `main_score` from it. Adding a metric is one
function and one `METRICS.register` line (and a test).

Definitions (the ones results and papers compare on):
- WA = accuracy; UA = mean recall over the classes PRESENT IN GOLD (== sklearn `balanced_accuracy_score`: a
  class absent from gold has no defined recall and is left out, not counted as 0 or 1); macro-F1 over the
  classes present in gold OR predictions (== sklearn's default; a predicted-but-absent class scores F1 = 0).
- ECE: 15 equal-width, right-closed bins on the max-probability confidence, weighted by bin count ("correct"
  = the argmax of the probabilities); Brier = mean over utterances of sum_c (p_c - y_c)^2; NLL = mean
  -log p_gold with p clipped at 1e-12.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lemer.core.registry import Registry

N_BINS = 15
P_FLOOR = 1e-12


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


def macro_f1_from_confusion(cm: np.ndarray) -> float:
    """Mean F1 over the classes present in gold or predictions (sklearn's default label set)."""
    cm = np.asarray(cm)
    tp = np.diag(cm).astype(float)
    support, predicted = cm.sum(axis=1).astype(float), cm.sum(axis=0).astype(float)
    defined = (support + predicted) > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros_like(tp), where=defined)
    return float(f1[defined].mean()) if defined.any() else 0.0


def accuracy_from_confusion(cm: np.ndarray) -> float:
    cm = np.asarray(cm)
    return float(np.trace(cm) / cm.sum()) if cm.sum() else 0.0


# ------------------------------------------------------------------------------------------- calibration
def confidence_bins(conf: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Right-closed equal-width bin index in [0, n_bins) of confidences in (0, 1].

    A confidence within 1e-9 of an edge counts as on it (0.6 + 1 ulp from a softmax stays in (8/15, 9/15]).
    """
    return np.clip(np.ceil(conf * n_bins - 1e-9).astype(np.int64) - 1, 0, n_bins - 1)


def confidence_correct(probs: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return probs.max(axis=-1), probs.argmax(axis=-1) == gold


def ece(probs: np.ndarray, gold: np.ndarray, n_bins: int = N_BINS) -> float:
    """Expected calibration error of (n, C) probabilities (see the module docstring for the binning)."""
    conf, correct = confidence_correct(np.asarray(probs, dtype=float), np.asarray(gold))
    b = confidence_bins(conf, n_bins)
    gap = np.bincount(b, weights=correct - conf, minlength=n_bins)  # sum over the bin of (correct - conf)
    return float(np.abs(gap).sum() / conf.size)


def brier(probs: np.ndarray, gold: np.ndarray) -> float:
    """Mean over utterances of sum_c (p_c - y_c)^2."""
    p = np.asarray(probs, dtype=float)
    y = np.eye(p.shape[-1])[np.asarray(gold)]
    return float(((p - y) ** 2).sum(axis=-1).mean())


def nll(probs: np.ndarray, gold: np.ndarray) -> float:
    """Mean -log p_gold, p_gold clipped at P_FLOOR."""
    p = np.asarray(probs, dtype=float)
    g = np.asarray(gold)
    return float(-np.log(np.maximum(p[np.arange(g.size), g], P_FLOOR)).mean())


# ------------------------------------------------------------------------------------------- dimensions, soft labels
DIMENSIONS: tuple[str, ...] = ("arousal", "valence", "dominance")


def ccc(x: np.ndarray, y: np.ndarray) -> float:
    """Lin's concordance correlation coefficient of two 1-D arrays (population moments):
    2 cov(x, y) / (var x + var y + (mean x - mean y)^2); 0.0 where it is undefined (both constant and equal)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    mx, my = x.mean(), y.mean()
    vx, vy = ((x - mx) ** 2).mean(), ((y - my) ** 2).mean()
    cov = ((x - mx) * (y - my)).mean()
    denom = vx + vy + (mx - my) ** 2
    return float(2 * cov / denom) if denom > 0 else 0.0


def mean_ccc(pred: np.ndarray, gold: np.ndarray) -> float:
    """Mean over the dimensions (columns) of the CCC of (N, D) arrays."""
    return float(np.mean([ccc(pred[:, d], gold[:, d]) for d in range(gold.shape[1])]))


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r (0.0 where a side is constant)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    sx, sy = x.std(), y.std()
    return float(((x - x.mean()) * (y - y.mean())).mean() / (sx * sy)) if sx > 0 and sy > 0 else 0.0


def soft_cross_entropy(probs: np.ndarray, targets: np.ndarray, floor: float = P_FLOOR) -> float:
    """Mean over utterances of -sum_c q_c log p_c (p clipped at `floor`): what the soft task minimises."""
    return float(-(np.asarray(targets) * np.log(np.maximum(np.asarray(probs), floor))).sum(axis=1).mean())


def soft_kl(probs: np.ndarray, targets: np.ndarray, floor: float = P_FLOOR) -> float:
    """Mean KL(q || p): the cross-entropy minus the targets' own entropy (0 when p = q)."""
    q = np.asarray(targets, dtype=np.float64)
    entropy = -(q * np.log(np.where(q > 0, q, 1.0))).sum(axis=1).mean()
    return soft_cross_entropy(probs, q, floor) - float(entropy)


def plurality_accuracy(pred: np.ndarray, targets: np.ndarray) -> float:
    """Share of utterances whose predicted class is a plurality class of the annotators (ties: any tied class)."""
    q = np.asarray(targets, dtype=np.float64)
    top = q.max(axis=1, keepdims=True)
    hit = np.isclose(q[np.arange(len(q)), np.asarray(pred)], top[:, 0])
    return float(hit.mean())


# ------------------------------------------------------------------------------------------- the registry
@dataclass(frozen=True)
class MetricInputs:
    """What a metric may read about one set of predictions; absent inputs are None.

    `gold` / `pred`: (n,) class codes into `n_classes`; `probs`: (n, C) probabilities in the same order."""

    n_classes: int
    gold: np.ndarray | None = None
    pred: np.ndarray | None = None
    probs: np.ndarray | None = None
    gold_dims: np.ndarray | None = None  # (n, 3) arousal, valence, dominance in [-1, 1]
    pred_dims: np.ndarray | None = None
    gold_dist: np.ndarray | None = None  # (n, C) the annotators' distribution

    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.gold, self.pred, self.n_classes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Metric:
    """A named score. `needs`: the `MetricInputs` fields it reads (a metric whose inputs are absent is not
    computed: an empty cell, never a made-up number); `percent`: shown x100 in tables."""

    name: str
    display: str
    higher_is_better: bool
    task: str
    needs: tuple[str, ...]
    fn: Callable[[MetricInputs], float]
    percent: bool
    description: str

    def score(self, inputs: MetricInputs) -> float | None:
        if any(getattr(inputs, n) is None for n in self.needs):
            return None
        return float(self.fn(inputs))


METRICS: Registry[Metric] = Registry("metric")


def register_metric(name: str, display: str, higher_is_better: bool, task: str, needs: tuple[str, ...],
                    fn: Callable[[MetricInputs], float], description: str, percent: bool = True) -> None:
    METRICS.register(name, Metric(name, display, higher_is_better, task, needs, fn, percent, description), description)


register_metric("wa", "WA", True, "categorical", ("gold", "pred"), lambda x: accuracy_from_confusion(x.confusion()),
                "weighted accuracy: the share of utterances classified right")
register_metric("ua", "UA", True, "categorical", ("gold", "pred"), lambda x: ua_from_confusion(x.confusion()),
                "unweighted accuracy: mean recall over the classes present in gold (balanced accuracy)")
register_metric("macro_f1", "macro-F1", True, "categorical", ("gold", "pred"),
                lambda x: macro_f1_from_confusion(x.confusion()), "mean F1 over the classes in gold or predictions")
register_metric("ece", "ECE", False, "categorical", ("gold", "probs"), lambda x: ece(x.probs, x.gold),  # type: ignore[arg-type]
                "expected calibration error, 15 equal-width bins on the max probability", percent=True)
register_metric("brier", "Brier", False, "categorical", ("gold", "probs"), lambda x: brier(x.probs, x.gold),  # type: ignore[arg-type]
                "multiclass Brier score: mean squared distance of the probabilities to the one-hot gold", percent=False)
register_metric("nll", "NLL", False, "categorical", ("gold", "probs"), lambda x: nll(x.probs, x.gold),  # type: ignore[arg-type]
                "negative log-likelihood of the gold class (p clipped at 1e-12)", percent=False)

for _d, _name in enumerate(DIMENSIONS):
    register_metric(f"ccc_{_name[:3]}", f"CCC {_name}", True, "dimensional", ("gold_dims", "pred_dims"),
                    lambda x, d=_d: ccc(x.pred_dims[:, d], x.gold_dims[:, d]),  # type: ignore[index]
                    f"concordance correlation coefficient of {_name}", percent=False)
register_metric("ccc", "CCC (mean)", True, "dimensional", ("gold_dims", "pred_dims"),
                lambda x: mean_ccc(x.pred_dims, x.gold_dims),  # type: ignore[arg-type]
                "mean over arousal, valence and dominance of the CCC (MSP-Podcast's ranking metric)", percent=False)
register_metric("pearson", "Pearson r (mean)", True, "dimensional", ("gold_dims", "pred_dims"),
                lambda x: float(np.mean([pearson(x.pred_dims[:, d], x.gold_dims[:, d]) for d in range(3)])),  # type: ignore[index]
                "mean over the dimensions of Pearson's r", percent=False)
register_metric("mae", "MAE (mean)", False, "dimensional", ("gold_dims", "pred_dims"),
                lambda x: float(np.abs(x.pred_dims - x.gold_dims).mean()),  # type: ignore[operator]
                "mean absolute error on the [-1, 1] scale, over the dimensions", percent=False)
register_metric("soft_ce", "soft CE", False, "soft", ("gold_dist", "probs"),
                lambda x: soft_cross_entropy(x.probs, x.gold_dist),  # type: ignore[arg-type]
                "cross-entropy of the predicted probabilities to the annotators' distribution", percent=False)
register_metric("soft_kl", "KL", False, "soft", ("gold_dist", "probs"),
                lambda x: soft_kl(x.probs, x.gold_dist),  # type: ignore[arg-type]
                "KL divergence of the annotators' distribution from the predicted one", percent=False)
register_metric("plurality_acc", "plurality acc.", True, "soft", ("gold_dist", "pred"),
                lambda x: plurality_accuracy(x.pred, x.gold_dist),  # type: ignore[arg-type]
                "accuracy against the annotators' plurality class, a tie counted right for any tied class")

DEFAULT_MAIN_SCORE = {"categorical": "ua", "soft": "soft_ce", "dimensional": "ccc"}


def metrics_for(task: str) -> list[Metric]:
    """The registered metrics of `task`, in registration order."""
    return [m for m in (METRICS.get(n) for n in METRICS) if m.task == task]


def score_all(task: str, inputs: MetricInputs) -> dict[str, float | None]:
    """Every metric of `task` on `inputs` (None where an input it needs is absent)."""
    return {m.name: m.score(inputs) for m in metrics_for(task)}
