"""Killing a grid mid-way (SIGKILL, or SIGTERM with --jobs 2) and restarting it finishes the grid
with every run present exactly once, every file valid, and no temp or error files left behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leaderboard.results import read_result
from leaderboard.schema import RESULT_FILE
from tests.support.runs import check_grid_complete, slow_suite, write_suite

REPO = Path(__file__).resolve().parents[1]
SLOW_SUITE = slow_suite(4, 0.25)
TOTAL = 4 * 3  # seeds x loso folds of the 3-session tree


def _cmd(suite: Path, corpus: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tests.support.runs", "run", "--suite", str(suite), "--corpus",
            f"iemocap={corpus}", "--out", str(out), "--no-progress", *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def _kill_when(proc: subprocess.Popen, out: Path, n_results: int, sig: int) -> None:
    deadline = time.monotonic() + 90
    while len(list(out.rglob(RESULT_FILE))) < n_results:
        assert proc.poll() is None, f"runner exited early: {proc.communicate()}"
        assert time.monotonic() < deadline, "runner produced no results in time"
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(timeout=30)


@pytest.mark.parametrize("sig, jobs", [(signal.SIGKILL, "1"), (signal.SIGTERM, "2")])
def test_killed_grid_restarts_and_finishes_without_duplicates(tmp_path: Path, iemocap_corpus: Path, sig: int, jobs: str) -> None:
    suite = write_suite(tmp_path / "k.toml", SLOW_SUITE)
    out = tmp_path / "runs"
    proc = subprocess.Popen(_cmd(suite, iemocap_corpus, out, "--jobs", jobs), cwd=REPO, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _kill_when(proc, out, 3, sig)
    assert proc.returncode != 0
    done_before = sorted(out.rglob(RESULT_FILE))
    assert 3 <= len(done_before) < TOTAL
    for p in done_before:  # whatever exists after the kill is complete and valid
        read_result(p)

    rerun = subprocess.run(_cmd(suite, iemocap_corpus, out, "--jobs", jobs), cwd=REPO, env=_env(), capture_output=True,
                           text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert summary["runs_total"] == TOTAL and summary["runs_failed"] == 0
    assert summary["runs_skipped"] >= len(done_before)  # runs finished after the count above are skipped too
    assert summary["runs_skipped"] + summary["runs_done"] == TOTAL
    check_grid_complete(out, TOTAL)
