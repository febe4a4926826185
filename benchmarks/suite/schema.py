"""What a parsed suite holds: typed values only, every name already checked against its registry.

A suite file is parsed by `benchmarks/suite/parse.py` (`load_suite`), which builds these; the grid of runs is
expanded from them by `benchmarks/run/grid.py`. Nothing here is executed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.models import ALL_MODELS
from lemer.core.audio_condition import CLEAN, AudioCondition
from lemer.core.errors import InputError
from lemer.core.metrics import DEFAULT_MAIN_SCORE
from lemer.core.spec import TranscriptCondition
from lemer.core.tasks import TASKS

__all__ = ["ALL_MODELS", "SCALES", "SuiteError", "CorpusEntry", "CrossCorpus", "AblationSweep", "Suite"]
SCALES = ("tiny", "small", "full")


class SuiteError(InputError):
    """A suite file is malformed; the message names the file and the line of every problem found."""


@dataclass(frozen=True)
class CorpusEntry:
    """One within-corpus block: the corpus's own protocol and label map, with optional overrides."""

    name: str
    protocol: str
    label_map: str
    synthetic: bool
    transcripts: tuple[TranscriptCondition, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]
    max_folds: int  # 0 = every fold
    audio: tuple[AudioCondition, ...] = (CLEAN,)
    tasks: tuple[str, ...] = ("categorical",)  # what its models are trained for (lemer/core/tasks.py)
    refit: bool = False  # choose epochs / C on the validation split, then retrain on train + valid (RunSpec.refit)


@dataclass(frozen=True)
class CrossCorpus:
    """Train on each listed corpus, test on all of each other one, in a shared label space."""

    corpora: tuple[str, ...]
    label_map: str
    synthetic: bool
    transcripts: tuple[TranscriptCondition, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class AblationSweep:
    """Sweep one switch of one model; each value is its own run with `ablation = {param, value}`."""

    model: str
    param: str
    values: tuple[Any, ...]
    corpora: tuple[str, ...]
    transcripts: tuple[TranscriptCondition, ...] | None  # None = each corpus's own conditions
    seeds: tuple[int, ...] | None


@dataclass(frozen=True)
class Suite:
    """A parsed suite. `model_config[m]` is model `m`'s merged switches (`[model_defaults]` under
    `[model_config.<m>]`); encoders are canonical specs, None = the feature store's offline default."""

    name: str
    path: str
    description: str
    corpora: tuple[CorpusEntry, ...]
    cross_corpus: CrossCorpus | None
    ablations: tuple[AblationSweep, ...]
    model_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    text_encoder: str | None = None
    speech_encoder: str | None = None
    leaderboard: bool = False
    # task -> the metric the leaderboard ranks its cells by (lemer.core.metrics.METRICS), one for every task
    main_scores: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MAIN_SCORE))
    synthetic_scale: str = "small"  # scale of generated stand-ins for corpora marked synthetic
    # condition -> the only models run under it (e.g. run the ASR conditions for a few text models only)
    transcript_models: dict[TranscriptCondition, tuple[str, ...]] = field(default_factory=dict)
    audio_models: dict[AudioCondition, tuple[str, ...]] = field(default_factory=dict)
    # audio condition -> the only transcript conditions run under it (e.g. degraded audio heard through ASR only)
    audio_transcripts: dict[AudioCondition, tuple[TranscriptCondition, ...]] = field(default_factory=dict)
    audio_splits: str = "test"  # which splits an audio condition degrades: "test" (train clean) or "all"

    def main_score(self, task: str) -> str:
        """The metric cells of `task` are ranked by."""
        return self.main_scores[task]

    def tasks(self) -> tuple[str, ...]:
        """Every task some corpus entry asks for, in `TASKS` order."""
        asked = {t for c in self.corpora for t in c.tasks} | ({"categorical"} if self.cross_corpus else set())
        return tuple(t for t in TASKS if t in asked)

    def needed_corpora(self) -> dict[str, bool]:
        """{corpus name: may be a generated synthetic stand-in} for every corpus the suite touches."""
        out: dict[str, bool] = {}
        for c in self.corpora:
            out[c.name] = out.get(c.name, False) or c.synthetic
        if self.cross_corpus:
            for name in self.cross_corpus.corpora:
                out[name] = out.get(name, False) or self.cross_corpus.synthetic
        return out

    def requested_models(self) -> list[str]:
        """Every model name the suite asks for (corpora, cross-corpus, ablations), `*` expanded by the caller."""
        names = [m for c in self.corpora for m in c.models] + list(self.cross_corpus.models if self.cross_corpus else ())
        return names + [a.model for a in self.ablations]
