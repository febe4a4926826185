"""Per-clip acoustic statistics (`mfcc-stats`, what `acoustic-lr` reads): MFCCs and their deltas with numpy/scipy.

Spec (`spec.py`): `mfcc-stats` or `mfcc-stats:n_mfcc=20,n_mels=40`. Why not librosa: a 20-line numpy mel
filterbank does the job, keeps the dependency list short and computes ~1000 clips in seconds. The feature store
caches the vectors by clip content like every other feature.
"""
from __future__ import annotations

import json
from dataclasses import astuple, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

import numpy as np
import scipy.fft
from threadpoolctl import threadpool_limits

from benchmarks.features.contract import ClipEncoder
from dataset_adapters.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from benchmarks.features.spec import EncoderSpec

PERCENTILES = (10.0, 50.0, 90.0)


@dataclass(frozen=True)
class MfccConfig:
    """25 ms Hann windows every 10 ms, 40 mel bands (20 Hz-8 kHz), 20 cepstra incl. c0 (log energy)."""

    n_fft: int = 512
    win: int = 400
    hop: int = 160
    n_mels: int = 40
    n_mfcc: int = 20
    fmin: float = 20.0
    fmax: float = 8000.0
    preemphasis: float = 0.97
    delta_width: int = 2


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def mel_filterbank(n_mels: int, n_fft: int, sr: int, fmin: float, fmax: float) -> np.ndarray:
    """Triangular HTK-mel filters, (n_mels, n_fft // 2 + 1), each with unit peak."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(fmin)), _hz_to_mel(np.array(fmax)), n_mels + 2))
    freqs = np.linspace(0.0, sr / 2, n_fft // 2 + 1)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lower) / (centre - lower)
    falling = (upper - freqs[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel_frames(audio: np.ndarray, cfg: MfccConfig = MfccConfig()) -> np.ndarray:
    """(n_frames, n_mels) log mel energies; a clip shorter than one window is zero-padded to one."""
    x = np.append(audio[:1], audio[1:] - cfg.preemphasis * audio[:-1]).astype(np.float64)
    if len(x) < cfg.win:
        x = np.pad(x, (0, cfg.win - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, cfg.win)[:: cfg.hop] * np.hanning(cfg.win)
    power = np.abs(np.fft.rfft(frames, n=cfg.n_fft, axis=1)) ** 2
    fb = mel_filterbank(cfg.n_mels, cfg.n_fft, SAMPLE_RATE, cfg.fmin, cfg.fmax)
    return np.log(power @ fb.T + 1e-10)


def mfcc_frames(audio: np.ndarray, cfg: MfccConfig = MfccConfig()) -> np.ndarray:
    """(n_frames, n_mfcc) cepstra (DCT-II, orthonormal) of the log mel energies."""
    return scipy.fft.dct(log_mel_frames(audio, cfg), type=2, norm="ortho", axis=1)[:, : cfg.n_mfcc]


def deltas(x: np.ndarray, width: int) -> np.ndarray:
    """Regression deltas over +-width frames, edges repeated."""
    padded = np.pad(x, ((width, width), (0, 0)), mode="edge")
    n = len(x)
    num = sum(k * (padded[width + k : width + k + n] - padded[width - k : width - k + n]) for k in range(1, width + 1))
    return num / (2 * sum(k * k for k in range(1, width + 1)))


def clip_statistics(audio: np.ndarray, cfg: MfccConfig = MfccConfig()) -> np.ndarray:
    """Mean, std and percentiles of MFCC+delta frames, plus log duration: one fixed-size vector per clip."""
    m = mfcc_frames(audio, cfg)
    frames = np.concatenate([m, deltas(m, cfg.delta_width)], axis=1)
    stats = [frames.mean(0), frames.std(0), *np.percentile(frames, PERCENTILES, axis=0)]
    duration = np.array([np.log(len(audio) / SAMPLE_RATE + 1e-3)])
    return np.concatenate([*stats, duration]).astype(np.float32)


def feature_dim(cfg: MfccConfig = MfccConfig()) -> int:
    return 2 * cfg.n_mfcc * (2 + len(PERCENTILES)) + 1


class MfccStatsEncoder(ClipEncoder):
    """`clip_statistics` of each clip with BLAS held to one thread.

    The per-frame matrices are tiny: a multi-threaded BLAS spins on them and, on a busy machine, made the mel
    projection 30x slower (8 ms instead of 0.25 ms per clip, measured); one thread also fixes the summation
    order, so a vector never depends on the machine's core count."""

    def __init__(self, cfg: MfccConfig = MfccConfig()) -> None:
        self.cfg = cfg
        self.name = f"mfcc-stats:n_mfcc={cfg.n_mfcc},n_mels={cfg.n_mels}"

    @property
    def identity(self) -> dict[str, str]:
        return {"encoder": "mfcc-statistics", "config": json.dumps(astuple(self.cfg))}

    def vector(self, samples: np.ndarray) -> np.ndarray:
        return clip_statistics(samples, self.cfg)

    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        with threadpool_limits(limits=1, user_api="blas"):
            return [self.vector(s) for s in batch]

    @classmethod
    def from_spec(cls, spec: "EncoderSpec", device: str = "cpu") -> "MfccStatsEncoder":
        return cls(MfccConfig(**dict(spec.options)))

    @staticmethod
    def weight_sources(spec: "EncoderSpec") -> list[str]:
        return []
