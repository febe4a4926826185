"""Paired significance tests between two models scored on the same utterances.

How seeds enter (one rule for every test):
- A model's predictions are a (seeds, utterances) array. Each utterance gets the model's
  seed-averaged correctness `acc[u] = mean over seeds of [pred == gold]`. Because the test set is
  the same for every seed, the seed-mean of WA and of UA equals WA / UA computed on `acc`
  (both metrics are linear in per-utterance correctness once gold is fixed). So the point
  estimates are "mean over seeds", and the two models may have different numbers of seeds.
- Bootstrap: utterances are resampled with replacement WITHIN each fold (stratum), keeping all of
  an utterance's seeds together, so seed variance sits inside the CI and fold sizes stay fixed.
- Permutation: under H0 the two models are exchangeable on each utterance, so the sign of
  `acc_a[u] - acc_b[u]` is flipped at random per utterance (all seeds of the utterance together).
- McNemar: needs one binary outcome per utterance and model; we use the majority vote over seeds
  ("correct" = strictly more than half of the seeds right; with an even number of seeds a tie
  counts as not correct, which is conservative). Testing all (seed, uid) pairs instead would
  treat seeds of one utterance as independent observations and overstate the evidence.
- `ci` is always the paired stratified bootstrap percentile interval of `diff = a - b`, whatever
  test produced the p-value (McNemar and permutation tests have no interval of their own).
Randomness comes only from `numpy.random.default_rng(seed)`; the same seed gives the same output.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from leaderboard.metrics import ua_per_utterance_weights

Metric = Literal["wa", "ua"]
TestName = Literal["mcnemar", "bootstrap", "permutation"]
TESTS: tuple[str, ...] = ("mcnemar", "bootstrap", "permutation")
METRICS: tuple[str, ...] = ("wa", "ua")
DEFAULT_RESAMPLES = 1000
_TOL = 1e-12


@dataclass(frozen=True)
class Comparison:
    """One paired comparison: metric values of A and B, their difference, its CI and the p-value."""

    test: str
    metric: str
    a: float
    b: float
    diff: float
    ci: tuple[float, float]
    p_value: float
    n: int

    def to_json(self) -> dict[str, Any]:
        return {"test": self.test, "metric": self.metric, "a": self.a, "b": self.b, "diff": self.diff,
                "ci": list(self.ci), "p_value": self.p_value, "n": self.n}


def seed_mean_correct(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """(seeds, n) predicted codes -> (n,) fraction of seeds that got each utterance right."""
    pred = np.atleast_2d(pred)
    return (pred == gold[None, :]).mean(axis=0)


def majority_correct(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """(seeds, n) -> (n,) bool: strictly more than half of the seeds right (ties are not correct)."""
    return seed_mean_correct(pred, gold) > 0.5


def metric_weights(gold: np.ndarray, n_classes: int, metric: str) -> np.ndarray:
    """w with metric = sum(w * acc) for fixed gold labels (WA: 1/n; UA: see metrics)."""
    if metric == "wa":
        return np.full(gold.size, 1.0 / gold.size)
    if metric == "ua":
        return ua_per_utterance_weights(gold, n_classes)
    raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")


def metric_value(acc: np.ndarray, gold: np.ndarray, n_classes: int, metric: str) -> float:
    """WA or UA of per-utterance (seed-averaged) correctness."""
    return float(metric_weights(gold, n_classes, metric) @ acc)


def bootstrap_counts(strata: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(B, n) resampling counts: each stratum's utterances drawn with replacement, stratum size kept."""
    n = strata.size
    picks = np.empty((n_resamples, n), dtype=np.int64)
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        picks[:, idx] = idx[rng.integers(0, idx.size, size=(n_resamples, idx.size))]
    flat = (picks + np.arange(n_resamples, dtype=np.int64)[:, None] * n).ravel()
    return np.bincount(flat, minlength=n_resamples * n).reshape(n_resamples, n).astype(np.float64)


def resampled_metric(acc: np.ndarray, gold: np.ndarray, n_classes: int, metric: str,
                     counts: np.ndarray) -> np.ndarray:
    """Metric of every bootstrap resample, as matrix products over the (B, n) counts.

    `acc` is (n,) or (n, M) for M models at once; returns (B,) or (B, M). Under UA a class that
    drops out of a resample is left out of that resample's mean, as in the metric itself.
    """
    single = acc.ndim == 1
    acc2 = acc[:, None] if single else acc
    if metric == "wa":
        out = counts @ acc2 / counts.sum(axis=1, keepdims=True)
    elif metric == "ua":
        onehot = np.eye(n_classes)[gold]  # (n, C)
        n_c = counts @ onehot  # (B, C)
        hits = counts @ (onehot[:, :, None] * acc2[:, None, :]).reshape(gold.size, -1)  # (B, C*M)
        hits = hits.reshape(counts.shape[0], n_classes, acc2.shape[1])
        present = n_c > 0
        recall = np.divide(hits, n_c[:, :, None], out=np.zeros_like(hits), where=present[:, :, None])
        out = recall.sum(axis=1) / present.sum(axis=1, keepdims=True)
    else:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    return out[:, 0] if single else out


def percentile_ci(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return float(lo), float(hi)


def bootstrap_p(diff: float, resampled_diffs: np.ndarray) -> float:
    """Two-sided p from the bootstrap distribution shifted to the null (diff 0), with +1 smoothing."""
    extreme = np.abs(resampled_diffs - diff) >= abs(diff) - _TOL
    return float((1 + extreme.sum()) / (1 + resampled_diffs.size))


def permutation_p(weighted_diffs: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """p-values of paired sign-flip tests for K comparisons at once.

    `weighted_diffs` is (n, K) with column k = w * (acc_a - acc_b) (its sum is the observed
    difference); `signs` is (R, n) of +-1. Returns (K,) two-sided p with +1 smoothing.
    """
    observed = np.abs(weighted_diffs.sum(axis=0))
    permuted = np.abs(signs @ weighted_diffs)  # (R, K)
    extreme = (permuted >= observed[None, :] - _TOL).sum(axis=0)
    return (1 + extreme) / (1 + signs.shape[0])


def random_signs(n_resamples: int, n: int, rng: np.random.Generator) -> np.ndarray:
    return (rng.integers(0, 2, size=(n_resamples, n), dtype=np.int8) * 2 - 1).astype(np.float64)


def mcnemar_exact(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[int, int, float]:
    """Exact (binomial) McNemar test on paired binary outcomes.

    Returns (b, c, p): b = A right & B wrong, c = A wrong & B right, p = two-sided
    min(1, 2 * Binom(b + c, 1/2).cdf(min(b, c))), as statsmodels `mcnemar(exact=True)`.
    """
    correct_a = np.asarray(correct_a, dtype=bool)
    correct_b = np.asarray(correct_b, dtype=bool)
    b = int((correct_a & ~correct_b).sum())
    c = int((~correct_a & correct_b).sum())
    if b + c == 0:
        return b, c, 1.0
    return b, c, float(min(1.0, 2.0 * stats.binom.cdf(min(b, c), b + c, 0.5)))


def holm(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1), in input order."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def compare(pred_a: np.ndarray, pred_b: np.ndarray, gold: np.ndarray, n_classes: int, *,
            test: str = "bootstrap", metric: str = "ua", strata: np.ndarray | None = None,
            n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> Comparison:
    """Compare model A with model B on the same utterances (`pred_*`: (seeds, n) or (n,) codes)."""
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; choose from {', '.join(TESTS)}")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(METRICS)}")
    if test == "mcnemar" and metric != "wa":
        raise ValueError("McNemar's test compares accuracies: use --metric wa")
    gold = np.asarray(gold)
    pred_a, pred_b = np.atleast_2d(pred_a), np.atleast_2d(pred_b)
    if pred_a.shape[1] != gold.size or pred_b.shape[1] != gold.size:
        raise ValueError("predictions and gold labels differ in length")
    strata = np.zeros(gold.size, dtype=np.int64) if strata is None else np.asarray(strata)
    rng = np.random.default_rng(seed)
    acc = np.stack([seed_mean_correct(pred_a, gold), seed_mean_correct(pred_b, gold)], axis=1)  # (n, 2)
    a = metric_value(acc[:, 0], gold, n_classes, metric)
    b = metric_value(acc[:, 1], gold, n_classes, metric)
    resampled = resampled_metric(acc, gold, n_classes, metric, bootstrap_counts(strata, n_resamples, rng))
    diffs = resampled[:, 0] - resampled[:, 1]
    diff = a - b
    if test == "bootstrap":
        p = bootstrap_p(diff, diffs)
    elif test == "permutation":
        w = metric_weights(gold, n_classes, metric)
        p = float(permutation_p((w * (acc[:, 0] - acc[:, 1]))[:, None], random_signs(n_resamples, gold.size, rng))[0])
    else:
        p = mcnemar_exact(majority_correct(pred_a, gold), majority_correct(pred_b, gold))[2]
    return Comparison(test=test, metric=metric, a=a, b=b, diff=diff, ci=percentile_ci(diffs), p_value=p, n=int(gold.size))
