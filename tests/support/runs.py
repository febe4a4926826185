"""Run-grid helpers: suite files, the check that a grid is complete, and the CLI with the test models.

Run as `python -m tests.support.runs ARGS...` it adds the test-only models (tests/support/models.py) to
the model registry (an overlay) and then behaves exactly like `lemer-bench ARGS...` (used by the
kill/restart and other tests that need a subprocess). The corpus they run on is
`tests.support.corpora.iemocap_tree` (fixture `iemocap_corpus`).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence


def write_suite(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


def check_grid_complete(out: Path, total: int) -> None:
    """`out` holds exactly `total` valid runs with distinct ids, and no temporary or error files."""
    from leaderboard.results import read_result
    from leaderboard.schema import RESULT_FILE

    results = sorted(out.rglob(RESULT_FILE))
    assert len(results) == total
    ids = [read_result(p).result["run_id"] for p in results]  # validates result + predictions
    assert len(set(ids)) == total
    assert not list(out.rglob("*.tmp")) and not list(out.rglob("error.txt"))


def suite_toml(name: str, seeds: Sequence[int], models: Sequence[str], corpus: str = "iemocap", *,
               transcripts: Sequence[str] = (), model_config: dict[str, dict[str, Any]] | None = None,
               protocol: str | None = None, label_map: str | None = None) -> str:
    """The text of a one-corpus suite file, laid out as a person would write it."""
    lines = [f"name = {json.dumps(name)}", f"seeds = {list(seeds)}", f"models = {json.dumps(list(models))}"]
    if transcripts:
        lines.append(f"transcripts = {json.dumps(list(transcripts))}")
    for model, switches in (model_config or {}).items():
        lines += ["", f"[model_config.{model}]"] + [f"{k} = {json.dumps(v)}" for k, v in switches.items()]
    lines += ["", "[[corpora]]", f"name = {json.dumps(corpus)}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in (("protocol", protocol), ("label_map", label_map)) if v is not None]
    return "\n" + "\n".join(lines) + "\n"


def slow_suite(seeds: int, seconds: float, name: str = "k") -> str:
    """`seeds` seeds of `test-slow` (sleeping `seconds` in fit) on every fold of an IEMOCAP tree."""
    return suite_toml(name, range(seeds), ["test-slow"], model_config={"test-slow": {"seconds": seconds}})


SMALL_SUITE = suite_toml("t", [0, 1], ["majority", "test-keyword-text"], transcripts=["gold"],
                         protocol="loso", label_map="iemocap-4")


if __name__ == "__main__":  # the CLI with the test models, for subprocess tests (kill/restart)
    from benchmarks.cli import main
    from benchmarks.models import MODELS
    from tests.support.models import TEST_MODELS

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with MODELS.overlay(dict(TEST_MODELS)):
        code = main(sys.argv[1:])
    sys.exit(code)
