"""The on-disk contract between the runner and the leaderboard: a typed run result (version 2).

A run directory holds, all written atomically by the runner (predictions first, result last):
- `predictions.jsonl`: one object per test utterance
  `{"uid": "iemocap:Ses01F_impro01_F000", "gold": "neu", "pred": "hap", "probs": {"neu": 0.1, ...}}`
  (`probs` optional in users' own files);
- `result.json`: `RunResult.to_json()`; its `predictions_sha256` ties it to the predictions beside it,
  so a damaged or replaced prediction file makes the run incomplete (it is redone on resume);
- `log.txt` (the model's log lines: chosen C, keywords, best epoch) and `history.json` (per epoch:
  train loss, validation UA, the chosen epoch) when the model produced them.

`RunResult` is the one reader and writer of `result.json` (`from_json` validates and migrates,
`to_json` writes); the runner builds it, the leaderboard and the Python API read it.
Version history: 1 = no `runtime`, `predictions_sha256`, `diagnostics`, `history`; read by
`migrate` with those fields absent (None).

Path convention (informative; readers use the keys, never the path):
    runs/<suite>/<corpus>/<protocol>/<label_map>/<transcript>/<model>/seed=<s>/<fold>/
with ':' in transcript keys written as '-' in the path.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

SCHEMA_VERSION = 2
RESULT_FILE = "result.json"
PREDICTIONS_FILE = "predictions.jsonl"
LOG_FILE = "log.txt"
HISTORY_FILE = "history.json"


class ResultError(ValueError):
    """A result or prediction file that breaks the contract; the message names the file."""


@dataclass(frozen=True)
class RunInfo:
    """What was run: the `run` block (every field is part of the run's identity)."""

    suite: str
    model: str  # registry name (variants have their own names)
    model_config: dict[str, Any]  # every switch the model ran with, defaults included
    ablation: dict[str, Any] | None  # {"param": ..., "value": ...} for ablation sweeps
    corpus: str  # display name of the TEST corpus; synthetic ones are prefixed `synthetic-`
    train_corpus: str  # differs from corpus only in cross-corpus runs
    synthetic: bool
    protocol: str  # or "cross-corpus"
    label_map: str
    fold: str
    transcript: str  # canonical condition key (benchmarks/transcripts/condition.py)
    transcript_independent: bool  # true for models that read no text: valid under every condition
    seed: int
    text_encoder: str | None
    speech_encoder: str | None


RUN_KEYS = tuple(f.name for f in fields(RunInfo))


@dataclass(frozen=True)
class Metrics:
    wa: float
    ua: float
    macro_f1: float
    n: int


@dataclass(frozen=True)
class Timings:
    fit_s: float
    predict_s: float
    total_s: float


@dataclass(frozen=True)
class RunResult:
    """One run's result.json."""

    run_id: str
    run: RunInfo
    labels: tuple[str, ...]
    metrics: Metrics
    wer: float | None  # WER of the transcript condition on the test set (None: undefined / no text)
    n_train: int
    n_valid: int
    n_test: int
    package_version: str | None
    git_hash: str | None
    manifest_hash: str
    timings: Timings
    created: str
    runtime: dict[str, Any] | None = None  # seed, threads, versions, device (benchmarks/runtime.py)
    predictions_sha256: str | None = None  # of predictions.jsonl's bytes
    diagnostics: dict[str, Any] | None = None  # model-specific (e.g. LE-MER attention entropies)
    history: dict[str, Any] | None = None  # summary: best epoch, epochs run (full curve in history.json)
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["labels"] = list(self.labels)
        return d

    @classmethod
    def from_json(cls, data: Any, path: str = "<result>") -> "RunResult":
        """Validate (naming `path` in every error) and build; older versions are migrated first."""
        data = migrate(data, path)
        run = data.get("run")
        _require(isinstance(run, dict), path, "missing 'run' object")
        missing = [k for k in RUN_KEYS if k not in run]
        _require(not missing, path, f"run is missing key(s): {', '.join(missing)}")
        for key in ("model", "corpus", "train_corpus", "protocol", "label_map", "fold", "transcript"):
            _require(isinstance(run[key], str) and run[key] != "", path, f"run.{key} must be a non-empty string")
        _require(isinstance(run["seed"], int) and not isinstance(run["seed"], bool), path, "run.seed must be an integer")
        abl = run["ablation"]
        _require(abl is None or (isinstance(abl, dict) and "param" in abl and "value" in abl), path,
                 "run.ablation must be null or {\"param\": ..., \"value\": ...}")
        labels = data.get("labels")
        _require(isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)
                 and len(set(labels)) == len(labels), path, "'labels' must be a non-empty list of distinct strings")
        metrics = data.get("metrics") or {}
        timings = data.get("timings") or {}
        try:
            return cls(
                run_id=str(data.get("run_id", "")),
                run=RunInfo(**{k: run[k] for k in RUN_KEYS}),
                labels=tuple(labels),
                metrics=Metrics(**{f.name: metrics.get(f.name) for f in fields(Metrics)}),
                wer=data.get("wer"),
                n_train=data.get("n_train", 0), n_valid=data.get("n_valid", 0), n_test=data.get("n_test", 0),
                package_version=data.get("package_version"), git_hash=data.get("git_hash"),
                manifest_hash=str(data.get("manifest_hash", "")),
                timings=Timings(**{f.name: timings.get(f.name) for f in fields(Timings)}),
                created=str(data.get("created", "")),
                runtime=data.get("runtime"), predictions_sha256=data.get("predictions_sha256"),
                diagnostics=data.get("diagnostics"), history=data.get("history"),
            )
        except TypeError as e:
            raise ResultError(f"{path}: {e}") from None


def migrate(data: Any, path: str = "<result>") -> dict[str, Any]:
    """Bring an older result.json to the current version (a copy); refuse unknown versions."""
    _require(isinstance(data, dict), path, "expected a JSON object")
    version = data.get("schema_version")
    _require(version in (1, SCHEMA_VERSION), path,
             f"schema_version {version!r} is not supported (this leaderboard reads versions 1..{SCHEMA_VERSION})")
    out = dict(data)
    if version == 1:
        out.update(schema_version=SCHEMA_VERSION, runtime=None, predictions_sha256=None, diagnostics=None, history=None)
    return out


def _require(cond: bool, path: str, message: str) -> None:
    if not cond:
        raise ResultError(f"{path}: {message}")
