"""Generated harmonic tones for the eGeMAPS tests: real voiced-like signals openSMILE measures pitch on."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from lemer.interface import Example

SR = 16000


def harmonic(f0: float, seconds: float, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """A harmonic complex (1/k amplitudes up to 4 kHz) with slight vibrato, a random level and a little noise."""
    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, int(4000 // f0) + 1))
    x = x / np.abs(x).max() * float(rng.uniform(0.2, 0.5))
    return (x + 0.005 * rng.normal(size=t.shape)).astype(np.float32)


def pitch_examples(root: Path, n: int, seed: int, *, labelled: bool = True) -> tuple[list[Example], list[str]]:
    """Two classes that differ only in F0: "low" ~120 Hz and "high" ~220 Hz (+-5 %), random level and length."""
    rng = np.random.default_rng(seed)
    out, gold = [], []
    for i in range(n):
        label = ("low", "high")[i % 2]
        f0 = (120.0 if label == "low" else 220.0) * float(rng.uniform(0.95, 1.05))
        path = root / f"p{seed}_{i}.wav"
        sf.write(path, harmonic(f0, float(rng.uniform(0.4, 0.8)), rng), SR)
        out.append(Example(uid=f"p{seed}_{i}", label=label if labelled else None, text="", audio=str(path)))
        gold.append(label)
    return out, gold
