"""Shared record types that flow from the adapters to every other part of the system.

These are the only types the rest of the project may import from `dataset_adapters`; they hold
no behaviour beyond validation so that the model, the harness and the leaderboard agree on one
shape of an utterance and of a fold.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from lemer.core.errors import InputError

OnError = Literal["raise", "skip"]


@dataclass(frozen=True)
class CorpusInfo:
    """Everything the rest of the system knows about a corpus, declared once by its adapter.

    `label_maps` are the names of the maps declared by the adapter (`dataset_adapters/labels.py`
    adds the cross-corpus ones); `raw_codes` translates the corpus's own label codes to the
    unified vocabulary (None = "no agreement", always dropped and counted).
    """

    name: str
    version: str
    env_var: str  # where a real copy's root may be given instead of --corpus NAME=ROOT
    expected_root: str  # what a root looks like, for error messages
    protocols: tuple[str, ...]
    default_protocol: str
    label_maps: tuple[Any, ...]  # dataset_adapters.labels.LabelMap (not imported here: labels imports types)
    default_label_map: str
    raw_codes: dict[str, str | None]

    def __post_init__(self) -> None:
        if self.default_protocol not in self.protocols:
            raise ValueError(f"corpus {self.name}: default protocol {self.default_protocol!r} not in {self.protocols}")
        if self.default_label_map not in {m.name for m in self.label_maps}:
            raise ValueError(f"corpus {self.name}: default label map {self.default_label_map!r} is not one of its own")


@dataclass(frozen=True)
class Utterance:
    """One labelled utterance after the corpus's label map has been applied.

    `uid` is corpus-prefixed (`iemocap:Ses01F_impro01_F000`); `speaker` is None when the corpus
    does not know it (MSP-Podcast `Unknown`); `context` holds the uids of the preceding kept
    utterances of the same dialogue/podcast, oldest first (empty for CREMA-D).
    """

    uid: str
    corpus: str
    speaker: str | None
    session: str | None
    audio: str
    start: float | None
    end: float | None
    transcript: str | None
    label: str
    label_raw: str
    partition: str | None
    context: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["context"] = list(self.context)
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> "Utterance":
        d = dict(d)
        d["context"] = tuple(d.get("context") or ())
        return Utterance(**d)


@dataclass(frozen=True)
class Fold:
    """A train/valid/test split named by what it tests (`test=Session1`)."""

    name: str
    train: tuple[str, ...]
    valid: tuple[str, ...]
    test: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "train": list(self.train), "valid": list(self.valid), "test": list(self.test)}


@dataclass(frozen=True)
class Problem:
    """One bad input found while reading a corpus: the file, the line (1-based, if any), and why."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class CorpusError(InputError):
    """Raised when a corpus tree is unreadable or malformed; names every offending file and line."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(path="", line=None, message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s) in corpus:\n{shown}{more}")


@dataclass
class LoadReport:
    """What an adapter read: the kept utterances plus an explicit account of everything not kept.

    `skipped` lists bad inputs skipped under `on_error="skip"`; `filtered` counts utterances
    dropped on purpose by the label map, keyed by raw label (e.g. {"xxx": 2507, "fru": 1849}).
    """

    corpus: str
    utterances: list[Utterance]
    skipped: list[Problem] = field(default_factory=list)
    filtered: dict[str, int] = field(default_factory=dict)
