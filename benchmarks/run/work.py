"""One run as an executor sees it: execute it (files written by `execute_recorded`) and count the features it caused.

Both executors (`executors.py`, `ray_executor.py`) call `counted`, so resume, `--force` and the leaderboard do
not depend on where a run executed.
"""
from __future__ import annotations

from pathlib import Path

from benchmarks.run.execute import execute_recorded
from benchmarks.run.inputs import RunData
from lemer.core.spec import RunSpec

Counted = tuple[str | None, int, int]  # (error or None, features computed, features reused)
Outcome = tuple[RunSpec, Counted]


def counted(spec: RunSpec, data: RunData, out: Path, threads: int | None = None) -> Counted:
    """Execute one run (files written by `execute_recorded`) and the feature counts it caused.
    `threads`: torch threads for the run (1 in parallel workers; see benchmarks.runtime)."""
    before = data.counters()
    err = execute_recorded(spec, data, out, threads)
    after = data.counters()
    return err, after[0] - before[0], after[1] - before[1]
