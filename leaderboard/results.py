"""Reading and validating result directories and prediction files (the contract in `schema.py`).

Every problem is an error naming the file (and line for JSONL): wrong schema version, missing
keys, a `result.json` without its `predictions.jsonl`, empty predictions, duplicate uids,
labels outside the run's label set, a prediction count that disagrees with `metrics.n`.
Metrics are always recomputed from the predictions; the ones in `result.json` are informative.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from leaderboard.metrics import encode
from leaderboard.reading import read_user_text
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE, ResultError, RunResult
from leaderboard.speakers import speaker_from_uid
from lemer.core.metrics import DIMENSIONS
from lemer.core.spec import RunSpec

__all__ = ["ResultError", "Predictions", "Run", "Failure", "read_predictions", "read_result", "read_failure",
           "find_result_files", "load_runs", "align"]


@dataclass(frozen=True)
class Predictions:
    """One prediction file: uids in file order, string labels (gold None where the annotators reached no
    consensus: soft and dimensional tasks; pred "" for the dimensional task) and every row as parsed."""

    path: str
    uids: tuple[str, ...]
    gold: tuple[str | None, ...]
    pred: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...] = ()

    def codes(self, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(gold, pred) codes into `labels`; -1 for a gold without consensus and for a dimensional `pred`."""
        try:
            return _encode_optional(self.gold, labels), _encode_optional(self.pred, labels)
        except ValueError as e:
            raise ResultError(f"{self.path}: {e}") from None


def _encode_optional(values: Sequence[str | None], labels: Sequence[str]) -> np.ndarray:
    if all(v for v in values):
        return encode(values, labels)  # type: ignore[arg-type]
    out = np.full(len(values), -1, dtype=np.int64)
    known = [i for i, v in enumerate(values) if v]
    out[known] = encode([values[i] for i in known], labels)  # type: ignore[misc]
    return out


@dataclass(frozen=True)
class Run:
    """One run: its typed result plus its predictions coded against `labels`, and what the rows say beside them.

    `speakers` / `genders`: per utterance, from the rows (the runner writes them) else from the uid
    (`speakers.speaker_from_uid`; None where neither says); `probs`: (n, C) in `labels` order, None unless every
    row has them; `votes`: the annotators' class counts per row (None where absent); `gold_dims` / `pred_dims`:
    (n, 3) arousal, valence, dominance in [-1, 1] (dimensional task); `gold_dist`: (n, C) (soft task)."""

    result_path: str
    record: RunResult
    labels: tuple[str, ...]
    uids: tuple[str, ...]
    gold: np.ndarray  # (n,) codes into labels (-1: no consensus class)
    pred: np.ndarray  # (n,) codes into labels (-1: dimensional task)
    speakers: tuple[str | None, ...] = ()
    genders: tuple[str | None, ...] = ()
    probs: np.ndarray | None = None
    votes: tuple[Mapping[str, float] | None, ...] = ()
    gold_dims: np.ndarray | None = None
    pred_dims: np.ndarray | None = None
    gold_dist: np.ndarray | None = None

    @property
    def result(self) -> dict[str, Any]:
        """The result as a plain dict (current schema version), for JSON-shaped consumers."""
        return self.record.to_json()

    @property
    def spec(self) -> RunSpec:
        """What was run, typed (`spec.transcript.is_gold`, `spec.fold`, `spec.model`)."""
        return self.record.run

    @property
    def predictions_path(self) -> str:
        return str(Path(self.result_path).with_name(PREDICTIONS_FILE))


def read_predictions(path: str | os.PathLike[str], task: str = "categorical") -> Predictions:
    """Read a `uid, gold, pred[, probs]` JSONL file (the row keys of `task`, `schema.py`); every malformed line
    is an error with its line number.

    Fast path: the whole file is decoded in one `json.loads` call and the parsed rows are checked in memory;
    only when something is wrong do we walk the lines one by one to name the offending line.
    """
    path = str(path)
    text = read_user_text(path, "prediction file")
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not numbered:
        raise ResultError(f"{path}: no predictions (empty file)")
    try:
        objs = json.loads("[" + ",".join(line for _, line in numbered) + "]")
        if len(objs) != len(numbered):  # a line held more than one value, e.g. `{...},{...}`
            raise ValueError
        ok = all(_row_problem(o, task) is None for o in objs)
        uids = [o["uid"] for o in objs] if ok else []
        ok = ok and len(set(uids)) == len(uids)
    except (ValueError, TypeError, KeyError, AttributeError):
        ok = False
    if not ok:
        _raise_first_problem(path, numbered, task)
    gold = tuple(o.get("gold") or None for o in objs)
    pred = tuple(o.get("pred", "") for o in objs)
    return Predictions(path=path, uids=tuple(uids), gold=gold, pred=pred, rows=tuple(objs))


def _row_problem(obj: Any, task: str) -> str | None:
    """Why one parsed row breaks the contract of `task`, or None."""
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    keys = ("uid", "gold", "pred") if task == "categorical" else ("uid", "pred") if task == "soft" else ("uid",)
    for key in keys:
        if not isinstance(obj.get(key), str) or not obj[key]:
            return f"missing or non-string {key!r}"
    if task != "categorical" and obj.get("gold") is not None and not (isinstance(obj["gold"], str) and obj["gold"]):
        return "'gold' must be a class name or null (no consensus)"
    probs = obj.get("probs")
    if probs is not None and not (isinstance(probs, dict) and all(_finite(v) for v in probs.values())):
        return "'probs' must be an object label -> probability (finite numbers)"
    needs = {"soft": ("probs", "gold_dist"), "dimensional": ("gold_dims", "pred_dims")}.get(task, ())
    for key in needs:
        value = obj.get(key)
        if not isinstance(value, dict) or not value or not all(_finite(v) for v in value.values()):
            return f"{key!r} must be an object of finite numbers (the {task} task)"
    if task == "dimensional" and any(set(obj[k]) != set(DIMENSIONS) for k in needs):
        return f"'gold_dims' and 'pred_dims' need exactly {', '.join(DIMENSIONS)}"
    return None


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _raise_first_problem(path: str, numbered: list[tuple[int, str]], task: str) -> None:
    """Slow path: find and report the first bad line of a prediction file."""
    seen: dict[str, int] = {}
    for lineno, line in numbered:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ResultError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
        why = _row_problem(obj, task)
        if why:
            raise ResultError(f"{path}:{lineno}: {why}")
        uid = obj["uid"]
        if uid in seen:
            raise ResultError(f"{path}:{lineno}: duplicate uid {uid!r} (first on line {seen[uid]})")
        seen[uid] = lineno
    raise ResultError(f"{path}: malformed prediction file")


def _matrix(rows: Sequence[Mapping[str, Any]], key: str, columns: Sequence[str], path: str) -> np.ndarray:
    """(n, len(columns)) of the number objects under `key` (a missing column is 0; one outside is an error)."""
    out = np.zeros((len(rows), len(columns)))
    index = {c: j for j, c in enumerate(columns)}
    for i, r in enumerate(rows):
        for k, v in r[key].items():
            if k not in index:
                raise ResultError(f"{path}: {r['uid']!r}: {key} names {k!r}, not one of {list(columns)}")
            out[i, index[k]] = float(v)
    return out


def _speakers(rows: Sequence[Mapping[str, Any]], uids: Sequence[str]) -> tuple[tuple[str | None, ...], tuple[str | None, ...]]:
    """Speaker and gender per row: the row's own, else the uid's (`speaker_from_uid`), else None."""
    speakers, genders = [], []
    for r, uid in zip(rows, uids):
        s, g = r.get("speaker"), r.get("gender")
        from_uid: tuple[str | None, str | None] = (None, None)
        if s in (None, "") or g not in ("F", "M"):  # the uid's rule only where the row does not say
            try:
                from_uid = speaker_from_uid(uid)
            except ValueError:
                pass
        speakers.append(str(s) if s not in (None, "") else from_uid[0])
        genders.append(str(g) if g in ("F", "M") else from_uid[1])
    return tuple(speakers), tuple(genders)


def read_result(path: str | os.PathLike[str]) -> Run:
    """Read one `result.json` (through `RunResult.from_json`) and the `predictions.jsonl` beside it."""
    path = str(path)
    try:
        data = json.loads(read_user_text(path, "result file"))
    except json.JSONDecodeError as e:
        raise ResultError(f"{path}: not valid JSON ({e.msg}, line {e.lineno})") from None
    record = RunResult.from_json(data, path)
    pred_path = Path(path).with_name(PREDICTIONS_FILE)
    if not pred_path.exists() and not pred_path.is_symlink():
        raise ResultError(f"{path}: no {PREDICTIONS_FILE} next to it (expected {pred_path})")
    task = record.run.task
    preds = read_predictions(pred_path, task)
    gold, pred = preds.codes(record.labels)
    n = record.metrics.n
    if n is not None and n != len(preds.uids):
        raise ResultError(f"{path}: metrics.n = {n} but {pred_path} holds {len(preds.uids)} predictions")
    rows, labels, where = preds.rows, record.labels, str(pred_path)
    probs = _matrix(rows, "probs", labels, where) if rows and all(r.get("probs") for r in rows) else None
    speakers, genders = _speakers(rows, preds.uids)
    votes = tuple(r.get("votes") if isinstance(r.get("votes"), dict) else None for r in rows)
    dims = {k: _matrix(rows, k, DIMENSIONS, where) for k in ("gold_dims", "pred_dims")} if task == "dimensional" else {}
    return Run(result_path=path, record=record, labels=labels, uids=preds.uids, gold=gold, pred=pred,
               speakers=speakers, genders=genders, probs=probs, votes=votes, **dims,
               gold_dist=_matrix(rows, "gold_dist", labels, where) if task == "soft" else None)


@dataclass(frozen=True)
class Failure:
    """A run that raised: its spec (None where error.txt is unreadable) and the last line of its traceback."""

    path: str
    spec: RunSpec | None
    reason: str


def read_failure(path: str | os.PathLike[str]) -> Failure:
    """One `error.txt` (`run_id: ...`, `run: {spec json}`, a blank line, the traceback); never raises: a file that
    cannot be read is still a failed run, with the reason saying so."""
    path = str(path)
    try:
        lines = read_user_text(path, "error file").splitlines()
        spec = RunSpec.from_json(json.loads(lines[1].removeprefix("run: ")))
    except (ResultError, IndexError, ValueError, KeyError, TypeError):
        return Failure(path, None, "error.txt unreadable")
    tail = [line.strip() for line in lines[3:] if line.strip()]
    return Failure(path, spec, (tail[-1] if tail else "no traceback recorded")[:200])


def find_result_files(runs_dir: str | os.PathLike[str]) -> list[str]:
    """All `result.json` files under `runs_dir`, sorted (so the output does not depend on disk order)."""
    root = Path(runs_dir)
    if not root.is_dir():
        raise ResultError(f"{root}: runs directory not found")
    return sorted(str(p) for p in root.rglob(RESULT_FILE))


def load_runs(runs_dir: str | os.PathLike[str]) -> list[Run]:
    """Read every run under `runs_dir`; an empty tree is an error (nothing to rank)."""
    files = find_result_files(runs_dir)
    if not files:
        raise ResultError(f"{runs_dir}: no {RESULT_FILE} files found")
    return [read_result(p) for p in files]


def align(a: Predictions, b: Predictions) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Pair two user prediction files on uid; refuses different uid sets or gold labels.

    Returns (labels, gold, pred_a, pred_b, uids) with codes in A's uid order and labels = the
    sorted union of every gold and predicted label of both files.
    """
    only_a = set(a.uids) - set(b.uids)
    only_b = set(b.uids) - set(a.uids)
    if only_a or only_b:
        example = sorted(only_a)[0] if only_a else sorted(only_b)[0]
        where = a.path if only_a else b.path
        raise ResultError(
            f"{a.path} and {b.path} cover different utterances ({len(only_a)} uid(s) only in {a.path}, "
            f"{len(only_b)} only in {b.path}; e.g. {example!r} is only in {where})")
    b_index = {u: i for i, u in enumerate(b.uids)}
    order = np.fromiter((b_index[u] for u in a.uids), dtype=np.int64, count=len(a.uids))
    b_gold = [b.gold[i] for i in order]
    b_pred = [b.pred[i] for i in order]
    for uid, ga, gb in zip(a.uids, a.gold, b_gold):
        if ga != gb:
            raise ResultError(f"{a.path} and {b.path} disagree on the gold label of {uid!r} ({ga!r} vs {gb!r})")
    labels = sorted(set(a.gold) | set(a.pred) | set(b_pred))
    return labels, encode(a.gold, labels), encode(a.pred, labels), encode(b_pred, labels), list(a.uids)
