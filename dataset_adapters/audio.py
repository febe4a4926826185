"""Reading clips the one way every encoder and ASR engine sees them: 16 kHz float32 mono.

Why one reader: features and transcripts are cached by the clip's content, so every consumer must
decode the same samples. soundfile decodes, soxr resamples (torchaudio is not usable here), stereo
is averaged to mono. Bad input raises `AudioError` naming the file; nothing is silently dropped.

Documented behaviour for edge cases:
- missing, unreadable, empty (0 samples) or non-finite audio -> `AudioError`;
- clips shorter than `MIN_SECONDS` -> `AudioError` (no encoder yields a meaningful frame from them);
  `clip_problem` tells the same verdict ahead of time (what `data check` reports), decoding only
  the clips whose header cannot settle it;
- silent clips (peak below `SILENCE_PEAK`) are valid: encoders encode them as they are and ASR
  sources return "" without decoding (Whisper hallucinates text on silence);
- a header that cannot be true is refused before any sample is decoded (`header_problem`): a
  sample rate outside `SAMPLE_RATE_RANGE` (8 kHz .. 192 kHz: telephone speech to studio audio; a
  header claiming 8 Hz would make 4000 s of "audio" out of a 2 s clip and resample it to 64M
  samples), or a clip longer than `MAX_SECONDS` (120 s: no utterance of IEMOCAP, MSP-Podcast or
  CREMA-D lasts a minute; a longer clip is a mis-cut or a lying header, and would cost every
  encoder and ASR engine minutes). Where the label file gives the segment's times (IEMOCAP), the
  clip must last `end - start` within `SEGMENT_TOLERANCE` (see `duration_problem`).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from threading import Lock
from typing import Any, Protocol

import numpy as np

from dataset_adapters.files import file_problem
from lemer.core.errors import InputError

SAMPLE_RATE = 16000
MIN_SECONDS = 0.1
MAX_SECONDS = 120.0
SAMPLE_RATE_RANGE = (8000, 192000)  # Hz, inclusive
# A clip may differ from its label file's segment (end - start) by 0.5 s plus 10 % of the segment:
# IEMOCAP's sentence WAVs are cut at the EmoEvaluation times (they agree to a few ms); the slack
# covers other cutters' padding, never a wrong header (which is off by a factor, not by a margin).
SEGMENT_TOLERANCE = (0.5, 0.10)
SILENCE_PEAK = 1e-4  # ~ -80 dBFS
FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")  # the only sample formats that can hold NaN or infinity


class AudioError(InputError):
    """A clip that cannot be used; `path` and `reason` are kept for callers that collect problems."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def header_problem(samplerate: int, frames: int) -> str | None:
    """Why a header's sample rate or length cannot be a clip of this project (see the module docstring)."""
    lo, hi = SAMPLE_RATE_RANGE
    if not lo <= samplerate <= hi:
        return (f"implausible sample rate {samplerate} Hz in the header (accepted: {lo}..{hi} Hz); "
                f"the header is wrong or the file is not speech audio")
    seconds = frames / samplerate
    if seconds > MAX_SECONDS:
        return f"clip too long: {seconds:.1f} s > {MAX_SECONDS:.0f} s (a mis-cut clip or a wrong header)"
    return None


def duration_problem(seconds: float, expected: float) -> str | None:
    """Why a clip of `seconds` cannot be the label file's segment of `expected` seconds, or None."""
    slack = SEGMENT_TOLERANCE[0] + SEGMENT_TOLERANCE[1] * expected
    if abs(seconds - expected) > slack:
        return (f"clip lasts {seconds:.3f} s but its label segment lasts {expected:.3f} s "
                f"(tolerance {slack:.2f} s): wrong header, wrong file or wrong segment times")
    return None


def read_audio(path: str | Path, sr: int = SAMPLE_RATE, min_seconds: float = MIN_SECONDS) -> np.ndarray:
    """Decode `path` to float32 mono at `sr` Hz; raises AudioError on missing/corrupt/empty/too-short clips
    and on headers that cannot be true (`header_problem`), before decoding anything."""
    import soundfile as sf
    import soxr

    p = Path(path)
    why = file_problem(p)
    if why:
        raise AudioError(p, "audio file not found" if why == "missing" else f"audio file: {why}")
    try:
        info = sf.info(str(p))
    except Exception as e:  # noqa: BLE001 - soundfile raises several types
        raise AudioError(p, f"cannot decode audio ({type(e).__name__}: {e})") from e
    why = header_problem(int(info.samplerate), int(info.frames))
    if why:
        raise AudioError(p, why)
    try:
        data, file_sr = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises several types (LibsndfileError, RuntimeError, ...)
        raise AudioError(p, f"cannot decode audio ({type(e).__name__}: {e})") from e
    if data.shape[0] == 0:
        raise AudioError(p, "audio file holds no samples")
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not np.isfinite(mono).all():
        raise AudioError(p, "audio holds NaN or infinite samples")
    if file_sr != sr:
        mono = soxr.resample(mono, file_sr, sr)
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if len(mono) < min_seconds * sr:
        raise AudioError(p, f"clip too short: {len(mono) / sr:.3f} s < {min_seconds} s")
    return mono


def clip_problem(path: str | Path, min_seconds: float = MIN_SECONDS) -> str | None:
    """Why `read_audio` would refuse `path` (its exact reason), or None when it would decode it.

    Cheap for the common case: the header gives the length, and integer PCM cannot hold NaN, so
    only float WAVs and clips within a resampling rounding of `min_seconds` are decoded.
    """
    import soundfile as sf

    if file_problem(path):
        return read_audio_problem(path, min_seconds)
    try:
        info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - unreadable or missing: the reader below says why
        info = None
    if info is not None:
        why = header_problem(int(info.samplerate), int(info.frames))
        if why:
            return why
    if info is not None and info.samplerate > 0:
        samples_after_resampling = info.frames * SAMPLE_RATE / info.samplerate
        near_minimum = samples_after_resampling < min_seconds * SAMPLE_RATE + 2
        if info.subtype not in FLOAT_SUBTYPES and not near_minimum:
            return None
    return read_audio_problem(path, min_seconds)


def read_audio_problem(path: str | Path, min_seconds: float = MIN_SECONDS) -> str | None:
    try:
        read_audio(path, min_seconds=min_seconds)
    except AudioError as e:
        return e.reason
    return None


def is_silent(samples: np.ndarray) -> bool:
    """True when a clip carries no signal worth decoding (peak below SILENCE_PEAK)."""
    return samples.size == 0 or float(np.abs(samples).max()) < SILENCE_PEAK


_HASHES: dict[tuple[str, int, int], str] = {}
_HASH_LOCK = Lock()


def audio_hash(path: str | Path) -> str:
    """sha256 of the file's bytes (memoised per process on path, size and mtime).

    Caches key on content, not on path, so moving a corpus keeps its cache and an edited clip misses.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:
        raise AudioError(p, "audio file not found") from e
    memo = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _HASH_LOCK:
        if memo in _HASHES:
            return _HASHES[memo]
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _HASH_LOCK:
        _HASHES[memo] = digest
    return digest


class ClipReader(Protocol):
    """Where encoders and ASR engines get a clip's samples, and the content key their caches file them under.

    `FILE_AUDIO` reads the clip as it is on disk (key: the file's sha256); a degraded audio condition reads it
    through `benchmarks.audio.source.DegradedAudio` (key: the file's sha256, the condition and its noise source),
    so clean and degraded features or transcripts of one clip never share a cache entry."""

    name: str

    def key(self, utt: Any) -> str: ...

    def samples(self, utt: Any) -> np.ndarray: ...


class FileAudio:
    """The clips as they are on disk (the default reader)."""

    name = "clean"

    def key(self, utt: Any) -> str:
        return audio_hash(utt.audio)

    def samples(self, utt: Any) -> np.ndarray:
        return read_audio(utt.audio)


FILE_AUDIO = FileAudio()
