from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from benchmarks.features.cache import FeatureCache, cache_root
from benchmarks.features.store import FeatureStore
from tests.helpers_features import make_utt, write_tone


def test_roundtrip_is_a_readonly_memmap_in_safetensors_format(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    a = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float16)
    cache.put("ab" * 32, a, {"uid": "x"})
    got, meta = cache.get("ab" * 32)
    assert isinstance(got, np.memmap) and not got.flags.writeable
    assert np.array_equal(got, a) and meta["uid"] == "x"
    assert np.array_equal(load_file(str(cache.path("ab" * 32)))["features"], a)  # readable by safetensors itself
    assert not list(cache.root.rglob("*.tmp"))


@pytest.mark.parametrize("damage", ["truncate", "flip", "header"])
def test_corruption_is_detected(tmp_path: Path, damage: str) -> None:
    cache = FeatureCache(tmp_path)
    key = "cd" * 32
    cache.put(key, np.arange(40, dtype=np.float32).reshape(8, 5))
    p = cache.path(key)
    raw = bytearray(p.read_bytes())
    if damage == "truncate":
        raw = raw[:-7]
    elif damage == "flip":
        raw[-3] ^= 0xFF
    else:
        raw[10:20] = b"@" * 10
    p.write_bytes(bytes(raw))
    assert cache.get(key) is None
    assert cache.stats.corrupt == 1 and not p.exists()


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
    victim = next((tmp_path / "cache" / "features").rglob("*.safetensors"))
    victim.write_bytes(victim.read_bytes()[:-100])
    third = FeatureStore(tmp_path / "cache", text_encoder=None, progress=False)
    third.speech(utts)
    assert (third.computed, third.reused, third.corrupt) == (1, 2, 1)
