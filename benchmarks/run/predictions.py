"""What a run writes per test utterance (predictions.jsonl rows) and the scores its result records, per task.

Rows (one JSON object per test utterance, in test order; `leaderboard/schema.py` documents the file):
- every task: `uid`, `gold` (the consensus class, None where the annotators reached none), and the facts the
  leaderboard groups by: `speaker`, `gender`, `votes` (the annotators' class counts, where the corpus has them);
- categorical and soft: `pred` (the argmax class) and `probs` (class -> probability);
- soft: `gold_dist`, the annotators' distribution the model was scored against (`Votes.soft_target`);
- dimensional: `gold_dims` and `pred_dims`, arousal / valence / dominance in [-1, 1] (`Dims.signed`).
The result's metrics are every registered metric of the task (`lemer.core.metrics.score_all`); the leaderboard
recomputes them from these rows, so the two can be checked against each other.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from dataset_adapters.types import Utterance
from leaderboard.schema import Metrics
from lemer.core.contract import Prediction
from lemer.core.metrics import DIMENSIONS, MetricInputs, score_all


def check_predictions(preds: Sequence[Prediction], test_ids: Sequence[str], classes: Sequence[str],
                      task: str = "categorical") -> None:
    """Refuse anything but exactly one valid prediction per test utterance: a class of the label set with finite
    probabilities over it, or (dimensional) three finite dimensions."""
    got = [p.uid for p in preds]
    if len(got) != len(set(got)):
        raise ValueError("model returned more than one prediction for some utterance")
    if set(got) != set(test_ids):
        missing, extra = set(test_ids) - set(got), set(got) - set(test_ids)
        raise ValueError(f"model predictions do not match the test set: {len(missing)} missing "
                         f"(e.g. {sorted(missing)[:1]}), {len(extra)} unexpected (e.g. {sorted(extra)[:1]})")
    if task == "dimensional":
        for p in preds:
            dims = p.dims or {}
            if set(dims) != set(DIMENSIONS) or not all(math.isfinite(float(v)) for v in dims.values()):
                raise ValueError(f"{p.uid}: a dimensional prediction needs finite {', '.join(DIMENSIONS)}, got {dims!r}")
        return
    allowed = set(classes)
    for p in preds:
        if p.label not in allowed:
            raise ValueError(f"{p.uid}: predicted label {p.label!r} is not in the label set {list(classes)}")
        for k, v in p.probs.items():
            if k not in allowed or not math.isfinite(float(v)):
                raise ValueError(f"{p.uid}: bad probability {k!r}={v!r} (label set {list(classes)})")


def facts_of(u: Utterance) -> dict[str, Any]:
    """What the leaderboard needs of a test utterance beside its prediction: the speaker and gender (speaker-level
    inference, per-speaker and per-gender results) and the annotators' votes (agreement breakdown, human
    ceiling), where the corpus gives them."""
    out: dict[str, Any] = {"speaker": u.speaker, "gender": u.gender}
    if u.votes is not None:
        out["votes"] = u.votes.as_dict()
    return out


def prediction_rows(task: str, test: Sequence[Utterance], preds: Sequence[Prediction]) -> list[dict[str, Any]]:
    """The predictions.jsonl rows of a run, in the order of `test`."""
    by_uid = {p.uid: p for p in preds}
    rows: list[dict[str, Any]] = []
    for u in test:
        p = by_uid[u.uid]
        row: dict[str, Any] = {"uid": u.uid, "gold": u.label}
        if task == "dimensional":
            row["gold_dims"] = dict(zip(DIMENSIONS, u.dims.signed()))  # type: ignore[union-attr]
            row["pred_dims"] = {d: float(p.dims[d]) for d in DIMENSIONS}  # type: ignore[index]
        else:
            row["pred"] = p.label
            row["probs"] = {k: float(v) for k, v in p.probs.items()}
            if task == "soft":
                row["gold_dist"] = u.votes.soft_target()  # type: ignore[union-attr]
        rows.append({**row, **facts_of(u)})
    return rows


def run_metrics(task: str, rows: Sequence[dict[str, Any]], classes: Sequence[str]) -> Metrics:
    """Every registered metric of `task` on a run's rows (the categorical ones on utterances with a gold class)."""
    index = {c: i for i, c in enumerate(classes)}
    if task == "dimensional":
        inputs = MetricInputs(n_classes=len(classes),
                              gold_dims=np.array([[r["gold_dims"][d] for d in DIMENSIONS] for r in rows]),
                              pred_dims=np.array([[r["pred_dims"][d] for d in DIMENSIONS] for r in rows]))
    else:
        probs = np.array([[r["probs"].get(c, 0.0) for c in classes] for r in rows], dtype=np.float64)
        pred = np.array([index[r["pred"]] for r in rows])
        if task == "soft":
            inputs = MetricInputs(n_classes=len(classes), pred=pred, probs=probs,
                                  gold_dist=np.array([[r["gold_dist"].get(c, 0.0) for c in classes] for r in rows]))
        else:
            inputs = MetricInputs(n_classes=len(classes), gold=np.array([index[r["gold"]] for r in rows]),
                                  pred=pred, probs=probs)
    return Metrics(n=len(rows), values=score_all(task, inputs))
