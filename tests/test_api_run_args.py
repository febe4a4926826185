"""Defect classes 3 and 5 of issue 26 at the Python API: `run_suite` called with a wrong type or value raises
`InvalidArgument` naming the argument and what it must be, before any suite, corpus or output is touched (before:
`jobs=0` was clamped to 1 silently, `corpora=["iemocap"]` died inside the corpus parser)."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from benchmarks import api, run_suite
from benchmarks.run.runner import RunOptions
from dataset_adapters.types import InvalidArgument

CASES: list[tuple[dict[str, Any], str]] = [
    ({"jobs": 0}, r"jobs must be a whole number .* 1 or more .* got int 0"),
    ({"jobs": -2}, r"jobs must be .* got int -2"),
    ({"jobs": 2.0}, r"jobs must be .* got float 2.0"),
    ({"jobs": "2"}, r"jobs must be .* got str '2'"),
    ({"jobs": True}, r"jobs must be .* got bool True"),  # a bool is not a number of processes
    ({"suite": 3}, r"suite must be a bundled suite name, a .toml path .* or a Suite, got int 3"),
    ({"suite": None}, r"suite must be .* got NoneType None"),
    ({"corpora": ["iemocap"]}, r"corpora must be a dict \{corpus name: root folder\}.* got list"),
    ({"corpora": "iemocap=/data"}, r"corpora must be a dict .* got str"),
    ({"corpora": {"iemocap": 3}}, r"corpora maps a corpus name \(str\) to its root .* got str 'iemocap': int 3"),
    ({"corpora": {1: "/data"}}, r"corpora maps .* got int 1"),
    ({"out": 5}, r"out must be a folder path .* got int 5"),
    ({"force": "no"}, r"force must be True or False, got str 'no'"),
    ({"progress": 0}, r"progress must be True or False, got int 0"),
    ({"limit": -1}, r"limit must be None or a whole number >= 0, got int -1"),
    ({"limit": True}, r"limit must be .* got bool True"),
    ({"models": "majority"}, r"models must be None or a list of model names"),
    ({"retries": -1}, r"retries must be a whole number >= 0"),
    ({"executor": "dask"}, r"executor must be 'local' or 'ray', got str 'dask'"),
    ({"cache_dir": 1}, r"cache_dir must be None or a folder path"),
    ({"jbos": 2}, r"unknown option\(s\) jbos; the options are cache_dir, device, executor"),
]


@pytest.mark.parametrize("given, message", CASES, ids=[next(iter(c[0])) + f"-{i}" for i, c in enumerate(CASES)])
def test_run_suite_refuses_a_wrong_argument_before_any_work(tmp_path: Path, given: dict[str, Any],
                                                            message: str) -> None:
    kwargs: dict[str, Any] = {"suite": tmp_path / "absent.toml", "corpora": {"iemocap": tmp_path / "absent"},
                              "out": tmp_path / "out", **given}
    with pytest.raises(InvalidArgument, match=message):  # not the missing suite file: nothing was read
        run_suite(**kwargs)
    assert not (tmp_path / "out").exists()


def test_every_run_option_has_a_type_check() -> None:
    assert set(api._OPTION_TYPES) == {f.name for f in fields(RunOptions)} - {"out", "jobs", "corpus_roots"}
