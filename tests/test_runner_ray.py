"""The Ray executor on a local Ray cluster (127.0.0.1 only, 2 CPUs) started by the test as the tool starts its own.

Same predictions as the local executor (runs and sharded feature tasks); a worker killed mid-grid
loses nothing and duplicates nothing: retried in the same grid, or, without retries, recorded as
failed and completed by a rerun that leaves finished runs untouched.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from benchmarks.run.runner import RunOptions, run_suite  # noqa: E402
from benchmarks.suite import load_suite  # noqa: E402
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE  # noqa: E402
from lemer.core.contract import Example, FitEnv, Model, ModelInfo, Prediction, Requirements  # noqa: E402
from tests.support.corpora import iemocap_tree, write_tone  # noqa: E402
from tests.support.models import TEST_MODELS  # noqa: E402
from tests.support.runs import check_grid_complete, slow_suite, write_suite  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


class FeatureMeans(Model):
    """Test-only: nearest class mean of mean-pooled speech + text features (exercises the sharded feature tasks)."""

    info = ModelInfo(name="test-feature-means", modalities=("text", "speech"), description="test-only",
                     encoders=("text", "speech"))

    @property
    def requirements(self) -> Requirements:
        return Requirements(text_features=True, speech_features=True, text_context=1)

    def _vec(self, ex: Example) -> np.ndarray:
        f = ex.features
        assert f is not None and f.text is not None and f.speech is not None
        return np.concatenate([np.asarray(f.text, np.float32).mean(0), np.asarray(f.speech, np.float32).mean(0)])

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        self.classes = env.classes
        vecs = {c: [self._vec(e) for e in train if e.label == c] for c in env.classes}
        self.means = {c: np.mean(v, 0) if v else None for c, v in vecs.items()}

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        out = []
        for ex in examples:
            v = self._vec(ex)
            d = np.array([np.inf if m is None else float(np.sum((v - m) ** 2)) for m in self.means.values()])
            p = np.exp(-(d - d.min()))
            p /= p.sum()
            out.append(Prediction(ex.uid, self.classes[int(d.argmin())], dict(zip(self.classes, p.tolist()))))
        return out


class ThreadReport(Model):
    """Test-only: its "probabilities" are the torch and BLAS thread counts its fit ran under. It stands for any
    model whose bits depend on its thread count (torch's parallel reductions, BLAS), so the harness must give a
    run the same threads on every executor."""

    info = ModelInfo(name="test-threads", modalities=(), description="test-only")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        import torch
        from threadpoolctl import threadpool_info

        self.classes = env.classes
        blas = [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]
        self.seen = (float(torch.get_num_threads()), float(max(blas)))

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        probs = dict(zip(self.classes, self.seen))
        return [Prediction(ex.uid, self.classes[0], probs) for ex in examples]


PARITY_SUITE = """
name = "r"
seeds = [0]
models = ["majority", "test-keyword-text", "test-feature-means"]
transcripts = ["gold", "noise:wer=0.3"]

[[corpora]]
name = "iemocap"
protocol = "loso"
label_map = "iemocap-4"
"""

THREADS_SUITE = """
name = "t"
seeds = [0]
models = ["test-threads"]

[[corpora]]
name = "iemocap"
protocol = "loso"
label_map = "iemocap-4"
"""

SLOW_SUITE = slow_suite(4, 0.6)
TOTAL = 4 * 3


@pytest.fixture(scope="module")
def cluster():
    from benchmarks.models import MODELS

    overlay = MODELS.overlay({**TEST_MODELS, "test-feature-means": "tests.test_runner_ray:FeatureMeans",
                              "test-threads": "tests.test_runner_ray:ThreadReport"})
    overlay.__enter__()
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if ray.is_initialized():
        ray.shutdown()
    from benchmarks.run.ray_executor import start_local_ray  # loopback only, as the tool's own instance

    start_local_ray(ray, 2, logging_level="WARNING", log_to_driver=False)
    yield
    ray.shutdown()
    overlay.__exit__(None, None, None)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = iemocap_tree(tmp_path_factory.mktemp("corpus"))
    for i, wav in enumerate(sorted(root.rglob("*.wav"))):  # the helper's 50 ms clips are too short for an encoder
        write_tone(wav, 0.3 + 0.01 * (i % 7), freq=150 + 10 * i)
    return root


def _opts(out: Path, corpus: Path, cache: Path, **kw) -> RunOptions:
    return RunOptions(out=out, corpus_roots={"iemocap": str(corpus)}, cache_dir=str(cache), progress=False, **kw)


def _predictions(out: Path) -> dict[Path, bytes]:
    return {p.parent.relative_to(out): p.read_bytes() for p in sorted(out.rglob(PREDICTIONS_FILE))}


@pytest.mark.slow  # real encoders (MiniLM, Whisper tiny) for the sharded feature tasks
def test_ray_predictions_are_identical_to_the_local_executor(cluster, tmp_path: Path, corpus: Path) -> None:
    suite = load_suite(str(write_suite(tmp_path / "r.toml", PARITY_SUITE)))
    local = run_suite(suite, _opts(tmp_path / "local", corpus, tmp_path / "cache-local"))
    dist = run_suite(suite, _opts(tmp_path / "ray", corpus, tmp_path / "cache-ray", executor="ray"))
    assert local.runs_failed == 0, local.failures
    assert dist.runs_failed == 0, dist.failures
    assert local.runs_done == dist.runs_done == local.runs_total > 0
    assert dist.features_computed == local.features_computed > 0  # each entry computed once, by one shard task
    a, b = _predictions(tmp_path / "local"), _predictions(tmp_path / "ray")
    assert a.keys() == b.keys() and len(a) == local.runs_total
    assert a == b
    # features came from sharded Ray tasks into the (sharded) cache, not from per-utterance files
    assert list((tmp_path / "cache-ray" / "features" / "shards").glob("*.bin"))
    again = run_suite(suite, _opts(tmp_path / "ray", corpus, tmp_path / "cache-ray", executor="ray"))
    assert again.runs_skipped == again.runs_total and again.features_computed == 0


def test_runs_get_the_same_threads_on_every_executor(cluster, tmp_path: Path, corpus: Path) -> None:
    """One thread count per run (the model's declared CPUs, else 1) in the serial local path, the spawned pool
    and Ray; before, a --jobs 1 run kept the process's defaults (one thread per core) and the others had one."""
    suite = load_suite(str(write_suite(tmp_path / "t.toml", THREADS_SUITE)))
    preds = {}
    for name, kw in (("jobs1", {}), ("jobs2", {"jobs": 2}), ("ray", {"executor": "ray"})):
        summary = run_suite(suite, _opts(tmp_path / name, corpus, tmp_path / "cache", **kw))
        assert summary.runs_failed == 0 and summary.runs_done == summary.runs_total > 1, summary.failures
        preds[name] = _predictions(tmp_path / name)
    assert preds["jobs1"] == preds["jobs2"] == preds["ray"]
    first = json.loads(next(iter(preds["ray"].values())).splitlines()[0])
    assert list(first["probs"].values()) == [1.0, 1.0]  # torch and BLAS: one thread each


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
                parents[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, frontier = [], [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out += kids
        frontier += kids
    return out


def _kill_a_running_worker(out: Path, after: int, killed: list[int]) -> None:
    """Once `after` results exist, SIGKILL one of this test's own Ray workers that is executing a run."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(list(out.rglob(RESULT_FILE))) >= after:
            for pid in _descendants(os.getpid()):
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if cmd.startswith(b"ray::_run_task"):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
        time.sleep(0.02)


def _grid_with_a_kill(tmp_path: Path, corpus: Path, retries: int):
    suite = load_suite(str(write_suite(tmp_path / "k.toml", SLOW_SUITE)))
    out = tmp_path / "runs"
    killed: list[int] = []
    t = threading.Thread(target=_kill_a_running_worker, args=(out, 2, killed))
    t.start()
    summary = run_suite(suite, _opts(out, corpus, tmp_path / "cache", executor="ray", retries=retries))
    t.join()
    assert killed, "no running Ray worker was found to kill"
    return suite, out, summary


def test_killed_ray_worker_is_retried_within_the_grid(cluster, tmp_path: Path, corpus: Path) -> None:
    _, out, summary = _grid_with_a_kill(tmp_path, corpus, retries=2)
    assert summary.runs_failed == 0, summary.failures
    assert summary.runs_done == TOTAL
    check_grid_complete(out, TOTAL)


def test_killed_ray_worker_without_retries_is_finished_by_a_rerun(cluster, tmp_path: Path, corpus: Path) -> None:
    suite, out, summary = _grid_with_a_kill(tmp_path, corpus, retries=0)
    assert summary.runs_failed >= 1 and summary.runs_done + summary.runs_failed == TOTAL
    assert any("Ray task failed 1 time(s)" in f for f in summary.failures)
    done = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob(RESULT_FILE)}
    assert len(done) == summary.runs_done
    rerun = run_suite(suite, _opts(out, corpus, tmp_path / "cache", executor="ray"))
    assert rerun.runs_failed == 0 and rerun.runs_skipped == len(done)
    assert rerun.runs_done == TOTAL - len(done)
    for p, (mtime, raw) in done.items():  # completed runs untouched
        assert p.stat().st_mtime_ns == mtime and p.read_bytes() == raw
    check_grid_complete(out, TOTAL)


def test_cli_ray_executor_prints_the_same_summary_line(cluster, tmp_path: Path, corpus: Path, capsys) -> None:
    from benchmarks.cli import main

    suite = write_suite(tmp_path / "k.toml", SLOW_SUITE.replace("seconds = 0.6", "seconds = 0.01"))
    args = ["run", "--suite", str(suite), "--corpus", f"iemocap={corpus}", "--out", str(tmp_path / "runs"),
            "--cache", str(tmp_path / "cache"), "--no-progress"]
    # a second driver (a subprocess) joins the test's cluster by address, as on a real cluster
    address = ray.get_runtime_context().gcs_address
    # The cluster listens on 127.0.0.1 only; without this Ray's init would rewrite the address to this
    # machine's network IP (what Ray itself does on Windows/macOS; see ray_executor.start_local_ray).
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    done = subprocess.run([sys.executable, "-m", "tests.support.runs", *args, "--executor", "ray",
                           "--ray-address", address], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    first = json.loads(done.stdout.strip().splitlines()[-1])
    assert (first["runs_total"], first["runs_done"], first["runs_failed"]) == (TOTAL, TOTAL, 0)
    assert main(args) == 0  # the local executor resumes a Ray grid: everything is skipped
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(second) == set(first) and second["runs_skipped"] == TOTAL
