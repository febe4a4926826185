"""The executor choice: the local pool needs no Ray; bad executor options fail up front with a clear message;
a Ray instance the tool starts itself listens on the loopback interface only."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.cli import main
from benchmarks.run.executors import LocalExecutor, make_executor
from lemer.core.contract import Model, ModelInfo, Requirements
from tests.support.runs import SMALL_SUITE, write_suite

REPO = Path(__file__).resolve().parents[1]


def test_the_local_executor_never_imports_ray() -> None:
    code = ("import sys; import benchmarks.cli.run, benchmarks.run.runner; from benchmarks.run.executors import "
            "make_executor; make_executor('local', __import__('pathlib').Path('x'), 2); "
            "assert 'ray' not in sys.modules, 'ray imported'")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr


def test_unknown_executor_is_refused() -> None:
    assert isinstance(make_executor("local", Path("o")), LocalExecutor)
    with pytest.raises(ValueError, match="unknown executor 'slurm'"):
        make_executor("slurm", Path("o"))


def test_ray_address_without_the_ray_executor_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--suite", "demo", "--out", str(tmp_path), "--ray-address", "auto", "--no-progress"])
    assert code == 2
    assert "--ray-address needs --executor ray" in capsys.readouterr().err


def _one_line_error(err: str) -> str:
    """The CLI's one error line (Ray's own log lines may surround it; there must be no traceback)."""
    assert "Traceback" not in err, err[-2000:]
    ours = [ln for ln in err.splitlines() if ln.startswith("lemer-bench run: error: ")]
    assert len(ours) == 1, err[-2000:]
    return ours[0]


def test_ray_executor_without_ray_says_what_to_install_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import benchmarks.run.runner as grid

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as when Ray is not installed

    def corpora_touched(*args: object, **kwargs: object) -> None:
        pytest.fail("corpora were resolved (read or generated) before the missing Ray was reported")

    monkeypatch.setattr(grid, "resolve_roots", corpora_touched)
    code = main(["run", "--suite", "demo", "--out", str(tmp_path / "runs"), "--executor", "ray", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    line = _one_line_error(err)
    assert len(err.strip().splitlines()) == 1 and "pip install 'lemer-bench[ray]'" in line, err  # nothing else


def _cli(args: list[str], code: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`lemer-bench ARGS` in a fresh interpreter (no Ray state from other tests), after running `code`."""
    script = f"import sys\n{code}\nfrom benchmarks.cli import main\nsys.exit(main({args!r}))"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _run_args(tmp_path: Path, corpus: Path, address: str) -> list[str]:
    suite = write_suite(tmp_path / "s.toml", SMALL_SUITE.replace('"majority", "test-keyword-text"', '"majority"'))
    return ["run", "--suite", str(suite), "--corpus", f"iemocap={corpus}", "--out", str(tmp_path / "runs"),
            "--no-progress", "--executor", "ray", "--ray-address", address]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_ray_address_is_one_line_and_exit_2(tmp_path: Path, iemocap_corpus: Path) -> None:
    pytest.importorskip("ray")
    address = f"127.0.0.1:{_closed_port()}"
    t0 = time.monotonic()
    done = _cli(_run_args(tmp_path, iemocap_corpus, address))  # before: ray.init waited for minutes
    assert done.returncode == 2, done.stderr[-2000:]
    line = _one_line_error(done.stderr)
    assert address in line and "--ray-address" in line, done.stderr[-2000:]
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr[-2000:]  # the probe fails before Ray says anything
    assert time.monotonic() - t0 < 60


def test_unreachable_ray_address_is_said_before_any_corpus_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe comes first: not the missing corpus root, and the planning (corpora, folds) never starts."""
    pytest.importorskip("ray")
    import benchmarks.run.runner as grid

    def corpora_touched(*args: object, **kwargs: object) -> None:
        pytest.fail("corpora were resolved before the unreachable --ray-address was reported")

    monkeypatch.setattr(grid, "resolve_roots", corpora_touched)
    address = f"127.0.0.1:{_closed_port()}"
    code = main(_run_args(tmp_path, tmp_path / "no-corpus", address))  # before: planned, then the address
    err = capsys.readouterr().err
    assert code == 2
    line = _one_line_error(err)
    assert address in line and "cannot reach the Ray cluster" in line and "no-corpus" not in err, err


def test_ray_address_that_accepts_but_never_answers_times_out(tmp_path: Path, iemocap_corpus: Path) -> None:
    """A TCP probe passes (something listens) but Ray's init would wait on it forever: a bounded wait, one line."""
    pytest.importorskip("ray")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        done = _cli(_run_args(tmp_path, iemocap_corpus, address),
                    code="import benchmarks.run.ray_executor as r; r.CONNECT_TIMEOUT_S = 5")
    assert done.returncode == 2, done.stderr[-2000:]
    line = _one_line_error(done.stderr)
    assert address in line and "5 s" in line, done.stderr[-2000:]


LISTENERS = """
import json, os, sys
from pathlib import Path
from benchmarks.run.ray_executor import RayExecutor
ex = RayExecutor(Path(sys.argv[1]), jobs=2)
ray = ex.ray
assert ray.get([ray.remote(lambda: os.getpid()).remote() for _ in range(2)])  # workers up, listening too
import psutil  # Ray ships it (ray/thirdparty_files)
me = psutil.Process()
found = []
for p in [me, *me.children(recursive=True)]:
    try:
        conns = p.net_connections(kind="inet")
        name = p.name()
    except psutil.Error:
        continue
    found += [(name, c.laddr.ip, c.laddr.port) for c in conns if c.status == psutil.CONN_LISTEN]
ex.close()
print(json.dumps(found))
"""


def test_a_ray_instance_the_tool_starts_listens_on_loopback_only(tmp_path: Path) -> None:
    """ShadowRay class: the private instance of `--executor ray` without `--ray-address` must not be reachable
    from the network (GCS, raylet, object manager, workers, agents; no dashboard)."""
    pytest.importorskip("ray")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", LISTENERS, str(tmp_path)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    names = {n for n, _, _ in found}
    assert {"gcs_server", "raylet"} <= names, found  # the listeners were seen at all
    exposed = [(n, ip, port) for n, ip, port in found if ip not in ("127.0.0.1", "::ffff:127.0.0.1", "::1")]
    assert not exposed, f"listening beyond loopback: {exposed}"
    assert 8265 not in {port for _, _, port in found}  # no dashboard / job-submission API



@dataclass(frozen=True)
class _BigRequirements(Requirements):
    num_cpus: float = 4
    num_gpus: float = 1
    memory_gb: float = 8


class Big(Model):
    """Test-only model declaring cluster resources (the shipped models declare none)."""

    info = ModelInfo(name="test-big", modalities=(), description="test-only")

    @property
    def requirements(self) -> Requirements:
        return _BigRequirements()

    def fit(self, train, valid, env) -> None:  # noqa: ANN001
        pass

    def predict(self, examples) -> list:  # noqa: ANN001
        return []


def test_ray_resources_come_from_the_model_requirements() -> None:
    pytest.importorskip("ray")
    from benchmarks.run.ray_executor import run_resources

    big = SimpleNamespace(model_target="tests.test_executors:Big", model_config={})
    assert run_resources(big, {"num_cpus": 1, "num_gpus": 0}) == {"num_cpus": 4, "num_gpus": 1, "memory": 8 * 2**30}
    plain = SimpleNamespace(model_target="baselines.majority:Majority", model_config={})
    assert run_resources(plain, {"num_cpus": 2, "num_gpus": 0, "memory_gb": None}) == {"num_cpus": 2, "num_gpus": 0}
