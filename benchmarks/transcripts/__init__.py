"""Transcript sources: `gold`, `asr:whisper-tiny.en`, `asr:pocketsphinx`, `noise:wer=<x>[,seed=N]`.

    from benchmarks.transcripts import get_source, corpus_wer
    hyps = get_source("asr:whisper-tiny.en").transcribe(utterances)
    wer = corpus_wer(utterances, hyps)          # None when some gold transcript is missing

ASR outputs are cached on disk by (source, engine settings, audio content); `gold` and `noise:` are
computed on the fly (instant and deterministic).
"""
from __future__ import annotations

from pathlib import Path

from benchmarks.transcripts.base import CachedAsrSource, TranscriptSource
from benchmarks.transcripts.condition import ASR_ENGINES, canonical, examples, parse_condition, source_for
from benchmarks.transcripts.normalize import corpus_wer, normalize_text, wer_of_texts

__all__ = ["ASR_ENGINES", "parse_condition", "source_for", "canonical", "examples", "TranscriptSource", "CachedAsrSource", "get_source",
           "normalize_text", "corpus_wer", "wer_of_texts"]


def get_source(key: str, cache_dir: str | Path | None = None, device: str = "cpu") -> TranscriptSource:
    """The source a condition key names; UnknownName with the closest known keys on a typo."""
    return source_for(parse_condition(key), cache_dir, device)
