"""Reading and validating result directories and prediction files (the contract in `schema.py`).

Every problem is an error naming the file (and line for JSONL): wrong schema version, missing
keys, a `result.json` without its `predictions.jsonl`, empty predictions, duplicate uids,
labels outside the run's label set, a prediction count that disagrees with `metrics.n`.
Metrics are always recomputed from the predictions; the ones in `result.json` are informative.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from leaderboard.metrics import encode
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE, ResultError, RunResult
from lemer.core.spec import RunSpec

__all__ = ["ResultError", "Predictions", "Run", "read_predictions", "read_result", "find_result_files", "load_runs",
           "align"]


@dataclass(frozen=True)
class Predictions:
    """One prediction file: uids in file order, string labels, and the label set used to code them."""

    path: str
    uids: tuple[str, ...]
    gold: tuple[str, ...]
    pred: tuple[str, ...]

    def codes(self, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        try:
            return encode(self.gold, labels), encode(self.pred, labels)
        except ValueError as e:
            raise ResultError(f"{self.path}: {e}") from None


@dataclass(frozen=True)
class Run:
    """One run: its typed result plus its predictions coded against `labels`."""

    result_path: str
    record: RunResult
    labels: tuple[str, ...]
    uids: tuple[str, ...]
    gold: np.ndarray  # (n,) codes into labels
    pred: np.ndarray  # (n,) codes into labels

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


def read_predictions(path: str | os.PathLike[str]) -> Predictions:
    """Read a `uid, gold, pred[, probs]` JSONL file; every malformed line is an error with its line number.

    Fast path: the whole file is decoded in one `json.loads` call and checked with comprehensions;
    only when something is wrong do we walk the lines one by one to name the offending line.
    """
    path = str(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ResultError(f"{path}: prediction file not found") from None
    except UnicodeDecodeError as e:
        raise ResultError(f"{path}: not valid UTF-8 ({e.reason} at byte {e.start})") from None
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not numbered:
        raise ResultError(f"{path}: no predictions (empty file)")
    try:
        objs = json.loads("[" + ",".join(line for _, line in numbered) + "]")
        if len(objs) != len(numbered):  # a line held more than one value, e.g. `{...},{...}`
            raise ValueError
        uids = [o["uid"] for o in objs]
        gold = [o["gold"] for o in objs]
        pred = [o["pred"] for o in objs]
        ok = all(set(map(type, col)) == {str} and "" not in set(col) for col in (uids, gold, pred))
        ok = ok and {type(o.get("probs")) for o in objs} <= {dict, type(None)} and len(set(uids)) == len(uids)
    except (ValueError, TypeError, KeyError, AttributeError):
        ok = False
    if not ok:
        _raise_first_problem(path, numbered)
    return Predictions(path=path, uids=tuple(uids), gold=tuple(gold), pred=tuple(pred))


def _raise_first_problem(path: str, numbered: list[tuple[int, str]]) -> None:
    """Slow path: find and report the first bad line of a prediction file."""
    seen: dict[str, int] = {}
    for lineno, line in numbered:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ResultError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise ResultError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        for key in ("uid", "gold", "pred"):
            if not isinstance(obj.get(key), str) or not obj[key]:
                raise ResultError(f"{path}:{lineno}: missing or non-string {key!r}")
        if obj.get("probs") is not None and not isinstance(obj["probs"], dict):
            raise ResultError(f"{path}:{lineno}: 'probs' must be an object label -> probability")
        uid = obj["uid"]
        if uid in seen:
            raise ResultError(f"{path}:{lineno}: duplicate uid {uid!r} (first on line {seen[uid]})")
        seen[uid] = lineno
    raise ResultError(f"{path}: malformed prediction file")


def read_result(path: str | os.PathLike[str]) -> Run:
    """Read one `result.json` (through `RunResult.from_json`) and the `predictions.jsonl` beside it."""
    path = str(path)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ResultError(f"{path}: not valid JSON ({e.msg}, line {e.lineno})") from None
    except (UnicodeDecodeError, IsADirectoryError) as e:
        raise ResultError(f"{path}: not a readable result file ({type(e).__name__})") from None
    record = RunResult.from_json(data, path)
    pred_path = Path(path).with_name(PREDICTIONS_FILE)
    if not pred_path.is_file():
        raise ResultError(f"{path}: no {PREDICTIONS_FILE} next to it (expected {pred_path})")
    preds = read_predictions(pred_path)
    gold, pred = preds.codes(record.labels)
    n = record.metrics.n
    if n is not None and n != len(preds.uids):
        raise ResultError(f"{path}: metrics.n = {n} but {pred_path} holds {len(preds.uids)} predictions")
    return Run(result_path=path, record=record, labels=record.labels, uids=preds.uids, gold=gold, pred=pred)


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
