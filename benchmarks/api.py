"""The Python API for notebooks: read corpora, make folds, run a suite, load results as DataFrames.

Why: researchers work in notebooks; the CLI and files stay the contract, and this module is a thin,
documented way into the same code paths (same adapters and checks, same runner, same result
reader as the leaderboard), never a second implementation.

    from benchmarks import load_corpus, make_folds, run_suite, load_results, load_predictions

    utts = load_corpus("iemocap", "/data/IEMOCAP_full_release")        # or "hf:/data/iemocap_hf"
    folds = make_folds("iemocap", utts)                                 # the corpus's default protocol
    summary = run_suite("demo", corpora={"iemocap": "hf:/data/iemocap_hf"}, out="runs")
    df = load_results("runs/demo")                                      # one row per run
    preds = load_predictions("runs/demo")                               # one row per test utterance

Metrics in these frames are recomputed from `predictions.jsonl` (as the leaderboard does); the
values stored in `result.json` are informative only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from benchmarks.corpora import parse_corpus_args
from benchmarks.run.predictions import run_metrics
from benchmarks.run.runner import RunOptions, Summary
from benchmarks.run.runner import run_suite as run_grid
from benchmarks.suite import Suite, load_suite
from dataset_adapters.base import get_adapter
from dataset_adapters.check import check_load_args
from dataset_adapters.load import load_report
from dataset_adapters.protocols import check_utterances
from dataset_adapters.types import Fold, InvalidArgument, Utterance, type_name
from leaderboard.metrics import score_labels
from leaderboard.results import load_runs, read_predictions, read_result
from leaderboard.schema import RESULT_FILE

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["load_corpus", "make_folds", "run_suite", "load_results", "load_predictions"]


def load_corpus(name: str, root: str | os.PathLike[str], label_map: str | None = None) -> list[Utterance]:
    """Read corpus `name` from its distributed tree or a saved HF dataset (`"hf:DIR[?FIELD=COLUMN&...]"`).

    Goes through the corpus adapter's validation and label map (default: the corpus's own); any
    bad input raises `CorpusError` naming every file/row. Utterances come sorted by uid. Arguments of
    the wrong type raise `InvalidArgument` (a ValueError) saying what is expected.
    """

    check_load_args(root, label_map, "raise", True, False)
    root = root if isinstance(root, str) else os.fspath(root)
    return list(load_report(name, root, label_map=label_map, on_error="raise").utterances)


def make_folds(name: str, utterances: Sequence[Utterance], protocol: str | None = None) -> list[Fold]:
    """Speaker-disjoint folds of `utterances` under `protocol` (default: the corpus's standard one).

    The corpus's own adapter makes them, so they match `lemer-bench data folds` exactly. Utterances that
    are not `Utterance` records of corpus `name` are refused with `InvalidArgument` naming the first one.
    """

    adapter = get_adapter(name)
    items = check_utterances(utterances, adapter.info.name)
    return list(adapter.folds(items, adapter.info.default_protocol if protocol is None else protocol))


def run_suite(suite: "str | os.PathLike[str] | Suite", corpora: Mapping[str, str | os.PathLike[str]] | None = None,
              out: str | os.PathLike[str] = "runs", jobs: int = 1, **options: Any) -> "Summary":
    """Run a suite's grid like `lemer-bench run` and return its `Summary` (`.to_json()`, `.failures`).

    `suite`: a bundled name, a `.toml` path or a parsed `Suite`; `corpora`: `{name: root}` as with
    `--corpus NAME=ROOT` (a root may be `hf:DIR`); `options`: any other `RunOptions` field
    (`force`, `limit`, `models`, `cache_dir`, `progress`, `device`: auto|cpu|cuda[:N], default auto).
    The defaults are the CLI's (`jobs` 1, device auto). Completed runs are skipped, as on the CLI.
    """

    check_run_args(suite, corpora, out, jobs, options)
    parsed = suite if isinstance(suite, Suite) else load_suite(os.fspath(suite))
    roots = parse_corpus_args(f"{k}={os.fspath(v)}" for k, v in (corpora or {}).items())
    opts = RunOptions(out=Path(out), jobs=jobs, corpus_roots=roots, **options)
    return run_grid(parsed, opts)


def check_run_args(suite: object, corpora: object, out: object, jobs: object, options: Mapping[str, Any]) -> None:
    """InvalidArgument naming the argument when `run_suite` is called with the wrong types or values.

    Why here: the CLI's parser checks these (`--jobs` >= 1), but a notebook's `jobs=0` used to be clamped to 1
    silently and `corpora=["iemocap"]` died inside the corpus parser; the same mistakes now say what is expected.
    """
    if not isinstance(suite, (Suite, str, os.PathLike)):
        raise InvalidArgument(f"suite must be a bundled suite name, a .toml path (str or pathlib.Path) or a Suite, "
                              f"got {type_name(suite)} {suite!r}")
    if corpora is not None:
        if not isinstance(corpora, Mapping):
            raise InvalidArgument(f"corpora must be a dict {{corpus name: root folder}}, e.g. "
                                  f"{{'iemocap': '/data/IEMOCAP_full_release'}}, got {type_name(corpora)} {corpora!r}")
        for name, root in corpora.items():
            if not isinstance(name, str) or not isinstance(root, (str, os.PathLike)):
                raise InvalidArgument(f"corpora maps a corpus name (str) to its root (str or pathlib.Path, or "
                                      f"'hf:DIR'), got {type_name(name)} {name!r}: {type_name(root)} {root!r}")
    if not isinstance(out, (str, os.PathLike)):
        raise InvalidArgument(f"out must be a folder path (str or pathlib.Path), got {type_name(out)} {out!r}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidArgument(f"jobs must be a whole number of parallel run processes, 1 or more (as --jobs), got "
                              f"{type_name(jobs)} {jobs!r}")
    known = {f.name for f in fields(RunOptions)} - {"out", "jobs", "corpus_roots"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidArgument(f"run_suite got unknown option(s) {', '.join(unknown)}; the options are "
                              f"{', '.join(sorted(known))} (corpora, out and jobs are arguments of their own)")
    for name, value in options.items():
        expected, ok = _OPTION_TYPES[name]
        if not ok(value):
            raise InvalidArgument(f"{name} must be {expected}, got {type_name(value)} {value!r}")


def _whole(low: int) -> Any:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low


def _optional(check: Any) -> Any:
    return lambda v: v is None or check(v)


_TEXT = lambda v: isinstance(v, str)  # noqa: E731
_PATH = lambda v: isinstance(v, (str, os.PathLike))  # noqa: E731
_FLAG = lambda v: isinstance(v, bool)  # noqa: E731
# RunOptions field -> (what a user is told, the check); a bool is never taken for a number
_OPTION_TYPES: dict[str, tuple[str, Any]] = {
    "force": ("True or False", _FLAG), "progress": ("True or False", _FLAG), "generate": ("True or False", _FLAG),
    "limit": ("None or a whole number >= 0", _optional(_whole(0))),
    "models": ("None or a list of model names (str)",
               _optional(lambda v: isinstance(v, (list, tuple)) and all(isinstance(m, str) for m in v))),
    "cache_dir": ("None or a folder path (str or pathlib.Path)", _optional(_PATH)),
    "executor": ("'local' or 'ray'", lambda v: v in ("local", "ray")),
    "ray_address": ("None or an address such as 'auto' or 'head:6379'", _optional(_TEXT)),
    "retries": ("a whole number >= 0", _whole(0)), "device": ("'auto', 'cpu' or 'cuda[:N]' (str)", _TEXT),
}


# ---------------------------------------------------------------- reading result files
@dataclass(frozen=True)
class RunFiles:
    """What one run directory holds, as plain values: the parsed result.json and its prediction rows.

    `gold` is None for an utterance without a consensus class (soft and dimensional tasks), `pred` "" for the
    dimensional task; `rows` are the prediction lines as the leaderboard validated them (every key)."""

    result_path: str
    result: dict[str, Any]
    task: str
    labels: tuple[str, ...]
    uids: tuple[str, ...]
    gold: tuple[str | None, ...]
    pred: tuple[str, ...]
    probs: tuple[dict[str, float] | None, ...]
    rows: tuple[Mapping[str, Any], ...]


def read_run_files(path: str | os.PathLike[str]) -> list[RunFiles]:
    """Every run under `path` (a runs folder, one run folder, or a `result.json`), validated.

    The ONE place that reads result files: it goes through `leaderboard/results.py` (schema and
    prediction checks, errors naming file and line), so a file the leaderboard refuses is refused here too.
    """

    p = Path(path)
    if p.is_file():
        runs = [read_result(p)]
    elif (p / RESULT_FILE).is_file():
        runs = [read_result(p / RESULT_FILE)]
    else:
        runs = load_runs(p)
    out = []
    for r in runs:
        task = r.spec.task
        rows = read_predictions(r.predictions_path, task).rows
        out.append(RunFiles(result_path=r.result_path, result=r.result, task=task, labels=r.labels, uids=r.uids,
                            gold=tuple(row.get("gold") or None for row in rows),
                            pred=tuple(row.get("pred", "") for row in rows),
                            probs=tuple(row.get("probs") for row in rows), rows=rows))
    return out


def _flatten(prefix: str, value: Any, into: dict[str, Any]) -> None:
    """Nested dicts become dotted columns (`model_config.lr`); other values stay as they are."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, into)
    else:
        into[prefix] = value


def spec_columns(result: Mapping[str, Any]) -> dict[str, Any]:
    """The run spec flattened: `model`, `corpus`, `fold`, `seed`, ..., `model_config.<k>`, `ablation.param/value`."""
    run = dict(result.get("run") or {})
    cols: dict[str, Any] = {}
    ablation = run.pop("ablation", None)
    config = run.pop("model_config", None) or {}
    for k, v in run.items():
        _flatten(k, v, cols)
    cols["ablation.param"] = ablation.get("param") if isinstance(ablation, dict) else None
    cols["ablation.value"] = ablation.get("value") if isinstance(ablation, dict) else None
    if config:
        _flatten("model_config", config, cols)
    return cols


_TOP_LEVEL_KNOWN = ("schema_version", "run", "labels", "metrics")


def _scores(rf: RunFiles) -> dict[str, float | None]:
    """The run's task metrics recomputed from its rows: WA/UA/macro-F1 for the categorical task (and ECE, Brier,
    NLL where every row has probabilities); every registered metric of the soft and dimensional tasks."""
    if rf.task != "categorical":
        return dict(run_metrics(rf.task, rf.rows, rf.labels).values)
    if all(rf.probs):
        return dict(run_metrics(rf.task, rf.rows, rf.labels).values)
    scores = score_labels(rf.gold, rf.pred, rf.labels)  # type: ignore[arg-type]
    return {"wa": scores.wa, "ua": scores.ua, "macro_f1": scores.macro_f1}


def _result_row(rf: RunFiles) -> dict[str, Any]:
    scores = _scores(rf)
    row: dict[str, Any] = {"run_dir": str(Path(rf.result_path).parent)}
    row.update(spec_columns(rf.result))
    row.update({"wa": None, "ua": None, "macro_f1": None, **scores, "n": len(rf.uids), "labels": list(rf.labels)})
    for k, v in (rf.result.get("metrics") or {}).items():  # what the run reported beside them, as `metrics.<k>`
        if k not in scores and k != "n":
            _flatten(f"metrics.{k}", v, row)
    for k, v in rf.result.items():  # wer, n_train/valid/test, timings.*, hashes, any diagnostics present
        if k not in _TOP_LEVEL_KNOWN:
            _flatten(k, v, row)
    return row


def load_results(runs_dir: str | os.PathLike[str]) -> "pd.DataFrame":
    """One row per run under `runs_dir`: every run-spec field flattened (`task`, `audio`, `audio_splits`, `refit`
    among them), the task's metrics recomputed from the predictions (WA/UA/macro-F1, ECE/Brier/NLL for the
    categorical task; `ccc_aro` ... `mae` dimensional; `soft_ce`, `soft_kl`, `plurality_acc` soft; blank where a
    metric belongs to another task) and n, WER, n_train/n_valid/n_test, `timings.*`, hashes and any other
    (diagnostic) keys the result holds, dotted when nested. Sorted by result path.
    """
    import pandas as pd

    return pd.DataFrame([_result_row(rf) for rf in read_run_files(runs_dir)])


def load_predictions(path: str | os.PathLike[str]) -> "pd.DataFrame":
    """One row per test utterance of every run under `path` (a runs folder or one run folder):
    `uid, gold, pred, probs` (a dict label -> probability, or None), `speaker`, `gender`, and per task
    `gold_dist` (soft) or `gold_dims` / `pred_dims` (dimensional: dicts arousal/valence/dominance in [-1, 1]),
    plus the run's spec columns and `run_dir`, so runs are paired by `uid` with a merge or a pivot.
    """
    import pandas as pd

    frames = []
    for rf in read_run_files(path):
        cols: dict[str, Any] = {"uid": rf.uids, "gold": rf.gold, "pred": rf.pred, "probs": list(rf.probs),
                                "speaker": [r.get("speaker") for r in rf.rows], "gender": [r.get("gender") for r in rf.rows]}
        for key in {"soft": ("gold_dist",), "dimensional": ("gold_dims", "pred_dims")}.get(rf.task, ()):
            cols[key] = [r.get(key) for r in rf.rows]
        frame = pd.DataFrame(cols)
        for k, v in {"run_dir": str(Path(rf.result_path).parent), **spec_columns(rf.result)}.items():
            frame[k] = [v] * len(frame)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
