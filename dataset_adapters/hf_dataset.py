"""Hugging Face `datasets` interop: write a manifest as a saved `datasets.Dataset`, read one back.

Why: researchers keep corpora as `datasets` folders; reading one must give the SAME `Utterance`
records, label-map decisions and checks as the named corpus's on-disk adapter, so that the
corpus's own protocols make the folds and no speaker can leak between train and test.

Root syntax: `hf:DIR` or, when the dataset names its columns differently, `hf:DIR?FIELD=COLUMN&...`
(e.g. `hf:/data/iemo?speaker=spk_id&label=emotion`). FIELD is one of `MAPPABLE`; `label` is an
alias of `label_raw`: the raw label is always re-mapped through the label map, so an unknown raw
code is the same error (or counted skip) as on disk. A stored `label` column is never trusted.
A `ClassLabel` column is read by class name. Required columns: uid, speaker (folds must be
speaker-disjoint), label_raw, plus session (IEMOCAP `loso`) or partition (MSP-Podcast `official`).

Columns written by `export_dataset`: uid, corpus, speaker, session, partition, label, label_raw,
transcript, context, start, end, gender, dims, votes, `audio` (a `datasets.Audio` feature) and
`audio_path` (the absolute path of the clip as the adapter read it). `dims` is a struct
{arousal, valence, dominance, lo, hi} (null where the corpus has none); `votes` a struct
{classes, counts, raw_classes, raw_counts, annotators} (null where none). On reading, the votes
are re-mapped from `raw_classes`/`raw_counts` through the label map of THIS read (so a dataset
exported under iemocap-6 read under iemocap-4 counts Excited as hap and Frustration under oth, as
the tree would); a dataset without these columns reads with dims/votes/gender None, and flat
`arousal`/`valence`/`dominance` columns (mappable, e.g. `hf:DIR?arousal=EmoAct`) are read on the
corpus's own scale. Rows whose raw label has no consensus or is dropped by the map land in
`LoadReport.no_consensus` / `outside_map` exactly as on disk. datasets 5.x `save_to_disk` always embeds the
bytes of local audio files into the `audio` column (and keeps only the file's base name as its
path), so the export is self-contained for notebook users; this reader takes the clip from
`audio_path` (or from the `audio` column's path when it is an existing file, relative paths
resolved against DIR) and applies the on-disk audio checks. Embedded bytes without a reachable
file are refused, not unpacked.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl

from dataset_adapters.base import corpus_info, get_label_map
from dataset_adapters.check import (
    UNKNOWN,
    ProblemLog,
    Read,
    audio_problem,
    build_report,
    fatal,
    make_votes,
    route_label,
)
from dataset_adapters.labels import VOCAB
from dataset_adapters.types import Dims, LoadReport, OnError, Problem, Utterance

PREFIX = "hf:"
PROVENANCE_FILE = "lemer_source.json"  # beside the saved dataset: where it came from, synthetic or not
MAPPABLE: tuple[str, ...] = ("uid", "speaker", "session", "partition", "label_raw", "transcript", "context",
                             "start", "end", "audio_path", "audio", "corpus", "gender", "dims", "votes", "arousal",
                             "valence", "dominance")
GENDER_VALUES: dict[str, str | None] = {"f": "F", "female": "F", "m": "M", "male": "M", "": None, "unknown": None}
ALIASES: dict[str, str] = {"label": "label_raw"}
# Columns without which the corpus's protocol cannot make honest folds (speaker for disjointness).
REQUIRED: dict[str, tuple[str, ...]] = {
    "iemocap": ("uid", "speaker", "session", "label_raw"),
    "msp-podcast": ("uid", "speaker", "partition", "label_raw"),
    "crema-d": ("uid", "speaker", "label_raw"),
}
UNKNOWN_SPEAKER_OK = ("msp-podcast",)  # on disk, SpkrID `Unknown` is speaker None; elsewhere a speaker is required
UNKNOWN_SPEAKER_VALUES = ("", "Unknown")


def is_hf_root(root: str | os.PathLike[str]) -> bool:
    """True for a `hf:DIR[?...]` root (a saved `datasets` folder), False for an on-disk corpus tree."""
    return isinstance(root, str) and root.startswith(PREFIX)


def parse_hf_root(root: str) -> tuple[Path, dict[str, str]]:
    """`hf:DIR?speaker=spk_id&label=emotion` -> (DIR, {field: column}); ValueError naming a bad key."""
    if not is_hf_root(root):
        raise ValueError(f"{root!r} is not a hf:DIR root")
    body = root[len(PREFIX):]
    path, _, query = body.partition("?")
    if not path:
        raise ValueError(f"{root!r}: expected hf:DIR (a folder written by Dataset.save_to_disk)")
    mapping: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError(f"{root!r}: the column mapping must be FIELD=COLUMN pairs joined by '&' "
                         f"(e.g. hf:DIR?speaker=spk_id&label=emotion)") from None
    for key, column in pairs:
        field = ALIASES.get(key, key)
        if field not in MAPPABLE:
            raise ValueError(f"{root!r}: unknown field {key!r} in the column mapping; "
                             f"known: {', '.join(MAPPABLE + tuple(ALIASES))}")
        if not column:
            raise ValueError(f"{root!r}: empty column name for field {key!r}")
        if field in mapping:
            raise ValueError(f"{root!r}: field {field!r} mapped twice")
        mapping[field] = column
    return Path(path).expanduser(), mapping


def format_hf_root(path: str | os.PathLike[str], mapping: Mapping[str, str] | None = None) -> str:
    """The canonical `hf:` root string for an absolute DIR and a column mapping (inverse of `parse_hf_root`)."""
    from urllib.parse import urlencode

    query = urlencode(sorted((mapping or {}).items()))
    return f"{PREFIX}{Path(path).resolve()}" + (f"?{query}" if query else "")


def read_provenance(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The export's provenance record (`lemer_source.json`), or None for datasets from elsewhere."""
    p = Path(path) / PROVENANCE_FILE
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise fatal(p, f"unreadable provenance file: {e}") from None
    return data if isinstance(data, dict) else None


def _open_table(path: Path) -> tuple[Any, dict[str, list[str]]]:
    """The saved Dataset's rows as an Arrow table (memory-mapped, audio never decoded), and the class
    names of its `ClassLabel` columns (HF datasets often store labels as integer class ids)."""
    import datasets

    if not path.is_dir():
        raise fatal(path, "hf dataset folder does not exist (expected a folder written by Dataset.save_to_disk)")
    try:
        ds = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError, OSError) as e:
        raise fatal(path, f"not a saved Hugging Face dataset: {e}") from None
    if isinstance(ds, datasets.DatasetDict):
        splits = ", ".join(ds)
        raise fatal(path, f"holds a DatasetDict (splits: {splits}); point at one split: hf:{path}/<split>")
    names = {c: list(f.names) for c, f in ds.features.items() if isinstance(f, datasets.ClassLabel)}
    return ds.with_format("arrow")[:], names  # respects any index mapping; zero-copy slices of the mapped file


def _rows(table: Any, present: Mapping[str, str], class_names: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    """Plain Python rows of the columns we read only: an `audio` struct yields its path, never its bytes
    (a saved export embeds every clip; turning those into Python objects would copy the whole corpus);
    a `ClassLabel` column yields its class names (the raw codes), not the integer ids.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cols: dict[str, list[Any]] = {}
    for column in sorted(set(present.values())):
        data = table.column(column)
        if pa.types.is_struct(data.type) and data.type.get_field_index("path") >= 0:
            data = pc.struct_field(data, "path")
        values = data.to_pylist()
        if column in class_names:
            names = class_names[column]
            values = [names[v] if isinstance(v, int) and 0 <= v < len(names) else v for v in values]
        cols[column] = values
    n = table.num_rows
    return [{c: values[i] for c, values in cols.items()} for i in range(n)]


def _column_of(field: str, mapping: Mapping[str, str], columns: list[str]) -> str | None:
    column = mapping.get(field, field)
    return column if column in columns else None


def _check_columns(corpus: str, path: Path, mapping: Mapping[str, str], columns: list[str]) -> dict[str, str]:
    """field -> dataset column for every field present; a clear fatal error for a missing required one."""
    for field, column in mapping.items():
        if column not in columns:
            raise fatal(path, f"column mapping {field}={column}: the dataset has no column {column!r} "
                              f"(columns: {', '.join(columns)})")
    present = {f: c for f in MAPPABLE if (c := _column_of(f, mapping, columns)) is not None}
    missing = [f for f in REQUIRED[corpus] if f not in present]
    if missing:
        why = {"speaker": "speaker-disjoint folds need it", "session": "the loso protocol needs it",
               "partition": "the official protocol needs it", "uid": "utterances need an id",
               "label_raw": "labels go through the label map from the raw code"}
        detail = "; ".join(f"{f!r} ({why[f]})" for f in missing)
        raise fatal(path, f"hf dataset read as {corpus} lacks required column(s) {detail}; "
                          f"map a differently named column with hf:{path}?FIELD=COLUMN "
                          f"(columns: {', '.join(columns)})")
    if "audio_path" not in present and "audio" not in present:
        raise fatal(path, f"hf dataset has no audio column ('audio_path' or 'audio'; columns: {', '.join(columns)})")
    return present


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip()


def _audio_file(row: Mapping[str, Any], present: Mapping[str, str], base: Path) -> str | None:
    """The clip's file path: `audio_path` if given, else the `audio` column's path (relative -> DIR)."""
    if "audio_path" in present and row.get(present["audio_path"]):
        raw = str(row[present["audio_path"]])
    elif "audio" in present:
        raw = row.get(present["audio"])  # the path of an `Audio` struct, or a plain path string
        if not raw:
            return None
        raw = str(raw)
    else:
        return None
    p = Path(raw).expanduser()
    return str(p if p.is_absolute() else (base / p))


def _uid(corpus: str, raw: Any) -> str:
    uid = str(raw).strip()
    if ":" in uid:
        prefix = uid.split(":", 1)[0]
        if prefix != corpus:
            raise ValueError(f"uid {uid!r} belongs to corpus {prefix!r}, not {corpus!r}")
        return uid
    return f"{corpus}:{uid}"


def _uids(corpus: str, values: Iterable[Any]) -> tuple[str, ...]:
    """`_uid` over a context list; already-prefixed ids (every export) take the fast path."""
    prefix = f"{corpus}:"
    return tuple(v if isinstance(v, str) and v.startswith(prefix) else _uid(corpus, v) for v in values)


def load_dataset_corpus(corpus: str, root: str, label_map: str | None = None, on_error: OnError = "raise",
                        verify_audio: bool = True, verify_samples: bool = False) -> LoadReport:
    """Read `hf:DIR[?mapping]` as `corpus`: the same Utterance records, checks and label map as on disk.

    Every bad row is a `Problem` naming the dataset and row (raised together, or skipped and
    counted under `on_error="skip"`); a missing required column is fatal and names the column.
    """
    label_map = label_map or corpus_info(corpus).default_label_map
    lmap = get_label_map(label_map, corpus)
    path, mapping = parse_hf_root(root)
    path = path.resolve()
    table, class_names = _open_table(path)
    present = _check_columns(corpus, path, mapping, list(table.column_names))
    rows = _rows(table, present, class_names)
    log = ProblemLog(on_error)
    filtered: dict[str, int] = {}
    kept: list[Utterance] = []
    contexts: dict[str, tuple[str, ...]] = {}
    seen: dict[str, int] = {}
    info = corpus_info(corpus)
    for i, row in enumerate(rows):
        where = f"{path} row {i}"

        def get(field: str, row: dict[str, Any] = row) -> Any:
            return row.get(present[field]) if field in present else None

        if not _text(get("uid")):
            log.add(where, None, "empty uid")
            continue
        try:
            uid = _uid(corpus, get("uid"))
            context_ids = _uids(corpus, get("context") or ())
        except ValueError as e:
            log.add(where, None, str(e))
            continue
        if uid in seen:
            log.add(where, None, f"duplicate uid {uid!r} (first at row {seen[uid]})")
            continue
        seen[uid] = i
        row_corpus = _text(get("corpus"))
        if row_corpus and row_corpus != corpus:
            log.add(where, None, f"{uid}: row belongs to corpus {row_corpus!r}, read as {corpus!r}")
            continue
        raw = _text(get("label_raw"))
        if not raw:
            log.add(where, None, f"{uid}: empty raw label")
            continue
        label = route_label(corpus, raw, lmap, filtered, log, where, None)
        if label is UNKNOWN:
            continue
        speaker = _text(get("speaker"))
        if speaker in UNKNOWN_SPEAKER_VALUES or speaker is None:
            if corpus not in UNKNOWN_SPEAKER_OK:
                log.add(where, None, f"{uid}: no speaker (speaker-disjoint folds need one on every row)")
                continue
            speaker = None
        session = _text(get("session")) or None
        partition = _text(get("partition")) or None
        if corpus == "iemocap" and session is None:
            log.add(where, None, f"{uid}: no session (the loso protocol needs one on every row)")
            continue
        audio = _audio_file(row, present, path)
        if audio is None:
            log.add(where, None, f"{uid}: no audio path")
            continue
        try:
            start = None if get("start") is None else float(get("start"))
            end = None if get("end") is None else float(get("end"))
        except (TypeError, ValueError):
            log.add(where, None, f"{uid}: start/end must be numbers, got {get('start')!r}/{get('end')!r}")
            continue
        if start is not None and end is not None and end < start:
            log.add(where, None, f"{uid}: end time {end} before start time {start}")
            continue
        if verify_audio:
            expected = end - start if start is not None and end is not None else None
            why = audio_problem(Path(audio), samples=verify_samples, expected_seconds=expected)
            if why:
                log.add(audio, None, f"{why} ({uid}, {where})")
                continue
        gender_raw = _text(get("gender"))
        gender_key = (gender_raw or "").lower()
        if gender_key not in GENDER_VALUES:
            log.add(where, None, f"{uid}: unknown gender {gender_raw!r} (known: F, M, Female, Male, Unknown)")
            continue
        dims = _row_dims(get, info.dims_scale)
        if isinstance(dims, str):
            log.add(where, None, f"{uid}: {dims}")
            continue
        votes = _row_votes(get("votes"), lmap)
        if isinstance(votes, str):
            log.add(where, None, f"{uid}: {votes}")
            continue
        contexts[uid] = context_ids
        transcript = get("transcript")
        kept.append(Utterance(uid=uid, corpus=corpus, speaker=speaker, session=session,
                              audio=os.path.abspath(audio), start=start, end=end,
                              transcript=None if transcript is None else str(transcript), label=label,  # type: ignore[arg-type]
                              label_raw=raw, partition=partition, gender=GENDER_VALUES[gender_key], dims=dims,
                              votes=votes))
    report = build_report(corpus, Read(_with_context(kept, contexts), path, _missing_parts(corpus, path, kept)),
                          log, filtered, "utterances")
    return report


def _row_dims(get: Any, scale: tuple[float, float] | None) -> Dims | str | None:
    """A row's dims from the `dims` struct, or from flat arousal/valence/dominance columns on the corpus's scale."""
    d = get("dims")
    flat = [get(k) for k in ("arousal", "valence", "dominance")]
    if d is None and all(x is None for x in flat):
        return None
    try:
        if d is not None:
            a, v, dom = float(d["arousal"]), float(d["valence"]), float(d["dominance"])
            lo, hi = float(d["lo"]), float(d["hi"])
        else:
            if scale is None:
                return "arousal/valence/dominance given, but the corpus has no dimensional ratings"
            a, v, dom = (float(x) for x in flat)
            lo, hi = scale
    except (TypeError, KeyError, ValueError):
        return f"dims must be numbers (arousal, valence, dominance, lo, hi), got {d if d is not None else flat!r}"
    if scale is not None and (lo, hi) != scale:
        return f"dims scale ({lo:g}, {hi:g}) is not the corpus's ({scale[0]:g}, {scale[1]:g})"
    if not all(lo <= x <= hi for x in (a, v, dom)):
        return f"dims ({a:g}, {v:g}, {dom:g}) outside the {lo:g}-{hi:g} scale"
    return Dims(arousal=a, valence=v, dominance=dom, scale=(lo, hi))


def _row_votes(v: Any, lmap: Any) -> Any:
    """A row's votes, re-mapped from the raw (unified) counts through this read's label map; None when absent."""
    if v is None:
        return None
    try:
        classes, counts, annotators = list(v["raw_classes"]), [float(x) for x in v["raw_counts"]], int(v["annotators"])
    except (TypeError, KeyError, ValueError):
        return f"votes must hold raw_classes, raw_counts and annotators, got {v!r}"
    if len(classes) != len(counts) or any(c not in VOCAB for c in classes) or any(x < 0 for x in counts):
        return f"votes raw_classes {classes} / raw_counts {counts} are not counts of unified codes ({', '.join(VOCAB)})"
    return make_votes(dict(zip(classes, counts)), annotators, lmap)


def _missing_parts(corpus: str, path: Path, kept: list[Utterance]) -> list[Problem]:
    """The expected sessions (IEMOCAP) or partitions (MSP-Podcast) without any row, as on disk."""
    if corpus == "iemocap":
        have = {u.session for u in kept}
        return [Problem(str(path), None, f"expected session {s} has no row (the release has Session1 .. Session5)")
                for s in (f"Session{k}" for k in range(1, 6)) if s not in have]
    if corpus == "msp-podcast":
        have = {u.partition for u in kept}
        return [Problem(str(path), None, f"expected partition {p} has no row")
                for p in ("Train", "Development", "Test1") if p not in have]
    return []


def _with_context(kept: list[Utterance], contexts: Mapping[str, tuple[str, ...]]) -> list[Utterance]:
    """Sorted by uid; context keeps only the labelled utterances kept in THIS read (as the on-disk adapters do).

    A dataset without a context column gets empty contexts: the dialogue order is not re-derived.
    """
    from dataclasses import replace

    labelled = {u.uid for u in kept if u.label is not None}
    out = [replace(u, context=tuple(c for c in contexts.get(u.uid, ()) if c in labelled)) for u in kept]
    out.sort(key=lambda u: u.uid)
    return out


def _features() -> Any:
    import datasets

    s = datasets.Value("string")
    f = datasets.Value("float64")
    return datasets.Features({
        "uid": s, "corpus": s, "speaker": s, "session": s, "partition": s, "label": s, "label_raw": s,
        "transcript": s, "context": datasets.List(s), "start": f, "end": f, "gender": s,
        "dims": {"arousal": f, "valence": f, "dominance": f, "lo": f, "hi": f},
        "votes": {"classes": datasets.List(s), "counts": datasets.List(f), "raw_classes": datasets.List(s),
                  "raw_counts": datasets.List(f), "annotators": datasets.Value("int64")},
        "audio": datasets.Audio(decode=False), "audio_path": s,
    })


def export_dataset(utterances: Iterable[Utterance], out: str | os.PathLike[str],
                   provenance: Mapping[str, Any]) -> int:
    """Write `utterances` as a saved `datasets.Dataset` at `out` (built aside, then renamed in).

    Refuses an existing non-empty `out` (never overwrites what it did not create). The rows are
    built as an Arrow table so that writing a path needs no audio codec; `save_to_disk` then
    embeds the clips' bytes (datasets 5.x always does). `provenance` lands in `lemer_source.json`.
    """
    import datasets
    import pyarrow as pa

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out}: exists and is not an empty folder; choose a new --out")
    us = list(utterances)
    feats = _features()
    cols: dict[str, list[Any]] = {name: [] for name in feats}
    for u in us:
        d = u.to_json()
        for name in ("uid", "corpus", "speaker", "session", "partition", "label", "label_raw", "transcript",
                     "context", "start", "end", "gender"):
            cols[name].append(d[name])
        cols["dims"].append(None if u.dims is None else {
            "arousal": u.dims.arousal, "valence": u.dims.valence, "dominance": u.dims.dominance,
            "lo": u.dims.scale[0], "hi": u.dims.scale[1]})
        cols["votes"].append(None if u.votes is None else {
            "classes": [c for c, _ in u.votes.counts], "counts": [v for _, v in u.votes.counts],
            "raw_classes": [c for c, _ in u.votes.raw], "raw_counts": [v for _, v in u.votes.raw],
            "annotators": u.votes.annotators})
        cols["audio"].append({"bytes": None, "path": u.audio})
        cols["audio_path"].append(u.audio)
    table = pa.Table.from_pydict(cols, schema=feats.arrow_schema)
    description = (f"lemer-bench export of {provenance.get('display', provenance.get('corpus'))} "
                   f"(label map {provenance.get('label_map')}); see {PROVENANCE_FILE}")
    ds = datasets.Dataset(table, info=datasets.DatasetInfo(description=description, features=feats))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # the CLI reports the count itself
    try:
        ds.save_to_disk(str(tmp / "ds"))
        record = dict(provenance, n_utterances=len(us))
        (tmp / "ds" / PROVENANCE_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n",
                                                  encoding="utf-8")
        if out.exists():
            out.rmdir()  # empty (checked above): replaced by the finished dataset in one rename
        os.replace(tmp / "ds", out)
    finally:
        if bars:
            datasets.enable_progress_bars()
        shutil.rmtree(tmp, ignore_errors=True)  # our own temporary folder only
    return len(us)
