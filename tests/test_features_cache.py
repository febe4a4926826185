from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pytest

from benchmarks.features.cache import FeatureCache, cache_root
from benchmarks.features.store import FeatureStore
from tests.support.corpora import write_tone
from tests.support.features import make_utt


def test_roundtrip_is_a_readonly_view_of_one_map_per_shard(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    a = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float16)
    cache.put("ab" * 32, a, {"uid": "x"})
    cache.put("ac" * 32, a * 2, {"uid": "y"})
    got, meta = cache.get("ab" * 32)
    assert _backing(got) is not None  # a view over the shard's map, not a copy
    assert not got.flags.writeable
    assert np.array_equal(got, a) and meta["uid"] == "x"
    assert np.array_equal(cache.get("ac" * 32)[0], a * 2)
    assert cache.open_maps() == 1  # two entries, one shard, one map
    assert cache.path("ab" * 32).suffix == ".bin"
    assert not list(cache.root.rglob("*.tmp"))


def _backing(arr: np.ndarray) -> mmap.mmap | None:
    base = arr
    while isinstance(base, np.ndarray):
        base = base.base
    obj = base.obj if isinstance(base, memoryview) else base
    return obj if isinstance(obj, mmap.mmap) else None


@pytest.mark.parametrize("damage", ["truncate", "flip", "index"])
def test_corruption_is_detected(tmp_path: Path, damage: str) -> None:
    writer = FeatureCache(tmp_path)
    key = "cd" * 32
    writer.put(key, np.arange(40, dtype=np.float32).reshape(8, 5))
    writer.put("ce" * 32, np.ones(3, dtype=np.float32))
    writer.flush()
    shard = writer.path(key)
    if damage == "truncate":
        shard.write_bytes(shard.read_bytes()[:50])
    elif damage == "flip":
        raw = bytearray(shard.read_bytes())
        raw[3] ^= 0xFF
        shard.write_bytes(bytes(raw))
    else:  # an index line pointing past the shard's end must be refused, never read (SIGBUS)
        frag = next((writer.root / "index").glob("*.jsonl"))
        frag.write_text(frag.read_text().replace('"o":0,', '"o":4096,', 1))
    reader = FeatureCache(tmp_path)
    assert reader.get(key) is None
    assert reader.stats.corrupt == 1
    if damage != "truncate":
        assert np.array_equal(reader.get("ce" * 32)[0], np.ones(3))  # the shard's other entries stay usable
    reader.put(key, np.zeros((8, 5), dtype=np.float32))  # recomputed into the reader's own shard
    assert np.array_equal(reader.get(key)[0], np.zeros((8, 5)))
    assert np.array_equal(FeatureCache(tmp_path).get(key)[0], np.zeros((8, 5)))  # and found by later readers


def test_cache_location_follows_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEMER_CACHE", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    monkeypatch.delenv("LEMER_CACHE")
    assert cache_root().name == "lemer-bench"


def test_store_reuses_then_recomputes_a_corrupted_entry(tmp_path: Path) -> None:
    utts = [make_utt(f"t:{i}", write_tone(tmp_path / f"{i}.wav", 0.3 + 0.1 * i, freq=200 + 50 * i)) for i in range(3)]
    first = FeatureStore(tmp_path / "cache", text_encoder=None, progress=False)
    feats = {k: np.array(v) for k, v in first.speech(utts).items()}
    assert (first.computed, first.reused) == (3, 0)
    second = FeatureStore(tmp_path / "cache", text_encoder=None, progress=False)
    again = second.speech(utts)
    assert (second.computed, second.reused) == (0, 3)
    assert all(np.array_equal(feats[k], again[k]) for k in feats)
    first.cache.flush()
    victim = next((tmp_path / "cache" / "features" / "shards").glob("*.bin"))
    victim.write_bytes(victim.read_bytes()[:-100])  # damages the last entry written
    third = FeatureStore(tmp_path / "cache", text_encoder=None, progress=False)
    third.speech(utts)
    assert (third.computed, third.reused, third.corrupt) == (1, 2, 1)
