"""IEMOCAP adapter: reads `IEMOCAP_full_release/` exactly as distributed.

Labels come from the consensus files `Session{1..5}/dialog/EmoEvaluation/<dialog>.txt` (its
sub-folders hold per-annotator files and are ignored), text from
`Session{1..5}/dialog/transcriptions/<dialog>.txt`, audio from
`Session{1..5}/sentences/wav/<dialog>/<utt>.wav`. The speaker is the session plus the gender
letter of the utterance suffix (`Ses05M_script01_3_F000` -> `Ses05_F`), not the dialogue prefix.
"""
from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from dataset_adapters.base import get_label_map
from dataset_adapters.check import ProblemLog, TreeAdapter, audio_problem, fatal, map_label, read_text
from dataset_adapters.labels import LabelMap
from dataset_adapters.types import CorpusInfo, Utterance

NAME = "iemocap"


RAW_CODES: dict[str, str | None] = {
    "neu": "neu", "hap": "hap", "exc": "exc", "sad": "sad", "ang": "ang", "fru": "fru",
    "fea": "fea", "sur": "sur", "dis": "dis", "oth": "oth", "xxx": None,
}
INFO = CorpusInfo(
    name=NAME,
    version="IEMOCAP_full_release",
    env_var="LEMER_DATA_IEMOCAP",
    expected_root="the IEMOCAP_full_release folder (holding Session1 .. Session5)",
    protocols=("loso",),
    default_protocol="loso",
    label_maps=(
    LabelMap("iemocap-4", ("neu", "hap", "ang", "sad"), (("exc", "hap"),), (NAME,)),
    LabelMap("iemocap-6", ("neu", "hap", "ang", "sad", "exc", "fru"), (), (NAME,)),
    ),
    default_label_map="iemocap-4",
    raw_codes=RAW_CODES,
)
SESSIONS = tuple(f"Session{i}" for i in range(1, 6))

# Utterance id: dialogue (`Ses01F_impro01`, `Ses05M_script01_1b`) + `_` + gender letter + 3 digits.
UTT_ID = re.compile(r"^(?P<dialog>Ses(?P<session>\d\d)[FM]_[A-Za-z0-9_]+?)_(?P<gender>[FM])\d{3}$")
EVAL_LINE = re.compile(
    r"^\[\s*(?P<start>\d+(?:\.\d+)?)\s*-\s*(?P<end>\d+(?:\.\d+)?)\s*\]\s+(?P<uid>\S+)\s+(?P<label>\S+)\s+\[[^\]]*\]\s*$"
)
TRANSCRIPT_LINE = re.compile(r"^(?P<uid>\S+)\s+\[\s*[\d.]+\s*-\s*[\d.]+\s*\]\s*:\s?(?P<text>.*)$")


@dataclass(frozen=True)
class _Row:
    uid: str
    dialog: str
    speaker: str
    session: str
    start: float
    end: float
    label: str
    label_raw: str
    eval_file: Path
    line: int


def find_root(root: str | Path) -> Path:
    """The folder holding `Session1..5`; accepts the parent of `IEMOCAP_full_release/` too."""
    root = Path(root)
    if not root.is_dir():
        raise fatal(root, "corpus root does not exist or is not a folder")
    for candidate in (root, root / "IEMOCAP_full_release"):
        if any((candidate / s / "dialog" / "EmoEvaluation").is_dir() for s in SESSIONS):
            return candidate
    raise fatal(root, "not an IEMOCAP root: no Session{1..5}/dialog/EmoEvaluation/ folder found "
                      "(expected the IEMOCAP_full_release/ layout)")


def _label_files(session_dir: Path) -> list[Path]:
    """Consensus label files only: top-level `.txt` of EmoEvaluation (sub-folders are per-annotator)."""
    folder = session_dir / "dialog" / "EmoEvaluation"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".txt" and not p.name.startswith("."))


def parse_eval_file(path: Path, session: str, label_map_name: str, filtered: dict[str, int],
                    log: ProblemLog) -> list[_Row]:
    """Utterance lines of one EmoEvaluation file; annotator and header lines are skipped by design."""
    label_map = get_label_map(label_map_name, NAME)
    rows = []
    for n, line in enumerate(read_text(path).splitlines(), start=1):
        line = line.rstrip()
        if not line.startswith("["):  # header (`%`), blank separators, annotator lines (`C-E2:`, `A-E3:`)
            continue
        m = EVAL_LINE.match(line)
        if not m:
            log.add(path, n, f"malformed utterance line: {line[:80]!r}")
            continue
        uid = m["uid"]
        idm = UTT_ID.match(uid)
        if not idm:
            log.add(path, n, f"malformed utterance id {uid!r}")
            continue
        if idm["dialog"] != path.stem:
            log.add(path, n, f"utterance {uid!r} does not belong to dialogue {path.stem!r}")
            continue
        if f"Session{int(idm['session'])}" != session:
            log.add(path, n, f"utterance {uid!r} is filed under {session}")
            continue
        start, end = float(m["start"]), float(m["end"])
        if end < start:
            log.add(path, n, f"end time {end} before start time {start}")
            continue
        label = map_label(NAME, m["label"], label_map, filtered, log, path, n)
        if label is None:
            continue
        rows.append(_Row(uid=uid, dialog=idm["dialog"], speaker=f"Ses{idm['session']}_{idm['gender']}",
                         session=session, start=start, end=end, label=label, label_raw=m["label"],
                         eval_file=path, line=n))
    return rows


def parse_transcriptions(path: Path) -> dict[str, str]:
    """utterance id -> text; lines that are not utterances (`XX` ids, no timestamps) are not transcripts."""
    out: dict[str, str] = {}
    for line in read_text(path).splitlines():
        m = TRANSCRIPT_LINE.match(line.strip())
        if m and UTT_ID.match(m["uid"]):
            out[m["uid"]] = m["text"].strip()
    return out


class IemocapAdapter(TreeAdapter):
    info = INFO
    find_root = staticmethod(find_root)

    def read(self, base: Path, lmap: LabelMap, log: ProblemLog, filtered: dict[str, int], verify_audio: bool,
             verify_samples: bool) -> tuple[list[Utterance], Path]:
        rows: list[_Row] = []
        seen: dict[str, _Row] = {}
        for session in SESSIONS:
            session_dir = base / session
            if not session_dir.is_dir():
                continue
            files = _label_files(session_dir)
            if not files:
                log.add(session_dir / "dialog" / "EmoEvaluation", None, "no EmoEvaluation label files")
            for path in files:
                for row in parse_eval_file(path, session, lmap.name, filtered, log):
                    if row.uid in seen:
                        log.add(path, row.line, f"duplicate utterance {row.uid!r} "
                                                f"(first at {seen[row.uid].eval_file}:{seen[row.uid].line})")
                        continue
                    seen[row.uid] = row
                    rows.append(row)

        transcripts: dict[tuple[str, str], dict[str, str] | None] = {}
        kept: list[tuple[_Row, str, str]] = []
        for row in rows:
            key = (row.session, row.dialog)
            tfile = base / row.session / "dialog" / "transcriptions" / f"{row.dialog}.txt"
            if key not in transcripts:
                transcripts[key] = parse_transcriptions(tfile) if tfile.is_file() else None
                if transcripts[key] is None:
                    log.add(tfile, None, "transcription file missing")
            table = transcripts[key]
            if table is None:
                continue
            if row.uid not in table:
                log.add(tfile, None, f"no transcription line for {row.uid!r} (labelled at {row.eval_file}:{row.line})")
                continue
            wav = base / row.session / "sentences" / "wav" / row.dialog / f"{row.uid}.wav"
            if verify_audio or verify_samples:
                why = audio_problem(wav, samples=verify_samples)
                if why:
                    log.add(wav, None, f"{why} (labelled at {row.eval_file}:{row.line})")
                    continue
            kept.append((row, table[row.uid], os.path.abspath(wav)))
        return _with_context(kept), base


def _with_context(kept: list[tuple[_Row, str, str]]) -> list[Utterance]:
    """Utterances sorted by uid, each with all preceding kept utterances of its dialogue (by start time)."""
    by_dialog: dict[tuple[str, str], list[tuple[_Row, str, str]]] = defaultdict(list)
    for item in kept:
        by_dialog[(item[0].session, item[0].dialog)].append(item)
    out: list[Utterance] = []
    for items in by_dialog.values():
        items.sort(key=lambda it: (it[0].start, it[0].end, it[0].uid))
        previous: list[str] = []
        for row, text, wav in items:
            uid = f"{NAME}:{row.uid}"
            out.append(Utterance(uid=uid, corpus=NAME, speaker=row.speaker, session=row.session, audio=wav,
                                 start=row.start, end=row.end, transcript=text, label=row.label,
                                 label_raw=row.label_raw, partition=None, context=tuple(previous)))
            previous.append(uid)
    out.sort(key=lambda u: u.uid)
    return out
