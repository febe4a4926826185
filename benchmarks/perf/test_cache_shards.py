"""Feature cache write and read cost: the sharded cache against the one-file-per-entry layout it replaced.

2,000 fp16 (16 x 384) entries. `write` fills an empty cache; `read` gets every entry through a fresh cache
object and keeps it held, as a grid does. The old layout is still read (lazy migration of old caches), so the
comparison is with code that exists. The 100k-entry case (descriptors, RSS, files on disk) is
`python -m benchmarks.tools.cache_scale`.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.features.cache import FeatureCache, write_legacy_entry
from benchmarks.tools.cache_scale import entry_array, entry_key, legacy_get

N = 2000
LAYOUTS = ["old", "sharded"]


@pytest.fixture(scope="module")
def arrays() -> list[tuple[str, np.ndarray]]:
    return [(entry_key(i), entry_array(i, 16, 384)) for i in range(N)]


def _write(layout: str, root: Path, arrays: list[tuple[str, np.ndarray]]) -> None:
    """Every entry of `arrays` into a cache at `root` in the `old` (one file each) or `sharded` layout."""
    if layout == "old":
        for key, a in arrays:
            write_legacy_entry(root / "features", key, a)
    else:
        cache = FeatureCache(root)
        for key, a in arrays:
            cache.put(key, a)
        cache.flush()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cache_write(benchmark, arrays: list, tmp_path: Path, layout: str) -> None:  # noqa: ANN001
    benchmark.pedantic(lambda: _write(layout, tmp_path, arrays),
                       setup=lambda: shutil.rmtree(tmp_path / "features", ignore_errors=True), rounds=2, iterations=1)
    key, a = arrays[-1]
    got = legacy_get(tmp_path / "features", key) if layout == "old" else FeatureCache(tmp_path).get(key)[0]
    assert np.array_equal(got, a)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cache_read_all_held(benchmark, arrays: list, tmp_path: Path, layout: str) -> None:  # noqa: ANN001
    _write(layout, tmp_path, arrays)

    def read() -> list[np.ndarray]:
        cache = FeatureCache(tmp_path)
        if layout == "old":
            return [legacy_get(tmp_path / "features", key) for key, _ in arrays]
        return [cache.get(key)[0] for key, _ in arrays]

    held = benchmark.pedantic(read, rounds=3, iterations=1)
    assert len(held) == N and all(np.array_equal(h, a) for h, (_, a) in zip(held[::97], arrays[::97]))
