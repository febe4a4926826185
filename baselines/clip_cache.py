"""A per-process memo of per-clip feature vectors, keyed by the clip's content (the LR baselines' cache)."""
from __future__ import annotations

from typing import Callable, Hashable

import numpy as np

from dataset_adapters.audio import AudioError, audio_hash

_CACHE: dict[tuple[str, Hashable], np.ndarray] = {}


def cached_clip_features(path: str, feature_key: Hashable, compute: Callable[[str], np.ndarray]) -> np.ndarray:
    """`compute(path)`, memoised in this process by the file's content (sha256) and `feature_key`.

    A baseline is fitted dozens of times over the same folds; each clip is analysed once. Keys are the
    content hash (memoised on path, size and mtime by `audio_hash`), so an edited clip is recomputed
    and a copied one is not. The returned array is read-only: it is shared between callers.
    """
    try:
        digest = audio_hash(path)
    except AudioError:
        raise FileNotFoundError(f"audio file not found: {path}") from None
    key = (digest, feature_key)
    feats = _CACHE.get(key)
    if feats is None:
        feats = np.asarray(compute(path))
        feats.setflags(write=False)
        _CACHE[key] = feats
    return feats


def clear_cache() -> None:
    _CACHE.clear()
