"""eGeMAPS extraction speed (openSMILE), on the same synthetic espeak clips as the other speech benchmarks.

- `test_egemaps_functionals`: `egemaps-lr`'s per-clip path (decode + 88 functionals), per-process cache
  emptied each round;
- `test_egemaps_frames`: the `opensmile:egemaps` frame encoder through `FeatureStore.speech` (decode,
  25 descriptors per 10 ms, fp16 entries written), into a new empty cache each round;
- `test_ipu_frames[1|2]`: the demo's `opensmile:egemaps-ipu` encoder the same way, on 1 process or spread over
  2 (`LEMER_THREADS`; the pool is started before the timed rounds).

Run: `python -m pytest benchmarks/perf/test_egemaps_features.py --benchmark-only` (clips/s = N_CLIPS of conftest.py / mean).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

def test_egemaps_functionals(benchmark, clips) -> None:  # noqa: ANN001
    from baselines import clip_cache
    from baselines.egemaps_features import N_FUNCTIONALS, clip_functionals

    clip_functionals(clips[0].audio)  # build the openSMILE extractor outside the timed rounds

    def extract() -> list:
        return [clip_functionals(u.audio) for u in clips]

    out = benchmark.pedantic(extract, setup=clip_cache.clear_cache, rounds=3, iterations=1)
    assert len(out) == len(clips) and out[0].shape == (N_FUNCTIONALS,)
    benchmark.extra_info["clips_per_s"] = round(len(clips) / benchmark.stats.stats.mean, 2)


def _fresh_store_speech(tmp_path: Path, spec: str, clips: list) -> Callable[[], dict]:
    """A callable encoding `clips` into a NEW empty cache each call (a store that has seen an entry keeps it
    in its in-memory index, so emptying the folder between rounds would time cache hits)."""
    from benchmarks.features.store import FeatureStore

    rounds = iter(range(1000))

    def run() -> dict:
        root = tmp_path / f"cache{next(rounds)}"
        return FeatureStore(root, text_encoder=None, speech_encoder=spec, progress=False).speech(clips)

    return run


def test_egemaps_frames(benchmark, clips, tmp_path: Path) -> None:  # noqa: ANN001
    _fresh_store_speech(tmp_path / "warm", "opensmile:egemaps", clips[:1])()  # openSMILE built outside the timing
    out = benchmark.pedantic(_fresh_store_speech(tmp_path, "opensmile:egemaps", clips), rounds=3, iterations=1)
    assert len(out) == len(clips) and all(a.shape[1] == 25 for a in out.values())
    benchmark.extra_info["clips_per_s"] = round(len(clips) / benchmark.stats.stats.mean, 2)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_ipu_frames(benchmark, clips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: str) -> None:  # noqa: ANN001
    from benchmarks.features.ipu_prosody import N_FEATURES

    monkeypatch.setenv("LEMER_THREADS", threads)
    _fresh_store_speech(tmp_path / "warm", "opensmile:egemaps-ipu", clips[:2])()  # openSMILE built, workers started
    out = benchmark.pedantic(_fresh_store_speech(tmp_path, "opensmile:egemaps-ipu", clips), rounds=3, iterations=1)
    assert len(out) == len(clips) and all(a.shape[1] == N_FEATURES for a in out.values())
    benchmark.extra_info["clips_per_s"] = round(len(clips) / benchmark.stats.stats.mean, 2)
