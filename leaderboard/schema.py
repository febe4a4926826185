"""The on-disk contract between the runner and the leaderboard: a typed run result (version 3).

A run directory holds, all written atomically by the runner (predictions first, result last):
- `predictions.jsonl`: one object per test utterance
  `{"uid": "iemocap:Ses01F_impro01_F000", "gold": "neu", "pred": "hap", "probs": {"neu": 0.1, ...},
    "speaker": "Ses01_F", "gender": "F", "votes": {"neu": 2.0, "hap": 1.0, ..., "oth": 0.0}}`
  (the runner writes all of them where the corpus knows them; users' own files need only uid, gold, pred);
  soft-task rows add `gold_dist` (the annotators' distribution) and may have `gold: null` (no consensus);
  dimensional rows have `gold_dims` / `pred_dims` (arousal, valence, dominance in [-1, 1]) instead of `pred`/`probs`;
- `result.json`: `RunResult.to_json()`; its `predictions_sha256` ties it to the predictions beside it,
  so a damaged or replaced prediction file makes the run incomplete (it is redone on resume);
- `log.txt` (the model's log lines: chosen C, keywords, best epoch) and `history.json` (per epoch:
  train loss, validation UA, the chosen epoch) when the model produced them.

`RunResult` is the one reader and writer of `result.json` (`from_json` validates and migrates,
`to_json` writes); the runner builds it, the leaderboard and the Python API read it.
Its `run` record is the serialised run spec (`lemer.core.spec.RunSpec.to_json`): the result's run id
and path are derived from it, and readers get the typed spec back (`record.run.transcript.is_gold`).
Version history (`migrate` reads every older version): 1 = no `runtime`, `predictions_sha256`,
`diagnostics`, `history`; 2 = a `run` block of display names and encoder names (no kind, no weights).

Path convention (informative; readers use the record, never the path): `RunSpec.relpath`,
    runs/<suite>/<corpus>/<protocol>/<label_map>/<transcript>/<model>[/enc-<id>]/seed=<s>/<fold>/
with ':' in keys written as '-'; `enc-<id>` is a short hash of the run's encoders and their weights, so one
model run with two encoders (or two checkpoints under one name) keeps both results side by side.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from lemer.core.errors import InputError
from lemer.core.spec import RunSpec

SCHEMA_VERSION = 3
RESULT_FILE = "result.json"
PREDICTIONS_FILE = "predictions.jsonl"
LOG_FILE = "log.txt"
HISTORY_FILE = "history.json"
# a run that raised leaves this instead of a result: `run_id: <id>`, `run: <RunSpec.to_json()>`, a blank line, the
# traceback (written by benchmarks/run/execute.py, read by leaderboard/results.py:read_failure)
ERROR_FILE = "error.txt"


class ResultError(InputError):
    """A result or prediction file that breaks the contract; the message names the file."""


@dataclass(frozen=True)
class Metrics:
    """The run's scores as the runner computed them: `n` test utterances and every registered metric of the run's
    task by name (`lemer.core.metrics.METRICS`; None where an input is absent). Stored flat: {"n": ..., "ua": ...}.
    Informative: the leaderboard recomputes every number from predictions.jsonl."""

    n: int
    values: Mapping[str, float | None]

    def __getitem__(self, name: str) -> float | None:
        return self.values[name]

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, **dict(self.values)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Metrics":
        return cls(n=d.get("n"), values={k: v for k, v in d.items() if k != "n"})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Timings:
    fit_s: float
    predict_s: float
    total_s: float


@dataclass(frozen=True)
class RunResult:
    """One run's result.json."""

    run_id: str
    run: RunSpec
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
    # utterances of the run (train + valid + test) whose text was empty or whitespace-only, kept as '' (the policy:
    # dataset_adapters/types.py:EMPTY_TEXT_POLICY); None: the run reads no text, or a result written before it
    empty_text: int | None = None
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["run"] = self.run.to_json()
        d["metrics"] = self.metrics.to_json()
        d["labels"] = list(self.labels)
        return d

    @classmethod
    def from_json(cls, data: Any, path: str = "<result>") -> "RunResult":
        """Validate (naming `path` in every error) and build; older versions are migrated first."""
        data = migrate(data, path)
        run = data.get("run")
        _require(isinstance(run, dict), path, "missing 'run' object")
        try:
            spec = RunSpec.from_json(run)
        except (KeyError, ValueError, TypeError) as e:
            raise ResultError(f"{path}: {e}") from None
        for key in ("model", "corpus", "train_corpus", "protocol", "label_map", "fold"):
            _require(getattr(spec, key) != "", path, f"run.{key} must be a non-empty string")
        labels = data.get("labels")
        _require(isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)
                 and len(set(labels)) == len(labels), path, "'labels' must be a non-empty list of distinct strings")
        metrics = data.get("metrics") or {}
        _require(isinstance(metrics, dict) and isinstance(metrics.get("n"), int), path,
                 "'metrics' must be an object with an integer 'n'")
        timings = data.get("timings") or {}
        try:
            return cls(
                run_id=str(data.get("run_id", "")),
                run=spec,
                labels=tuple(labels),
                metrics=Metrics.from_json(metrics),
                wer=data.get("wer"),
                n_train=data.get("n_train", 0), n_valid=data.get("n_valid", 0), n_test=data.get("n_test", 0),
                package_version=data.get("package_version"), git_hash=data.get("git_hash"),
                manifest_hash=str(data.get("manifest_hash", "")),
                timings=Timings(**{f.name: timings.get(f.name) for f in fields(Timings)}),
                created=str(data.get("created", "")),
                runtime=data.get("runtime"), predictions_sha256=data.get("predictions_sha256"),
                diagnostics=data.get("diagnostics"), history=data.get("history"),
                empty_text=_count(data.get("empty_text"), path, "empty_text"),
            )
        except TypeError as e:
            raise ResultError(f"{path}: {e}") from None


def _count(value: Any, path: str, key: str) -> int | None:
    _require(value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0), path,
             f"'{key}' must be null or a whole number >= 0, got {value!r}")
    return value


def migrate(data: Any, path: str = "<result>") -> dict[str, Any]:
    """Bring an older result.json to the current version (a copy); refuse unknown versions.

    1 -> 2: `runtime`, `predictions_sha256`, `diagnostics`, `history` absent (None).
    2 -> 3: the `run` record becomes the serialised `RunSpec`: `adapter` / `train_adapter` (the adapter names
    behind the display names `corpus` / `train_corpus`, `synthetic-iemocap` -> `iemocap`) are added; `protocol =
    "cross-corpus"` becomes `kind = "cross"` with the training corpus's default protocol (the one version 2
    used unless a suite overrode it); `text_encoder` / `speech_encoder` names become `encoders` with unknown
    weights (None); `text_context` (not recorded) is the model's `context_window` when it read text features.
    """
    _require(isinstance(data, dict), path, "expected a JSON object")
    version = data.get("schema_version")
    _require(version in (1, 2, SCHEMA_VERSION), path,
             f"schema_version {version!r} is not supported (this leaderboard reads versions 1..{SCHEMA_VERSION})")
    out = dict(data)
    if version == 1:
        out.update(runtime=None, predictions_sha256=None, diagnostics=None, history=None)
    if version in (1, 2):
        run = out.get("run")
        _require(isinstance(run, dict), path, "missing 'run' object")
        try:
            out["run"] = _run_v2_to_v3(run)
        except (KeyError, TypeError) as e:
            raise ResultError(f"{path}: version {version} 'run' record lacks {e}") from None
    out["schema_version"] = SCHEMA_VERSION
    return out


def _run_v2_to_v3(run: dict[str, Any]) -> dict[str, Any]:
    cross = run["protocol"] == "cross-corpus"
    corpus, train = _adapter_name(run["corpus"]), _adapter_name(run["train_corpus"])
    encoders = [{"role": role, "spec": run[f"{role}_encoder"], "weights": None}
                for role in ("speech", "text") if run.get(f"{role}_encoder")]
    return {
        "suite": run["suite"], "model": run["model"], "model_config": run["model_config"], "ablation": run["ablation"],
        "adapter": corpus, "corpus": run["corpus"], "train_adapter": train, "train_corpus": run["train_corpus"],
        "synthetic": run["synthetic"], "kind": "cross" if cross else "within",
        "protocol": V2_CROSS_PROTOCOLS.get(train, "?") if cross else run["protocol"], "label_map": run["label_map"],
        "fold": run["fold"], "transcript": run["transcript"], "transcript_independent": run["transcript_independent"],
        "seed": run["seed"], "encoders": encoders, "task": "categorical",
        "text_context": int((run["model_config"] or {}).get("context_window", 0)) if run.get("text_encoder") else 0,
    }


def _adapter_name(display: str) -> str:
    """The adapter name behind a version-2 display name (`synthetic-iemocap` -> `iemocap`)."""
    return display[len("synthetic-"):] if display.startswith("synthetic-") else display


# The default protocol of each corpus when version 2 was written (what its cross-corpus runs validated with).
V2_CROSS_PROTOCOLS = {"iemocap": "loso", "msp-podcast": "official", "crema-d": "speaker-5fold"}


def _require(cond: bool, path: str, message: str) -> None:
    if not cond:
        raise ResultError(f"{path}: {message}")
