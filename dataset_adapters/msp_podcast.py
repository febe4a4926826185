"""MSP-Podcast (v1.x) adapter: `Audios/`, `Labels/labels_consensus.{csv,json}`, optional `Transcripts/`.

Both spellings of the label file (`labels_consensus`, older `labels_concensus`) and both formats
(CSV, older JSON) are read; older JSON's `Validation` partition is the `Development` one.
`SpkrID` `Unknown` becomes speaker None. X (no agreement) and O (other) are dropped by the label
maps and counted as filtered. When the label file has no `Split_Set`, `Partitions.txt` supplies it.
Without a `Transcripts/` folder (older releases) every transcript is None; with one, a kept
utterance whose transcript file is missing is a problem (named file and label line), as a missing
clip is, never a silent None that a text model would later read.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dataset_adapters.check import ProblemLog, TreeAdapter, audio_problem, fatal, map_label, read_text
from dataset_adapters.labels import LabelMap
from dataset_adapters.types import CorpusInfo, Utterance

NAME = "msp-podcast"


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
)
LABEL_FILES = tuple(f"{stem}.{ext}" for ext in ("csv", "json") for stem in ("labels_consensus", "labels_concensus"))
SPLITS = {"Train": "Train", "Development": "Development", "Validation": "Development",
          "Test1": "Test1", "Test2": "Test2", "Test3": "Test3"}
UNLABELLED_SPLITS = ("Test3",)  # no public labels: an empty EmoClass there is expected
FILE_NAME = re.compile(r"^MSP-PODCAST_(?P<podcast>\d+)_(?P<segment>\d+(?:_\d+)*)$")
PARTITION_LINE = re.compile(r"^\s*(?P<split>\w+)\s*;\s*(?P<file>\S+)\s*$")


@dataclass(frozen=True)
class _Record:
    """One label-file entry before validation: where it came from and its raw fields."""

    line: int | None
    fields: dict[str, Any]


def find_root(root: str | Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise fatal(root, "corpus root does not exist or is not a folder")
    for candidate in (root, root / "MSP-PODCAST", root / "MSP-Podcast"):
        if (candidate / "Audios").is_dir() or (candidate / "Labels").is_dir():
            return candidate
    raise fatal(root, "not an MSP-Podcast root: no Audios/ or Labels/ folder found")


def find_label_file(base: Path) -> Path:
    """First of labels_consensus/labels_concensus .csv/.json in `Labels/` (then the root itself)."""
    for folder in (base / "Labels", base):
        for name in LABEL_FILES:
            if (folder / name).is_file():
                return folder / name
    raise fatal(base / "Labels", f"no label file found (looked for {', '.join(LABEL_FILES)})")


def read_csv_records(path: Path) -> list[_Record]:
    reader = csv.reader(io.StringIO(read_text(path)))
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


def read_json_records(path: Path) -> list[_Record]:
    """Older releases: {"<FileName>": {fields}} (or a one-element list); line = where the key appears."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise fatal(path, f"invalid JSON: {e.msg}", e.lineno) from None
    if not isinstance(data, dict):
        raise fatal(path, "JSON label file must map file names to label records", 1)
    key_line: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        for key in re.findall(r'"(MSP-PODCAST_[^"]+)"\s*:', line):
            key_line.setdefault(key, n)
    records = []
    for name, value in data.items():
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, dict):
            records.append(_Record(key_line.get(name), {"__error__": f"record of {name!r} is not an object"}))
            continue
        fields = {k: ("" if v is None else str(v).strip()) for k, v in value.items()}
        fields["FileName"] = name
        records.append(_Record(key_line.get(name), fields))
    return records


def read_partitions(path: Path, log: ProblemLog) -> dict[str, str]:
    """`Partitions.txt` (`Train; MSP-PODCAST_0001_0008.wav` per line) -> stem -> split."""
    out: dict[str, str] = {}
    for n, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        m = PARTITION_LINE.match(line)
        if not m or m["split"] not in SPLITS:
            log.add(path, n, f"malformed partition line: {line[:80]!r}")
            continue
        out[_stem(m["file"])] = SPLITS[m["split"]]
    return out


def _stem(file_name: str) -> str:
    return file_name[:-4] if file_name.lower().endswith(".wav") else file_name


def _order_key(stem: str) -> tuple[int, ...]:
    m = FILE_NAME.match(stem)
    assert m is not None
    return tuple(int(x) for x in m["segment"].split("_"))


class MspPodcastAdapter(TreeAdapter):
    info = INFO
    find_root = staticmethod(find_root)

    def read(self, base: Path, lmap: LabelMap, log: ProblemLog, filtered: dict[str, int], verify_audio: bool,
             verify_samples: bool) -> tuple[list[Utterance], Path]:
        label_file = find_label_file(base)
        records = read_json_records(label_file) if label_file.suffix == ".json" else read_csv_records(label_file)
        partitions: dict[str, str] | None = None
        transcripts_dir = base / "Transcripts"
        has_transcripts = transcripts_dir.is_dir()
        kept: list[Utterance] = []
        seen: dict[str, int | None] = {}
        for rec in records:
            f, line = rec.fields, rec.line
            if "__error__" in f:
                log.add(label_file, line, f["__error__"])
                continue
            stem = _stem(f.get("FileName", ""))
            m = FILE_NAME.match(stem)
            if not m:
                log.add(label_file, line, f"malformed FileName {f.get('FileName')!r} (expected MSP-PODCAST_<podcast>_<segment>.wav)")
                continue
            if stem in seen:
                log.add(label_file, line, f"duplicate entry for {stem!r} (first at line {seen[stem]})")
                continue
            seen[stem] = line
            split_raw = f.get("Split_Set")
            if split_raw is None:
                if partitions is None:
                    pfile = base / "Partitions.txt"
                    if not pfile.is_file():
                        raise fatal(label_file, "no Split_Set column and no Partitions.txt next to the corpus", 1)
                    partitions = read_partitions(pfile, log)
                split = partitions.get(stem)
                if split is None:
                    log.add(base / "Partitions.txt", None, f"{stem!r} has no partition")
                    continue
            elif split_raw not in SPLITS:
                log.add(label_file, line, f"unknown Split_Set {split_raw!r} (known: {', '.join(SPLITS)})")
                continue
            else:
                split = SPLITS[split_raw]
            raw = f.get("EmoClass", "")
            if not raw:
                if split in UNLABELLED_SPLITS:
                    filtered["(unlabelled)"] = filtered.get("(unlabelled)", 0) + 1
                else:
                    log.add(label_file, line, f"empty EmoClass for {stem!r} in partition {split}")
                continue
            label = map_label(NAME, raw, lmap, filtered, log, label_file, line)
            if label is None:
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
                if not tfile.is_file():  # a release that ships transcripts lacks this one: a broken tree
                    log.add(tfile, None, f"transcript file missing (labelled at {label_file.name}:{line})")
                    continue
                transcript = " ".join(read_text(tfile).split())
            speaker = f.get("SpkrID", "").strip()
            kept.append(Utterance(
                uid=f"{NAME}:{stem}", corpus=NAME,
                speaker=None if speaker in ("", "Unknown") else speaker, session=None,
                audio=os.path.abspath(wav), start=None, end=None, transcript=transcript,
                label=label, label_raw=raw, partition=split,
            ))
        return _with_context(kept), label_file


def _with_context(kept: list[Utterance]) -> list[Utterance]:
    """Each utterance gets every preceding kept segment of its podcast (by segment index), oldest first."""
    by_podcast: dict[str, list[Utterance]] = defaultdict(list)
    for u in kept:
        stem = u.uid.split(":", 1)[1]
        by_podcast[FILE_NAME.match(stem)["podcast"]].append(u)  # type: ignore[index]
    out: list[Utterance] = []
    for items in by_podcast.values():
        items.sort(key=lambda u: _order_key(u.uid.split(":", 1)[1]))
        previous: list[str] = []
        for u in items:
            out.append(replace(u, context=tuple(previous)))
            previous.append(u.uid)
    out.sort(key=lambda u: u.uid)
    return out
