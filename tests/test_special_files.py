"""Defect class 1 of issue 26: a FIFO, folder or other non-regular file where a command expects a file it reads
must be refused with one line naming it (exit 2), never block the reader or escape as a traceback. Every command
that reads a user-named file is covered, each in a subprocess with a timeout (a hang fails the test)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lemer.core.atomic import write_text_atomic
from lemer.core.user_files import UnreadableFile, file_problem, read_bytes, read_utf8
from tests.support.leaderboard import write_predictions

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "benchmarks.cli", *args], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


@pytest.fixture()
def place(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    preds = tmp_path / "a.jsonl"
    write_predictions(preds, ["iemocap:Ses01F_impro01_F000", "iemocap:Ses01F_impro01_M000"], ["neu", "hap"],
                      ["neu", "neu"])
    runs = tmp_path / "runs" / "r"
    runs.mkdir(parents=True)
    os.mkfifo(runs / "result.json")
    return {"fifo": fifo, "preds": preds, "runs": tmp_path / "runs", "folder": tmp_path}


@pytest.mark.parametrize("args", [
    ("suite", "check", "{fifo}"),
    ("score", "{fifo}"),
    ("run", "--suite", "{fifo}", "--out", "{folder}/out"),
    ("score", "{preds}", "--folds", "{fifo}"),
    ("compare", "{preds}", "{preds}", "--speakers", "{fifo}"),
    ("leaderboard", "{preds_dir}", "--out", "{folder}/lb", "--references", "{fifo}"),
], ids=["suite-check", "score-predictions", "run-suite", "score-folds", "compare-speakers", "leaderboard-references"])
def test_a_fifo_is_refused_naming_it(place: dict[str, Path], args: tuple[str, ...]) -> None:
    values = {**{k: str(v) for k, v in place.items()}, "preds_dir": str(place["runs"])}
    r = cli(*(a.format(**values) for a in args))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and str(place["fifo"]) in r.stderr and "FIFO" in r.stderr, r.stderr


def test_a_fifo_where_a_result_file_belongs_is_named(place: dict[str, Path]) -> None:
    """`leaderboard` walks the runs tree for result.json files: one that is a FIFO is named, not read forever."""
    r = cli("leaderboard", str(place["runs"]), "--out", str(place["folder"] / "lb"))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "result.json" in r.stderr and "FIFO" in r.stderr, r.stderr


def test_the_core_reader_names_every_kind_of_non_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    assert "FIFO" in (file_problem(fifo) or "")
    assert "folder" in (file_problem(tmp_path) or "")
    assert "symlink loop" in (file_problem(loop) or "")
    assert "dangling" in (file_problem(dangling) or "")
    assert file_problem(tmp_path / "absent") == "missing"
    for p in (fifo, tmp_path, loop, dangling):
        with pytest.raises(UnreadableFile, match=str(p)):
            read_bytes(p)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xff\xfe nope\n")
    with pytest.raises(UnreadableFile, match=r"bad.txt:2: not valid UTF-8"):
        read_utf8(bad)
    good = tmp_path / "good.txt"
    good.write_bytes(b"\xef\xbb\xbf" + json.dumps({"a": 1}).encode())
    assert json.loads(read_utf8(good)) == {"a": 1}


def test_an_output_path_that_is_a_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError) as e:
        write_text_atomic(tmp_path, "x")
    assert e.value.filename == str(tmp_path)  # not the temp file's name
