"""Input checks shared by the adapters: problem collection, audio verification, tolerant text decoding,
and `TreeAdapter`, the load/folds frame every on-disk adapter fills in with its own `read`.

Adapters never drop an utterance silently: every bad input becomes a `Problem`. Under
`on_error="raise"` all problems of a load are gathered and raised together (so one run of
`data check` names every broken file, not just the first); under `"skip"` they become the
explicit `LoadReport.skipped` list.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Callable, ClassVar, Sequence

import soundfile as sf

from dataset_adapters.audio import clip_problem
from dataset_adapters.base import corpus_info, get_label_map
from dataset_adapters.labels import LabelMap, UnknownLabel, unify
from dataset_adapters.protocols import make_folds
from dataset_adapters.types import CorpusError, CorpusInfo, Fold, LoadReport, OnError, Problem, Utterance


class ProblemLog:
    """Collects the problems of one load; `finish()` raises them all under `on_error="raise"`."""

    def __init__(self, on_error: OnError) -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.on_error = on_error
        self.problems: list[Problem] = []

    def add(self, path: str | Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(path=str(path), line=line, message=message))

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
    if not kept:
        raise fatal(where, f"no usable {unit} found" + (f" ({len(skipped)} skipped)" if skipped else ""))
    return skipped


class TreeAdapter:
    """Base of the adapters that read a corpus's distributed tree (the `CorpusAdapter` protocol).

    `load` refuses a label map of another corpus before reading anything, finds the root, lets the
    subclass's `read` collect utterances (problems into the log, label-map drops into `filtered`), and
    ends with `finish_load`; `folds` come from the corpus's declared protocols.
    """

    info: ClassVar[CorpusInfo]
    find_root: ClassVar[Callable[[str | Path], Path]]
    unit: ClassVar[str] = "utterances"  # what "no usable ... found" names

    def load(self, root: str | Path, label_map: str | None = None, on_error: OnError = "raise",
             verify_audio: bool = True, verify_samples: bool = False) -> LoadReport:
        lmap = get_label_map(label_map or self.info.default_label_map, self.info.name)
        base = self.find_root(root)
        log = ProblemLog(on_error)
        filtered: dict[str, int] = {}
        kept, where = self.read(base, lmap, log, filtered, verify_audio, verify_samples)
        skipped = finish_load(log, kept, where, self.unit)
        return LoadReport(corpus=self.info.name, utterances=kept, skipped=skipped, filtered=filtered)

    def read(self, base: Path, lmap: LabelMap, log: ProblemLog, filtered: dict[str, int], verify_audio: bool,
             verify_samples: bool) -> tuple[list[Utterance], Path]:
        """The kept utterances sorted by uid (with context), and the path a load that kept none is blamed on."""
        raise NotImplementedError

    def folds(self, utterances: Sequence[Utterance], protocol: str) -> list[Fold]:
        return make_folds(utterances, protocol, self.info.protocols)


def map_label(
    corpus: str, raw: str, label_map: LabelMap, filtered: dict[str, int], log: ProblemLog, path: Path, line: int | None
) -> str | None:
    """Raw code -> class of `label_map`; None when dropped (counted in `filtered`) or unknown (logged)."""
    try:
        unified = unify(corpus, corpus_info(corpus).raw_codes, raw)
    except UnknownLabel as e:
        log.add(path, line, str(e))
        return None
    label = label_map.apply(unified)
    if label is None:
        filtered[raw] = filtered.get(raw, 0) + 1
    return label


def decode_text(data: bytes) -> str:
    """Decode a text file that is usually UTF-8 but not always (IEMOCAP, some MSP transcripts).

    Decoded line by line so one stray Windows-1252 byte does not change the rest of the file;
    latin-1 is the last resort because it accepts every byte.
    """
    out: list[str] = []
    for raw in data.splitlines(keepends=True):
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                out.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
    text = "".join(out)
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: Path) -> str:
    return decode_text(path.read_bytes())


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


def audio_problem(path: Path, samples: bool = False) -> str | None:
    """Why `path` is not a usable audio clip (missing, unreadable, truncated, empty), or None if it is fine.

    libsndfile quietly reads a truncated WAV up to where the bytes stop, so the declared size of
    the `data` chunk is compared with the bytes actually present. `samples=True` also asks the one
    audio reader whether the encoders could use the samples (finite, at least `MIN_SECONDS` long):
    what would otherwise fail feature preparation for the whole corpus at run time.
    """
    if not path.is_file():
        return "audio file missing"
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
    if chunk is not None:
        offset, declared = chunk
        present = size - offset
        # 0xFFFFFFFF / 0 are streaming placeholders some writers leave; frames then come from the file length.
        if declared not in (0, 0xFFFFFFFF) and present < declared:
            return f"audio file truncated: data chunk declares {declared} bytes, only {present} present"
    if info.frames <= 0:
        return "audio file has no samples"
    return clip_problem(path) if samples else None
