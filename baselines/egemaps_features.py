"""eGeMAPSv02 features from openSMILE: 88 functionals per clip, 25 low-level descriptors per 10 ms frame.

The one home of openSMILE in the project: `egemaps-lr` uses `clip_functionals`, the frame-level speech
encoder `opensmile:egemaps` (benchmarks/features) uses `lld_frames`. Both read clips through the one
audio reader (16 kHz float32 mono), so they see the same samples as every other encoder.

Licence: the `opensmile` wheel ships audEERING's libSMILEapi binary under audEERING's research-only
(non-commercial) licence; results produced with these features inherit that restriction.

Eyben et al., The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for Voice Research and Affective
Computing. IEEE Transactions on Affective Computing 7(2), 2016.
"""
from __future__ import annotations

from functools import lru_cache
from threading import Lock
from typing import Any

import numpy as np

from baselines.clip_cache import cached_clip_features
from dataset_adapters.audio import SAMPLE_RATE, read_audio

FEATURE_SET = "eGeMAPSv02"
N_FUNCTIONALS = 88
N_LLD = 25
LLD_FRAMES_PER_SECOND = 100  # one frame every 10 ms

_LOCK = Lock()  # one Smile object per level and process; openSMILE's process state is not shared between threads


def opensmile_version() -> str:
    import opensmile

    return str(opensmile.__version__)


@lru_cache(maxsize=2)
def _smile(level: str) -> Any:
    """The openSMILE extractor for eGeMAPSv02 at `level` ("functionals" or "lld"), built once per process."""
    import opensmile

    levels = {"functionals": opensmile.FeatureLevel.Functionals, "lld": opensmile.FeatureLevel.LowLevelDescriptors}
    return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=levels[level])


def feature_names(level: str) -> list[str]:
    return list(_smile(level).feature_names)


def _process(samples: np.ndarray, level: str) -> np.ndarray:
    x = np.ascontiguousarray(samples, dtype=np.float32)
    with _LOCK:
        return _smile(level).process_signal(x, SAMPLE_RATE).to_numpy(dtype=np.float32)


def functionals(samples: np.ndarray) -> np.ndarray:
    """(88,) eGeMAPSv02 functionals of a 16 kHz clip, exactly as `opensmile.Smile(...Functionals)` gives them."""
    return _process(samples, "functionals")[0]


def lld_frames(samples: np.ndarray) -> np.ndarray:
    """(n_frames, 25) eGeMAPSv02 low-level descriptors of a 16 kHz clip, one row per 10 ms.

    openSMILE emits a frame every 10 ms while its longest analysis window fits: a 1 s clip gives 96 rows
    (100 per second minus the last 40 ms). F0-related descriptors (`*_sma3nz`) are 0 in unvoiced frames.
    """
    return _process(samples, "lld")


def clip_functionals(path: str) -> np.ndarray:
    """`functionals` of the file at `path`, memoised in this process by content; non-finite values name the file."""

    def compute(p: str) -> np.ndarray:
        feats = functionals(read_audio(p))
        if not np.isfinite(feats).all():
            bad = [n for n, v in zip(feature_names("functionals"), feats) if not np.isfinite(v)]
            raise ValueError(f"{p}: openSMILE gave non-finite eGeMAPS functionals ({', '.join(bad[:3])}...)")
        return feats

    return cached_clip_features(path, ("egemaps-functionals", FEATURE_SET, opensmile_version()), compute)
