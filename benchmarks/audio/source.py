"""`DegradedAudio`: the clip reader of a degraded split, for the feature store and the ASR engines.

A run under an audio condition reads its degraded splits (the test split by default, every split with
`audio_splits = "all"`) through this reader: samples are the clip degraded deterministically (`degrade.py`,
cached on disk by `DegradeCache`), and the cache key of every feature or transcript made from them names the
clip's content, the condition and the noise source (the babble pool's or the noise folder's content hash).
So clean and degraded features of one clip never share an entry, and a transcript under an audio condition is a
real recogniser's output on that audio.

Babble is made of other speakers' clips of the same corpus: the TRAINING split of the run's fold (never a
validation or test speaker; `babble_pool` refuses them by speaker), without the clip being degraded itself.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchmarks.audio.degrade import DegradeCache, source_hash
from benchmarks.audio.noise import BabblePool, NoiseFolder, babble_pool, load_noise_folder
from dataset_adapters.audio import audio_hash, read_audio
from lemer.core.audio_condition import AudioCondition


class DegradedAudio:
    """Clips under `condition`, degraded through `cache`; `pool`: the babble pool (babble only), `noise`: the
    folder of noise files (folder noise only)."""

    def __init__(self, condition: AudioCondition, cache: DegradeCache, pool: BabblePool | None = None,
                 noise: NoiseFolder | None = None) -> None:
        self.condition = condition
        self.cache = cache
        self.pool = pool
        self.noise = noise
        self.source = source_hash(condition, pool, noise)
        self.name = condition.key

    def key(self, utt: Any) -> str:
        """A sha256 naming the clip's content, the condition and the noise source (a cache key part)."""
        return hashlib.sha256(f"{audio_hash(utt.audio)}|{self.condition.key}|{self.source}".encode()).hexdigest()

    def samples(self, utt: Any) -> np.ndarray:
        clean = read_audio(utt.audio)
        out, _ = self.cache.degrade(clean, self.condition, clip_id=utt.uid, audio_hash=audio_hash(utt.audio),
                                    babble_pool=self.pool, noise_files=self.noise)
        return out


def reader_for(condition: AudioCondition, cache_dir: str | Path, train: Sequence[Any],
               exclude_speakers: Sequence[str]) -> DegradedAudio:
    """The reader of a run's degraded splits: babble from `train` (the fold's training utterances) minus every
    speaker in `exclude_speakers` (the fold's validation and test speakers), noise files from the condition's
    folder; clips degraded into `<cache_dir>/degraded`."""
    pool = None
    if condition.noise == "babble":
        pool = babble_pool([(u.uid, u.speaker or u.uid, u.audio) for u in train], exclude_speakers)
    noise = load_noise_folder(condition.noise_folder) if condition.noise_folder is not None else None
    return DegradedAudio(condition, DegradeCache(Path(cache_dir) / "degraded"), pool, noise)
