"""The one encoder contract of the features package, for frame-level and clip-level audio features.

An `AudioEncoder` turns 16 kHz float32 clips into features: `(n_frames, d)` per clip for frame encoders
(Whisper, wav2vec2-family models, openSMILE descriptors; what the neural models attend over), `(d,)` per clip
for clip encoders (eGeMAPS functionals, MFCC statistics; what the logistic-regression baselines read). The
feature store (`store.py`) caches both kinds the same way: keyed by `identity` (what decides the numbers:
weights hash, layer, configuration, library versions) and the clip's content, and batched by `bucket` (clips
with equal buckets can share a batch without changing each other's features, so a cache entry never depends
on its batch). Families are registered by spec grammar in `spec.py`; the text encoder (`text.py`) reads
token ids instead of audio and has its own small interface there.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Literal, Sequence

import numpy as np

Level = Literal["frames", "clip"]


class AudioEncoder(ABC):
    """One audio encoder: an identity for cache keys, a batching key, and a batch encode."""

    name: str
    level: ClassVar[Level] = "frames"
    batch_size: int = 16
    store_dtype: ClassVar[str | None] = None  # None: the store's (float16 by default); clip vectors keep float32

    @property
    @abstractmethod
    def identity(self) -> dict[str, str]: ...

    def bucket(self, samples: np.ndarray) -> int:
        """Clips with equal buckets can share a batch without changing each other's features (default: any)."""
        return 0

    @abstractmethod
    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Features of each clip of a batch of equal buckets: (n_frames, d) float32, or (d,) for clip encoders."""


class ClipEncoder(AudioEncoder):
    """A clip-level encoder: one fixed-size float32 vector per clip, computed clip by clip."""

    level: ClassVar[Level] = "clip"
    batch_size = 64
    store_dtype: ClassVar[str | None] = "float32"  # the LR baselines standardise these: no float16 rounding

    @abstractmethod
    def vector(self, samples: np.ndarray) -> np.ndarray:
        """(d,) float32 for one clip."""

    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(self.vector(s), dtype=np.float32) for s in batch]
