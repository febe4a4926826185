"""Calibration of a model's class probabilities: ECE, multiclass Brier score, NLL, reliability-diagram data.

Decisions:
- ECE: 15 equal-width bins on the confidence (the max probability), right-closed ((m-1)/15, m/15] as in Guo et
  al. 2017; ECE = sum over bins of (count / n) * |accuracy - mean confidence|. "Correct" is the argmax of the
  probabilities (first label on ties) equal to gold, not the file's `pred`: calibration is a property of the
  probability vector, and its confidence is that of its argmax.
- Brier = mean over utterances of sum_c (p_c - y_c)^2 (range [0, 2]); NLL = mean of -log p_gold with p_gold
  clipped below at 1e-12, so a confident miss costs log(1e12) ~ 27.6 instead of infinity.
- Rows summing to 1 within 1e-6 are used as they are. Within 1e-2 of 1 (probabilities written with 2-4 decimals)
  they are divided by their sum and counted in `n_renormalised`. Further off, or negative, or not finite, the file
  holds scores, not a distribution: no calibration, and the reason says where. A label missing from a dict has
  probability 0; a label outside the run's label set makes the file unusable (reason).
- Seeds: each seed is scored and the scores averaged (like the leaderboard's UA, a mean over seeds of
  per-seed metrics). Averaging the probabilities first would score an ensemble, which is usually better
  calibrated than any model that was actually trained. The reliability diagram pools the seeds' predictions
  (every bin counts seeds x utterances); ECE read off it can be lower than the mean per-seed ECE, as the seeds'
  gaps in one bin may cancel.
- Without probabilities (an external file without `probs`, or some utterances without them) every number is None
  and `reason` says so; partial probabilities would score a biased subset.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from lemer.core.metrics import N_BINS, P_FLOOR, brier, confidence_bins, confidence_correct, ece, nll

SUM_TOL = 1e-6
RENORM_TOL = 1e-2


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    confidence: float | None  # mean max-probability in the bin; None when empty
    accuracy: float | None  # share of argmax == gold in the bin; None when empty

    def to_json(self) -> dict[str, Any]:
        return {"lower": self.lower, "upper": self.upper, "count": self.count, "confidence": self.confidence,
                "accuracy": self.accuracy}


@dataclass(frozen=True)
class Calibration:
    """Calibration scores of one model (mean over seeds); all None with `reason` when they cannot be computed."""

    ece: float | None
    brier: float | None
    nll: float | None
    reliability: tuple[ReliabilityBin, ...] | None
    n_utterances: int
    n_seeds: int
    n_renormalised: int = 0
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ece": self.ece, "brier": self.brier, "nll": self.nll, "n_utterances": self.n_utterances,
                "n_seeds": self.n_seeds, "n_renormalised": self.n_renormalised, "reason": self.reason,
                "ece_bins": N_BINS, "nll_floor": P_FLOOR,
                "reliability": None if self.reliability is None else [b.to_json() for b in self.reliability]}


def _missing(reason: str, n: int = 0, seeds: int = 0) -> Calibration:
    return Calibration(ece=None, brier=None, nll=None, reliability=None, n_utterances=n, n_seeds=seeds, reason=reason)


def check_distribution(probs: np.ndarray, source: str) -> tuple[np.ndarray | None, int, str | None]:
    """Apply the renormalisation rule to (..., C) probabilities: (probs, number renormalised, reason if unusable)."""
    p = np.asarray(probs, dtype=float)
    flat = p.reshape(-1, p.shape[-1])
    where = lambda i: ", ".join(f"{k} {v}" for k, v in zip(("seed", "utterance")[-(p.ndim - 1):],  # noqa: E731
                                                          np.unravel_index(int(i), p.shape[:-1])))
    bad = ~np.isfinite(flat).all(axis=1) | (flat < 0).any(axis=1)
    if bad.any():
        return None, 0, f"probabilities in {source} are negative or not finite ({where(np.flatnonzero(bad)[0])})"
    dev = np.abs(flat.sum(axis=1) - 1.0)
    far = dev > RENORM_TOL
    if far.any():
        i = int(np.flatnonzero(far)[0])
        return None, 0, (f"probabilities in {source} sum to {flat[i].sum():.4g} ({where(i)}), more than "
                         f"{RENORM_TOL:g} from 1: scores, not a distribution")
    off = dev > SUM_TOL
    if off.any():
        p = p / p.sum(axis=-1, keepdims=True)
    return p, int(off.sum()), None


def probs_from_dicts(dicts: Sequence[Mapping[str, float] | None], labels: Sequence[str],
                     source: str) -> tuple[np.ndarray | None, str | None]:
    """Per-utterance label -> probability dicts (None where a line has none) -> ((n, C) array, None) or (None, reason)."""
    if not dicts or all(d is None for d in dicts):
        return None, f"no probabilities in {source}"
    missing = sum(d is None for d in dicts)
    if missing:
        return None, f"no probabilities for {missing} of {len(dicts)} utterances in {source}"
    index = {lab: i for i, lab in enumerate(labels)}
    out = np.zeros((len(dicts), len(labels)))
    for row, d in enumerate(dicts):
        for lab, value in d.items():  # type: ignore[union-attr]
            if lab not in index:
                return None, f"probability for label {lab!r} in {source} (row {row}) is not in the label set {list(labels)}"
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None, f"probability {value!r} for {lab!r} in {source} (row {row}) is not a number"
            out[row, index[lab]] = float(value)
    return out, None


def reliability(probs: np.ndarray, gold: np.ndarray, n_bins: int = N_BINS) -> tuple[ReliabilityBin, ...]:
    """Per bin: mean confidence, accuracy and count of (..., n, C) probabilities against (n,) gold (seeds pooled)."""
    p = np.asarray(probs, dtype=float)
    g = np.broadcast_to(np.asarray(gold), p.shape[:-1])
    conf, correct = confidence_correct(p.reshape(-1, p.shape[-1]), g.reshape(-1))
    b = confidence_bins(conf, n_bins)
    count = np.bincount(b, minlength=n_bins)
    conf_sum = np.bincount(b, weights=conf, minlength=n_bins)
    hit_sum = np.bincount(b, weights=correct.astype(float), minlength=n_bins)
    return tuple(ReliabilityBin(lower=i / n_bins, upper=(i + 1) / n_bins, count=int(count[i]),
                                confidence=float(conf_sum[i] / count[i]) if count[i] else None,
                                accuracy=float(hit_sum[i] / count[i]) if count[i] else None) for i in range(n_bins))


def calibration(probs: np.ndarray | None, gold: np.ndarray, *, source: str = "the predictions",
                reason: str | None = None) -> Calibration:
    """Calibration of (seeds, n, C) or (n, C) probabilities against gold (n,); None-valued with a reason if absent."""
    gold = np.asarray(gold, dtype=np.int64)
    if probs is None:
        return _missing(reason or f"no probabilities in {source}", n=int(gold.size))
    p = np.asarray(probs, dtype=float)
    p = p[None] if p.ndim == 2 else p
    if p.ndim != 3 or p.shape[1] != gold.size:
        raise ValueError(f"probabilities {p.shape} do not match (seeds, {gold.size}, classes)")
    if gold.size and (gold.max() >= p.shape[2] or gold.min() < 0):
        raise ValueError(f"gold codes outside 0..{p.shape[2] - 1}")
    p, n_renorm, why = check_distribution(p, source)
    if why:
        return _missing(why, n=int(gold.size), seeds=int(np.asarray(probs).shape[0]) if np.ndim(probs) == 3 else 1)
    return Calibration(ece=float(np.mean([ece(ps, gold) for ps in p])),
                       brier=float(np.mean([brier(ps, gold) for ps in p])),
                       nll=float(np.mean([nll(ps, gold) for ps in p])),
                       reliability=reliability(p, gold), n_utterances=int(gold.size), n_seeds=int(p.shape[0]),
                       n_renormalised=n_renorm)


def calibration_from_dicts(per_seed: Sequence[Sequence[Mapping[str, float] | None]], gold: np.ndarray,
                           labels: Sequence[str], sources: Sequence[str]) -> Calibration:
    """Calibration from prediction-file probability dicts, one list per seed (in gold's utterance order)."""
    arrays = []
    for dicts, source in zip(per_seed, sources):
        arr, why = probs_from_dicts(dicts, labels, source)
        if why:
            return _missing(why, n=int(np.asarray(gold).size), seeds=len(per_seed))
        arrays.append(arr)
    return calibration(np.stack(arrays), gold, source=", ".join(sources))
