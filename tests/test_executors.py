"""The executor choice: the local pool needs no Ray; bad executor options fail up front with a clear message."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.cli import main
from benchmarks.run.executors import LocalExecutor, make_executor
from lemer.core.contract import Model, ModelInfo, Requirements

REPO = Path(__file__).resolve().parents[1]


def test_the_local_executor_never_imports_ray() -> None:
    code = ("import sys; import benchmarks.cli.run, benchmarks.run.grid; from benchmarks.run.executors import "
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
