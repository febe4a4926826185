"""Variance components of per-run UA (leaderboard/variance.py): the moment estimator against statsmodels and
against planted components, the binomial test-sample moments against a bootstrap."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from leaderboard.variance import (
    decompose_variance,
    mean_squares,
    raw_components,
    run_test_moments,
    seed_spread_exceeds_gap,
    ua_test_covariance,
)


def _frame(y: np.ndarray) -> pd.DataFrame:
    n_f, n_s = y.shape
    return pd.DataFrame({"y": y.ravel(), "fold": np.repeat(np.arange(n_f), n_s), "seed": np.tile(np.arange(n_s), n_f),
                         "g": 1})


def test_mean_squares_equal_statsmodels_anova() -> None:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    y = np.random.default_rng(0).normal(0.6, 0.03, (5, 3))
    table = sm.stats.anova_lm(smf.ols("y ~ C(fold) + C(seed)", _frame(y)).fit())
    ms = mean_squares(y)
    assert ms.folds == pytest.approx(table.loc["C(fold)", "mean_sq"])
    assert ms.seeds == pytest.approx(table.loc["C(seed)", "mean_sq"])
    assert ms.residual == pytest.approx(table.loc["Residual", "mean_sq"])
    assert (ms.df_folds, ms.df_seeds, ms.df_residual) == (4, 2, 8)


def test_moment_estimates_equal_statsmodels_reml_on_a_balanced_layout() -> None:
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    y = 0.6 + rng.normal(0, 0.03, (12, 1)) + rng.normal(0, 0.02, (1, 8)) + rng.normal(0, 0.01, (12, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.mixedlm("y ~ 1", _frame(y), groups="g", vc_formula={"fold": "0 + C(fold)", "seed": "0 + C(seed)"}
                          ).fit(reml=True)
    fold, seed_main, seed_within = raw_components(y, 0.0, 0.0)
    assert min(fold, seed_main, seed_within) > 0  # REML = ANOVA only away from the boundary
    assert list(fit.model.exog_vc.names) == ["fold", "seed"]
    assert fold == pytest.approx(fit.vcomp[0], rel=1e-3)
    assert seed_main == pytest.approx(fit.vcomp[1], rel=1e-3)
    assert seed_within == pytest.approx(fit.scale, rel=1e-3)


def test_planted_components_are_recovered_on_average() -> None:
    # UA_fs = mu + a_f + b_s + g_fs + u_f + w_fs: test error shared part u (var c), per-run part w (var v - c)
    rng = np.random.default_rng(4)
    n_sims, n_f, n_s = 4000, 5, 3
    s2_fold, s2_main, s2_within, v, c = 4e-4, 1e-4, 2e-4, 3e-4, 2e-4
    y = (0.6 + rng.normal(0, np.sqrt(s2_fold), (n_sims, n_f, 1)) + rng.normal(0, np.sqrt(s2_main), (n_sims, 1, n_s))
         + rng.normal(0, np.sqrt(s2_within), (n_sims, n_f, n_s)) + rng.normal(0, np.sqrt(c), (n_sims, n_f, 1))
         + rng.normal(0, np.sqrt(v - c), (n_sims, n_f, n_s)))
    raw = np.array([raw_components(s, v, c) for s in y])
    mean, se = raw.mean(axis=0), raw.std(axis=0) / np.sqrt(n_sims)
    for est, truth, e in zip(mean, (s2_fold, s2_main, s2_within), se):
        assert abs(est - truth) < 4 * e + 1e-6
    # one big layout recovers them directly
    big = (rng.normal(0, 0.02, (300, 1)) + rng.normal(0, 0.01, (1, 60)) + rng.normal(0, np.sqrt(s2_within), (300, 60))
           + rng.normal(0, np.sqrt(c), (300, 1)) + rng.normal(0, np.sqrt(v - c), (300, 60)))
    comp = decompose_variance(big, np.full(big.shape, v), np.full(300, c))
    assert comp.fold == pytest.approx(4e-4, rel=0.2)
    assert comp.seed_main == pytest.approx(1e-4, rel=0.4)
    assert comp.seed_within == pytest.approx(s2_within, rel=0.1)
    assert comp.total == pytest.approx(comp.fold + comp.seed + v)
    assert sum(comp.shares.values()) == pytest.approx(1.0)


def test_planted_fold_and_seed_effects_from_utterances() -> None:
    """Whole pipeline: per-utterance predictions with planted fold / seed accuracy effects and shared hard utterances."""
    rng = np.random.default_rng(5)
    n_sims, n_f, n_s, n_c, per_class = 300, 5, 3, 4, 50
    s2_fold, s2_seed = 0.03 ** 2, 0.02 ** 2
    gold = np.tile(np.repeat(np.arange(n_c), per_class), n_f)
    folds = np.repeat(np.arange(n_f), n_c * per_class)
    est = []
    for _ in range(n_sims):
        p = 0.6 + rng.normal(0, 0.03, (n_f, 1)) + rng.normal(0, 0.02, (n_f, n_s))  # (F, S) true accuracy
        shared = rng.random(gold.size)  # an utterance hard for one seed is hard for all ...
        own = rng.random((n_s, gold.size))
        u = np.where(rng.random((n_s, gold.size)) < 0.7, shared, own)  # ... 70% of the time
        correct = u < p[folds].T  # (S, n)
        pred = np.where(correct, gold, (gold + 1) % n_c)
        m = run_test_moments(pred, gold, n_c, folds)
        est.append(raw_components(m.ua, m.test_var.mean(), m.test_cov.mean()) + (m.test_var.mean(), m.test_cov.mean()))
    est = np.array(est)
    mean, se = est.mean(axis=0), est.std(axis=0) / np.sqrt(n_sims)
    v_true = 0.6 * 0.4 / per_class / n_c  # binomial variance of UA at accuracy ~0.6
    assert abs(mean[0] - s2_fold) < 4 * se[0]
    assert abs(mean[1] - 0.0) < 4 * se[1]
    assert abs(mean[2] - s2_seed) < 4 * se[2]
    assert mean[3] == pytest.approx(v_true, rel=0.1)
    assert mean[4] == pytest.approx(0.7 ** 2 * v_true, rel=0.15)  # two seeds both on the shared draw: 0.49


def test_binomial_moments_equal_a_joint_class_stratified_bootstrap() -> None:
    rng = np.random.default_rng(6)
    gold = np.repeat(np.arange(3), [30, 50, 20])
    shared = rng.random(gold.size) < 0.6
    correct = np.where(rng.random((3, gold.size)) < 0.5, shared, rng.random((3, gold.size)) < 0.6).astype(float)
    formula = ua_test_covariance(correct, gold, 3)
    # brute force: resample each class's utterances with replacement, all seeds on the same resample
    n_r = 20000
    ua = np.zeros((n_r, 3))
    for c in range(3):
        idx = np.flatnonzero(gold == c)
        picks = idx[rng.integers(0, idx.size, (n_r, idx.size))]
        ua += correct[:, picks].mean(axis=2).T / 3
    boot = np.cov(ua.T, ddof=1)
    assert formula == pytest.approx(boot, rel=0.06)
    r = np.array([correct[0][gold == c].mean() for c in range(3)])
    assert formula[0, 0] == pytest.approx(sum(r * (1 - r) / np.array([30, 50, 20])) / 9)


def test_run_moments_layout_and_per_fold_values() -> None:
    gold = np.array([0, 1, 0, 1, 0, 0, 1, 1])
    folds = np.array(["b", "b", "b", "b", "a", "a", "a", "a"])
    pred = np.array([[0, 1, 1, 1, 0, 0, 0, 1],
                     [0, 0, 0, 1, 1, 0, 1, 1]])
    m = run_test_moments(pred, gold, 2, folds)
    # fold "a" (sorted first): seed 0 recalls class 0 2/2, class 1 1/2 -> UA 0.75
    assert m.ua.shape == (2, 2) and m.ua[0, 0] == pytest.approx(0.75) and m.ua[1, 0] == pytest.approx(0.75)
    assert m.test_var[0, 0] == pytest.approx((0 + 0.25 / 2) / 4)
    assert m.test_cov.shape == (2,)


def test_one_seed_or_one_fold_says_what_is_not_estimable() -> None:
    one_seed = decompose_variance(np.array([[0.6], [0.65], [0.55]]), np.full((3, 1), 1e-4))
    assert one_seed.seed is None and one_seed.fold is None and one_seed.total is None and one_seed.shares is None
    assert one_seed.test_sample == pytest.approx(1e-4) and any("1 seed" in n for n in one_seed.notes)
    one_fold = decompose_variance(np.array([[0.6, 0.62, 0.64]]), np.full((1, 3), 1e-4), np.array([5e-5]))
    assert one_fold.fold is None and one_fold.seed == pytest.approx(4e-4 - 5e-5)
    assert any("1 fold" in n for n in one_fold.notes)
    assert one_fold.seed_sd == pytest.approx(np.sqrt(4e-4 - 5e-5))
    assert decompose_variance(np.array([[0.6]]), np.array([[1e-4]])).notes == (
        "1 run: only the test-sample variance is estimable",)


def test_negative_estimates_are_truncated_and_said() -> None:
    y = np.array([[0.60, 0.70], [0.70, 0.60], [0.65, 0.65]])  # no fold effect at all, large test variance
    comp = decompose_variance(y, np.full(y.shape, 1e-3), np.full(3, 1e-3))
    assert comp.fold == 0.0
    assert any(n.startswith("fold estimate -") and "truncated at 0" in n for n in comp.notes)
    assert comp.to_json()["notes"] == list(comp.notes)


def test_seed_spread_flag() -> None:
    assert seed_spread_exceeds_gap(0.02, 0.01) is True
    assert seed_spread_exceeds_gap(0.02, -0.03) is False
    assert seed_spread_exceeds_gap(None, 0.01) is None
