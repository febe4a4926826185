"""Significance tests against statsmodels and against plain (loop) reference computations."""
from __future__ import annotations

from math import comb

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from leaderboard.significance import (
    bootstrap_counts,
    compare,
    holm,
    majority_correct,
    mcnemar_exact,
    metric_value,
    metric_weights,
    permutation_p,
    random_signs,
    resampled_metric,
    seed_mean_correct,
)


def _mcnemar_reference(b: int, c: int) -> float:
    """Two-sided exact binomial p by summing pmf terms."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2 ** n)


@pytest.mark.parametrize("seed", range(8))
def test_mcnemar_matches_statsmodels_and_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 120))
    ca = rng.random(n) < rng.uniform(0.3, 0.9)
    cb = rng.random(n) < rng.uniform(0.3, 0.9)
    b, c, p = mcnemar_exact(ca, cb)
    table = [[int((ca & cb).sum()), b], [c, int((~ca & ~cb).sum())]]
    assert p == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-10)
    assert p == pytest.approx(_mcnemar_reference(b, c), rel=1e-10)


def test_mcnemar_no_discordant_pairs_is_p1() -> None:
    x = np.array([True, False, True])
    assert mcnemar_exact(x, x) == (0, 0, 1.0)


def test_holm_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    for m in (1, 2, 5, 9):
        p = rng.random(m) ** 3
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])


def test_bootstrap_counts_are_stratified() -> None:
    strata = np.repeat([0, 1, 2], [10, 25, 5])
    counts = bootstrap_counts(strata, 200, np.random.default_rng(0))
    for s, size in ((0, 10), (1, 25), (2, 5)):
        np.testing.assert_array_equal(counts[:, strata == s].sum(axis=1), size)


def test_resampled_metric_equals_plain_loop() -> None:
    rng = np.random.default_rng(4)
    n = 60
    gold = rng.integers(0, 4, n)
    pred = np.where(rng.random(n) < 0.6, gold, rng.integers(0, 4, n))
    strata = np.repeat([0, 1], [25, 35])
    counts = bootstrap_counts(strata, 30, rng)
    acc = (pred == gold).astype(float)
    ua = resampled_metric(acc, gold, 4, "ua", counts)
    wa = resampled_metric(acc, gold, 4, "wa", counts)
    for b in range(30):
        idx = np.repeat(np.arange(n), counts[b].astype(int))
        assert ua[b] == pytest.approx(balanced_accuracy_score(gold[idx], pred[idx]))
        assert wa[b] == pytest.approx(accuracy_score(gold[idx], pred[idx]))


def test_seed_mean_metrics_equal_mean_over_seeds() -> None:
    rng = np.random.default_rng(5)
    gold = rng.integers(0, 4, 80)
    preds = np.stack([np.where(rng.random(80) < 0.6, gold, rng.integers(0, 4, 80)) for _ in range(3)])
    acc = seed_mean_correct(preds, gold)
    assert metric_value(acc, gold, 4, "ua") == pytest.approx(np.mean([balanced_accuracy_score(gold, p) for p in preds]))
    assert metric_value(acc, gold, 4, "wa") == pytest.approx(np.mean([accuracy_score(gold, p) for p in preds]))


def test_majority_vote_ties_count_as_wrong() -> None:
    gold = np.array([0, 0, 0])
    preds = np.array([[0, 0, 1], [0, 1, 1]])  # utterance 1 is a 1-1 tie
    np.testing.assert_array_equal(majority_correct(preds, gold), [True, False, False])


def test_permutation_p_equals_plain_loop() -> None:
    rng = np.random.default_rng(6)
    gold = rng.integers(0, 3, 40)
    a = np.where(rng.random(40) < 0.7, gold, rng.integers(0, 3, 40))
    b = np.where(rng.random(40) < 0.5, gold, rng.integers(0, 3, 40))
    signs = random_signs(200, 40, rng)
    w = metric_weights(gold, 3, "ua")
    d = (a == gold).astype(float) - (b == gold)
    p = permutation_p((w * d)[:, None], signs)[0]
    observed = abs(balanced_accuracy_score(gold, a) - balanced_accuracy_score(gold, b))
    count = 0
    for s in signs:
        swap = s < 0
        pa, pb = np.where(swap, b, a), np.where(swap, a, b)
        count += abs(balanced_accuracy_score(gold, pa) - balanced_accuracy_score(gold, pb)) >= observed - 1e-12
    assert p == pytest.approx((1 + count) / 201)


@pytest.mark.parametrize("test,metric", [("bootstrap", "wa"), ("bootstrap", "ua"), ("permutation", "ua"),
                                         ("permutation", "wa"), ("mcnemar", "wa")])
def test_identical_predictions_give_zero_diff_and_p1(test: str, metric: str) -> None:
    rng = np.random.default_rng(7)
    gold = rng.integers(0, 4, 150)
    pred = np.where(rng.random(150) < 0.6, gold, rng.integers(0, 4, 150))
    r = compare(pred, pred.copy(), gold, 4, test=test, metric=metric, seed=1)
    assert r.diff == 0.0 and r.p_value == 1.0 and r.ci == (0.0, 0.0)


@pytest.mark.parametrize("test,metric", [("bootstrap", "wa"), ("bootstrap", "ua"), ("permutation", "ua"), ("mcnemar", "wa")])
def test_clearly_different_predictions_give_small_p(test: str, metric: str) -> None:
    rng = np.random.default_rng(8)
    gold = rng.integers(0, 4, 300)
    good = np.where(rng.random(300) < 0.85, gold, rng.integers(0, 4, 300))
    bad = np.where(rng.random(300) < 0.35, gold, rng.integers(0, 4, 300))
    r = compare(good, bad, gold, 4, test=test, metric=metric, seed=0)
    assert r.diff > 0.3
    assert r.p_value < 0.01
    assert r.ci[0] > 0.2 and r.ci[1] < 0.7
    # and the same comparison the other way round is symmetric
    s = compare(bad, good, gold, 4, test=test, metric=metric, seed=0)
    assert s.diff == pytest.approx(-r.diff) and s.p_value == pytest.approx(r.p_value)


def test_seeded_and_reproducible() -> None:
    rng = np.random.default_rng(9)
    gold = rng.integers(0, 4, 100)
    a = np.where(rng.random(100) < 0.6, gold, rng.integers(0, 4, 100))
    b = np.where(rng.random(100) < 0.55, gold, rng.integers(0, 4, 100))
    r1 = compare(a, b, gold, 4, seed=3)
    r2 = compare(a, b, gold, 4, seed=3)
    r3 = compare(a, b, gold, 4, seed=4)
    assert r1 == r2
    assert r1.ci != r3.ci


def test_mcnemar_refuses_ua_and_bad_names() -> None:
    gold = np.array([0, 1])
    with pytest.raises(ValueError, match="McNemar"):
        compare(gold, gold, gold, 2, test="mcnemar", metric="ua")
    with pytest.raises(ValueError, match="unknown test"):
        compare(gold, gold, gold, 2, test="ttest")
