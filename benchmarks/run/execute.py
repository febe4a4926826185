"""Execute one run and write its files: predictions first, result last, both atomically.

A directory with a `result.json` whose `run_id` matches the spec is complete; anything else
(nothing, predictions only, a stale result from a changed spec, an `error.txt`) is redone.
A run that raises leaves `error.txt` (the traceback) and no result.
"""
from __future__ import annotations

import errno
import hashlib
import json
import time
import traceback
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from benchmarks.models import load_target
from benchmarks.provenance import git_hash, package_version
from benchmarks.run.cues import attention_cues, by_cue_type, cue_spans, merge_diagnostics
from benchmarks.run.examples import build_examples
from benchmarks.run.inputs import RunData
from benchmarks.run.predictions import check_predictions, prediction_rows, run_metrics
from benchmarks.runtime import configure_run
from dataset_adapters.audio import read_audio
from dataset_adapters.base import get_label_map
from dataset_adapters.types import EMPTY_TEXT_POLICY
from leaderboard.schema import (
    ERROR_FILE,
    HISTORY_FILE,
    LOG_FILE,
    PREDICTIONS_FILE,
    RESULT_FILE,
    ResultError,
    RunResult,
    Timings,
)
from lemer.core.atomic import remove_stale_temps, write_bytes_atomic, write_json_atomic, write_text_atomic
from lemer.core.contract import FitEnv
from lemer.core.spec import RunSpec


def is_complete(run_dir: Path, spec: RunSpec, manifest_hash: str) -> bool:
    """True when the run's result is readable, belongs to this exact spec, was computed on the corpus
    content the run would read now (`manifest_hash`, from `RunData.manifest_hash`), and the predictions
    beside it are the ones it was written with (their sha256 is in the result)."""
    result, preds = run_dir / RESULT_FILE, run_dir / PREDICTIONS_FILE
    if not result.is_file() or not preds.is_file():
        return False
    try:
        record = RunResult.from_json(json.loads(result.read_text(encoding="utf-8")), str(result))
        return (record.run_id == spec.run_id and record.manifest_hash == manifest_hash
                and record.predictions_sha256 == _sha256(preds.read_bytes()))
    except (OSError, ValueError, ResultError):
        return False


def replaced_fields(run_dir: Path, spec: RunSpec) -> list[str] | None:
    """The run-record fields in which the result already at `run_dir` differs from `spec` (None when there is no
    readable result, or it is this spec's): a path names the model, not its switches, so a changed suite
    [model_config], a changed default or another text context lands on the same folder."""
    result = run_dir / RESULT_FILE
    if not result.is_file():
        return None
    try:
        record = RunResult.from_json(json.loads(result.read_text(encoding="utf-8")), str(result))
    except (OSError, ValueError, ResultError):
        return None  # unreadable: redone like any incomplete run
    if record.run.run_id == spec.run_id:
        return None  # the same spec (a stored id that disagrees with its own record is damage: redone)
    old, new = record.run.identity(), spec.identity()
    diff = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
            sub = sorted(k for k in set(old[key]) | set(new[key]) if old[key].get(k) != new[key].get(k))
            diff += [f"{key}.{k}: {old[key].get(k)!r} -> {new[key].get(k)!r}" for k in sub]
        else:
            diff.append(f"{key}: {old.get(key)!r} -> {new.get(key)!r}")
    return diff


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def execute(spec: RunSpec, data: RunData, out: Path, threads: int | None = None) -> None:
    """Fit, predict, score and write one run; raises on any failure (the caller records it)."""
    model_cls = load_target(spec.model_target)  # module import time is not the run's time
    t0 = time.perf_counter()
    run_dir = out / spec.relpath()
    classes = get_label_map(spec.label_map).classes
    split = data.split(spec)

    inputs = data.run_inputs(spec, split)  # degraded splits' audio, transcripts and features included
    transcripts = inputs.transcripts

    def examples(utts: list, labels: bool) -> list:
        return build_examples(utts, with_labels=labels, task=spec.task, transcripts=transcripts,
                              context_window=spec.text_context,
                              text_features=inputs.text, speech_features=inputs.speech, clip_features=inputs.clip)

    train, valid, test = examples(split.train, True), examples(split.valid, True), examples(split.test, False)
    empty_text = None
    if transcripts is not None:  # the text this run's models read, gold or not; '' is kept (EMPTY_TEXT_POLICY)
        read = [u.uid for u in (*split.train, *split.valid, *split.test)]
        empty_text = sum(1 for uid in read if not (transcripts.get(uid) or "").strip())
    if not train or not test:
        raise ValueError(f"empty split: {len(train)} train, {len(test)} test utterances")

    model = model_cls.from_config(dict(spec.model_config))
    spans = _oracle_spans(spec, data, split) if model.requirements.cue_spans else None
    runtime = configure_run(spec.seed, threads, data.config.device)
    log_lines: list[str] = []
    env = FitEnv(classes=tuple(classes), seed=spec.seed,
                 embed_words=data.embed_words if spec.text_features else None, log=log_lines.append,
                 load_audio=read_audio, device=runtime["device"], precision=runtime["precision"], cue_spans=spans,
                 task=spec.task, cache_dir=data.config.cache_dir)
    log_lines.extend(data.corpus(spec.adapter, spec.label_map, spec.task).notes)
    if empty_text:
        log_lines.append(f"empty text: {empty_text} of {len(read)} utterances of this run, {EMPTY_TEXT_POLICY}")
    t_fit = time.perf_counter()
    model.fit(train, valid, env)
    history = _history(model)  # the selection on the validation split (a refit's own history chooses nothing)
    if spec.refit:
        # the refit protocol: what validation chose, retrained on train + valid; the test split is still unread
        log_lines.append(f"refit: retraining on train + valid ({len(train) + len(valid)} utterances) with the "
                         f"choices made on the {len(valid)} validation utterances")
        model.refit([*train, *valid], env)
    t_pred = time.perf_counter()
    preds = list(model.predict(test))
    t_end = time.perf_counter()

    test_ids = [u.uid for u in split.test]
    check_predictions(preds, test_ids, classes, spec.task)
    rows = prediction_rows(spec.task, split.test, preds)

    pred_bytes = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    # ---- cue ground truth (synthetic corpora only): read after predicting, from the test corpus's sidecar
    test_cues = data.cues(spec.adapter)
    diagnostics = None
    if spec.task == "categorical":  # cue types and attention read the consensus class of every test utterance
        harness_diag = None
        if test_cues is not None:
            harness_diag = {"modalities": list(model.modalities),
                            **by_cue_type(test_cues, test_ids, [r["gold"] for r in rows], [r["pred"] for r in rows])}
        reported = model_diagnostics(model, lambda: examples(split.test, True),
                                     lambda: attention_cues(test_cues, test_ids))
        diagnostics = merge_diagnostics(reported, harness_diag)
    result = RunResult(
        run_id=spec.run_id,
        run=spec,
        labels=tuple(classes),
        metrics=run_metrics(spec.task, rows, classes),
        wer=None if transcripts is None else data.wer(spec.transcript, split.test, transcripts),
        n_train=len(train) + (len(valid) if spec.refit else 0), n_valid=len(valid), n_test=len(test),
        package_version=package_version(), git_hash=git_hash(), manifest_hash=split.manifest_hash,
        timings=Timings(fit_s=round(t_pred - t_fit, 4), predict_s=round(t_end - t_pred, 4),
                        total_s=round(time.perf_counter() - t0, 4)),
        created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        runtime=runtime,
        predictions_sha256=_sha256(pred_bytes),
        history=None if history is None else {k: history.get(k) for k in ("best_epoch", "best_valid_ua", "epochs_run")},
        diagnostics=diagnostics,
        empty_text=empty_text,
    )
    write_run_files(run_dir, result, pred_bytes, log_lines, history)


def model_diagnostics(model: Any, labelled_test: Callable[[], Sequence[Any]],
                      cues: Callable[[], dict[str, dict[str, tuple[float, float]]] | None]) -> dict[str, Any] | None:
    """What a model reports about itself on the test fold: a `diagnostics` dict it holds (the oracle
    says it is one), or a `diagnostics(examples, cues)` method (LE-MER: attention entropies and, given
    cue spans, whether its label attention finds them). Computed after the predictions are fixed, so
    the gold labels it sees cannot change them; the labelled test examples and the cue spans are built
    only for a model that has such a method (most models have none)."""
    report = getattr(model, "diagnostics", None)
    if isinstance(report, dict):
        return dict(report)
    attention = report(labelled_test(), cues()) if callable(report) else None
    return None if attention is None else {"attention": attention}


def _oracle_spans(spec: RunSpec, data: RunData, split: Any) -> dict[str, Any]:
    """Cue spans of every train/valid/test utterance, for a model that declared it reads ground truth."""
    spans: dict[str, Any] = {}
    for name, utts in ((spec.train_adapter, split.train + split.valid), (spec.adapter, split.test)):
        cues = data.cues(name)
        if cues is None:
            raise ValueError(f"model {spec.model!r} is a validation oracle that reads cue ground truth, but "
                             f"{data.config.roots[name].display} has none (only generated synthetic corpora do)")
        spans.update(cue_spans(cues, [u.uid for u in utts], data.config.roots[name].display))
    return spans


def _history(model: Any) -> dict[str, Any] | None:
    """The model's training history (per epoch train loss and validation UA, chosen epoch), if it keeps one."""
    hist = getattr(model, "history", None)
    if hist is None:
        return None
    return asdict(hist) if hasattr(hist, "__dataclass_fields__") else dict(hist)


def write_run_files(run_dir: Path, result: RunResult, pred_bytes: bytes, log_lines: Sequence[str],
                    history: dict[str, Any] | None) -> None:
    """The one writer of a run directory: log and history, predictions, then the result last (all atomic)."""
    write_text_atomic(run_dir / LOG_FILE, "".join(f"{line}\n" for line in log_lines))
    if history is not None:
        write_json_atomic(run_dir / HISTORY_FILE, history)
    write_bytes_atomic(run_dir / PREDICTIONS_FILE, pred_bytes)
    write_json_atomic(run_dir / RESULT_FILE, result.to_json())
    (run_dir / ERROR_FILE).unlink(missing_ok=True)


# A write the file system refuses: every later run would fail the same way after its fit.
OUTPUT_UNWRITABLE = "output not writable"
_WRITE_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EDQUOT)


def execute_recorded(spec: RunSpec, data: RunData, out: Path, threads: int | None = None) -> str | None:
    """Run `spec`; on failure write error.txt beside it and return a one-line reason (None = success).

    If error.txt itself cannot be written (disk full, read-only) the reason says so and the grid
    goes on counting; a reason starting with OUTPUT_UNWRITABLE tells the grid to stop scheduling."""
    run_dir = out / spec.relpath()
    try:
        remove_stale_temps(run_dir)
        # A stale or forced result must not survive a redo that fails or is killed.
        (run_dir / RESULT_FILE).unlink(missing_ok=True)
        execute(spec, data, out, threads)
        return None
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0]
        reason = f"{type(e).__name__}: {first}"
        if isinstance(e, OSError) and e.errno in _WRITE_ERRNOS:
            reason = f"{OUTPUT_UNWRITABLE} ({e.strerror}: {e.filename or run_dir})"
        try:
            write_text_atomic(run_dir / ERROR_FILE, f"run_id: {spec.run_id}\nrun: {json.dumps(spec.to_json(), default=str)}\n\n"
                              + traceback.format_exc())
        except OSError as w:
            reason += f" [{ERROR_FILE} not written: {w.strerror or type(w).__name__}]"
        return reason[:300]
