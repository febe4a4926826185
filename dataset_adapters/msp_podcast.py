"""MSP-Podcast (v1.x) adapter: `Audios/`, `Labels/labels_consensus.{csv,json}`, `Labels/labels_detailed.{csv,json}`,
optional `Transcripts/`, optional `Partitions.txt` / `Partition.txt`.

Facts relied on (release readme of v1.12 as quoted in a public preprocessing bundle; public
parsers of v1.6-v1.11 and of the November 2024 labels):
- `labels_consensus.csv`: `FileName, EmoClass, EmoAct, EmoVal, EmoDom, SpkrID, Gender, Split_Set`.
  `EmoClass` codes A S H U F D C N, O (other) and X (no agreement); `EmoAct` (arousal), `EmoVal`,
  `EmoDom` on a 1-7 scale (the plain mean of the annotators' ratings); `Gender` Female / Male /
  Unknown; `SpkrID` a number or Unknown. Older releases spell it `labels_concensus`, some ship
  `.json` (`{"<FileName>": {fields}}`, older `Validation` = `Development`).
- `labels_detailed.csv` (the per-annotator file, beside it): one row per (file, annotator). Two
  layouts exist: v1.11+ `FileName, EmoDetail` with `EmoDetail` =
  `WORKER00014; Angry; Frustrated,Annoyed; A:2.0; V:1.0; D:5.0;` (worker; primary emotion; optional
  comma-separated secondary emotions; the worker's own A/V/D ratings), and older (v1.6) columns
  `FileName, Workers, EmoClass_Major, EmoClass_Second, EmoAct, EmoVal, EmoDom`.
  `labels_detailed.json` (older releases): `{"<FileName>": {"<worker>": {"EmoClass_Major": ...,
  "EmoAct": ..., "EmoVal": ..., "EmoDom": ...}}}`. Primary emotions are long names (Angry, Sad,
  Happy, Surprise, Fear, Disgust, Contempt, Neutral, Other and many `Other-<word>` variants) or codes.
- `Partitions.txt` / `Partition.txt` (`Train; MSP-PODCAST_0001_0008.wav` per line) lists every
  partition, Test3 included (Test3 has no public labels).

How it is read:
- Votes count each annotator's PRIMARY emotion, one vote each (`Other-*` -> O -> oth); the
  secondary emotions are an "all that apply" list, not a vote, and are not counted. The same worker
  twice for one file is a `duplicate-annotation` note (the first row counts). A malformed row is a
  problem naming file and line; under skip only that row is left out.
- Dims are the consensus columns; a `dims-mean` note flags consensus values that are not the mean
  of the per-annotator ratings (tolerance 0.01). A labelled row with unreadable dims is a problem.
- X (no agreement) utterances go to `LoadReport.no_consensus`, O (other) to `outside_map`;
  `Split_Set` Test3 rows without a class are counted as `(unlabelled)`.
- `SpkrID` `Unknown` becomes speaker None; `Gender` gives `Utterance.gender` (F / M, None when Unknown).
- Every file is accounted for: a clip in `Audios/` without a label row is a problem, unless the
  partition file lists it under a partition (Test3 ships audio without labels): then an
  `unlabelled-audio` note; a transcript without a label row is an `unlabelled-text` note. Expected
  partitions Train, Development and Test1 absent from the label file are in `LoadReport.missing`;
  an absent Test2 (older releases) is an `absent-partition` note. Without a `Transcripts/` folder
  (older releases) every transcript is None; with one, a missing transcript file of a kept
  utterance is a problem. A JSON label file that names a FileName twice is a problem at the second
  occurrence (the CSV reader refuses duplicates the same way).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataset_adapters.check import (
    UNKNOWN,
    ProblemLog,
    Read,
    TreeAdapter,
    audio_problem,
    fatal,
    make_votes,
    route_label,
    with_context,
)
from dataset_adapters.files import UnreadableFile, is_folder, is_present, read_text
from dataset_adapters.labels import LabelMap
from dataset_adapters.types import CorpusInfo, Dims, Problem, Utterance

NAME = "msp-podcast"
SCALE = (1.0, 7.0)

RAW_CODES: dict[str, str | None] = {
    "A": "ang", "S": "sad", "H": "hap", "U": "sur", "F": "fea", "D": "dis", "C": "con",
    "N": "neu", "O": "oth", "X": None,
}
INFO = CorpusInfo(
    name=NAME,
    version="MSP-Podcast v1.x",
    env_var="LEMER_DATA_MSP_PODCAST",
    expected_root="the MSP-Podcast folder (holding Audios/ and Labels/)",
    protocols=("official",),
    default_protocol="official",
    label_maps=(
    LabelMap("msp-4", ("neu", "hap", "ang", "sad"), (), (NAME,)),
    LabelMap("msp-8", ("ang", "sad", "hap", "sur", "fea", "dis", "con", "neu"), (), (NAME,)),
    ),
    default_label_map="msp-8",
    raw_codes=RAW_CODES,
    tasks=("categorical", "dimensional", "soft"),
    dims_scale=SCALE,
)
LABEL_FILES = tuple(f"{stem}.{ext}" for ext in ("csv", "json") for stem in ("labels_consensus", "labels_concensus"))
DETAILED_FILES = ("labels_detailed.csv", "labels_detailed.json")
PARTITION_FILES = ("Partitions.txt", "Partition.txt")
SPLITS = {"Train": "Train", "Development": "Development", "Validation": "Development",
          "Test1": "Test1", "Test2": "Test2", "Test3": "Test3"}
EXPECTED_SPLITS = ("Train", "Development", "Test1")
UNLABELLED_SPLITS = ("Test3",)  # no public labels: an empty EmoClass there is expected
FILE_NAME = re.compile(r"^MSP-PODCAST_(?P<podcast>\d+)_(?P<segment>\d+(?:_\d+)*)$")
PARTITION_LINE = re.compile(r"^\s*(?P<split>\w+)\s*;\s*(?P<file>\S+)\s*$")
PRIMARY_NAMES = {"angry": "A", "anger": "A", "sad": "S", "sadness": "S", "happy": "H", "happiness": "H",
                 "surprise": "U", "surprised": "U", "fear": "F", "disgust": "D", "contempt": "C", "neutral": "N",
                 "other": "O"}
DETAILED_COLUMNS = ("EmoClass_Major", "EmoAct", "EmoVal", "EmoDom")
GENDERS = {"female": "F", "f": "F", "male": "M", "m": "M", "unknown": None, "": None}
DIMS_MEAN_TOLERANCE = 0.01


@dataclass(frozen=True)
class _Record:
    """One label-file entry before validation: where it came from and its raw fields."""

    line: int | None
    fields: dict[str, Any]


@dataclass
class _Annotations:
    """The per-annotator rows of one segment."""

    codes: list[str] = field(default_factory=list)  # unified primary emotion per annotator
    ratings: list[tuple[float, float, float]] = field(default_factory=list)  # (act, val, dom) per annotator
    workers: dict[str, int | None] = field(default_factory=dict)  # worker -> line of its first row


def find_root(root: str | Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise fatal(root, "corpus root does not exist or is not a folder")
    for candidate in (root, root / "MSP-PODCAST", root / "MSP-Podcast"):
        if is_folder(candidate / "Audios") or is_folder(candidate / "Labels"):
            return candidate
    raise fatal(root, "not an MSP-Podcast root: no Audios/ or Labels/ folder found")


def _find(base: Path, names: tuple[str, ...]) -> list[Path]:
    return [folder / name for folder in (base / "Labels", base) for name in names
            if is_present(folder / name)]


def find_label_file(base: Path) -> Path:
    """First of labels_consensus/labels_concensus .csv/.json in `Labels/` (then the root itself)."""
    found = _find(base, LABEL_FILES)
    if not found:
        raise fatal(base / "Labels", f"no label file found (looked for {', '.join(LABEL_FILES)})")
    return found[0]


def _read(path: Path, log: ProblemLog, what: str) -> str:
    """A label file's text; a label file that cannot be read makes the corpus unreadable (fatal, named)."""
    try:
        return read_text(path, log.notes)
    except UnreadableFile as e:
        raise fatal(e.path, f"{what} unreadable: {e.reason}", e.line) from None


def read_csv_records(path: Path, log: ProblemLog | None = None) -> list[_Record]:
    reader = csv.reader(io.StringIO(_read(path, log or ProblemLog("raise"), "label file")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise fatal(path, "label file is empty", 1) from None
    if "FileName" not in header or "EmoClass" not in header:
        raise fatal(path, f"header must name FileName and EmoClass columns, got {header}", 1)
    records = []
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            records.append(_Record(line, {"__error__": f"expected {len(header)} fields, got {len(row)}"}))
            continue
        records.append(_Record(line, {h: c.strip() for h, c in zip(header, row)}))
    return records


def _key_lines(text: str) -> dict[str, list[int]]:
    """Every line where a `"MSP-PODCAST_...":` key appears, per key (for JSON line numbers and duplicates)."""
    out: dict[str, list[int]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        for key in re.findall(r'"(MSP-PODCAST_[^"]+)"\s*:', line):
            out.setdefault(key, []).append(n)
    return out


def _load_json(path: Path, text: str) -> tuple[dict[str, Any], list[str]]:
    """The top-level object and the keys it names more than once (json keeps the last silently)."""
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                duplicates.append(k)
            out.setdefault(k, v)  # the FIRST occurrence is the record; the later one is the problem
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        raise fatal(path, f"invalid JSON: {e.msg}", e.lineno) from None
    if not isinstance(data, dict):
        raise fatal(path, "JSON label file must map file names to label records", 1)
    return data, duplicates


def read_json_records(path: Path, log: ProblemLog | None = None) -> list[_Record]:
    """Older releases: {"<FileName>": {fields}} (or a one-element list); line = where the key appears.
    A FileName given twice yields an error record at its second line."""
    text = _read(path, log or ProblemLog("raise"), "label file")
    data, duplicates = _load_json(path, text)
    key_lines = _key_lines(text)
    records = []
    for name, value in data.items():
        line = (key_lines.get(name) or [None])[0]
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, dict):
            records.append(_Record(line, {"__error__": f"record of {name!r} is not an object"}))
            continue
        fields = {k: ("" if v is None else str(v).strip()) for k, v in value.items()}
        fields["FileName"] = name
        records.append(_Record(line, fields))
    for name in duplicates:
        lines = key_lines.get(name) or []
        first = lines[0] if lines else "?"
        records.append(_Record(lines[1] if len(lines) > 1 else None,
                               {"__error__": f"{name!r} is given more than once (first at line {first})"}))
    return records


def read_partitions(path: Path, log: ProblemLog) -> dict[str, str]:
    """`Partitions.txt` (`Train; MSP-PODCAST_0001_0008.wav` per line) -> stem -> split."""
    out: dict[str, str] = {}
    text = log.text(path, "partition file")
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        m = PARTITION_LINE.match(line)
        if not m or m["split"] not in SPLITS:
            log.add(path, n, f"malformed partition line: {line[:80]!r}")
            continue
        out[_stem(m["file"])] = SPLITS[m["split"]]
    return out


def primary_code(name: str) -> str | None:
    """An annotator's primary emotion (long name or code) -> MSP code; None when unknown."""
    key = " ".join(name.strip().split()).lower()
    if key.upper() in RAW_CODES and key.upper() != "X":
        return key.upper()
    if key in PRIMARY_NAMES:
        return PRIMARY_NAMES[key]
    if key.startswith("other"):
        return "O"
    return None


def _rating(value: str) -> float | str:
    try:
        x = float(value)
    except ValueError:
        return f"rating {value!r} is not a number"
    if not SCALE[0] <= x <= SCALE[1]:
        return f"rating {x:g} outside the {SCALE[0]:g}-{SCALE[1]:g} scale"
    return x


def _detail_row(detail: str) -> tuple[str, str, tuple[str, str, str]] | str:
    """(worker, primary, (A, V, D) strings) of a v1.11+ `EmoDetail`, or why it cannot be read."""
    parts = [p.strip() for p in detail.split(";") if p.strip()]
    dims = {p[0]: p[2:].strip() for p in parts if len(p) > 1 and p[0] in "AVD" and p[1] == ":"}
    rest = [p for p in parts if not (len(p) > 1 and p[0] in "AVD" and p[1] == ":")]
    if len(rest) < 2:
        return f"expected 'WORKER; primary; [secondary;] A:x; V:y; D:z;', got {detail[:80]!r}"
    absent = [k for k in "AVD" if k not in dims]
    if absent:
        return f"no {', '.join(a + ':' for a in absent)} rating in {detail[:80]!r}"
    return rest[0], rest[1], (dims["A"], dims["V"], dims["D"])


def read_detailed(path: Path, log: ProblemLog) -> dict[str, _Annotations]:
    """stem -> the per-annotator primary emotions and ratings of `labels_detailed.{csv,json}`."""
    out: dict[str, _Annotations] = {}
    text = log.text(path, "per-annotator label file")
    if text is None:
        return out
    rows: list[tuple[int | None, str, str, str, tuple[str, str, str]]] = []  # (line, stem, worker, primary, avd)
    if path.suffix == ".json":
        data, duplicates = _load_json(path, text)
        key_lines = _key_lines(text)
        for name in duplicates:
            log.add(path, (key_lines.get(name) or [None, None])[1], f"{name!r} is given more than once")
        for name, workers in data.items():
            line = (key_lines.get(name) or [None])[0]
            if isinstance(workers, dict) and isinstance(workers.get("Workers"), list):
                workers = {str(w.get("Name", i)): w for i, w in enumerate(workers["Workers"]) if isinstance(w, dict)}
            if not isinstance(workers, dict):
                log.add(path, line, f"annotations of {name!r} are not an object of workers")
                continue
            for worker, a in workers.items():
                if not isinstance(a, dict) or not all(k in a for k in DETAILED_COLUMNS):
                    log.add(path, line, f"annotation of {name!r} by {worker!r} lacks {'/'.join(DETAILED_COLUMNS)}")
                    continue
                major = a["EmoClass_Major"]
                major = major[0] if isinstance(major, list) and major else major
                avd = (str(a["EmoAct"]), str(a["EmoVal"]), str(a["EmoDom"]))
                rows.append((line, _stem(name), str(worker), str(major), avd))
    else:
        reader = csv.reader(io.StringIO(text))
        header = [h.strip() for h in next(reader, [])]
        worker_col = next((c for c in ("WorkerID", "Workers", "Worker") if c in header), None)
        if "FileName" in header and "EmoDetail" in header:
            layout = "detail"
        elif "FileName" in header and worker_col and all(c in header for c in DETAILED_COLUMNS):
            layout = "columns"
        else:
            log.add(path, 1, f"header must be FileName,EmoDetail or FileName,WorkerID,EmoClass_Major,...,EmoAct,EmoVal,"
                             f"EmoDom; got {header}")
            return out
        for row in reader:
            n = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                log.add(path, n, f"expected {len(header)} fields, got {len(row)}")
                continue
            f = {h: c.strip() for h, c in zip(header, row)}
            if layout == "detail":
                parsed = _detail_row(f["EmoDetail"])
                if isinstance(parsed, str):
                    log.add(path, n, parsed)
                    continue
                worker, major, avd = parsed
            else:
                worker, major, avd = f[worker_col], f["EmoClass_Major"], (f["EmoAct"], f["EmoVal"], f["EmoDom"])  # type: ignore[index]
            rows.append((n, _stem(f["FileName"]), worker, major, avd))
    for line, stem, worker, major, avd in rows:
        code = primary_code(major)
        ratings = [_rating(x) for x in avd]
        bad = [r for r in ratings if isinstance(r, str)]
        if code is None:
            log.add(path, line, f"unknown primary emotion {major!r} of {worker} for {stem}")
            continue
        if bad:
            log.add(path, line, f"{worker} for {stem}: {bad[0]}")
            continue
        ann = out.setdefault(stem, _Annotations())
        if worker in ann.workers:
            log.note("duplicate-annotation", path, line, f"{worker} annotated {stem} again (first at line "
                                                         f"{ann.workers[worker]}); the first annotation counts")
            continue
        ann.workers[worker] = line
        ann.codes.append(RAW_CODES[code])  # type: ignore[arg-type]
        ann.ratings.append(tuple(ratings))  # type: ignore[arg-type]
    return out


def _stem(file_name: str) -> str:
    return file_name[:-4] if file_name.lower().endswith(".wav") else file_name


def _order_key(stem: str) -> tuple[int, ...]:
    m = FILE_NAME.match(stem)
    assert m is not None
    return tuple(int(x) for x in m["segment"].split("_"))


def _dims(f: dict[str, Any]) -> Dims | str | None:
    """The consensus dims of a label row, None when the file has no such columns, or why they cannot be read."""
    keys = ("EmoAct", "EmoVal", "EmoDom")
    if not any(k in f for k in keys):
        return None
    values = [_rating(str(f.get(k, ""))) for k in keys]
    bad = [v for v in values if isinstance(v, str)]
    if bad:
        return f"EmoAct/EmoVal/EmoDom: {bad[0]}"
    a, v, d = values
    return Dims(arousal=a, valence=v, dominance=d, scale=SCALE)  # type: ignore[arg-type]


class MspPodcastAdapter(TreeAdapter):
    info = INFO
    find_root = staticmethod(find_root)

    def read(self, base: Path, lmap: LabelMap, log: ProblemLog, filtered: dict[str, int], verify_audio: bool,
             verify_samples: bool) -> Read:
        label_file = find_label_file(base)
        for other in _find(base, LABEL_FILES)[1:]:
            log.note("ignored-file", other, None, f"another consensus label file; {label_file.name} is the one read")
        records = (read_json_records(label_file, log) if label_file.suffix == ".json"
                   else read_csv_records(label_file, log))
        detailed_files = _find(base, DETAILED_FILES)
        annotations = read_detailed(detailed_files[0], log) if detailed_files else None
        if annotations is None:
            log.note("no-votes", base / "Labels", None, f"no {' or '.join(DETAILED_FILES)}: utterances carry no votes")
        partition_files = _find(base, PARTITION_FILES)
        partitions = read_partitions(partition_files[0], log) if partition_files else None
        transcripts_dir = base / "Transcripts"
        has_transcripts = is_folder(transcripts_dir)
        out: list[Utterance] = []
        seen: dict[str, int | None] = {}
        present: set[str] = set()  # partitions that labelled rows fall in
        for rec in records:
            f, line = rec.fields, rec.line
            if "__error__" in f:
                log.add(label_file, line, f["__error__"])
                continue
            stem = _stem(f.get("FileName", ""))
            m = FILE_NAME.match(stem)
            if not m:
                log.add(label_file, line,
                        f"malformed FileName {f.get('FileName')!r} (expected MSP-PODCAST_<podcast>_<segment>.wav)")
                continue
            if stem in seen:
                log.add(label_file, line, f"duplicate entry for {stem!r} (first at line {seen[stem]})")
                continue
            seen[stem] = line
            split_raw = f.get("Split_Set")
            if split_raw is None:
                if partitions is None:
                    raise fatal(label_file, f"no Split_Set column and no {' or '.join(PARTITION_FILES)} next to the "
                                            "corpus", 1)
                split = partitions.get(stem)
                if split is None:
                    log.add(partition_files[0], None, f"{stem!r} has no partition")
                    continue
            elif split_raw not in SPLITS:
                log.add(label_file, line, f"unknown Split_Set {split_raw!r} (known: {', '.join(SPLITS)})")
                continue
            else:
                split = SPLITS[split_raw]
            raw = f.get("EmoClass", "")
            if raw:
                present.add(split)
            if not raw:
                if split in UNLABELLED_SPLITS:
                    filtered["(unlabelled)"] = filtered.get("(unlabelled)", 0) + 1
                else:
                    log.add(label_file, line, f"empty EmoClass for {stem!r} in partition {split}")
                continue
            label = route_label(NAME, raw, lmap, filtered, log, label_file, line)
            if label is UNKNOWN:
                continue
            dims = _dims(f)
            if isinstance(dims, str):
                log.add(label_file, line, f"{stem}: {dims}")
                continue
            gender_raw = f.get("Gender", "")
            if gender_raw.strip().lower() not in GENDERS:
                log.add(label_file, line, f"{stem}: unknown Gender {gender_raw!r} (known: Female, Male, Unknown)")
                continue
            wav = base / "Audios" / f"{stem}.wav"
            if verify_audio or verify_samples:
                why = audio_problem(wav, samples=verify_samples)
                if why:
                    log.add(wav, None, f"{why} (labelled at {label_file.name}:{line})")
                    continue
            transcript = None  # releases without Transcripts/ carry no gold text at all
            if has_transcripts:
                tfile = transcripts_dir / f"{stem}.txt"
                if not is_present(tfile):  # a release that ships transcripts lacks this one
                    log.add(tfile, None, f"transcript file missing (labelled at {label_file.name}:{line})")
                    continue
                text = log.text(tfile, "transcript file")
                if text is None:
                    continue
                transcript = " ".join(text.split())
            votes = None
            if annotations is not None:
                ann = annotations.get(stem)
                if ann is None or not ann.codes:
                    log.note("no-votes", detailed_files[0], None, f"{stem} has no per-annotator row")
                else:
                    raw_votes: dict[str, float] = {}
                    for code in ann.codes:
                        raw_votes[code] = raw_votes.get(code, 0.0) + 1.0
                    votes = make_votes(raw_votes, len(ann.codes), lmap)
                    if dims is not None:
                        mean = [sum(r[i] for r in ann.ratings) / len(ann.ratings) for i in range(3)]
                        consensus = (dims.arousal, dims.valence, dims.dominance)
                        if any(abs(x - c) > DIMS_MEAN_TOLERANCE for x, c in zip(mean, consensus)):
                            log.note("dims-mean", label_file, line, f"{stem}: EmoAct/EmoVal/EmoDom "
                                     f"{list(consensus)} is not the mean "
                                     f"{[round(x, 4) for x in mean]} of its {len(ann.ratings)} annotators")
            speaker = f.get("SpkrID", "").strip()
            out.append(Utterance(
                uid=f"{NAME}:{stem}", corpus=NAME,
                speaker=None if speaker in ("", "Unknown") else speaker, session=None,
                audio=os.path.abspath(wav), start=None, end=None, transcript=transcript,
                label=label, label_raw=raw, partition=split,  # type: ignore[arg-type]
                gender=GENDERS[gender_raw.strip().lower()], dims=dims, votes=votes,
            ))
        missing = self._account(base, label_file, seen, present, annotations, detailed_files, partitions,
                                has_transcripts, log)
        utterances = with_context(out, lambda u: FILE_NAME.match(u.uid.split(":", 1)[1])["podcast"],  # type: ignore[index]
                                  lambda u: _order_key(u.uid.split(":", 1)[1]))
        return Read(utterances, label_file, missing)

    @staticmethod
    def _account(base: Path, label_file: Path, labelled: dict[str, int | None], present: set[str],
                 annotations: dict[str, _Annotations] | None, detailed_files: list[Path],
                 partitions: dict[str, str] | None, has_transcripts: bool, log: ProblemLog) -> list[Problem]:
        """Clips and transcripts without a label row, annotations without one, absent partitions."""
        for wav in log.entries(base / "Audios", "clip folder") or []:
            if wav.suffix.lower() != ".wav":
                log.note("ignored-file", wav, None, "not a .wav clip")
            elif wav.stem not in labelled:
                split = (partitions or {}).get(wav.stem)
                if split is not None:
                    log.note("unlabelled-audio", wav, None, f"no row in {label_file.name}; the partition file puts it "
                                                            f"in {split}")
                else:
                    log.add(wav, None, f"audio file has no label row in {label_file.name}")
        if has_transcripts:
            for t in log.entries(base / "Transcripts", "transcript folder") or []:
                if t.stem not in labelled:
                    log.note("unlabelled-text", t, None, f"transcript without a row in {label_file.name}")
        for stem in sorted(set(annotations or {}) - set(labelled)):
            log.note("no-votes", detailed_files[0], None,
                     f"annotations of {stem}, which has no row in {label_file.name}")
        missing = [Problem(str(label_file), None, f"expected partition {p} has no labelled rows (the official protocol "
                                                  f"trains on Train, validates on Development, tests on Test1)")
                   for p in EXPECTED_SPLITS if p not in present]
        if "Test2" not in present:
            log.note("absent-partition", label_file, None,
                     "no Test2 rows (releases before Test2 existed): one test fold")
        return missing


