"""eGeMAPS extraction speed (openSMILE), on the same synthetic espeak clips as the other speech benchmarks.

- `test_egemaps_functionals`: `egemaps-lr`'s per-clip path (decode + 88 functionals), per-process cache
  emptied each round;
- `test_egemaps_frames`: the `opensmile:egemaps` frame encoder through `FeatureStore.speech` (decode,
  25 descriptors per 10 ms, fp16 entries written), disk cache emptied each round;
- `test_ipu_frames[1|2]`: the demo's `opensmile:egemaps-ipu` encoder the same way, on 1 process or spread over
  2 (`LEMER_THREADS`; the pool is started before the timed rounds).

Run: `python -m pytest benchmarks/perf/test_egemaps_features.py --benchmark-only` (clips/s = N_CLIPS of conftest.py / mean).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

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


def test_egemaps_frames(benchmark, clips, tmp_path: Path) -> None:  # noqa: ANN001
    from benchmarks.features.store import FeatureStore

    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder="opensmile:egemaps", progress=False)
    store.speech(clips[:1])

    def clear() -> None:
        shutil.rmtree(tmp_path / "cache" / "features", ignore_errors=True)

    out = benchmark.pedantic(lambda: store.speech(clips), setup=clear, rounds=3, iterations=1)
    assert len(out) == len(clips) and all(a.shape[1] == 25 for a in out.values())
    benchmark.extra_info["clips_per_s"] = round(len(clips) / benchmark.stats.stats.mean, 2)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_ipu_frames(benchmark, clips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: str) -> None:  # noqa: ANN001
    from benchmarks.features.ipu_prosody import N_FEATURES
    from benchmarks.features.store import FeatureStore

    monkeypatch.setenv("LEMER_THREADS", threads)
    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder="opensmile:egemaps-ipu", progress=False)
    store.speech(clips[:2])  # builds openSMILE and, with 2 threads, starts the worker processes

    def clear() -> None:
        shutil.rmtree(tmp_path / "cache" / "features", ignore_errors=True)

    out = benchmark.pedantic(lambda: store.speech(clips), setup=clear, rounds=3, iterations=1)
    assert len(out) == len(clips) and all(a.shape[1] == N_FEATURES for a in out.values())
    benchmark.extra_info["clips_per_s"] = round(len(clips) / benchmark.stats.stats.mean, 2)
