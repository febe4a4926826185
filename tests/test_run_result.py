"""The typed run result: one writer, one reader, migration of version 1, and what a run directory keeps.

A damaged `predictions.jsonl` beside an intact `result.json` must make the run incomplete (the
result holds the predictions' sha256), so a rerun repairs it without `--force`.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cli import main
from leaderboard.results import read_result
from leaderboard.schema import (
    HISTORY_FILE,
    LOG_FILE,
    PREDICTIONS_FILE,
    RESULT_FILE,
    SCHEMA_VERSION,
    ResultError,
    RunResult,
    migrate,
)
from tests.support.runs import SMALL_SUITE, write_suite

pytestmark = pytest.mark.usefixtures("test_models")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, test_models: None, iemocap_corpus: Path) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("rr")
    suite = write_suite(base / "s.toml", SMALL_SUITE)
    out = base / "runs"
    assert _run(suite, iemocap_corpus, out) == 0
    return suite, iemocap_corpus, out


def _run(suite: Path, corpus: Path, out: Path) -> int:
    return main(["run", "--suite", str(suite), "--corpus", f"iemocap={corpus}", "--out", str(out),
                 "--cache", str(out.parent / "cache"), "--no-progress"])


def test_result_round_trips_through_the_typed_model(runs: tuple[Path, Path, Path]) -> None:
    for path in sorted(runs[2].rglob(RESULT_FILE)):
        data = json.loads(path.read_text())
        record = RunResult.from_json(data, str(path))
        assert record.to_json() == data and record.schema_version == SCHEMA_VERSION
        assert record.runtime is not None and record.runtime["seed"] == record.run.seed
        assert record.predictions_sha256 and len(record.predictions_sha256) == 64


def test_run_directory_keeps_its_log(runs: tuple[Path, Path, Path]) -> None:
    for path in sorted(runs[2].rglob(RESULT_FILE)):
        assert (path.parent / LOG_FILE).is_file()
        history = path.parent / HISTORY_FILE
        if history.is_file():  # neural models keep their per-epoch curve
            h = json.loads(history.read_text())
            assert len(h["train_loss"]) == h["epochs_run"]


def test_version_1_results_are_migrated(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    src = sorted(runs[2].rglob(RESULT_FILE))[0]
    v1 = json.loads(src.read_text())
    for key in ("runtime", "predictions_sha256", "diagnostics", "history"):
        v1.pop(key)
    v1["schema_version"] = 1
    (tmp_path / RESULT_FILE).write_text(json.dumps(v1))
    (tmp_path / PREDICTIONS_FILE).write_bytes((src.parent / PREDICTIONS_FILE).read_bytes())
    run = read_result(tmp_path / RESULT_FILE)
    assert run.record.schema_version == SCHEMA_VERSION and run.record.runtime is None
    assert migrate(v1)["predictions_sha256"] is None
    with pytest.raises(ResultError, match="schema_version 0 is not supported"):
        migrate({**v1, "schema_version": 0}, "x.json")


def test_damaged_predictions_are_redone_on_rerun(runs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture) -> None:
    suite, corpus, out = runs
    victim = sorted(out.rglob(PREDICTIONS_FILE))[0]
    good = victim.read_bytes()
    victim.write_bytes(good[: len(good) // 2])  # truncated, as by a disk error or a stray edit
    capsys.readouterr()
    assert _run(suite, corpus, out) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["runs_done"] == 1 and summary["runs_skipped"] == summary["runs_total"] - 1
    assert victim.read_bytes() == good
