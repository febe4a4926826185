"""Speech-feature extraction speed: our cached path vs the naive reference, on the same clips.

- `test_speech_features_batched`: `FeatureStore.speech` with an emptied cache each round: unpadded
  Whisper-encoder input, clips batched by exactly equal length, fp16 entries written to disk.
- `test_speech_features_naive`: one clip at a time, log-mel padded to the full 3000-frame (30 s)
  window, encoded, then trimmed to the clip's length; nothing cached.

Run: `python -m pytest benchmarks/perf --benchmark-only` (clips/s = N_CLIPS of conftest.py / mean).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

def test_speech_features_batched(benchmark, clips, tmp_path: Path) -> None:  # noqa: ANN001
    from benchmarks.features.store import FeatureStore

    store = FeatureStore(tmp_path / "cache", text_encoder=None, progress=False)
    store.speech(clips[:1])  # load the model and hash its weights outside the timed rounds

    def clear() -> None:
        shutil.rmtree(tmp_path / "cache" / "features", ignore_errors=True)

    out = benchmark.pedantic(lambda: store.speech(clips), setup=clear, rounds=3, iterations=1)
    assert len(out) == len(clips)


def test_speech_features_naive(benchmark, clips) -> None:  # noqa: ANN001
    from benchmarks.features.speech_encoder import WhisperEncoder
    from dataset_adapters.audio import read_audio

    enc = WhisperEncoder(padded=True)
    enc.encode([read_audio(clips[0].audio)])  # model load outside the timed rounds

    def naive() -> list:
        return [enc.encode([read_audio(u.audio)])[0] for u in clips]

    out = benchmark.pedantic(naive, rounds=3, iterations=1)
    assert len(out) == len(clips)
