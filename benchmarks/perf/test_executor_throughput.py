"""Grid throughput: the local executor vs Ray with 1 and 2 worker CPUs, around runs of known cost.

Grid: `perf-fixed-cost` (`majority` after a 0.1 s sleep in fit, conftest.py) x 12 seeds x the 5 loso folds of
the tiny synthetic IEMOCAP tree = 60 runs, 6.0 s of run work. Each round runs the whole grid into an empty
results directory; the Ray rounds reuse one local Ray instance per CPU count (its start-up, several seconds, is
`test_ray_startup`). The ideal wall time is 6.0 s / workers; what exceeds it is the executor's own cost
(`extra_info["overhead_ms_per_run"]` = (mean - ideal) / runs per worker).
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

from benchmarks.perf.conftest import N_FOLDS, FixedCost
from benchmarks.run.runner import RunOptions, run_suite
from benchmarks.suite import Suite

SEEDS = 12
N_RUNS = SEEDS * N_FOLDS


def _grid(benchmark, suite: Suite, corpus: Path, tmp_path: Path, workers: int, **opts) -> None:  # noqa: ANN001, ANN003
    """Time `suite` into an empty results folder (2 rounds); check that every run finished."""
    out = tmp_path / "runs"
    ro = RunOptions(out=out, corpus_roots={"iemocap": str(corpus)}, cache_dir=str(tmp_path / "cache"), progress=False,
                    generate=False, **opts)
    summary = benchmark.pedantic(lambda: run_suite(suite, ro, log=lambda m: None),
                                 setup=lambda: shutil.rmtree(out, ignore_errors=True), rounds=2, iterations=1)
    assert summary.runs_done == N_RUNS and summary.runs_failed == 0
    assert len(list(out.rglob("result.json"))) == N_RUNS
    if getattr(benchmark, "stats", None) is not None:
        ideal = N_RUNS * FixedCost.SLEEP_S / workers
        benchmark.extra_info["ideal_s"] = ideal
        benchmark.extra_info["overhead_ms_per_run"] = round(1000 * (benchmark.stats.stats.mean - ideal)
                                                            / (N_RUNS / workers), 1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_local_executor(benchmark, synth_root: Path, tmp_path: Path, fixed_cost_model: str,  # noqa: ANN001
                        grid_suite: Callable[[str, int], Suite], jobs: int) -> None:
    _grid(benchmark, grid_suite(fixed_cost_model, SEEDS), synth_root, tmp_path, jobs, jobs=jobs)


@pytest.mark.parametrize("cpus", [1, 2])
def test_ray_executor(benchmark, synth_root: Path, tmp_path: Path, fixed_cost_model: str,  # noqa: ANN001
                      grid_suite: Callable[[str, int], Suite], cpus: int) -> None:
    ray = pytest.importorskip("ray")  # optional dependency: the Ray rows are skipped without it
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=cpus, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    try:
        _grid(benchmark, grid_suite(fixed_cost_model, SEEDS), synth_root, tmp_path, cpus, executor="ray")
    finally:
        ray.shutdown()


def test_ray_startup(benchmark) -> None:  # noqa: ANN001
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        ray.shutdown()

    def start_stop() -> int:
        ray.init(num_cpus=1, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
        try:
            return ray.get(ray.remote(lambda: 1).remote())
        finally:
            ray.shutdown()

    assert benchmark.pedantic(start_stop, rounds=1, iterations=1) == 1
