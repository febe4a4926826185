"""Per-clip feature vectors of the LR baselines, keyed by the clip's content: memoised in the process and,
when the harness names a directory, kept on disk so other worker processes and later runs reuse them."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Hashable

import numpy as np

from dataset_adapters.audio import AudioError, audio_hash

_CACHE: dict[tuple[str, Hashable], np.ndarray] = {}
_DISK: list[Path] = []  # at most one directory; set by use_disk


def use_disk(directory: str | os.PathLike[str] | None) -> None:
    """Keep computed vectors under `directory` (None: memory only). The harness calls this once per run.

    Why: `egemaps-lr` spends ~0.3 s of openSMILE per clip, and each of the run pool's worker processes
    used to analyse every clip of a corpus again (~490 of the demo's ~1700 CPU-seconds)."""
    _DISK.clear()
    if directory is not None:
        _DISK.append(Path(directory))


def _disk_path(digest: str, feature_key: Hashable) -> Path | None:
    if not _DISK:
        return None
    key = hashlib.sha256(repr(feature_key).encode()).hexdigest()[:16]
    return _DISK[0] / key / f"{digest}.npy"


def _load(path: Path) -> np.ndarray | None:
    """The stored vector, or None when absent or unreadable (a torn or foreign file is recomputed and replaced)."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None


def _store(path: Path, feats: np.ndarray) -> None:
    """Atomic write (temp file + rename), so a reader never sees half a vector; a full disk only costs the reuse."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, feats, allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # the value is correct in memory; only its reuse by other processes is lost


def cached_clip_features(path: str, feature_key: Hashable, compute: Callable[[str], np.ndarray]) -> np.ndarray:
    """`compute(path)`, memoised by the file's content (sha256) and `feature_key` (its repr keys the disk copy).

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
        disk = _disk_path(digest, feature_key)
        feats = _load(disk) if disk is not None else None
        if feats is None:
            feats = np.asarray(compute(path))
            if disk is not None:
                _store(disk, feats)
        feats.setflags(write=False)
        _CACHE[key] = feats
    return feats


def clear_cache() -> None:
    _CACHE.clear()
