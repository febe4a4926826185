"""eGeMAPS extraction speed (openSMILE) through the feature store, on the tiny synthetic corpus's espeak clips.

Each round encodes the clips into a NEW empty cache (a store that has seen an entry keeps it in its in-memory
index, so emptying the folder between rounds would time cache hits): decode, openSMILE, fp16 entries written.
Every test asserts that each timed round computed every clip and reused none (the cold work it claims to time).
- `test_egemaps_functionals`: `egemaps-lr`'s clip vectors (`FeatureStore.clip`, `opensmile:egemaps-functionals`,
  88 functionals per clip);
- `test_egemaps_frames`: the `opensmile:egemaps` frame encoder (`FeatureStore.speech`, 25 descriptors per 10 ms);
- `test_ipu_frames[1|2]`: the demo's `opensmile:egemaps-ipu` encoder the same way, on 1 process or spread over
  2 (`LEMER_THREADS`; the pool is started before the timed rounds).

Run: `python -m pytest benchmarks/perf/test_egemaps_features.py --benchmark-only` (`extra_info["clips_per_s"]`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.features.ipu_prosody import N_FEATURES
from benchmarks.features.opensmile import FUNCTIONALS_SPEC, N_FUNCTIONALS, N_LLD
from benchmarks.features.store import FeatureStore
from dataset_adapters.types import Utterance


class _FreshStore:
    """A callable encoding `clips` with `spec` into a NEW empty cache each call; `work` holds each call's
    (computed, reused) counts, so a test can assert that every timed round did the cold work."""

    def __init__(self, tmp_path: Path, spec: str, clips: list[Utterance], clip_level: bool = False) -> None:
        self.tmp_path, self.spec, self.clips, self.clip_level = tmp_path, spec, clips, clip_level
        self.work: list[tuple[int, int]] = []

    def __call__(self) -> dict[str, np.ndarray]:
        root = self.tmp_path / f"cache{len(self.work)}"
        if self.clip_level:
            store = FeatureStore(root, text_encoder=None, speech_encoder=None, progress=False)
            out = store.clip(self.clips, self.spec)
        else:
            store = FeatureStore(root, text_encoder=None, speech_encoder=self.spec, progress=False)
            out = store.speech(self.clips)
        self.work.append((store.computed, store.reused))
        return out

    def check_cold(self, rounds: int) -> None:
        assert self.work == [(len(self.clips), 0)] * rounds, self.work  # every clip computed in every round


def _clips_per_s(benchmark, n: int) -> None:  # noqa: ANN001
    if getattr(benchmark, "stats", None) is not None:
        benchmark.extra_info["clips_per_s"] = round(n / benchmark.stats.stats.mean, 2)


def test_egemaps_functionals(benchmark, clips: list[Utterance], tmp_path: Path) -> None:  # noqa: ANN001
    _FreshStore(tmp_path / "warm", FUNCTIONALS_SPEC, clips[:1], clip_level=True)()  # openSMILE built untimed
    timed = _FreshStore(tmp_path, FUNCTIONALS_SPEC, clips, clip_level=True)
    out = benchmark.pedantic(timed, rounds=3, iterations=1)
    timed.check_cold(3)
    assert len(out) == len(clips) and all(v.shape == (N_FUNCTIONALS,) and np.isfinite(v).all() for v in out.values())
    _clips_per_s(benchmark, len(clips))


def test_egemaps_frames(benchmark, clips: list[Utterance], tmp_path: Path) -> None:  # noqa: ANN001
    _FreshStore(tmp_path / "warm", "opensmile:egemaps", clips[:1])()  # openSMILE built outside the timing
    timed = _FreshStore(tmp_path, "opensmile:egemaps", clips)
    out = benchmark.pedantic(timed, rounds=3, iterations=1)
    timed.check_cold(3)
    assert len(out) == len(clips) and all(a.shape[1] == N_LLD and len(a) > 50 for a in out.values())
    _clips_per_s(benchmark, len(clips))


@pytest.mark.parametrize("threads", ["1", "2"])
def test_ipu_frames(benchmark, clips: list[Utterance], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
                    threads: str) -> None:
    monkeypatch.setenv("LEMER_THREADS", threads)
    _FreshStore(tmp_path / "warm", "opensmile:egemaps-ipu", clips[:2])()  # openSMILE built, workers started
    timed = _FreshStore(tmp_path, "opensmile:egemaps-ipu", clips)
    out = benchmark.pedantic(timed, rounds=3, iterations=1)
    timed.check_cold(3)
    assert len(out) == len(clips) and all(a.shape[1] == N_FEATURES and len(a) > 50 for a in out.values())
    _clips_per_s(benchmark, len(clips))
