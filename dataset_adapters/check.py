"""Input checks shared by the adapters: problem and note collection, audio verification, label routing,
votes, and `TreeAdapter`, the load/folds frame every on-disk adapter fills in with its own `read`.

Adapters never drop an utterance silently: every bad input becomes a `Problem`. Under
`on_error="raise"` all problems of a load are gathered and raised together (so one run of
`data check` names every broken file, not just the first); under `"skip"` they become the
explicit `LoadReport.skipped` list. What is not an error but must not pass unseen (a line decoded
as Windows-1252, a per-evaluator file that disagrees with the consensus file, audio the release
ships without labels) becomes a counted `Note`.
"""
from __future__ import annotations

import os
import struct
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, ClassVar, Hashable, Iterable, Mapping, Sequence

import soundfile as sf

from dataset_adapters.audio import clip_problem, duration_problem, header_problem
from dataset_adapters.base import corpus_info, get_label_map
from dataset_adapters.files import UnreadableFile, decode_text, file_problem, list_dir, read_text  # noqa: F401 (re-exported)
from dataset_adapters.labels import VOCAB, LabelMap, UnknownLabel, unify
from dataset_adapters.protocols import make_folds
from dataset_adapters.types import (
    OTHER,
    CorpusError,
    CorpusInfo,
    Fold,
    InvalidArgument,
    LoadReport,
    Note,
    OnError,
    Problem,
    Utterance,
    Votes,
    type_name,
)


class ProblemLog:
    """Collects the problems and notes of one load; `finish()` raises the problems under `on_error="raise"`."""

    def __init__(self, on_error: OnError) -> None:
        if on_error not in ("raise", "skip"):
            raise InvalidArgument(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.on_error = on_error
        self.problems: list[Problem] = []
        self.notes: list[Note] = []

    def add(self, path: str | Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(path=str(path), line=line, message=message))

    def note(self, kind: str, path: str | Path, line: int | None, message: str) -> None:
        self.notes.append(Note(kind=kind, path=str(path), line=line, message=message))

    def unreadable(self, e: UnreadableFile, what: str = "") -> None:
        self.add(e.path, e.line, f"{what + ': ' if what else ''}{e.reason}")

    def text(self, path: Path, what: str = "file") -> str | None:
        """The decoded text of `path`, or None after logging why it cannot be read (named, never skipped silently)."""
        try:
            return read_text(path, self.notes)
        except UnreadableFile as e:
            self.add(e.path, e.line, f"{what} unreadable: {e.reason}")
            return None

    def entries(self, folder: Path, what: str = "folder") -> list[Path] | None:
        """`list_dir(folder)`, or None after logging why it cannot be listed: a problem under `on_error="raise"`,
        a counted skip under `"skip"`, never an empty folder."""
        try:
            return list_dir(folder)
        except UnreadableFile as e:
            self.add(e.path, None, f"{what} unreadable: {e.reason}")
            return None

    def finish(self) -> list[Problem]:
        """Raise every collected problem, or hand them back as the skip list."""
        if self.problems and self.on_error == "raise":
            raise CorpusError(self.problems)
        return list(self.problems)


def fatal(path: str | Path, message: str, line: int | None = None) -> CorpusError:
    """An error that makes the whole corpus unreadable (wrong root, no label file): never skippable."""
    return CorpusError(Problem(path=str(path), line=line, message=message))


def finish_load(log: ProblemLog, kept: Sequence[object], where: str | Path, unit: str = "utterances") -> list[Problem]:
    """The end of every load: the problems raised together (or the skip list), and a fatal error when nothing was kept."""
    skipped = log.finish()
    if not kept:  # under skip every input was refused: say why (the first reason), not only how many
        first = skipped[0] if skipped else None
        why = "" if first is None else (f" ({len(skipped)} skipped; the first: {first.path}"
                                        f"{f':{first.line}' if first.line is not None else ''}: {first.message})")
        raise fatal(where, f"no usable {unit} found{why}")
    return skipped


def check_load_args(root: object, label_map: object, on_error: object, verify_audio: object,
                    verify_samples: object) -> None:
    """InvalidArgument naming the argument when a load is called with the wrong types."""
    if not isinstance(root, (str, os.PathLike)):
        raise InvalidArgument(f"root must be a folder path (str or pathlib.Path) or 'hf:DIR', got {type_name(root)} "
                              f"{root!r}")
    if label_map is not None and not isinstance(label_map, str):
        raise InvalidArgument(f"label_map must be a label map name such as 'iemocap-4' (or None for the corpus's "
                              f"default), got {type_name(label_map)} {label_map!r}")
    if on_error not in ("raise", "skip"):
        raise InvalidArgument(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    for name, value in (("verify_audio", verify_audio), ("verify_samples", verify_samples)):
        if not isinstance(value, bool):
            raise InvalidArgument(f"{name} must be True or False, got {type_name(value)} {value!r}")


def root_hint(find: Callable[[Path], Path], root: Path) -> str:
    """" (did you mean --root X?)" when the parent or a child folder of `root` is a root `find` accepts."""
    candidates = [root.parent] if root.parent != root else []
    try:
        candidates += sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))[:200]
    except OSError:
        pass
    for c in candidates:
        try:
            found = find(c)
        except CorpusError:
            continue
        return f" (did you mean --root {found}?)"
    return ""


class TreeAdapter:
    """Base of the adapters that read a corpus's distributed tree (the `CorpusAdapter` protocol).

    `load` refuses bad arguments and a label map of another corpus before reading anything, finds
    the root (naming the right one when the given root is one level off), lets the subclass's
    `read` collect utterances (problems and notes into the log, label-map drops into `filtered`),
    and ends with `build_report`; `folds` come from the corpus's declared protocols and refuse
    utterances of another corpus.
    """

    info: ClassVar[CorpusInfo]
    find_root: ClassVar[Callable[[str | Path], Path]]
    unit: ClassVar[str] = "utterances"  # what "no usable ... found" names

    def load(self, root: str | Path, label_map: str | None = None, on_error: OnError = "raise",
             verify_audio: bool = True, verify_samples: bool = False) -> LoadReport:
        check_load_args(root, label_map, on_error, verify_audio, verify_samples)
        lmap = get_label_map(label_map or self.info.default_label_map, self.info.name)
        try:
            base = self.find_root(root)
        except CorpusError as e:
            hint = root_hint(self.find_root, Path(root))
            if hint and e.problems:
                raise fatal(e.problems[0].path, e.problems[0].message + hint) from None
            raise
        log = ProblemLog(on_error)
        filtered: dict[str, int] = {}
        read = self.read(base, lmap, log, filtered, verify_audio, verify_samples)
        return build_report(self.info.name, read, log, filtered, self.unit)

    def read(self, base: Path, lmap: LabelMap, log: ProblemLog, filtered: dict[str, int], verify_audio: bool,
             verify_samples: bool) -> "Read":
        """Every utterance that passed the checks (label None for no-consensus and outside-map ones), with context."""
        raise NotImplementedError

    def folds(self, utterances: Sequence[Utterance], protocol: str) -> list[Fold]:
        return make_folds(utterances, protocol, self.info.protocols, corpus=self.info.name)


@dataclass
class Read:
    """What an adapter's `read` hands back: the utterances (all of them, labelled or not), the path a load
    that kept none is blamed on, and the expected parts of the corpus that are absent."""

    utterances: list[Utterance]
    where: Path | str
    missing: list[Problem] = field(default_factory=list)


def build_report(corpus: str, read: Read, log: ProblemLog, filtered: dict[str, int], unit: str) -> LoadReport:
    """Split a read into the categorical set, no-consensus and outside-map utterances; count empty text; finish."""
    table = corpus_info(corpus).raw_codes
    kept = [u for u in read.utterances if u.label is not None]
    no_consensus = [u for u in read.utterances if u.label is None and table.get(u.label_raw, "") is None]
    outside = [u for u in read.utterances if u.label is None and table.get(u.label_raw, "") is not None]
    skipped = finish_load(log, kept, read.where, unit)
    empty = sorted(u.uid for u in read.utterances if u.transcript is not None and not u.transcript.strip())
    return LoadReport(corpus=corpus, utterances=sorted(kept, key=lambda u: u.uid), skipped=skipped,
                      filtered=dict(sorted(filtered.items())), no_consensus=sorted(no_consensus, key=lambda u: u.uid),
                      outside_map=sorted(outside, key=lambda u: u.uid), missing=list(read.missing),
                      empty_transcripts=empty, notes=list(log.notes))


UNKNOWN = object()  # route_label's answer for a code the corpus does not know (a logged problem)


def route_label(corpus: str, raw: str, label_map: LabelMap, filtered: dict[str, int], log: ProblemLog, path: Path | str,
                line: int | None) -> object:
    """Raw code -> the label map's class, None (no consensus or dropped by the map: counted in `filtered`, the
    utterance is kept outside the categorical task), or `UNKNOWN` (an unknown code: logged as a problem)."""
    try:
        unified = unify(corpus, corpus_info(corpus).raw_codes, raw)
    except UnknownLabel as e:
        log.add(path, line, str(e))
        return UNKNOWN
    label = label_map.apply(unified)
    if label is None:
        filtered[raw] = filtered.get(raw, 0) + 1
    return label


def map_label(corpus: str, raw: str, label_map: LabelMap, filtered: dict[str, int], log: ProblemLog, path: Path,
              line: int | None) -> str | None:
    """Raw code -> class of `label_map`; None when dropped (counted in `filtered`) or unknown (logged)."""
    label = route_label(corpus, raw, label_map, filtered, log, path, line)
    return None if label is UNKNOWN else label  # type: ignore[return-value]


def vote_classes(label_map: LabelMap) -> tuple[str, ...]:
    """The classes a `Votes.counts` lists under `label_map`: the map's classes, then `OTHER`."""
    return label_map.classes + (() if OTHER in label_map.classes else (OTHER,))


def make_votes(raw: Mapping[str, float], annotators: int, label_map: LabelMap) -> Votes:
    """`Votes` from counts by unified code: each code goes through the map (merges applied); a code the map
    drops is counted under `OTHER`, never dropped."""
    unknown = [c for c in raw if c not in VOCAB]
    if unknown:
        raise ValueError(f"vote codes {unknown} are not in the unified vocabulary {VOCAB}")
    counts = dict.fromkeys(vote_classes(label_map), 0.0)
    for code, n in raw.items():
        counts[label_map.apply(code) or OTHER] += n
    rounded = tuple((c, round(v, 6)) for c, v in counts.items())
    raw_sorted = tuple((c, round(raw[c], 6)) for c in VOCAB if raw.get(c))
    return Votes(counts=rounded, raw=raw_sorted, annotators=annotators)


def split_vote(classes: Iterable[str], into: dict[str, float]) -> None:
    """Add ONE annotator's vote to `into`, split equally between the distinct classes they named."""
    distinct = sorted(set(classes))
    for c in distinct:
        into[c] = into.get(c, 0.0) + 1.0 / len(distinct)


def with_context(utterances: Iterable[Utterance], group: Callable[[Utterance], Hashable],
                 order: Callable[[Utterance], object]) -> list[Utterance]:
    """Each utterance (labelled or not) gets the uids of the preceding LABELLED utterances of its group
    (dialogue, podcast), oldest first: contexts only ever name utterances of the categorical set."""
    by_group: dict[Hashable, list[Utterance]] = defaultdict(list)
    for u in utterances:
        by_group[group(u)].append(u)
    out: list[Utterance] = []
    for items in by_group.values():
        items.sort(key=order)  # type: ignore[arg-type]
        previous: list[str] = []
        for u in items:
            out.append(replace(u, context=tuple(previous)))
            if u.label is not None:
                previous.append(u.uid)
    out.sort(key=lambda u: u.uid)
    return out


def _wav_data_chunk(path: Path) -> tuple[int, int] | None:
    """(offset, declared size) of a RIFF/WAVE file's `data` chunk; None when the file is not RIFF/WAVE."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                raise ValueError("no 'data' chunk before end of file")
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                return f.tell(), size
            f.seek(size + (size & 1), os.SEEK_CUR)


def audio_problem(path: Path, samples: bool = False, expected_seconds: float | None = None) -> str | None:
    """Why `path` is not a usable audio clip, or None if it is fine.

    Refused: missing, not a regular file (FIFO, folder, symlink loop: never opened), empty,
    unreadable, truncated, no samples, a header that cannot be true (`audio.header_problem`:
    implausible sample rate, longer than `audio.MAX_SECONDS`), and, where the label file gives the
    segment (`expected_seconds`), a length outside `audio.SEGMENT_TOLERANCE` of it. libsndfile quietly
    reads a truncated WAV up to where the bytes stop, so the declared size of the `data` chunk is
    compared with the bytes actually present. `samples=True` also asks the one audio reader whether
    the encoders could use the samples (finite, at least `MIN_SECONDS` long).
    """
    why = file_problem(path)
    if why:
        return "audio file missing" if why == "missing" else f"audio file: {why}"
    size = path.stat().st_size
    if size == 0:
        return "audio file is empty (0 bytes)"
    try:
        info = sf.info(str(path))
    except Exception as e:  # libsndfile raises a bare RuntimeError subclass with its own message
        return f"audio file unreadable: {e}".strip()
    try:
        chunk = _wav_data_chunk(path)
    except ValueError as e:
        return f"audio file truncated: {e}"
    except OSError as e:
        return f"audio file unreadable: {e.strerror or type(e).__name__}"
    if chunk is not None:
        offset, declared = chunk
        present = size - offset
        # 0xFFFFFFFF / 0 are streaming placeholders some writers leave; frames then come from the file length.
        if declared not in (0, 0xFFFFFFFF) and present < declared:
            return f"audio file truncated: data chunk declares {declared} bytes, only {present} present"
    if info.frames <= 0:
        return "audio file has no samples"
    why = header_problem(int(info.samplerate), int(info.frames))
    if why:
        return why
    if expected_seconds is not None:
        why = duration_problem(info.frames / info.samplerate, expected_seconds)
        if why:
            return why
    return clip_problem(path) if samples else None
