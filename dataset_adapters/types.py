"""Shared record types that flow from the adapters to every other part of the system.

These are the only types the rest of the project may import from `dataset_adapters`; they hold
no behaviour beyond validation (and JSON round trips) so that the model, the harness and the
leaderboard agree on one shape of an utterance, of its annotations and of a fold.

The field's other half next to the categorical label: `Dims` (arousal, valence, dominance on the
corpus's own scale) and `Votes` (the annotators' class counts). Every record type is frozen and
hashable (tuples, not lists or dicts), so utterances can sit in sets and caches.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from lemer.core.errors import InputError
from lemer.core.tasks import TASKS

OnError = Literal["raise", "skip"]
OTHER = "oth"  # the class a vote outside the label map is counted under (never dropped)
# The soft task's target is the votes for the map's classes, renormalised; an utterance whose annotators mostly
# named classes outside the map (in-map share below this) has no soft target and is a counted skip (ours).
SOFT_MIN_IN_MAP = 0.5
# The stated policy for an empty or whitespace-only gold transcript (IEMOCAP lines, MSP-Podcast files): the
# utterance is kept, because its audio and label are good and dropping it would change the test set; its text is
# '', so a model that reads text learns nothing from it and predicts it from its other inputs or its prior. Never
# silent: `data check`, the run's plan log, each run's log.txt and result.json (`empty_text`) give the count.
EMPTY_TEXT_POLICY = "kept with transcript '' (a text model reads nothing for them and predicts from its prior)"


class InvalidArgument(InputError, TypeError):
    """A public function was called with an argument of the wrong type or value.

    A ValueError (the project's convention for bad input) that is also a TypeError, so both
    `except ValueError` and `except TypeError` catch it; the message says what was expected.
    """


def type_name(value: object) -> str:
    return type(value).__name__


@dataclass(frozen=True)
class CorpusInfo:
    """Everything the rest of the system knows about a corpus, declared once by its adapter.

    `label_maps` are the names of the maps declared by the adapter (`dataset_adapters/labels.py`
    adds the cross-corpus ones); `raw_codes` translates the corpus's own label codes to the
    unified vocabulary (None = "no agreement", always dropped from the categorical task and kept
    in `LoadReport.no_consensus`). `tasks` are the tasks the corpus's annotations support
    (`TASKS`): "categorical" (one consensus class), "dimensional" (arousal/valence/dominance on
    `dims_scale`), "soft" (per-annotator class votes).
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
    tasks: tuple[str, ...] = ("categorical",)
    dims_scale: tuple[float, float] | None = None  # (lo, hi) of the corpus's own arousal/valence/dominance ratings

    def __post_init__(self) -> None:
        if self.default_protocol not in self.protocols:
            raise ValueError(f"corpus {self.name}: default protocol {self.default_protocol!r} not in {self.protocols}")
        if self.default_label_map not in {m.name for m in self.label_maps}:
            raise ValueError(f"corpus {self.name}: default label map {self.default_label_map!r} is not one of its own")
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown or "categorical" not in self.tasks:
            raise ValueError(f"corpus {self.name}: tasks {self.tasks} must include 'categorical' and come from {TASKS}")
        if ("dimensional" in self.tasks) != (self.dims_scale is not None):
            raise ValueError(f"corpus {self.name}: a corpus has a dims_scale exactly when it supports 'dimensional'")


@dataclass(frozen=True)
class Dims:
    """Arousal (activation), valence and dominance of one utterance, on the corpus's own scale.

    `scale` is (lo, hi) of that scale: IEMOCAP (1, 5), MSP-Podcast (1, 7). The values are the
    corpus's consensus (the mean of its raters), not rescaled; `normalised()` maps them to [0, 1].
    """

    arousal: float
    valence: float
    dominance: float
    scale: tuple[float, float]

    def normalised(self) -> tuple[float, float, float]:
        """(arousal, valence, dominance) mapped linearly from `scale` to [0, 1]."""
        lo, hi = self.scale
        return tuple((x - lo) / (hi - lo) for x in (self.arousal, self.valence, self.dominance))  # type: ignore[return-value]

    def signed(self) -> tuple[float, float, float]:
        """(arousal, valence, dominance) mapped linearly from `scale` to [-1, 1]: the dimensional task's targets."""
        return tuple(2.0 * x - 1.0 for x in self.normalised())  # type: ignore[return-value]

    def to_json(self) -> dict[str, Any]:
        return {"arousal": self.arousal, "valence": self.valence, "dominance": self.dominance,
                "scale": list(self.scale)}

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> "Dims":
        lo, hi = d["scale"]
        return Dims(arousal=float(d["arousal"]), valence=float(d["valence"]), dominance=float(d["dominance"]),
                    scale=(float(lo), float(hi)))


@dataclass(frozen=True)
class Votes:
    """The annotators' categorical votes of one utterance.

    `counts`: (class, votes) for every class of the label map the utterance was read under, in the
    map's order, then `OTHER` ("oth"): a vote for a class the map does not keep (e.g. Frustration
    under iemocap-4) is counted there, never dropped. Zero counts are kept, so `counts` is the same
    list of classes for every utterance of a load. `raw`: the same votes before the label map, by
    unified code (`labels.VOCAB`), so another map can be applied later. `annotators`: how many
    annotators voted; an annotator who named several classes on one line (IEMOCAP) split one vote
    equally between them, so a count can be fractional and the counts always sum to `annotators`.
    """

    counts: tuple[tuple[str, float], ...]
    raw: tuple[tuple[str, float], ...]
    annotators: int

    def as_dict(self) -> dict[str, float]:
        return dict(self.counts)

    def distribution(self) -> dict[str, float]:
        """`counts` divided by the number of annotators (a soft label over the map's classes + oth)."""
        n = self.annotators or 1
        return {c: v / n for c, v in self.counts}

    def soft_target(self) -> dict[str, float] | None:
        """The soft task's target: the votes for the map's classes (not `OTHER`), renormalised to sum to 1; None
        when less than `SOFT_MIN_IN_MAP` of the votes fall inside the map (the utterance is then skipped)."""
        inside = {c: v for c, v in self.counts if c != OTHER}
        total, everything = sum(inside.values()), sum(v for _, v in self.counts)
        if everything <= 0 or total / everything < SOFT_MIN_IN_MAP:
            return None
        return {c: v / total for c, v in inside.items()}

    def to_json(self) -> dict[str, Any]:
        return {"counts": [[c, v] for c, v in self.counts], "raw": [[c, v] for c, v in self.raw],
                "annotators": self.annotators}

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> "Votes":
        return Votes(counts=tuple((str(c), float(v)) for c, v in d["counts"]),
                     raw=tuple((str(c), float(v)) for c, v in d["raw"]), annotators=int(d["annotators"]))


@dataclass(frozen=True)
class Utterance:
    """One utterance after the corpus's label map has been applied.

    `uid` is corpus-prefixed (`iemocap:Ses01F_impro01_F000`); `speaker` is None when the corpus
    does not know it (MSP-Podcast `Unknown`); `context` holds the uids of the preceding utterances
    of the same dialogue/podcast that the categorical task keeps (`LoadReport.utterances`), oldest
    first (empty for CREMA-D). `label` is the label map's class; it is None only for the
    utterances a load keeps outside the categorical task (`LoadReport.no_consensus`,
    `LoadReport.outside_map`). `gender` is "F" or "M" where the corpus says, else None; `dims` and
    `votes` are None where the corpus (or this copy of it) has none.
    """

    uid: str
    corpus: str
    speaker: str | None
    session: str | None
    audio: str
    start: float | None
    end: float | None
    transcript: str | None
    label: str | None
    label_raw: str
    partition: str | None
    context: tuple[str, ...] = ()
    gender: str | None = None
    dims: Dims | None = None
    votes: Votes | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid, "corpus": self.corpus, "speaker": self.speaker, "session": self.session,
            "audio": self.audio, "start": self.start, "end": self.end, "transcript": self.transcript,
            "label": self.label, "label_raw": self.label_raw, "partition": self.partition,
            "context": list(self.context), "gender": self.gender,
            "dims": None if self.dims is None else self.dims.to_json(),
            "votes": None if self.votes is None else self.votes.to_json(),
        }

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> "Utterance":
        """The inverse of `to_json`; manifests written before dims/votes/gender read back with None there."""
        d = dict(d)
        d["context"] = tuple(d.get("context") or ())
        d["dims"] = None if d.get("dims") is None else Dims.from_json(d["dims"])
        d["votes"] = None if d.get("votes") is None else Votes.from_json(d["votes"])
        d.setdefault("gender", None)
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


@dataclass(frozen=True)
class Note:
    """Something a load saw that is not an error but must not pass unseen (counted by `kind`).

    Kinds (see each adapter's docstring for when they arise): `cp1252-line` (a text line that was
    not UTF-8, decoded as Windows-1252), `evaluator-file` (an IEMOCAP per-evaluator file that
    disagrees with, or cannot be compared to, the main EmoEvaluation file), `dims-mean` (consensus
    dimensions that are not the mean of the per-annotator ratings), `unlabelled-audio`,
    `unlabelled-text`, `no-votes`, `no-gender`, `duplicate-annotation`, `not-a-clip`,
    `ignored-file`, `absent-partition`.
    """

    kind: str
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
    """What an adapter read: the kept utterances plus an explicit account of everything else.

    - `utterances`: the categorical task's utterances, every one with a label of the label map.
    - `skipped`: bad inputs skipped under `on_error="skip"` (under "raise" they were raised).
    - `filtered`: utterances left out of `utterances` on purpose, counted by raw label: no
      consensus (IEMOCAP `xxx`, MSP-Podcast `X`), a class the label map drops (`fru` under
      iemocap-4), MSP-Podcast Test3 without public labels (`(unlabelled)`).
    - `no_consensus`: the no-consensus utterances themselves (label None; dims and votes where
      the corpus has them), read with the same checks, for the soft and dimensional tasks.
    - `outside_map`: the utterances whose consensus class the label map drops (label None).
    - `missing`: expected parts of the corpus that are absent (an IEMOCAP session, an MSP-Podcast
      partition, a CREMA-D actor listed in VideoDemographics.csv). A partial copy stays readable,
      but never silently: `data check` lists these as problems and fails.
    - `empty_transcripts`: uids (sorted, over utterances + no_consensus + outside_map) whose gold
      transcript is empty or whitespace only; they are kept with transcript "".
    - `notes`: counted observations that are not errors (`Note`).
    """

    corpus: str
    utterances: list[Utterance]
    skipped: list[Problem] = field(default_factory=list)
    filtered: dict[str, int] = field(default_factory=dict)
    no_consensus: list[Utterance] = field(default_factory=list)
    outside_map: list[Utterance] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)
    empty_transcripts: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def note_counts(self) -> dict[str, int]:
        """How many notes of each kind, sorted by kind."""
        out: dict[str, int] = {}
        for n in self.notes:
            out[n.kind] = out.get(n.kind, 0) + 1
        return dict(sorted(out.items()))

    def all_utterances(self) -> list[Utterance]:
        """utterances + no_consensus + outside_map, sorted by uid (what the soft and dimensional tasks may use)."""
        return sorted([*self.utterances, *self.no_consensus, *self.outside_map], key=lambda u: u.uid)
