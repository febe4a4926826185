"""`acoustic-lr`: per-clip MFCC statistics + standardisation + logistic regression.

The no-pre-training speech baseline: what do classic spectral statistics get without any speech
encoder? Fitting, C selection on validation and prediction are `ClipStatisticsLR`'s.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from baselines.acoustic_features import MfccConfig, clip_features
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

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.mfcc = MfccConfig(n_mfcc=self.cfg.n_mfcc, n_mels=self.cfg.n_mels)

    def clip_vector(self, path: str) -> np.ndarray:
        return clip_features(path, self.mfcc)
