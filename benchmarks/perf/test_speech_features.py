"""Speech-feature extraction speed: the store's cached path vs the naive reference, on the same clips.

Clips: the first 16 utterances of the tiny synthetic IEMOCAP tree (conftest.py; espeak speech).
- `test_speech_features_batched`: `FeatureStore.speech` (default encoder, Whisper tiny.en) with an emptied cache
  each round: unpadded Whisper-encoder input, clips batched by exactly equal length, fp16 entries written.
- `test_speech_features_naive`: one clip at a time, log-mel padded to the full 3000-frame (30 s) window,
  encoded, then trimmed to the clip's length; nothing cached.

Run: `python -m pytest benchmarks/perf/test_speech_features.py --benchmark-only` (`extra_info["clips_per_s"]`).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from benchmarks.features.cache import FeatureCache
from benchmarks.features.store import FeatureStore
from benchmarks.features.whisper import WhisperEncoder, n_output_frames
from dataset_adapters.audio import read_audio
from dataset_adapters.types import Utterance


def _clips_per_s(benchmark, n: int) -> None:  # noqa: ANN001
    if getattr(benchmark, "stats", None) is not None:
        benchmark.extra_info["clips_per_s"] = round(n / benchmark.stats.stats.mean, 2)


def test_speech_features_batched(benchmark, clips: list[Utterance], tmp_path: Path) -> None:  # noqa: ANN001
    store = FeatureStore(tmp_path / "cache", text_encoder=None, progress=False)
    store.speech(clips[:1])  # load the model and hash its weights outside the timed rounds

    def clear() -> None:
        shutil.rmtree(tmp_path / "cache" / "features", ignore_errors=True)
        store.cache = FeatureCache(tmp_path / "cache", "features")  # forget the in-memory index too

    out = benchmark.pedantic(lambda: store.speech(clips), setup=clear, rounds=3, iterations=1)
    assert len(out) == len(clips) and store.computed == len(clips)  # every clip encoded in the last round
    assert all(len(out[u.uid]) == n_output_frames(len(read_audio(u.audio))) for u in clips[:3])
    _clips_per_s(benchmark, len(clips))


def test_speech_features_naive(benchmark, clips: list[Utterance]) -> None:  # noqa: ANN001
    enc = WhisperEncoder(padded=True)
    enc.encode([read_audio(clips[0].audio)])  # model load outside the timed rounds

    def naive() -> list[np.ndarray]:
        return [enc.encode([read_audio(u.audio)])[0] for u in clips]

    out = benchmark.pedantic(naive, rounds=3, iterations=1)
    assert len(out) == len(clips) and all(np.isfinite(a).all() for a in out)
    _clips_per_s(benchmark, len(clips))
