"""Grid throughput: the local executor vs Ray with 1 and 2 worker CPUs, on a tiny suite.

Suite: 60 runs (`test-slow` sleeping 0.1 s in fit, so the runs themselves are cheap and fixed) on the
tiny hand-made IEMOCAP tree. Each round runs the whole grid into an empty results directory; the Ray
rounds reuse one local Ray instance per CPU count (its start-up, several seconds, is measured once in
`test_ray_startup`). What is compared is the harness's scheduling cost around equal work.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.runs import slow_suite

SUITE = slow_suite(12, 0.1, name="perf-exec")
N_RUNS = 12 * 5


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, test_models: None) -> Path:
    from tests.support.corpora import iemocap_tree

    return iemocap_tree(tmp_path_factory.mktemp("exec-perf"), sessions=5, per_speaker=4)


def _grid(benchmark, corpus: Path, tmp_path: Path, **opts) -> None:  # noqa: ANN001
    from benchmarks.run.runner import RunOptions, run_suite
    from benchmarks.suite import load_suite

    (tmp_path / "s.toml").write_text(SUITE)
    suite = load_suite(str(tmp_path / "s.toml"))
    out = tmp_path / "runs"
    ro = RunOptions(out=out, corpus_roots={"iemocap": str(corpus)}, cache_dir=str(tmp_path / "cache"), progress=False,
                    generate=False, **opts)
    summary = benchmark.pedantic(lambda: run_suite(suite, ro, log=lambda m: None),
                                 setup=lambda: shutil.rmtree(out, ignore_errors=True), rounds=2, iterations=1)
    assert summary.runs_done == N_RUNS and summary.runs_failed == 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_local_executor(benchmark, corpus: Path, tmp_path: Path, jobs: int) -> None:  # noqa: ANN001
    _grid(benchmark, corpus, tmp_path, jobs=jobs)


@pytest.mark.parametrize("cpus", [1, 2])
def test_ray_executor(benchmark, corpus: Path, tmp_path: Path, cpus: int) -> None:  # noqa: ANN001
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=cpus, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    try:
        _grid(benchmark, corpus, tmp_path, executor="ray")
    finally:
        ray.shutdown()


def test_ray_startup(benchmark) -> None:  # noqa: ANN001
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        ray.shutdown()

    def start_stop() -> None:
        ray.init(num_cpus=1, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
        ray.get(ray.remote(lambda: 1).remote())
        ray.shutdown()

    benchmark.pedantic(start_stop, rounds=1, iterations=1)
