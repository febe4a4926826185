"""Minimum detectable difference (MDD) of a paired comparison, from its bootstrap standard error.

For a two-sided test at level α with power 1-β, a true difference δ is detected when
δ ≥ (z_{1-α/2} + z_{1-β}) · SE, with SE the standard error of the estimated difference (normal
approximation). The leaderboard takes SE from the paired stratified bootstrap it already draws:

    SE_boot = sample standard deviation (ddof = 1) over the B resamples of UA_best* − UA_other*
    MDD     = (z_{0.975} + z_{0.80}) · SE_boot  ≈ 2.8016 · SE_boot          (α = 0.05, power 80%)

Per leaderboard cell the page reports the median of this MDD over the best model's comparisons
(one per other ranked model): a gap smaller than that is one the cell's data would usually not show
as significant. It is for ONE uncorrected comparison; the † mark uses Holm's correction over the
cell's k comparisons, whose first step tests at α/k, so the gap needed for † is somewhat larger.
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np

ALPHA = 0.05
POWER = 0.80


def z_sum(alpha: float = ALPHA, power: float = POWER) -> float:
    """z_{1-α/2} + z_{power} (2.8016 for α = 0.05 and 80% power)."""
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    z = NormalDist().inv_cdf
    return z(1 - alpha / 2) + z(power)


def bootstrap_se(resampled_diffs: np.ndarray) -> float:
    """Standard error of a difference: the sample std (ddof=1) of its bootstrap replicates."""
    d = np.asarray(resampled_diffs, dtype=float)
    if d.size < 2:
        raise ValueError("need at least two bootstrap replicates for a standard error")
    return float(np.std(d, ddof=1))


def mdd(se: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable difference for a standard error `se` (same units as se)."""
    return z_sum(alpha, power) * float(se)


def mdd_from_bootstrap(resampled_diffs: np.ndarray, alpha: float = ALPHA, power: float = POWER) -> float:
    return mdd(bootstrap_se(resampled_diffs), alpha, power)
