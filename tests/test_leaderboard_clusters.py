"""The "new speakers" reading (leaderboard/clusters.py): coverage under planted speaker effects, the speaker
sign-flip test against brute force, and the too-few-speakers answers."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from leaderboard.clusters import (
    MIN_DISTINCT_RESAMPLES,
    bootstrap_reason,
    cluster_bootstrap,
    cluster_contributions,
    cluster_signflip_p,
    cluster_sums,
    cluster_weights,
    compare_readings,
    distinct_resamples,
    metrics_from_sums,
    paired_inference,
    percentile_cis,
    sign_patterns,
    signflip_p_many,
)
from leaderboard.metrics import ua_per_utterance_weights
from leaderboard.power import mdd
from leaderboard.significance import bootstrap_counts, percentile_ci, resampled_metric

DELTA = 0.04  # planted mean (over speakers) accuracy difference A - B


def planted(n_folds: int, per_fold: int, tau: float, n_sims: int, rng: np.random.Generator, *, per_class: int = 10,
            n_classes: int = 4, seeds: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """n_sims test sets side by side as column pairs (A, B) of seed-averaged correctness.

    Speaker k has base accuracy U(0.45, 0.65) and true A - B difference d_k ~ N(DELTA, tau^2); its utterances
    (per_class of each class) are Bernoulli per seed. All speakers have the same class counts, so the UA
    difference over new speakers has expectation DELTA.
    """
    n_k = n_folds * per_fold
    per_speaker = per_class * n_classes
    gold = np.tile(np.repeat(np.arange(n_classes), per_class), n_k)
    clusters = np.repeat(np.arange(n_k), per_speaker)
    strata = clusters // per_fold
    base = rng.uniform(0.45, 0.65, (n_sims, n_k))
    d = rng.normal(DELTA, tau, (n_sims, n_k))
    pa = np.repeat(base + d / 2, per_speaker, axis=1).T  # (n, sims)
    pb = np.repeat(base - d / 2, per_speaker, axis=1).T
    assert ((pa > 0) & (pa < 1) & (pb > 0) & (pb < 1)).all()  # no clipping: the truth stays DELTA
    acc = np.empty((gold.size, 2 * n_sims))
    acc[:, 0::2] = (rng.random((seeds,) + pa.shape) < pa).mean(axis=0)
    acc[:, 1::2] = (rng.random((seeds,) + pb.shape) < pb).mean(axis=0)
    return acc, gold, strata, clusters


def coverage(n_folds: int, per_fold: int, tau: float, n_sims: int, seed: int, rescaled: bool = True) -> tuple[float, float]:
    """(speaker CI coverage, utterance CI coverage) of DELTA over n_sims planted test sets.

    The test sets are columns of one `paired_inference` call, so they share the resampling draws (each CI is
    still exactly what the library gives for its test set); the sets themselves are independent.
    """
    rng = np.random.default_rng(seed)
    acc, gold, strata, clusters = planted(n_folds, per_fold, tau, n_sims, rng)
    res = paired_inference([str(i) for i in range(acc.shape[1])], acc, gold, 4, strata, clusters,
                           [(2 * i, 2 * i + 1) for i in range(n_sims)], 500, rng, rescaled=rescaled)
    speaker = np.mean([r.ci_speaker[0] <= DELTA <= r.ci_speaker[1] for r in res])
    utterance = np.mean([r.ci_utterance[0] <= DELTA <= r.ci_utterance[1] for r in res])
    return float(speaker), float(utterance)


def test_speaker_ci_covers_planted_difference_and_utterance_ci_does_not() -> None:
    # CREMA-D-like: 5 folds x 4 speakers, large between-speaker spread of the difference (tau = 0.12).
    speaker, utterance = coverage(5, 4, tau=0.12, n_sims=800, seed=1)
    print(f"\n5 folds x 4 speakers, tau 0.12, 800 test sets: speaker CI covers {speaker:.3f}, "
          f"utterance CI {utterance:.3f}")
    assert speaker >= 0.90
    assert utterance < speaker - 0.15  # the utterance bootstrap ignores the speaker spread


def test_rescaling_matters_at_two_speakers_per_fold() -> None:
    # IEMOCAP: 5 folds x 2 speakers. The plain n-out-of-n draw halves the variance; Rao-Wu does not.
    rescaled, utterance = coverage(5, 2, tau=0.12, n_sims=800, seed=2)
    plain, _ = coverage(5, 2, tau=0.12, n_sims=800, seed=2, rescaled=False)
    print(f"\n5 folds x 2 speakers, tau 0.12: rescaled speaker CI covers {rescaled:.3f}, plain {plain:.3f}, "
          f"utterance {utterance:.3f}")
    assert rescaled >= 0.85
    assert rescaled > plain + 0.05
    assert utterance < rescaled - 0.15


def test_one_speaker_carries_the_whole_difference() -> None:
    rng = np.random.default_rng(3)
    n_k, per = 10, 60
    clusters = np.repeat(np.arange(n_k), per)
    gold = np.tile(np.arange(4), n_k * per // 4)
    b = (rng.random(clusters.size) < 0.5).astype(float)
    a = b.copy()
    own = clusters == 4
    a[own] = 1.0  # A is right on every utterance of speaker 4, identical to B elsewhere
    r = compare_readings(a, b, gold, 4, clusters // 2, clusters, n_resamples=2000, seed=0)
    assert r.p_utterance < 0.05
    assert r.p_speaker is not None and r.p_speaker > 0.5  # one speaker's sign decides nothing: p = 1
    assert r.ci_speaker is not None and r.ci_speaker[0] <= 0.0 <= r.ci_speaker[1]
    assert r.ci_utterance[0] > 0.0


def brute_force_p(d: np.ndarray) -> float:
    observed = abs(d.sum())
    hits = sum(abs(sum(s * x for s, x in zip(signs, d))) >= observed - 1e-12
               for signs in itertools.product((1, -1), repeat=d.size))
    return hits / 2 ** d.size


def test_exact_enumeration_equals_a_loop_over_all_sign_patterns() -> None:
    rng = np.random.default_rng(4)
    for n_k in (6, 9):
        clusters = rng.integers(0, n_k, 300)
        clusters[:n_k] = np.arange(n_k)
        gold = rng.integers(0, 4, 300)
        a, b = rng.random(300) < 0.6, rng.random(300) < 0.5
        r = cluster_signflip_p(a, b, gold, 4, clusters, 100, rng)
        d, _ = cluster_contributions(a, b, gold, 4, clusters)
        assert r.method == "exact" and r.n_patterns == 2 ** n_k
        assert r.p == pytest.approx(brute_force_p(d), abs=1e-15)
        assert r.p >= 2 / 2 ** n_k  # the identity and its mirror always count


def test_contributions_are_the_ua_difference_by_speaker() -> None:
    rng = np.random.default_rng(5)
    gold = rng.integers(0, 3, 200)
    clusters = rng.integers(0, 7, 200)
    a, b = rng.random(200), rng.random(200)
    d, names = cluster_contributions(a, b, gold, 3, clusters)
    w = ua_per_utterance_weights(gold, 3)
    assert d.sum() == pytest.approx(w @ a - w @ b)
    assert d[3] == pytest.approx((w * (a - b))[clusters == names[3]].sum())


def test_monte_carlo_is_close_to_exact() -> None:
    rng = np.random.default_rng(6)
    n_k = 12
    d = rng.normal(0.01, 0.02, (n_k, 5))
    exact, method, _ = signflip_p_many(d, 0, rng)
    mc, method_mc, n = signflip_p_many(d, 40000, rng, exact_limit=2 ** 10)
    assert (method, method_mc, n) == ("exact", "monte-carlo", 40000)
    assert np.abs(exact - mc).max() < 0.01  # MC SE <= 0.0025
    assert sign_patterns(3).tolist()[0] == [1, 1, 1] and len({tuple(r) for r in sign_patterns(3).tolist()}) == 8


def test_too_few_speakers_give_a_reason_not_a_number() -> None:
    rng = np.random.default_rng(7)
    gold = np.tile(np.arange(4), 30)
    clusters = np.repeat(["Ses01_F", "Ses01_M"], 60)
    a, b = rng.random(120) < 0.9, rng.random(120) < 0.3
    r = cluster_signflip_p(a, b, gold, 4, clusters, 1000, rng)
    assert r.p is None and r.method is None
    assert r.reason == "2 speakers: the smallest possible p is 0.5, so no test at alpha 0.05"
    five = np.repeat(np.arange(5), 24)
    assert cluster_signflip_p(a, b, gold, 4, five, 1000, rng).p is None  # 2/32 = 0.0625 > 0.05
    assert cluster_signflip_p(a, b, gold, 4, np.repeat(np.arange(6), 20), 1000, rng).p is not None  # 2/64 < 0.05
    # a fold with one speaker cannot be resampled within its fold
    strata = np.array(["Session1"] * 60 + ["Session2"] * 60)
    r2 = compare_readings(a, b, gold, 4, strata, clusters)
    assert r2.ci_speaker is None and r2.se_speaker is None and r2.mdd_speaker is None
    assert "fold 'Session1' has a single speaker" in r2.why_no_ci_speaker
    assert "(and 1 more fold(s))" in r2.why_no_ci_speaker
    assert r2.to_json()["ci_speaker"] is None and r2.to_json()["p_speaker"] is None
    with pytest.raises(ValueError, match="single speaker"):
        cluster_bootstrap(np.c_[a, b], gold, 4, strata, clusters, 10, rng)


def _reason(per_fold: list[int]) -> str | None:
    clusters = np.concatenate([[f"f{h}-s{k}"] * 4 for h, n in enumerate(per_fold) for k in range(n)])
    strata = np.array([c.split("-")[0] for c in clusters])
    gold = np.tile(np.arange(4), len(clusters) // 4)
    return bootstrap_reason(cluster_sums(np.ones((len(gold), 1)), gold, 4, clusters, strata))


def test_distinct_resamples_counts_the_multisets_of_the_draw() -> None:
    for per_fold, rescaled in (([2], True), ([3], True), ([4], True), ([2, 2, 2], True), ([3, 2], False), ([5], False)):
        draws = [itertools.combinations_with_replacement(range(n), n - 1 if rescaled else n) for n in per_fold]
        assert distinct_resamples(per_fold, rescaled) == len(list(itertools.product(*draws)))
    assert distinct_resamples([2] * 5) == 32  # IEMOCAP's LOSO: 5 folds x 2 speakers
    assert (_reason([2]) or "").startswith("2 speakers: ")
    assert (_reason([2, 3]) or "").startswith("2 folds of 2-3 speakers: ")


@pytest.mark.parametrize("per_fold, count", [([2], 2), ([3], 6), ([2, 2], 4), ([2, 2, 2, 2], 16), ([4], 20),
                                             ([2] * 5, 32), ([2, 3], 12), ([3, 3], 36)])
def test_a_speaker_ci_needs_20_distinct_resamples(per_fold: list[int], count: int) -> None:
    """Before: one fold of 2 speakers gave a 'CI' from its 2 possible resamples."""
    why = _reason(per_fold)
    if count >= MIN_DISTINCT_RESAMPLES:
        assert why is None
    else:
        assert why is not None and f"only {count} distinct speaker resamples (fewer than 20)" in why
        assert why.endswith("so no speaker-level CI")


def test_a_fold_of_two_speakers_has_no_speaker_ci_in_the_comparison() -> None:
    rng = np.random.default_rng(3)
    gold = np.tile(np.arange(4), 30)
    a, b = rng.random(120) < 0.9, rng.random(120) < 0.3
    r = compare_readings(a, b, gold, 4, np.zeros(120), np.repeat(["Ses01_F", "Ses01_M"], 60))
    assert r.ci_speaker is None and "only 2 distinct speaker resamples" in (r.why_no_ci_speaker or "")
    assert r.ci_utterance is not None  # the utterance reading is unaffected
    with pytest.raises(ValueError, match="only 2 distinct"):
        cluster_bootstrap(np.c_[a, b], gold, 4, np.zeros(120), np.repeat(["Ses01_F", "Ses01_M"], 60), 10, rng)


def test_a_speaker_in_two_folds_is_an_error() -> None:
    gold = np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match="speaker 'x' is in strata"):
        cluster_sums(np.ones(4), gold, 2, np.array(["x", "x", "y", "y"]), np.array([0, 1, 1, 1]))


def brute_force_ua(acc: np.ndarray, gold: np.ndarray, n_classes: int, clusters: np.ndarray, w: np.ndarray) -> float:
    """UA of the data set built by repeating each speaker's utterances with weight w[k] (a Python loop)."""
    hits, tot = np.zeros(n_classes), np.zeros(n_classes)
    for k, wk in enumerate(w):
        for i in np.flatnonzero(clusters == k):
            hits[gold[i]] += wk * acc[i]
            tot[gold[i]] += wk
    present = tot > 0
    return float((hits[present] / tot[present]).mean())


def test_resampled_ua_equals_a_loop_and_absent_classes_drop_out() -> None:
    rng = np.random.default_rng(8)
    clusters = np.repeat(np.arange(6), 10)
    gold = rng.integers(0, 3, 60)
    gold[clusters == 5] = 2  # speaker 5 alone has class 2 ...
    gold[(clusters != 5) & (gold == 2)] = 0
    acc = rng.random((60, 2))
    sums = cluster_sums(acc, gold, 3, clusters)
    weights = cluster_weights(sums.stratum, 200, rng)
    res = metrics_from_sums(weights, sums)
    lacking = np.flatnonzero(weights[:, 5] == 0)  # ... so these resamples lack class 2: UA over 2 classes
    assert lacking.size > 0
    for r in [*range(0, 200, 37), *lacking[:3]]:
        for m in range(2):
            assert res.ua[r, m] == pytest.approx(brute_force_ua(acc[:, m], gold, 3, clusters, weights[r]))
    assert np.allclose(weights.sum(axis=1), 6.0)  # Rao-Wu: 5 draws of weight 6/5
    # the plain draw: integer multiplicities summing to the number of speakers
    plain = cluster_weights(sums.stratum, 50, rng, rescaled=False)
    assert (plain.sum(axis=1) == 6).all() and (plain == np.round(plain)).all()


def test_paired_inference_matches_significance_and_power() -> None:
    rng = np.random.default_rng(9)
    gold = rng.integers(0, 4, 400)
    clusters = np.repeat(np.arange(10), 40)
    strata = clusters // 2
    acc = (rng.random((400, 3)) < [0.7, 0.6, 0.5]).astype(float)
    res = paired_inference(["x", "y", "z"], acc, gold, 4, strata, clusters, [(0, 1), (0, 2)], 300,
                           np.random.default_rng(10))
    assert [(r.model_a, r.model_b) for r in res] == [("x", "y"), ("x", "z")]
    assert res[1].p_speaker_method == "exact" and res[1].n_speakers == 10
    assert res[0].mdd_speaker == pytest.approx(mdd(res[0].se_speaker))
    assert res[0].mdd_utterance == pytest.approx(mdd(res[0].se_utterance))
    # same draws as significance.py's own functions when replayed in the documented order
    g = np.random.default_rng(10)
    resamp = resampled_metric(acc, gold, 4, "ua", bootstrap_counts(strata, 300, g))
    assert res[0].ci_utterance == pytest.approx(percentile_ci(resamp[:, 0] - resamp[:, 1]))
    assert percentile_cis(resamp[:, :1])[0].tolist() == list(percentile_ci(resamp[:, 0]))
    # deterministic
    again = paired_inference(["x", "y", "z"], acc, gold, 4, strata, clusters, [(0, 1), (0, 2)], 300,
                             np.random.default_rng(10))
    assert [r.to_json() for r in again] == [r.to_json() for r in res]
    keys = set(res[0].to_json())
    assert {"p_utterance", "p_speaker", "ci_utterance", "ci_speaker", "mdd_speaker", "why_no_p_speaker"} <= keys
