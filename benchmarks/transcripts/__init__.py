"""Transcript sources: `gold`, `asr:whisper-tiny.en`, `asr:pocketsphinx`, `noise:wer=<x>[,seed=N]`.

    from benchmarks.transcripts import get_source, corpus_wer
    hyps = get_source("asr:whisper-tiny.en").transcribe(utterances)
    wer = corpus_wer(utterances, hyps)          # None when some gold transcript is missing

ASR outputs are cached on disk by (source, engine settings, audio content); `gold` and `noise:` are
computed on the fly (instant and deterministic).
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

from benchmarks.transcripts.base import CachedAsrSource, TranscriptSource
from benchmarks.transcripts.noise import GoldSource, NoiseSource
from benchmarks.transcripts.normalize import corpus_wer, normalize_text, wer_of_texts

SOURCES: list[str] = ["gold", "asr:whisper-tiny.en", "asr:pocketsphinx", "noise:wer=<x>[,seed=<n>]"]
_NOISE = re.compile(r"^noise:wer=(?P<wer>\d*\.?\d+)(?:,seed=(?P<seed>-?\d+))?$")

__all__ = ["SOURCES", "TranscriptSource", "CachedAsrSource", "get_source", "normalize_text", "corpus_wer",
           "wer_of_texts"]


def get_source(key: str, cache_dir: str | Path | None = None) -> TranscriptSource:
    """The source a key names; KeyError with the closest known keys on a typo."""
    if key == "gold":
        return GoldSource()
    if key == "asr:whisper-tiny.en":
        from benchmarks.transcripts.whisper_asr import WhisperAsr

        return WhisperAsr(key, cache_dir=cache_dir)
    if key == "asr:pocketsphinx":
        from benchmarks.transcripts.sphinx_asr import PocketsphinxAsr

        return PocketsphinxAsr(key, cache_dir=cache_dir)
    m = _NOISE.match(key)
    if m:
        return NoiseSource(key, float(m["wer"]), int(m["seed"] or 0))
    close = difflib.get_close_matches(key, SOURCES[:3] + ["noise:wer=0.2"], n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(SOURCES)}"
    raise KeyError(f"unknown transcript source {key!r}; {hint}")
