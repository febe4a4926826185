"""One run as an executor sees it: execute it (files written by `execute_recorded`) and count the features it caused.

Both executors (`executors.py`, `ray_executor.py`) call `counted`, so resume, `--force`, the leaderboard and a
run's thread count do not depend on where a run executed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.models import load_target
from benchmarks.run.execute import execute_recorded
from benchmarks.run.inputs import RunData
from benchmarks.runtime import run_threads
from lemer.core.spec import RunSpec

Counted = tuple[str | None, int, int]  # (error or None, features computed, features reused)
Outcome = tuple[RunSpec, Counted]

_REQ: dict[tuple[str, str], Any] = {}


def counted(spec: RunSpec, data: RunData, out: Path, threads: int | None = None) -> Counted:
    """Execute one run (files written by `execute_recorded`) and the feature counts it caused.

    `threads`: torch/BLAS/OpenMP threads for the run; None = `thread_count(spec)`, the same on every executor
    (the count decides bits, so it must come from the spec, not from the process the run lands in)."""
    n = thread_count(spec) if threads is None else threads
    before = data.counters()
    with run_threads(n):
        err = execute_recorded(spec, data, out, n)
    after = data.counters()
    return err, after[0] - before[0], after[1] - before[1]


def thread_count(spec: RunSpec) -> int:
    """A run's threads: the CPUs its model declares (`Requirements.num_cpus`, what Ray reserves), else 1."""
    cpus = getattr(model_requirements(spec.model_target, spec.model_config), "num_cpus", None)
    return max(1, int(cpus or 1))


def model_requirements(target: str, config: dict[str, Any]) -> Any:
    """The model's `requirements` (built once per model and config)."""
    key = (target, json.dumps(config, sort_keys=True, default=str))
    if key not in _REQ:
        _REQ[key] = load_target(target).from_config(dict(config)).requirements
    return _REQ[key]
