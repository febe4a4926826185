"""Feature cache write and read cost: the old one-file-per-entry layout vs the sharded cache (2,000 entries).

Entries are fp16 (16 x 384) arrays; `read` gets every entry in a fresh cache object and keeps it held, as a
grid does. The 100k-entry case (descriptors, RSS, files on disk) is `benchmarks/perf/cache_scale.py`.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

N = 2000


@pytest.fixture(scope="module")
def arrays() -> list:
    from benchmarks.perf.cache_scale import _array, _key

    return [(_key(i), _array(i, 16, 384)) for i in range(N)]


def _write(layout: str, root: Path, arrays: list) -> None:
    """Every entry of `arrays` into a cache at `root` in the `old` (one file each) or `sharded` layout."""
    from benchmarks.features.cache import FeatureCache, write_legacy_entry

    if layout == "old":
        for key, a in arrays:
            write_legacy_entry(root / "features", key, a)
    else:
        cache = FeatureCache(root)
        for key, a in arrays:
            cache.put(key, a)
        cache.flush()


@pytest.mark.parametrize("layout", ["old", "sharded"])
def test_cache_write(benchmark, arrays: list, tmp_path: Path, layout: str) -> None:  # noqa: ANN001
    def write() -> None:
        _write(layout, tmp_path, arrays)

    benchmark.pedantic(write, setup=lambda: shutil.rmtree(tmp_path / "features", ignore_errors=True), rounds=2,
                       iterations=1)


@pytest.mark.parametrize("layout", ["old", "sharded"])
def test_cache_read_all_held(benchmark, arrays: list, tmp_path: Path, layout: str) -> None:  # noqa: ANN001
    from benchmarks.features.cache import FeatureCache
    from benchmarks.perf.cache_scale import _old_get

    _write(layout, tmp_path, arrays)

    def read() -> int:
        cache = FeatureCache(tmp_path)
        get = (lambda k: _old_get(tmp_path / "features", k)) if layout == "old" else (lambda k: cache.get(k)[0])
        held = [get(key) for key, _ in arrays]
        return len(held)

    assert benchmark.pedantic(read, rounds=3, iterations=1) == N
