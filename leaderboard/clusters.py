"""The "new speakers" reading of a paired comparison: speakers, not utterances, are the resampling unit.

`significance.py` answers "does A beat B on THIS test set" (utterances resampled as if independent). A claim
meant to hold for new speakers has to treat a speaker's utterances as one draw: an IEMOCAP fold is two speakers,
so a difference carried by one of them is one observation, not hundreds. Both readings use the seed-averaged
correctness `acc` of significance.py (all seeds of an utterance, and here all utterances of a speaker, move
together), and both score UA (or WA) exactly as the metric does.

Bootstrap (CI, SE, MDD): speakers are drawn with replacement WITHIN each stratum (a fold), by the Rao & Wu (1988)
rescaling bootstrap with m_h = n_h - 1: each resample draws n_h - 1 of a fold's n_h speakers and weights each
drawn speaker n_h / (n_h - 1) times its multiplicity (the R `survey` package's "subbootstrap"). The plain
n_h-out-of-n_h draw shrinks the variance by (n_h - 1) / n_h: by half at IEMOCAP's two speakers per fold, where
its 95% interval covered a planted difference 77% of the time against 87% rescaled (tests/test_leaderboard_clusters.py;
4 speakers per fold: 93%). Percentile intervals from few speakers stay somewhat short of 95% (about 5 effective
degrees of freedom at 5 folds x 2 speakers); the utterance bootstrap covered 64-68% in the same simulations.
`rescaled=False` gives the plain draw. UA is recomputed on every resample from the weighted per-class counts:
with C[k, c, m] = seed-averaged correct count of model m on class c for speaker k and N[k, c] its utterances,
a resample with speaker weights W (R, K) has recall (W @ C) / (W @ N); a class absent from the resample's gold
is left out of its mean, as UA everywhere. A fold with a single speaker cannot be resampled, and fewer than 20 distinct resamples (one fold of 2 or 3
speakers) make no interval: no CI, and we say so (`bootstrap_reason`).

Sign-flip test (p): with gold fixed the UA difference is linear, d_k = sum over speaker k's utterances of
w_i (a_i - b_i) with w the UA weights of the whole test set; under H0 A and B are exchangeable within every
speaker, so each speaker's whole contribution may flip sign. Statistic |sum_k s_k d_k|; two-sided p = share of
sign patterns at least as extreme, the identity included. All 2^K patterns are enumerated when
2^K <= exact_limit (10 speakers: 1024), else Monte Carlo with +1 smoothing as significance.permutation_p. With K
speakers no p can go below 2 / 2^K (the identity and its mirror); when that exceeds alpha there is no test, the
result says why and carries no number.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, Sequence

import numpy as np

from leaderboard.power import mdd
from leaderboard.significance import (
    DEFAULT_RESAMPLES,
    bootstrap_counts,
    metric_value,
    metric_weights,
    permutation_p,
    random_signs,
    resampled_metric,
)

ALPHA = 0.05
EXACT_LIMIT = 2 ** 16
_TOL = 1e-12  # as significance._TOL: the identity pattern must count as "at least as extreme"
_CHUNK = 8192  # sign patterns per matrix product (bounds memory at many pairs)


@dataclass(frozen=True)
class ClusterSums:
    """Per-cluster per-class sums of a test set: everything the speaker bootstrap needs."""

    correct: np.ndarray  # (K, C, M) seed-averaged correct counts
    count: np.ndarray  # (K, C) utterances per class
    stratum: np.ndarray  # (K,) stratum code of each cluster
    names: tuple[Any, ...]  # (K,) cluster labels, sorted
    stratum_names: tuple[Any, ...]  # stratum labels, sorted
    index: np.ndarray  # (n,) cluster code of each utterance


class Resamples(NamedTuple):
    ua: np.ndarray  # (R, M)
    wa: np.ndarray  # (R, M)


@dataclass(frozen=True)
class SignFlip:
    """A speaker-level sign-flip test: p, or why there is none."""

    p: float | None
    n_clusters: int
    method: str | None  # "exact" or "monte-carlo"
    n_patterns: int  # sign patterns the p-value is computed over
    reason: str | None = None


def _codes(labels: np.ndarray) -> tuple[tuple[Any, ...], np.ndarray]:
    names, index = np.unique(np.asarray(labels), return_inverse=True)
    return tuple(names.tolist()), index.reshape(-1)


def cluster_sums(acc: np.ndarray, gold: np.ndarray, n_classes: int, clusters: np.ndarray,
                 strata: np.ndarray | None = None) -> ClusterSums:
    """C[k, c, m] and N[k, c] for `acc` (n,) or (n, M); a cluster must lie in one stratum (ValueError if not)."""
    acc2 = np.asarray(acc, dtype=float)
    acc2 = acc2[:, None] if acc2.ndim == 1 else acc2
    gold = np.asarray(gold, dtype=np.int64)
    n = gold.size
    if acc2.shape[0] != n or np.asarray(clusters).size != n:
        raise ValueError(f"acc ({acc2.shape[0]}), gold ({n}) and clusters ({np.asarray(clusters).size}) differ in length")
    names, k_of = _codes(clusters)
    strata = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    if strata.size != n:
        raise ValueError(f"strata ({strata.size}) and gold ({n}) differ in length")
    stratum_names, s_of = _codes(strata)
    n_k = len(names)
    stratum = np.full(n_k, -1, dtype=np.int64)
    stratum[k_of] = s_of
    spans = np.flatnonzero(stratum[k_of] != s_of)
    if spans.size:
        i = spans[0]
        other = stratum_names[stratum[k_of[i]]]
        raise ValueError(f"speaker {names[k_of[i]]!r} is in strata {other!r} and {stratum_names[s_of[i]]!r}: a "
                         "speaker must lie in one fold to be resampled within it (pass no strata instead)")
    flat = k_of * n_classes + gold
    count = np.bincount(flat, minlength=n_k * n_classes).reshape(n_k, n_classes).astype(float)
    correct = np.zeros((n_k * n_classes, acc2.shape[1]))
    np.add.at(correct, flat, acc2)
    return ClusterSums(correct=correct.reshape(n_k, n_classes, -1), count=count, stratum=stratum, names=names,
                       stratum_names=stratum_names, index=k_of)


MIN_DISTINCT_RESAMPLES = 20  # below this a percentile interval is a handful of values, not a distribution


def distinct_resamples(per_stratum: Sequence[int], rescaled: bool = True) -> int:
    """How many distinct, equally likely resamples the stratified bootstrap has: per stratum of n_h clusters
    drawing m_h (n_h - 1 rescaled, else n_h) with replacement, C(n_h + m_h - 1, m_h) multisets; their product."""
    total = 1
    for n_h in per_stratum:
        m_h = n_h - 1 if rescaled else n_h
        total *= math.comb(n_h + m_h - 1, m_h)
    return total


def bootstrap_reason(sums: ClusterSums, unit: str = "speaker", rescaled: bool = True) -> str | None:
    """Why the stratified speaker bootstrap cannot run, or None.

    A stratum with fewer than 2 clusters cannot be resampled; and with fewer than MIN_DISTINCT_RESAMPLES distinct
    resamples (one fold of 2 speakers has 2, of 3 has 6; IEMOCAP's 5 folds x 2 have 32) a "95% interval" is two
    or six values repeated, which says nothing about new speakers, so there is none.
    """
    per = np.bincount(sums.stratum, minlength=len(sums.stratum_names))
    lonely = [sums.stratum_names[i] for i in np.flatnonzero(per < 2)]
    if not lonely:
        count = distinct_resamples([int(n) for n in per], rescaled)
        if count >= MIN_DISTINCT_RESAMPLES:
            return None
        where = (f"{per[0]} {unit}s" if len(per) == 1
                 else f"{len(per)} folds of {int(per.min())}{f'-{int(per.max())}' if per.max() > per.min() else ''} "
                      f"{unit}s")
        return (f"{where}: only {count} distinct {unit} resamples (fewer than {MIN_DISTINCT_RESAMPLES}), so no "
                f"{unit}-level CI")
    if len(sums.stratum_names) == 1:
        return f"{per[0]} {unit}{'s' if per[0] != 1 else ''}: one {unit} cannot be resampled, so no {unit}-level CI"
    return (f"fold {lonely[0]!r} has a single {unit}" + (f" (and {len(lonely) - 1} more fold(s))" if len(lonely) > 1 else "")
            + f": it cannot be resampled within its fold, so no {unit}-level CI")


def cluster_weights(cluster_stratum: np.ndarray, n_resamples: int, rng: np.random.Generator,
                    rescaled: bool = True) -> np.ndarray:
    """(R, K) cluster weights: per stratum, clusters drawn with replacement (see the module docstring).

    One vectorised draw per stratum (strata are folds: a handful), none per resample.
    """
    cluster_stratum = np.asarray(cluster_stratum)
    n_k = cluster_stratum.size
    weights = np.zeros(n_resamples * n_k)
    rows = np.arange(n_resamples, dtype=np.int64)[:, None] * n_k
    for s in np.unique(cluster_stratum):
        idx = np.flatnonzero(cluster_stratum == s)
        n_h = idx.size
        m_h = n_h - 1 if rescaled else n_h
        if n_h < 2:
            raise ValueError(f"stratum {s!r} has {n_h} cluster(s): cannot resample it")
        picks = idx[rng.integers(0, n_h, size=(n_resamples, m_h))]
        weights += np.bincount((rows + picks).ravel(), minlength=weights.size) * (n_h / m_h)
    return weights.reshape(n_resamples, n_k)


def metrics_from_sums(weights: np.ndarray, sums: ClusterSums) -> Resamples:
    """UA and WA of every resample: (R, K) @ (K, C) products; absent classes left out of UA's mean."""
    n_k, n_c, n_m = sums.correct.shape
    n_r = weights.shape[0]
    n_rc = weights @ sums.count  # (R, C)
    hits = (weights @ sums.correct.reshape(n_k, n_c * n_m)).reshape(n_r, n_c, n_m)
    present = n_rc > 0
    recall = np.divide(hits, n_rc[:, :, None], out=np.zeros_like(hits), where=present[:, :, None])
    ua = recall.sum(axis=1) / present.sum(axis=1, keepdims=True)
    wa = hits.sum(axis=1) / n_rc.sum(axis=1, keepdims=True)
    return Resamples(ua=ua, wa=wa)


def cluster_bootstrap(acc: np.ndarray, gold: np.ndarray, n_classes: int, strata: np.ndarray | None,
                      clusters: np.ndarray, n_resamples: int, rng: np.random.Generator,
                      rescaled: bool = True) -> Resamples:
    """(R, M) resampled UA and WA, speakers drawn within strata (Rao-Wu unless rescaled=False).

    A stratum with a single speaker, or fewer than 20 distinct resamples, is a ValueError saying so (`bootstrap_reason`).
    """
    sums = cluster_sums(acc, gold, n_classes, clusters, strata)
    why = bootstrap_reason(sums, rescaled=rescaled)
    if why:
        raise ValueError(why)
    return metrics_from_sums(cluster_weights(sums.stratum, n_resamples, rng, rescaled), sums)


def signflip_reason(n_clusters: int, alpha: float = ALPHA, unit: str = "speaker") -> str | None:
    """Why a sign-flip test over `n_clusters` cannot reach `alpha` (smallest p = 2 / 2^K), or None."""
    floor = 2.0 / 2.0 ** n_clusters if n_clusters > 0 else 1.0
    if floor <= alpha:
        return None
    return (f"{n_clusters} {unit}{'s' if n_clusters != 1 else ''}: the smallest possible p is {floor:.3g}, "
            f"so no test at alpha {alpha:g}")


def sign_patterns(n_clusters: int) -> np.ndarray:
    """All 2^K sign patterns as a (2^K, K) float matrix of +-1 (row 0 is the identity)."""
    bits = (np.arange(2 ** n_clusters, dtype=np.int64)[:, None] >> np.arange(n_clusters)) & 1
    return 1.0 - 2.0 * bits


def signflip_p_many(d: np.ndarray, n_resamples: int, rng: np.random.Generator,
                    exact_limit: int = EXACT_LIMIT) -> tuple[np.ndarray, str, int]:
    """Sign-flip p for P comparisons at once: `d` is (K, P) per-cluster contributions.

    Returns (p (P,), method, number of patterns). Exact: share of the 2^K patterns with |stat| >= observed;
    Monte Carlo: (1 + extreme) / (1 + R) over R random patterns (significance.permutation_p).
    """
    d = np.asarray(d, dtype=float)
    d = d[:, None] if d.ndim == 1 else d
    n_k = d.shape[0]
    observed = np.abs(d.sum(axis=0))
    if 2 ** n_k <= exact_limit:
        patterns = sign_patterns(n_k)
        extreme = np.zeros(d.shape[1], dtype=np.int64)
        for start in range(0, patterns.shape[0], _CHUNK):
            stat = np.abs(patterns[start:start + _CHUNK] @ d)
            extreme += (stat >= observed[None, :] - _TOL).sum(axis=0)
        return extreme / patterns.shape[0], "exact", patterns.shape[0]
    return permutation_p(d, random_signs(n_resamples, n_k, rng)), "monte-carlo", n_resamples


def cluster_contributions(acc_a: np.ndarray, acc_b: np.ndarray, gold: np.ndarray, n_classes: int,
                          clusters: np.ndarray, metric: str = "ua") -> tuple[np.ndarray, tuple[Any, ...]]:
    """d_k = sum over cluster k of w_i (a_i - b_i), w the metric's weights on the whole test set; sum_k d_k = diff."""
    gold = np.asarray(gold, dtype=np.int64)
    w = metric_weights(gold, n_classes, metric)
    diff = np.asarray(acc_a, dtype=float) - np.asarray(acc_b, dtype=float)
    diff2 = diff[:, None] if diff.ndim == 1 else diff
    names, k_of = _codes(clusters)
    d = np.zeros((len(names), diff2.shape[1]))
    np.add.at(d, k_of, w[:, None] * diff2)
    return (d[:, 0] if diff.ndim == 1 else d), names


def cluster_signflip_p(acc_a: np.ndarray, acc_b: np.ndarray, gold: np.ndarray, n_classes: int,
                       clusters: np.ndarray, n_resamples: int, rng: np.random.Generator,
                       exact_limit: int = EXACT_LIMIT, alpha: float = ALPHA, metric: str = "ua") -> SignFlip:
    """Two-sided speaker-level sign-flip test of metric(A) = metric(B) (see the module docstring)."""
    d, names = cluster_contributions(acc_a, acc_b, gold, n_classes, clusters, metric)
    why = signflip_reason(len(names), alpha)
    if why:
        return SignFlip(p=None, n_clusters=len(names), method=None, n_patterns=0, reason=why)
    p, method, n_patterns = signflip_p_many(d, n_resamples, rng, exact_limit)
    return SignFlip(p=float(p[0]), n_clusters=len(names), method=method, n_patterns=n_patterns)


def percentile_cis(samples: np.ndarray, level: float = 0.95) -> np.ndarray:
    """(P, 2) percentile intervals of the columns of (R, P) samples (significance.percentile_ci, vectorised)."""
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return np.stack([lo, hi], axis=-1)


def _pair(ci: np.ndarray) -> tuple[float, float]:
    return float(ci[0]), float(ci[1])


@dataclass(frozen=True)
class PairedInference:
    """One comparison A - B, in both readings: "this test set" (utterances) and "new speakers" (speakers).

    `*_utterance`: the paired stratified utterance bootstrap (CI, SE, MDD) and the utterance sign-flip test,
    exactly as leaderboard/cells.py. `*_speaker`: the speaker bootstrap and speaker sign-flip test of this
    module; None where the design cannot give one, with the reason in `why_no_*_speaker`. `p_*_holm` are set
    by groups.pairwise_inference (one Holm family per reading).
    """

    model_a: str
    model_b: str
    metric: str
    a: float
    b: float
    diff: float
    n_utterances: int
    ci_utterance: tuple[float, float]
    se_utterance: float
    mdd_utterance: float
    p_utterance: float
    n_speakers: int
    ci_speaker: tuple[float, float] | None
    se_speaker: float | None
    mdd_speaker: float | None
    p_speaker: float | None
    p_speaker_method: str | None
    why_no_ci_speaker: str | None = None
    why_no_p_speaker: str | None = None
    p_utterance_holm: float | None = None
    p_speaker_holm: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "model_a": self.model_a, "model_b": self.model_b, "metric": self.metric,
            "a": self.a, "b": self.b, "diff": self.diff, "n_utterances": self.n_utterances,
            "ci_utterance": list(self.ci_utterance), "se_utterance": self.se_utterance,
            "mdd_utterance": self.mdd_utterance, "p_utterance": self.p_utterance,
            "p_utterance_holm": self.p_utterance_holm,
            "n_speakers": self.n_speakers,
            "ci_speaker": None if self.ci_speaker is None else list(self.ci_speaker),
            "se_speaker": self.se_speaker, "mdd_speaker": self.mdd_speaker, "p_speaker": self.p_speaker,
            "p_speaker_holm": self.p_speaker_holm, "p_speaker_method": self.p_speaker_method,
            "why_no_ci_speaker": self.why_no_ci_speaker, "why_no_p_speaker": self.why_no_p_speaker,
        }

    def with_holm(self, p_utterance_holm: float | None, p_speaker_holm: float | None) -> PairedInference:
        return replace(self, p_utterance_holm=p_utterance_holm, p_speaker_holm=p_speaker_holm)


def paired_inference(names: Sequence[str], acc: np.ndarray, gold: np.ndarray, n_classes: int,
                     strata: np.ndarray | None, clusters: np.ndarray, pairs: Sequence[tuple[int, int]],
                     n_resamples: int, rng: np.random.Generator, *, metric: str = "ua", alpha: float = ALPHA,
                     exact_limit: int = EXACT_LIMIT, rescaled: bool = True) -> list[PairedInference]:
    """Both readings for every (i, j) in `pairs` of the columns of `acc` (n, M), on shared resamples.

    Draw order (deterministic for a given rng): utterance bootstrap counts, utterance signs, speaker
    weights, speaker signs (Monte Carlo only). Every step is one matrix product over all pairs at once.
    """
    gold = np.asarray(gold, dtype=np.int64)
    acc = np.asarray(acc, dtype=float)
    n = gold.size
    strata_u = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    ia = np.array([i for i, _ in pairs], dtype=np.int64)
    ib = np.array([j for _, j in pairs], dtype=np.int64)
    value = np.array([metric_value(acc[:, m], gold, n_classes, metric) for m in range(acc.shape[1])])
    # this test set: cells.py's utterance bootstrap and utterance sign flip
    res_u = resampled_metric(acc, gold, n_classes, metric, bootstrap_counts(strata_u, n_resamples, rng))
    diffs_u = res_u[:, ia] - res_u[:, ib]
    w = metric_weights(gold, n_classes, metric)
    p_u = permutation_p(w[:, None] * (acc[:, ia] - acc[:, ib]), random_signs(n_resamples, n, rng))
    ci_u = percentile_cis(diffs_u)
    se_u = np.std(diffs_u, axis=0, ddof=1)
    # new speakers
    sums = cluster_sums(acc, gold, n_classes, clusters, strata)
    n_k = len(sums.names)
    why_ci = bootstrap_reason(sums, rescaled=rescaled)
    if why_ci is None:
        res_s = metrics_from_sums(cluster_weights(sums.stratum, n_resamples, rng, rescaled), sums)
        r = res_s.ua if metric == "ua" else res_s.wa
        diffs_s = r[:, ia] - r[:, ib]
        ci_s, se_s = percentile_cis(diffs_s), np.std(diffs_s, axis=0, ddof=1)
    why_p = signflip_reason(n_k, alpha)
    if why_p is None:
        d, _ = cluster_contributions(acc[:, ia], acc[:, ib], gold, n_classes, clusters, metric)
        p_s, method, _ = signflip_p_many(d, n_resamples, rng, exact_limit)
    out = []
    for q, (i, j) in enumerate(pairs):
        out.append(PairedInference(
            model_a=names[i], model_b=names[j], metric=metric, a=float(value[i]), b=float(value[j]),
            diff=float(value[i] - value[j]), n_utterances=int(n),
            ci_utterance=_pair(ci_u[q]), se_utterance=float(se_u[q]), mdd_utterance=mdd(float(se_u[q])),
            p_utterance=float(p_u[q]), n_speakers=n_k,
            ci_speaker=None if why_ci else _pair(ci_s[q]),
            se_speaker=None if why_ci else float(se_s[q]),
            mdd_speaker=None if why_ci else mdd(float(se_s[q])),
            p_speaker=None if why_p else float(p_s[q]), p_speaker_method=None if why_p else method,
            why_no_ci_speaker=why_ci, why_no_p_speaker=why_p))
    return out


def compare_readings(acc_a: np.ndarray, acc_b: np.ndarray, gold: np.ndarray, n_classes: int,
                     strata: np.ndarray | None, clusters: np.ndarray, *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                     metric: str = "ua", alpha: float = ALPHA, names: tuple[str, str] = ("A", "B")) -> PairedInference:
    """One comparison A - B in both readings (seed-averaged correctness `acc_*` (n,)); deterministic in `seed`."""
    acc = np.stack([np.asarray(acc_a, dtype=float), np.asarray(acc_b, dtype=float)], axis=1)
    return paired_inference(list(names), acc, gold, n_classes, strata, clusters, [(0, 1)], n_resamples,
                            np.random.default_rng(seed), metric=metric, alpha=alpha)[0]
