"""One call per leaderboard cell for everything "speaker-level inference" adds to it.

`cell_inference` takes what a cell already holds (each ranked model's (seeds, n) predicted codes on the
cell's utterances, gold, the fold of each utterance) plus each utterance's speaker and gender, and returns:
- per model: UA with its CI in both readings ("this test set": utterances resampled within folds, as
  cells.py; "new speakers": speakers resampled within folds, clusters.py), variance components (variance.py),
  calibration (calibration.py; None with a reason without probabilities), the per-speaker view (per_speaker.py);
- all pairwise comparisons in both readings, Holm per reading, and the letters of each reading (groups.py);
- the models whose rank flips on their worst speaker.
Randomness: one generator per part, `numpy.random.default_rng([seed, part])`, so a part's resamples do not
depend on which other parts ran or in what order; the same seed gives the same output.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from leaderboard.calibration import Calibration, calibration
from leaderboard.clusters import (
    ALPHA,
    bootstrap_reason,
    cluster_sums,
    cluster_weights,
    metrics_from_sums,
    percentile_cis,
)
from leaderboard.groups import PairwiseTests, pairwise_tests
from leaderboard.per_speaker import RankFlip, SpeakerBreakdown, per_speaker, ranking_flips
from leaderboard.significance import bootstrap_counts, metric_value, resampled_metric, seed_mean_correct
from leaderboard.variance import VarianceComponents, decompose_variance, run_test_moments

# Stream numbers of the per-part generators (append new parts; never renumber).
_PAIRS, _MODEL_CI, _SPEAKERS = 1, 2, 3


@dataclass(frozen=True)
class ModelInference:
    model: str
    ua: float
    wa: float
    ci_utterance: tuple[float, float]
    ci_speaker: tuple[float, float] | None
    variance: VarianceComponents
    calibration: Calibration
    speakers: SpeakerBreakdown

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "ua": self.ua, "wa": self.wa, "ci_utterance": list(self.ci_utterance),
                "ci_speaker": None if self.ci_speaker is None else list(self.ci_speaker),
                "variance": self.variance.to_json(), "calibration": self.calibration.to_json(),
                "per_speaker": self.speakers.to_json()}


@dataclass(frozen=True)
class CellInference:
    models: tuple[ModelInference, ...]  # input order
    pairwise: PairwiseTests
    rank_flips: tuple[RankFlip, ...]
    n_utterances: int
    n_speakers: int
    n_folds: int
    why_no_ci_speaker: str | None
    n_resamples: int
    seed: int
    alpha: float

    def to_json(self) -> dict[str, Any]:
        return {"n_utterances": self.n_utterances, "n_speakers": self.n_speakers, "n_folds": self.n_folds,
                "n_resamples": self.n_resamples, "seed": self.seed, "alpha": self.alpha,
                "why_no_ci_speaker": self.why_no_ci_speaker, "models": [m.to_json() for m in self.models],
                "pairwise": self.pairwise.to_json(), "rank_flips": [r.to_json() for r in self.rank_flips]}


def _check(model_names: Sequence[str], preds: Sequence[np.ndarray], gold: np.ndarray, n_classes: int,
           strata: np.ndarray, clusters: np.ndarray) -> list[np.ndarray]:
    n = gold.size
    if len(model_names) != len(preds) or not preds:
        raise ValueError(f"{len(model_names)} model names for {len(preds)} prediction arrays")
    if strata.size != n or clusters.size != n:
        raise ValueError(f"gold ({n}), strata ({strata.size}) and speakers ({clusters.size}) differ in length")
    if n == 0 or gold.min() < 0 or gold.max() >= n_classes:
        raise ValueError(f"gold must be a non-empty array of codes in 0..{n_classes - 1}")
    out = []
    for name, p in zip(model_names, preds):
        p = np.atleast_2d(np.asarray(p))
        if p.ndim != 2 or p.shape[1] != n:
            raise ValueError(f"predictions of {name!r} are {p.shape}, expected (seeds, {n})")
        if p.min() < 0 or p.max() >= n_classes:
            raise ValueError(f"predictions of {name!r} hold codes outside 0..{n_classes - 1}")
        out.append(p.astype(np.int64))
    return out


def cell_inference(model_names: Sequence[str], preds: Sequence[np.ndarray], gold: np.ndarray, n_classes: int,
                   strata: np.ndarray | Sequence[Any], clusters: np.ndarray | Sequence[Any],
                   genders: Sequence[str | None] | None = None,
                   probs: Sequence[np.ndarray | None] | None = None, *, n_resamples: int = 1000, seed: int = 0,
                   alpha: float = ALPHA, prob_sources: Sequence[str] | None = None) -> CellInference:
    """Speaker-level inference for one cell (see the module docstring).

    preds[m]: (seeds_m, n) codes of model m (models may have different seed counts); strata: fold per utterance;
    clusters: speaker per utterance; genders: "F"/"M"/None per utterance; probs[m]: (seeds_m, n, C) or None;
    prob_sources[m]: the file(s) named when model m has no probabilities.
    """
    gold = np.asarray(gold, dtype=np.int64)
    strata = np.asarray(strata)
    clusters = np.asarray(clusters).astype(str)
    preds = _check(model_names, preds, gold, n_classes, strata, clusters)
    names = list(model_names)
    acc = np.stack([seed_mean_correct(p, gold) for p in preds], axis=1)  # (n, M)
    ua = [metric_value(acc[:, j], gold, n_classes, "ua") for j in range(len(names))]
    wa = [metric_value(acc[:, j], gold, n_classes, "wa") for j in range(len(names))]
    rng = lambda part: np.random.default_rng([seed, part])  # noqa: E731

    pairs = pairwise_tests(names, acc, gold, n_classes, strata, clusters, n_resamples, rng(_PAIRS), ua=ua, alpha=alpha)

    g = rng(_MODEL_CI)
    ci_u = percentile_cis(resampled_metric(acc, gold, n_classes, "ua", bootstrap_counts(strata, n_resamples, g)))
    sums = cluster_sums(acc, gold, n_classes, clusters, strata)
    why_ci = bootstrap_reason(sums)
    ci_s = None if why_ci else percentile_cis(metrics_from_sums(cluster_weights(sums.stratum, n_resamples, g), sums).ua)

    breakdown = per_speaker(names, preds, gold, n_classes, clusters, genders, n_resamples, rng(_SPEAKERS))
    flips = ranking_flips(names, ua, [b.worst_ua for b in breakdown])

    models = []
    for j, name in enumerate(names):
        moments = run_test_moments(preds[j], gold, n_classes, strata)
        p = None if probs is None else probs[j]
        source = prob_sources[j] if prob_sources is not None else f"the predictions of {name!r}"
        models.append(ModelInference(
            model=name, ua=float(ua[j]), wa=float(wa[j]), ci_utterance=(float(ci_u[j, 0]), float(ci_u[j, 1])),
            ci_speaker=None if ci_s is None else (float(ci_s[j, 0]), float(ci_s[j, 1])),
            variance=decompose_variance(*moments), calibration=calibration(p, gold, source=source),
            speakers=breakdown[j]))
    return CellInference(models=tuple(models), pairwise=pairs, rank_flips=tuple(flips), n_utterances=int(gold.size),
                         n_speakers=len(sums.names), n_folds=len(sums.stratum_names), why_no_ci_speaker=why_ci,
                         n_resamples=n_resamples, seed=seed, alpha=alpha)
