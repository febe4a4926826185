"""`acoustic-lr`: per-clip MFCC statistics + standardisation + logistic regression.

The no-pre-training speech baseline: what do classic spectral statistics get without any speech
encoder? Fitting, C selection on validation and prediction are `ClipStatisticsLR`'s.
"""
from __future__ import annotations

from baselines.clip_lr import ClipStatisticsLR, clip_lr_info
from baselines.config import AcousticConfig


class AcousticLR(ClipStatisticsLR):
    info = clip_lr_info(
        "acoustic-lr",
        "per-clip MFCC+delta statistics (mean, std, 10/50/90th percentiles, log duration), "
        "standardised, logistic regression (C chosen on valid)",
        "Davis, S., Mermelstein, P. Comparison of parametric representations for monosyllabic word recognition "
        "in continuously spoken sentences. IEEE Transactions on Acoustics, Speech, and Signal Processing 28(4), 1980.",
    )
    config_class = AcousticConfig

    @property
    def clip_spec(self) -> str:
        return f"mfcc-stats:n_mfcc={self.cfg.n_mfcc},n_mels={self.cfg.n_mels}"
