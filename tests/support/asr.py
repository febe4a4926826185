"""`test-echo`, a test-only ASR engine: a `CachedAsrSource` whose decoding is instant and counted, so the transcript
cache (benchmarks/transcripts/base.py) can be tested through `transcripts` and `run` without a real engine. It enters
the engine registry only through `ASR_ENGINES.overlay(TEST_ASR)`."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from benchmarks.transcripts.base import CachedAsrSource


class EchoAsr(CachedAsrSource):
    """Text 'clip of N samples' per clip; `decoded` counts the clips decoded by every instance (the cold work)."""

    decoded = 0

    @property
    def settings(self) -> dict[str, Any]:
        return {"engine": "test-echo", "version": 1}

    def decode(self, clips: Sequence[np.ndarray], progress: bool) -> list[str]:
        EchoAsr.decoded += len(clips)
        return [f"clip of {len(c)} samples" for c in clips]


TEST_ASR = {"test-echo": "tests.support.asr:EchoAsr"}
