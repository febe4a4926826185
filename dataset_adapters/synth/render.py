"""From a planned clip to a 16 kHz mono 16-bit WAV: synthesis, resampling, level, room noise.

Why a separate step: each layout first plans every clip (labels, words, prosody, all drawn from
seeded generators), then renders them in plan order, then writes its label files from the
measured durations. A clip is a sequence of phrases, each synthesised with its own prosody (so an
emotion can sit on one phrase only); the renderer reports where each phrase landed in the audio. Planning is cheap and testable without audio (e.g. the `full` scale's counts).
"""
from __future__ import annotations

import io
import os
import sys
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
class Phrase:
    """One separately synthesised stretch of a clip: its words and its prosody."""

    spoken: str
    prosody: Prosody


@dataclass(frozen=True)
class ClipSpec:
    """Everything needed to render one clip: its phrases in order (transcript words without tags)."""

    path: str  # relative to the corpus root, '/'-separated
    phrases: tuple[Phrase, ...]
    seed: int
    gain: float = 1.0
    noise_dbfs: float = -55.0

    @property
    def spoken(self) -> str:
        return " ".join(p.spoken for p in self.phrases)


@dataclass(frozen=True)
class Rendered:
    """A rendered clip: its length and where each phrase's speech lies (seconds from the clip's start)."""

    duration: float
    spans: tuple[tuple[float, float], ...]


# Pause between two phrases of one clip (seconds), drawn per gap.
PHRASE_GAP = (0.12, 0.32)
_TRIM_MARGIN = int(0.015 * SAMPLE_RATE)


def _trim(x: np.ndarray) -> np.ndarray:
    """`x` without leading/trailing silence (below 0.5% of its peak), keeping 15 ms either side."""
    loud = np.flatnonzero(np.abs(x) > 0.005 * float(np.abs(x).max()))
    if loud.size == 0:
        return x
    return x[max(int(loud[0]) - _TRIM_MARGIN, 0): int(loud[-1]) + 1 + _TRIM_MARGIN]


class Renderer:
    """Renders ClipSpecs through one forking espeak helper (deterministic, see espeak.py)."""

    def __init__(self) -> None:
        self._synth = ForkingSynthesizer()

    def render(self, clip: ClipSpec) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """(int16 samples at 16 kHz, per-phrase (start, end) sample offsets).

        Each phrase is synthesised on its own with its own prosody, trimmed, and joined with a
        short pause; then comes a short leading/trailing silence, the clip's level and faint noise.
        """
        rng = np.random.default_rng(clip.seed)
        lead = np.zeros(int(rng.uniform(0.05, 0.15) * SAMPLE_RATE), dtype=np.float32)
        parts: list[np.ndarray] = [lead]
        spans: list[tuple[int, int]] = []
        pos = lead.size
        for i, phrase in enumerate(clip.phrases):
            raw, rate = self._synth.synth(phrase.spoken, phrase.prosody, stable_seed(clip.seed, i))
            if raw.size == 0:
                raise RuntimeError(f"espeak produced no audio for {clip.path} ({phrase.spoken!r})")
            x = _trim(soxr.resample(raw.astype(np.float32) / 32768.0, rate, SAMPLE_RATE, quality="HQ"))
            if i:
                gap = np.zeros(int(rng.uniform(*PHRASE_GAP) * SAMPLE_RATE), dtype=np.float32)
                parts.append(gap)
                pos += gap.size
            parts.append(x.astype(np.float32) * clip.gain)
            spans.append((pos, pos + x.size))
            pos += x.size
        parts.append(np.zeros(int(rng.uniform(0.05, 0.15) * SAMPLE_RATE), dtype=np.float32))
        x = np.concatenate(parts)
        x += rng.normal(0.0, 10 ** (clip.noise_dbfs / 20), size=x.shape).astype(np.float32)
        return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16), spans

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


def render_all(root: Path, clips: list[ClipSpec], renderer: Renderer, progress: bool, desc: str) -> dict[str, Rendered]:
    """Render and write every clip in order; returns path -> duration and phrase spans in seconds."""
    durations: dict[str, Rendered] = {}
    it: object = clips
    if progress and sys.stderr.isatty():  # bars only on a terminal: no cursor escapes in logs
        from tqdm import tqdm

        it = tqdm(clips, desc=desc, unit="clip", leave=False, file=sys.stderr)
    for clip in it:  # type: ignore[attr-defined]
        samples, spans = renderer.render(clip)
        write_file(root, clip.path, wav_bytes(samples))
        durations[clip.path] = Rendered(samples.size / SAMPLE_RATE,
                                        tuple((a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in spans))
    return durations


def tree_bytes(root: Path) -> int:
    """Total size of the files under `root`."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(root) for f in files)
