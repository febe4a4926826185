"""The LR baselines' per-clip vectors: computed once per content, reused from disk by other processes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines import clip_cache


@pytest.fixture()
def clip(tmp_path: Path) -> str:
    path = tmp_path / "a.wav"
    sf.write(path, np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32), 16000)
    return str(path)


@pytest.fixture(autouse=True)
def fresh():
    clip_cache.clear_cache()
    yield
    clip_cache.clear_cache()
    clip_cache.use_disk(None)


def test_disk_copy_is_reused_and_a_damaged_one_recomputed(tmp_path: Path, clip: str) -> None:
    calls: list[str] = []

    def compute(p: str) -> np.ndarray:
        calls.append(p)
        return np.arange(3, dtype=np.float32) + len(calls)

    clip_cache.use_disk(tmp_path / "cache")
    first = clip_cache.cached_clip_features(clip, ("k", 1), compute)
    clip_cache.clear_cache()  # another process: nothing in memory
    again = clip_cache.cached_clip_features(clip, ("k", 1), compute)
    assert len(calls) == 1 and np.array_equal(first, again) and not again.flags.writeable
    other_key = clip_cache.cached_clip_features(clip, ("k", 2), compute)
    assert len(calls) == 2 and not np.array_equal(other_key, first)
    for f in (tmp_path / "cache").rglob("*.npy"):
        f.write_bytes(b"torn")
    clip_cache.clear_cache()
    redone = clip_cache.cached_clip_features(clip, ("k", 1), compute)
    assert len(calls) == 3 and np.array_equal(redone, np.arange(3) + 3)
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_memory_only_without_a_directory_and_an_unwritable_one_costs_only_reuse(tmp_path: Path, clip: str) -> None:
    clip_cache.use_disk(None)
    clip_cache.cached_clip_features(clip, "k", lambda p: np.ones(2))
    assert not list(tmp_path.rglob("*.npy"))
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    clip_cache.use_disk(blocker / "cache")
    clip_cache.clear_cache()
    assert np.array_equal(clip_cache.cached_clip_features(clip, "k", lambda p: np.zeros(2)), np.zeros(2))
