"""A narrow-band telephone channel: 8 kHz sampling, the 300-3400 Hz band, 8-bit mu-law (G.711-like) coding.

Steps: soxr down to 8 kHz (its anti-aliasing filter removes everything above 4 kHz); a 4th-order
Butterworth band-pass 300-3400 Hz (`scipy.signal`, causal like a real channel: the phase shift is
part of the channel); mu-law companding with mu = 255 and 8-bit quantisation (256 levels), the
continuous form of G.711's curve (G.711 itself uses a 16-segment piecewise-linear approximation of it;
the quantisation noise follows the signal level the same way); soxr back up to 16 kHz (its
anti-imaging filter keeps the band empty above 4 kHz, so encoders see telephone audio at the rate they
expect). Deterministic: no generator is involved.

Level: the quantiser's range is [-1, 1]; a band-passed signal whose peak exceeds 1 is scaled to peak 1
first (a gain on the whole mixture, which changes no SNR), recorded as `telephone_gain`.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from dataset_adapters.audio import SAMPLE_RATE

PHONE_RATE = 8000
BAND_HZ = (300.0, 3400.0)
MU = 255.0
BITS = 8


@lru_cache(maxsize=1)
def _band_pass() -> np.ndarray:
    from scipy.signal import butter

    return butter(4, BAND_HZ, btype="bandpass", fs=PHONE_RATE, output="sos")


def mu_law(x: np.ndarray, mu: float = MU, bits: int = BITS) -> np.ndarray:
    """Compand `x` (within [-1, 1]) with mu-law, quantise to 2**bits levels, expand back."""
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    half = 2 ** (bits - 1) - 0.5  # 256 levels: codes -127.5..127.5 in steps of 1, zero not a level (as in G.711)
    q = (np.floor(np.clip(y, -1, 1) * half) + 0.5) / half
    q = np.clip(q, -1, 1)
    return np.sign(q) * np.expm1(np.abs(q) * np.log1p(mu)) / mu


def telephone(samples: np.ndarray) -> tuple[np.ndarray, dict]:
    """`samples` (16 kHz) through the telephone channel; (float64 clip of the same length, info)."""
    import soxr
    from scipy.signal import sosfilt

    x = np.asarray(samples, dtype=np.float64)
    narrow = sosfilt(_band_pass(), soxr.resample(x, SAMPLE_RATE, PHONE_RATE))
    peak = float(np.abs(narrow).max()) if narrow.size else 0.0
    gain = 1.0 / peak if peak > 1.0 else 1.0
    coded = mu_law(narrow * gain)
    wide = soxr.resample(coded, PHONE_RATE, SAMPLE_RATE)
    out = np.zeros(len(x))
    out[: min(len(x), len(wide))] = wide[: len(x)]
    return out, {"telephone_gain": gain, "band_hz": list(BAND_HZ), "rate_hz": PHONE_RATE, "codec": f"mu-law {BITS}-bit"}
