"""openSMILE eGeMAPSv02: 88 functionals per clip, 25 low-level descriptors per 10 ms frame, and the encoders built on them.

The one home of openSMILE in the project. Both levels read clips through the one audio reader (16 kHz float32
mono), so they see the same samples as every other encoder.

Spec strings (`spec.py`):
- `opensmile:egemaps-functionals` (clip level): the 88 functionals, exactly as `opensmile.Smile(...Functionals)`
  gives them; what `egemaps-lr` reads;
- `opensmile:egemaps`: the 25 eGeMAPSv02 low-level descriptors per 10 ms frame (100 frames/s), in fixed units;
- `opensmile:egemaps-ipu`: per 10 ms frame, the utterance-normalised prosody of the inter-pausal unit the frame
  lies in (12 contrasts of eGeMAPS statistics, `ipu_prosody.py`, which says why);
- `SPEC+opensmile:egemaps` / `SPEC+opensmile:egemaps-ipu`, e.g. `whisper-tiny.en+opensmile:egemaps-ipu`: SPEC's
  frames (50 frames/s: Whisper or a wav2vec2-family model) with the descriptors averaged to the same 20 ms frames
  appended, so a speech branch hears prosody (pitch, loudness, voice quality) as well as the words the
  pre-trained encoder keeps.

Scale, and why nothing is fitted: the projection in front of every speech branch starts with a per-frame
LayerNorm over all input dimensions, so raw descriptors in Hz (formants ~500-3000, bandwidths ~1000) would
swamp the other dimensions. Each descriptor is divided by a fixed unit (`LLD_UNITS`: kHz for formant
frequencies and bandwidths, 12 semitones = one octave for F0, 10 dB for level ratios...), which puts typical
speech values within about +-4, the range of Whisper's layer-normed encoder outputs, without statistics from
any corpus (corpus statistics would have to come from a training fold, and cache entries are per clip).
Zero stays zero, so unvoiced frames keep F0-related descriptors at 0 as openSMILE emits them.

Alignment to 50 frames/s: eGeMAPS frame i starts at 10*i ms, a 20 ms encoder frame j at 20*j ms, so frame j
takes the mean of descriptor frames 2j and 2j+1 (an unvoiced/voiced pair averages F0 towards 0). openSMILE
stops ~40 ms before the end of a clip (its longest window must fit), so the last one or two 20 ms frames
repeat the last available descriptors; the result always has exactly the other encoder's frame count.

Licence: the `opensmile` wheel ships audEERING's libSMILEapi binary under audEERING's research-only
(non-commercial) licence; results produced with these features inherit that restriction.

Eyben et al., The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for Voice Research and Affective
Computing. IEEE Transactions on Affective Computing 7(2), 2016.
"""
from __future__ import annotations

import atexit
import json
import multiprocessing
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from threading import Lock
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from benchmarks.features import ipu_prosody
from benchmarks.features.cache import num_threads
from benchmarks.features.contract import AudioEncoder, ClipEncoder
from dataset_adapters.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from benchmarks.features.spec import EncoderSpec

FEATURE_SET = "eGeMAPSv02"
N_FUNCTIONALS = 88
N_LLD = 25
LLD_FRAMES_PER_SECOND = 100  # one frame every 10 ms

_LOCK = Lock()  # one Smile object per level and process; openSMILE's process state is not shared between threads


def opensmile_version() -> str:
    import opensmile  # heavy optional dependency (a native library): only when openSMILE is used

    return str(opensmile.__version__)


@lru_cache(maxsize=2)
def _smile(level: str) -> Any:
    """The openSMILE extractor for eGeMAPSv02 at `level` ("functionals" or "lld"), built once per process."""
    import opensmile  # heavy optional dependency (a native library): only when openSMILE is used

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


EGEMAPS_SPEC = "opensmile:egemaps"
FUNCTIONALS_SPEC = "opensmile:egemaps-functionals"
IPU_SPEC = "opensmile:egemaps-ipu"
UNITS_VERSION = "units-v1"  # bump when LLD_UNITS changes: it is part of the cache key
ALIGN_VERSION = "pair-mean-50fps-v1"

# descriptor name prefix -> divisor (fixed physical units; see the module docstring)
LLD_UNITS: dict[str, float] = {
    "Loudness_sma3": 1.0,  # sone-like, ~0-3
    "alphaRatio_sma3": 10.0,  # dB
    "hammarbergIndex_sma3": 10.0,  # dB
    "slope0-500_sma3": 0.05,  # dB/Hz, ~+-0.1
    "slope500-1500_sma3": 0.05,
    "spectralFlux_sma3": 1.0,
    "mfcc1_sma3": 20.0,
    "mfcc2_sma3": 20.0,
    "mfcc3_sma3": 20.0,
    "mfcc4_sma3": 20.0,
    "F0semitoneFrom27.5Hz_sma3nz": 12.0,  # octaves above 27.5 Hz
    "jitterLocal_sma3nz": 0.02,
    "shimmerLocaldB_sma3nz": 1.0,  # dB
    "HNRdBACF_sma3nz": 10.0,  # dB
    "logRelF0-H1-H2_sma3nz": 10.0,  # dB
    "logRelF0-H1-A3_sma3nz": 10.0,  # dB
    "F1frequency_sma3nz": 1000.0,  # kHz
    "F1bandwidth_sma3nz": 1000.0,
    "F1amplitudeLogRelF0_sma3nz": 100.0,  # dB; openSMILE writes -201 in unvoiced frames
    "F2frequency_sma3nz": 1000.0,
    "F2bandwidth_sma3nz": 1000.0,
    "F2amplitudeLogRelF0_sma3nz": 100.0,
    "F3frequency_sma3nz": 1000.0,
    "F3bandwidth_sma3nz": 1000.0,
    "F3amplitudeLogRelF0_sma3nz": 100.0,
}


def lld_units() -> np.ndarray:
    """(25,) divisors in the order openSMILE emits the descriptors; a renamed descriptor is an error, not a guess."""
    names = feature_names("lld")
    missing = [n for n in names if n not in LLD_UNITS]
    if missing or len(names) != N_LLD:
        raise RuntimeError(f"opensmile {opensmile_version()} emits eGeMAPS descriptors {missing or names} "
                           f"that LLD_UNITS does not know; update benchmarks/features/opensmile.py")
    return np.array([LLD_UNITS[n] for n in names], dtype=np.float32)


def checked_functionals(samples: np.ndarray) -> np.ndarray:
    """`functionals`, refusing non-finite values (named) rather than handing NaN to a classifier."""
    feats = functionals(samples)
    if not np.isfinite(feats).all():
        bad = [n for n, v in zip(feature_names("functionals"), feats) if not np.isfinite(v)]
        raise ValueError(f"openSMILE gave non-finite eGeMAPS functionals ({', '.join(bad[:3])}...)")
    return feats


def scaled_lld_frames(samples: np.ndarray) -> np.ndarray:
    """(n_frames, 25) descriptors at 100 frames/s divided by their fixed units."""
    return lld_frames(samples) / lld_units()


def ipu_frames(samples: np.ndarray) -> np.ndarray:
    """(n_frames, ipu_prosody.N_FEATURES): the `opensmile:egemaps-ipu` frames of one clip."""
    return ipu_prosody.ipu_contrast_frames(scaled_lld_frames(samples), feature_names("lld"))


_POOL: list[ProcessPoolExecutor] = []  # at most one, started on first use and shut down at exit
_SERIAL: list[bool] = []  # set once worker processes failed to start in this process


def map_clips(fn: Callable[[np.ndarray], np.ndarray], clips: Sequence[np.ndarray]) -> list[np.ndarray]:
    """`fn` over clips, spread over `num_threads()` spawned processes when more than one core is allowed.

    Why: openSMILE analyses one clip at a time under a process-wide lock (it is not thread-safe), so
    eGeMAPS frames of a 600-clip corpus took ~60 s on one core while the other idled. A clip's result
    never depends on which process computed it (the cache stays deterministic)."""
    workers = min(num_threads(), len(clips))
    if workers <= 1 or _SERIAL:
        return [fn(c) for c in clips]
    if not _POOL:
        _POOL.append(ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")))
        atexit.register(_POOL[0].shutdown)
    try:
        return list(_POOL[0].map(fn, clips))
    except BrokenProcessPool:  # e.g. a script without `if __name__ == "__main__":` cannot spawn: go on serially
        _POOL.pop().shutdown(wait=False)
        _SERIAL.append(True)
        warnings.warn("openSMILE worker processes could not start (a script run without an "
                      "`if __name__ == '__main__':` guard?); computing eGeMAPS frames in this process", stacklevel=2)
        return [fn(c) for c in clips]


def to_50fps(frames: np.ndarray, n_target: int) -> np.ndarray:
    """Mean of descriptor frames (2j, 2j+1) for j < n_target; missing tail frames repeat the last pair."""
    if len(frames) == 0:
        raise ValueError("openSMILE produced no eGeMAPS frames for this clip")
    n_pairs = -(-len(frames) // 2)
    padded = np.concatenate([frames, frames[-1:]]) if len(frames) % 2 else frames
    pairs = padded.reshape(n_pairs, 2, frames.shape[1]).mean(1)
    if n_pairs >= n_target:
        return pairs[:n_target]
    return np.concatenate([pairs, np.repeat(pairs[-1:], n_target - n_pairs, axis=0)])


class EgemapsEncoder(AudioEncoder):
    """The 25 eGeMAPSv02 low-level descriptors per 10 ms frame (openSMILE), in fixed units."""

    name = EGEMAPS_SPEC
    batch_size = 32

    @property
    def identity(self) -> dict[str, str]:
        return {"encoder": EGEMAPS_SPEC, "opensmile": opensmile_version(), "config": FEATURE_SET,
                "level": "lld", "units": UNITS_VERSION}

    def bucket(self, samples: np.ndarray) -> int:
        return 0  # clips are analysed one by one: batching never changes a clip's features

    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        return map_clips(scaled_lld_frames, batch)

    @classmethod
    def from_spec(cls, spec: "EncoderSpec", device: str = "cpu") -> "EgemapsEncoder":
        return cls()

    @staticmethod
    def weight_sources(spec: "EncoderSpec") -> list[str]:
        return []  # openSMILE's configs ship in its wheel


class IpuProsodyEncoder(EgemapsEncoder):
    """Per 10 ms frame, its inter-pausal unit's eGeMAPS statistics minus the clip's (`ipu_prosody`)."""

    name = IPU_SPEC

    @property
    def identity(self) -> dict[str, str]:
        return {**super().identity, "encoder": IPU_SPEC, "ipu": ipu_prosody.VERSION}

    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        return map_clips(ipu_frames, batch)


APPENDABLE = {EGEMAPS_SPEC: EgemapsEncoder, IPU_SPEC: IpuProsodyEncoder}


class WithEgemapsEncoder(AudioEncoder):
    """A 50 frames/s encoder's frames with eGeMAPS-based frames (averaged to 20 ms) appended."""

    def __init__(self, base: AudioEncoder, appended: str = EGEMAPS_SPEC) -> None:
        self.base = base
        self.egemaps = APPENDABLE[appended]()
        self.name = f"{base.name}+{appended}"
        self.batch_size = base.batch_size

    @property
    def identity(self) -> dict[str, str]:
        return {"encoder": "concat", "base": json.dumps(self.base.identity, sort_keys=True),
                "appended": json.dumps(self.egemaps.identity, sort_keys=True), "align": ALIGN_VERSION}

    def bucket(self, samples: np.ndarray) -> int:
        return self.base.bucket(samples)

    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = []
        for frames, lld in zip(self.base.encode(batch), self.egemaps.encode(batch)):
            frames = np.asarray(frames, dtype=np.float32)
            out.append(np.concatenate([frames, to_50fps(lld, len(frames))], axis=1))
        return out

    @classmethod
    def from_spec(cls, spec: "EncoderSpec", device: str = "cpu") -> "WithEgemapsEncoder":
        assert spec.base is not None and spec.appended is not None
        return cls(spec.base.build(device), spec.appended)

    @staticmethod
    def weight_sources(spec: "EncoderSpec") -> list[str]:
        return spec.base.weight_sources() if spec.base is not None else []


class EgemapsFunctionalsEncoder(ClipEncoder):
    """The 88 eGeMAPSv02 functionals of a clip (`egemaps-lr`'s features); non-finite values are an error."""

    name = FUNCTIONALS_SPEC

    @property
    def identity(self) -> dict[str, str]:
        return {"encoder": "egemaps-functionals", "opensmile": opensmile_version(), "config": FEATURE_SET}

    def vector(self, samples: np.ndarray) -> np.ndarray:
        return checked_functionals(samples)

    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        return map_clips(checked_functionals, batch)

    @classmethod
    def from_spec(cls, spec: "EncoderSpec", device: str = "cpu") -> "EgemapsFunctionalsEncoder":
        return cls()

    @staticmethod
    def weight_sources(spec: "EncoderSpec") -> list[str]:
        return []
