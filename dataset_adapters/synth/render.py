"""From a planned clip to a 16 kHz mono 16-bit WAV: synthesis, resampling, level, room noise.

Why a separate step: each layout first plans every clip (labels, words, prosody, all drawn from
seeded generators), then renders them in plan order, then writes its label files from the
measured durations. Planning is cheap and testable without audio (e.g. the `full` scale's counts).
"""
from __future__ import annotations

import io
import os
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from dataset_adapters.synth.espeak import ForkingSynthesizer, Prosody

SAMPLE_RATE = 16_000


def stable_seed(*parts: object) -> int:
    """A 31-bit seed from the parts' text: identical across runs and Python versions (unlike hash())."""
    return zlib.crc32(":".join(map(str, parts)).encode()) & 0x7FFFFFFF


@dataclass(frozen=True)
class ClipSpec:
    """Everything needed to render one clip; `spoken` is the transcript without tags."""

    path: str  # relative to the corpus root, '/'-separated
    spoken: str
    prosody: Prosody
    seed: int
    gain: float = 1.0
    noise_dbfs: float = -55.0


class Renderer:
    """Renders ClipSpecs through one forking espeak helper (deterministic, see espeak.py)."""

    def __init__(self) -> None:
        self._synth = ForkingSynthesizer()

    def render(self, clip: ClipSpec) -> np.ndarray:
        """int16 samples at 16 kHz: short leading silence, speech at the clip's level, faint noise."""
        raw, rate = self._synth.synth(clip.spoken, clip.prosody, clip.seed)
        if raw.size == 0:
            raise RuntimeError(f"espeak produced no audio for {clip.path} ({clip.spoken!r})")
        x = soxr.resample(raw.astype(np.float32) / 32768.0, rate, SAMPLE_RATE, quality="HQ")
        rng = np.random.default_rng(clip.seed)
        lead = np.zeros(int(rng.uniform(0.05, 0.15) * SAMPLE_RATE), dtype=np.float32)
        tail = np.zeros(int(rng.uniform(0.05, 0.15) * SAMPLE_RATE), dtype=np.float32)
        x = np.concatenate([lead, x.astype(np.float32) * clip.gain, tail])
        x += rng.normal(0.0, 10 ** (clip.noise_dbfs / 20), size=x.shape).astype(np.float32)
        return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)

    def close(self) -> None:
        self._synth.close()

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wav_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """A canonical RIFF/WAVE PCM-16 mono file (no timestamps or extra chunks: byte-identical per input)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2", copy=False).tobytes())
    return buf.getvalue()


def write_file(root: Path, rel: str, data: bytes | str) -> Path:
    """Write `root/rel`, creating folders (the whole tree is moved into place at the end, so no temp here)."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with open(path, "wb") as f:
        f.write(payload)
    return path


def render_all(root: Path, clips: list[ClipSpec], renderer: Renderer, progress: bool, desc: str) -> dict[str, float]:
    """Render and write every clip in order; returns path -> duration in seconds."""
    durations: dict[str, float] = {}
    it: object = clips
    if progress:
        from tqdm import tqdm

        it = tqdm(clips, desc=desc, unit="clip", leave=False)
    for clip in it:  # type: ignore[attr-defined]
        samples = renderer.render(clip)
        write_file(root, clip.path, wav_bytes(samples))
        durations[clip.path] = samples.size / SAMPLE_RATE
    return durations


def tree_bytes(root: Path) -> int:
    """Total size of the files under `root`."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)
