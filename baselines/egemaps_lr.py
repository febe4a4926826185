"""`egemaps-lr`: the 88 eGeMAPSv02 functionals per clip + standardisation + logistic regression.

The field's standard acoustic baseline (the feature set was designed for affect): pitch, loudness,
voice quality, formants and spectral balance, summarised per clip by openSMILE. Fitting, C selection
on validation and prediction are `ClipStatisticsLR`'s, shared with `acoustic-lr`. openSMILE's binary is
under audEERING's research-only (non-commercial) licence.
"""
from __future__ import annotations

from baselines.clip_lr import ClipStatisticsLR, clip_lr_info
from baselines.config import EgemapsConfig


class EgemapsLR(ClipStatisticsLR):
    info = clip_lr_info(
        "egemaps-lr",
        "88 eGeMAPSv02 functionals per clip (openSMILE), standardised, logistic regression "
        "(C chosen on valid); openSMILE is under a research-only licence",
        "Eyben, F., Scherer, K. R., Schuller, B. W., et al. The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) "
        "for Voice Research and Affective Computing. IEEE Transactions on Affective Computing 7(2), 2016.",
    )

    config_class = EgemapsConfig

    @property
    def clip_spec(self) -> str:
        return "opensmile:egemaps-functionals"
