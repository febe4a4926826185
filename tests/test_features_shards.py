"""The sharded feature cache: concurrent writers stay consistent, torn index tails are ignored,
old per-entry files are read and migrated, descriptors stay at one per shard."""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np

from benchmarks.features.cache import FeatureCache, write_legacy_entry
from benchmarks.features.store import FeatureStore
from tests.support.corpora import write_tone
from tests.support.features import make_utt


def _value(key_i: int) -> np.ndarray:
    return np.full((3 + key_i % 5, 4), key_i, dtype=np.float16)


def _key(i: int) -> str:
    return f"{i:064x}"


def _writer(root: str, start: int, n: int) -> None:
    cache = FeatureCache(root, entries_per_shard=7)  # small shards: many roll-overs while others write
    for i in range(start, start + n):
        if cache.get(_key(i)) is None:
            cache.put(_key(i), _value(i), {"uid": str(i)})
    cache.flush()


def test_concurrent_writers_stay_consistent(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    # four writers with overlapping key ranges: the same key may be written twice; every copy is valid
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), s, 60)) for s in (0, 30, 60, 0)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    reader = FeatureCache(tmp_path)
    for i in range(120):
        arr, meta = reader.get(_key(i))
        assert np.array_equal(arr, _value(i)) and meta["uid"] == str(i)
    assert reader.stats.corrupt == 0
    assert len(dict(reader.entries())) == 120
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_torn_index_line_is_ignored_until_complete(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    cache.put(_key(1), _value(1))
    cache.flush()
    frag = next((cache.root / "index").glob("*.jsonl"))
    with open(frag, "a") as f:
        f.write('{"k":"' + _key(2) + '","o":0')  # a writer killed mid-append
    reader = FeatureCache(tmp_path)
    assert reader.get(_key(2)) is None and reader.stats.corrupt == 0
    assert np.array_equal(reader.get(_key(1))[0], _value(1))


def test_old_per_entry_files_are_read_and_migrated(tmp_path: Path) -> None:
    root = tmp_path / "features"
    for i in range(5):
        write_legacy_entry(root, _key(i), _value(i), {"uid": str(i)})
    cache = FeatureCache(tmp_path)
    arr, meta = cache.get(_key(0))  # lazily, on first use
    assert np.array_equal(arr, _value(0)) and meta["uid"] == "0"
    assert cache.stats.migrated == 1
    assert FeatureCache(tmp_path).migrate_legacy() == 4  # the rest, by command
    later = FeatureCache(tmp_path)
    for i in range(5):
        assert np.array_equal(later.get(_key(i))[0], _value(i))
    assert later.stats.migrated == 0  # all served from shards now
    assert len(list(root.glob("??/*.safetensors"))) == 5  # old files are left for the user to delete


def test_a_damaged_old_entry_counts_as_corrupt(tmp_path: Path) -> None:
    p = write_legacy_entry(tmp_path / "features", _key(9), _value(9))
    p.write_bytes(p.read_bytes()[:-3])
    cache = FeatureCache(tmp_path)
    assert cache.get(_key(9)) is None and cache.stats.corrupt == 1


def test_store_reads_a_cache_written_in_the_old_layout(tmp_path: Path) -> None:
    utts = [make_utt(f"t:{i}", write_tone(tmp_path / f"{i}.wav", 0.3 + 0.1 * i, freq=200 + 50 * i)) for i in range(2)]
    first = FeatureStore(tmp_path / "cache", text_encoder=None, progress=False)
    feats = {k: np.array(v) for k, v in first.speech(utts).items()}
    first.cache.flush()
    # rewrite the cache as the previous release left it: one safetensors file per entry, no shards
    entries = list(first.cache.entries())
    old = tmp_path / "old"
    for key, meta in entries:
        write_legacy_entry(old / "features", key, np.array(first.cache.get(key)[0]), meta)
    second = FeatureStore(old, text_encoder=None, progress=False)
    again = second.speech(utts)
    assert (second.computed, second.reused) == (0, 2)
    assert all(np.array_equal(feats[k], again[k]) for k in feats)


def test_descriptors_grow_with_shards_not_entries(tmp_path: Path) -> None:
    w = FeatureCache(tmp_path, entries_per_shard=100)
    for i in range(300):
        w.put(_key(i), _value(i))
    w.flush()
    r = FeatureCache(tmp_path)
    before = len(os.listdir("/proc/self/fd"))
    held = [r.get(_key(i))[0] for i in range(300)]
    assert r.open_maps() == 3
    assert len(os.listdir("/proc/self/fd")) - before <= 3
    assert all(int(a[0, 0]) == i for i, a in enumerate(held))


def _read_in_child(root: str, n: int, q) -> None:  # noqa: ANN001
    cache = FeatureCache(root)
    q.put(all(np.array_equal(cache.get(_key(i))[0], _value(i)) for i in range(n)))


def test_entries_are_visible_to_other_processes_before_the_shard_is_sealed(tmp_path: Path) -> None:
    """The local pool's workers read what the parent just prepared, while the parent's shard is still open."""
    writer = FeatureCache(tmp_path)
    for i in range(20):
        writer.put(_key(i), _value(i))
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_read_in_child, args=(str(tmp_path), 20, q))
    p.start()
    assert q.get(timeout=120) is True
    p.join(timeout=60)
    writer.flush()
