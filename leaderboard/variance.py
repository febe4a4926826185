"""Where a model's UA variance comes from: seeds, folds, or the finite test sample.

Model, per model and cell, one run per (fold f, seed s):

    UA_fs = mu + a_f + b_s + g_fs + t_fs

a_f: the fold (its test speakers and training set); b_s: a seed value lucky on every fold (expected ~0, a seed
does not carry across folds' training sets); g_fs: what else changes with the seed on a fold (initialisation,
data order); t_fs: the sampling error of the run's UA on its finite test set, Var v, and, because all seeds of a
fold are scored on the SAME utterances, covariance c between two seeds of a fold (c = v when the seeds fail on
exactly the same utterances, 0 when independently). The shared part c moves a whole fold; v - c looks like
seed noise.

Estimator: the method-of-moments (ANOVA) estimator of the two-way crossed random-effects model without
replication (Searle, Casella & McCulloch 1992, ch. 4), in closed form, with the test-sample terms taken out:

    fold        = (MS_F - MS_E) / S - c            (a_f; MS_F, MS_S, MS_E: fold, seed, residual mean squares)
    seed_main   = (MS_S - MS_E) / F                (b_s)
    seed_within = MS_E - (v - c)                   (g_fs)
    seed        = seed_main + seed_within          (what re-running with another seed moves, beyond test noise)
    test_sample = v                                (one run's UA, from its finite test set)
    total       = fold + seed + test_sample = (MS_F - MS_E) / S + (MS_S - MS_E) / F + MS_E: one run's variance

statsmodels reaches the same mean-square estimates by REML (MixedLM, one group, folds and seeds as variance
components; the tests check they agree where all are positive), but iteratively, with boundary warnings on 5 x 3
layouts and at ~50 ms a model instead of microseconds, and it cannot take out the known test-sample terms.

v and c come from `run_test_moments`: per class, the plug-in binomial variance of recall and its covariance
between seeds over the fold's utterances, Var(UA) = sum_c r_c (1 - r_c) / n_c / C^2 (classes present in the
fold). That is what a bootstrap of the fold's utterances with class counts held fixed, all seeds on the same
resample, converges to (tested against one); it costs no random draws. Without c (`test_cov=None`) the test
error is taken as fully shared (c = v), which `notes` says.
Negative estimates are truncated at 0, and `notes` says which. With one seed, seed and fold cannot be told apart
(None, with the reason); with one fold, seed = the spread across seeds beyond test noise and fold is None.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

METHOD = "method-of-moments two-way crossed random-effects ANOVA (folds x seeds, no replication)"


@dataclass(frozen=True)
class MeanSquares:
    folds: float
    seeds: float
    residual: float
    df_folds: int
    df_seeds: int
    df_residual: int


@dataclass(frozen=True)
class VarianceComponents:
    """Variance components of one model's per-run UA (fractions^2); None where not estimable (see `notes`)."""

    n_folds: int
    n_seeds: int
    fold: float | None
    test_sample: float | None
    seed: float | None
    seed_main: float | None
    seed_within: float | None
    total: float | None
    run_variance: float | None  # plain sample variance of all per-run UAs (ddof=1), for reference
    notes: tuple[str, ...]
    method: str = METHOD

    @property
    def seed_sd(self) -> float | None:
        return None if self.seed is None else float(np.sqrt(self.seed))

    @property
    def shares(self) -> dict[str, float] | None:
        """fold / test_sample / seed as shares of total; None unless all three are estimable and total > 0."""
        if self.total is None or self.fold is None or self.seed is None or self.test_sample is None or self.total <= 0:
            return None
        return {"fold": self.fold / self.total, "test_sample": self.test_sample / self.total,
                "seed": self.seed / self.total}

    def to_json(self) -> dict[str, Any]:
        return {"n_folds": self.n_folds, "n_seeds": self.n_seeds, "fold": self.fold, "test_sample": self.test_sample,
                "seed": self.seed, "seed_main": self.seed_main, "seed_within": self.seed_within, "total": self.total,
                "seed_sd": self.seed_sd, "shares": self.shares, "run_variance": self.run_variance,
                "notes": list(self.notes), "method": self.method}


def mean_squares(ua: np.ndarray) -> MeanSquares:
    """Mean squares of the two-way (folds x seeds) layout without replication; needs F, S >= 2."""
    y = np.asarray(ua, dtype=float)
    n_f, n_s = y.shape
    if n_f < 2 or n_s < 2:
        raise ValueError(f"a {n_f} x {n_s} layout has no two-way mean squares (need 2 folds and 2 seeds)")
    grand = y.mean()
    row = y.mean(axis=1)
    col = y.mean(axis=0)
    resid = y - row[:, None] - col[None, :] + grand
    df_f, df_s, df_e = n_f - 1, n_s - 1, (n_f - 1) * (n_s - 1)
    return MeanSquares(folds=float(n_s * ((row - grand) ** 2).sum() / df_f),
                       seeds=float(n_f * ((col - grand) ** 2).sum() / df_s),
                       residual=float((resid ** 2).sum() / df_e), df_folds=df_f, df_seeds=df_s, df_residual=df_e)


def raw_components(ua: np.ndarray, test_var: float, test_cov: float) -> tuple[float, float, float]:
    """Untruncated (fold, seed_main, seed_within) moment estimates: unbiased, may be negative. Needs F, S >= 2."""
    ms = mean_squares(ua)
    n_f, n_s = np.asarray(ua).shape
    return ((ms.folds - ms.residual) / n_s - test_cov, (ms.seeds - ms.residual) / n_f,
            ms.residual - (test_var - test_cov))


def _truncate(name: str, value: float, notes: list[str]) -> float:
    if value < 0:
        notes.append(f"{name} estimate {value:.3g} < 0 truncated at 0 (the data show no such variance)")
        return 0.0
    return float(value)


def decompose_variance(ua: np.ndarray, test_var: np.ndarray, test_cov: np.ndarray | None = None) -> VarianceComponents:
    """Fold, seed and test-sample components of a (folds, seeds) matrix of per-run UA (see the module docstring).

    `test_var` (folds, seeds): each run's test-sample variance of UA; `test_cov` (folds,): per fold, the mean
    test-sample covariance between two of its seeds (`run_test_moments`); None = fully shared (c = v).
    """
    y = np.asarray(ua, dtype=float)
    v = np.asarray(test_var, dtype=float)
    if y.ndim != 2 or y.shape != v.shape:
        raise ValueError(f"ua {y.shape} and test_var {v.shape} must both be (folds, seeds)")
    if not np.isfinite(y).all() or not np.isfinite(v).all() or (v < 0).any():
        raise ValueError("per-run UA and test variances must be finite, variances >= 0")
    n_f, n_s = y.shape
    notes: list[str] = []
    test = float(v.mean())
    if test_cov is None:
        shared = test
        if n_s >= 2:
            notes.append("no test-sample covariance given: the test error is taken as shared by a fold's seeds")
    else:
        c = np.asarray(test_cov, dtype=float)
        if c.shape != (n_f,) or not np.isfinite(c).all():
            raise ValueError(f"test_cov must be finite and ({n_f},), one value per fold; got {c.shape}")
        shared = float(c.mean())
    run_var = float(y.var(ddof=1)) if y.size > 1 else None
    fold = seed = seed_main = seed_within = None
    if n_f >= 2 and n_s >= 2:
        raw_fold, raw_main, raw_within = raw_components(y, test, shared)
        fold = _truncate("fold", raw_fold, notes)
        seed_main = _truncate("seed (main effect)", raw_main, notes)
        seed_within = _truncate("seed (within fold)", raw_within, notes)
        seed = seed_main + seed_within
    elif n_s >= 2:
        seed = _truncate("seed", float(y[0].var(ddof=1)) - (test - shared), notes)
        notes.append("1 fold: the fold component is not estimable; seed is the spread across seeds beyond test "
                     "noise (seed main effect and fold x seed not separable)")
    elif n_f >= 2:
        notes.append("1 seed: seed-to-seed variation cannot be told apart from fold variation, so neither is estimated")
    else:
        notes.append("1 run: only the test-sample variance is estimable")
    total = fold + test + seed if fold is not None and seed is not None else None
    return VarianceComponents(n_folds=n_f, n_seeds=n_s, fold=fold, test_sample=test, seed=seed, seed_main=seed_main,
                              seed_within=seed_within, total=total, run_variance=run_var, notes=tuple(notes))


def ua_test_covariance(correct: np.ndarray, gold: np.ndarray, n_classes: int) -> np.ndarray:
    """(S, S) plug-in test-sample covariance of UA between the rows of `correct` (S, n) on one test set (n,).

    Diagonal: the binomial variance sum_c r_c (1 - r_c) / n_c / C^2; off-diagonal: the same with the per-class
    covariance of two seeds' correctness indicators.
    """
    gold = np.asarray(gold, dtype=np.int64)
    x = np.atleast_2d(np.asarray(correct, dtype=float))
    onehot = np.eye(n_classes)[gold]  # (n, C)
    n_c = onehot.sum(axis=0)
    present = n_c > 0
    safe = np.where(present, n_c, 1.0)
    r = x @ onehot / safe  # (S, C)
    both = np.einsum("si,ti,ic->cst", x, x, onehot) / safe[:, None, None]  # (C, S, S) mean of x_s x_t per class
    cov = (both - r.T[:, :, None] * r.T[:, None, :]) / safe[:, None, None]
    return cov[present].sum(axis=0) / present.sum() ** 2


class RunMoments(NamedTuple):
    ua: np.ndarray  # (F, S) per-run UA
    test_var: np.ndarray  # (F, S) binomial test-sample variance of each run's UA
    test_cov: np.ndarray | None  # (F,) mean covariance between two seeds of a fold; None with one seed


def run_test_moments(pred: np.ndarray, gold: np.ndarray, n_classes: int, folds: np.ndarray) -> RunMoments:
    """Per-run UA and test-sample moments from (seeds, n) predictions and the fold of each utterance."""
    pred = np.atleast_2d(pred)
    gold = np.asarray(gold, dtype=np.int64)
    fold_names, f_of = np.unique(np.asarray(folds), return_inverse=True)
    f_of = f_of.reshape(-1)
    correct = (pred == gold[None, :]).astype(float)  # (S, n)
    n_s = correct.shape[0]
    ua = np.empty((len(fold_names), n_s))
    var = np.empty((len(fold_names), n_s))
    cov = np.empty(len(fold_names))
    off = ~np.eye(n_s, dtype=bool)
    for f in range(len(fold_names)):  # folds: a handful; everything inside is vectorised over seeds
        idx = np.flatnonzero(f_of == f)
        g = gold[idx]
        onehot = np.eye(n_classes)[g]
        n_c = onehot.sum(axis=0)
        present = n_c > 0
        r = correct[:, idx] @ onehot / np.where(present, n_c, 1.0)
        ua[f] = r[:, present].mean(axis=1)
        m = ua_test_covariance(correct[:, idx], g, n_classes)
        var[f] = np.diag(m)
        cov[f] = m[off].mean() if n_s > 1 else np.nan
    return RunMoments(ua=ua, test_var=var, test_cov=cov if n_s > 1 else None)


def seed_spread_exceeds_gap(seed_sd: float | None, gap: float) -> bool | None:
    """True when one re-run with another seed typically moves a model's UA by more than `gap` (None: unknown).

    For a leaderboard flag: a gap between two models smaller than the seed SD of a single run is one that
    re-seeding alone can open or close; the cell's seed-mean is steadier (SD / sqrt(seeds)).
    """
    if seed_sd is None:
        return None
    return bool(seed_sd > abs(gap))
