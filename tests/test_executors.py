"""The executor choice: the local pool needs no Ray; bad executor options fail up front with a clear message."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.run.executors import LocalExecutor, make_executor

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
