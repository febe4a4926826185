"""`lemer-bench leaderboard --out`: never destroys what it did not write (issue 13), through the real CLI.

Each test runs `python -m benchmarks.cli leaderboard ...` in a subprocess. File-system failures
(ENOSPC, EROFS) are injected in that subprocess by a wrapper that makes `open()` for writing fail
under the output's parent folder — as root, chmod cannot make a folder read-only, so this is the
honest way to get those errno values; "a path under a regular file" is a real failure (ENOTDIR).
"""
from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.leaderboard import make_runs_dir, write_run

ROOT = Path(__file__).resolve().parents[1]
MARKER = ".lemer-leaderboard"

FAULTY_OPEN = r'''
import builtins, io, os, sys
real_open = builtins.open
under = os.path.abspath(sys.argv[1]) + os.sep
code = int(sys.argv[2])

def faulty(file, mode="r", *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+"):
        if os.path.abspath(os.fsdecode(file)).startswith(under):
            raise OSError(code, os.strerror(code), os.fsdecode(file))
    return real_open(file, mode, *args, **kwargs)

builtins.open = io.open = faulty
from benchmarks.cli import main
sys.exit(main(sys.argv[3:]))
'''


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmarks.cli", "leaderboard", *args, "--resamples", "50"],
                          capture_output=True, text=True, cwd=cwd or ROOT, env=_env(), timeout=300)


def _faulty_cli(under: Path, code: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", FAULTY_OPEN, str(under), str(code), "leaderboard", *args,
                           "--resamples", "50"], capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=300)


def _runs(root: Path) -> Path:
    return make_runs_dir(root, per_fold=12, seeds=(0,), transcripts={"gold": None}, incomplete=None,
                         cross_corpus=False, ablation=False)


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under root -> sha256 (to prove nothing was deleted or changed)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    err = proc.stderr.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, err
    return err


def _refused_untouched(tree: Path, args: tuple[str, ...], *needles: str, cwd: Path | None = None) -> None:
    """The CLI with `args` exits 2 with a one-line error naming `needles`, and every file under `tree` is as it was."""
    before = _snapshot(tree)
    proc = _cli(*args, cwd=cwd)
    assert proc.returncode == 2
    _one_line_error(proc, *needles)
    assert _snapshot(tree) == before


def test_out_equal_to_runs_dir_is_refused_and_nothing_is_deleted(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    _refused_untouched(runs, (str(runs), "--out", str(runs)), "refusing", str(runs))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_out_equal_to_a_corpus_folder_of_the_runs_is_refused(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    corpus = runs / "suite" / "synthetic-iemocap"
    _refused_untouched(runs, (str(runs), "--out", str(corpus)), "refusing", str(corpus))


def test_out_dot_does_not_delete_the_working_directory(tmp_path: Path) -> None:
    work = tmp_path / "work"
    runs = _runs(work / "runs")
    (work / "notes.txt").write_text("mine")
    _refused_untouched(work, ("runs", "--out", "."), "refusing", cwd=work)
    assert runs.is_dir()
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt", "runs"]


def test_out_any_other_non_empty_folder_is_refused(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    other = tmp_path / "papers"
    other.mkdir()
    (other / "draft.tex").write_text("\\section{x}")
    proc = _cli(str(runs), "--out", str(other))
    assert proc.returncode == 2
    _one_line_error(proc, "refusing", str(other), MARKER)
    assert (other / "draft.tex").read_text() == "\\section{x}" and len(list(other.iterdir())) == 1


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    f = tmp_path / "report.html"
    f.write_text("keep")
    proc = _cli(str(runs), "--out", str(f))
    assert proc.returncode == 2
    _one_line_error(proc, str(f), "not a directory")
    assert f.read_text() == "keep"


def test_default_out_inside_runs_rebuilds_and_is_not_read_as_runs(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    out = runs / "leaderboard"
    first = _cli(str(runs), "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert (out / MARKER).is_file() and (out / "index.html").is_file()
    listed = {line for line in (out / MARKER).read_text().splitlines() if line and not line.startswith("#")}
    assert {"index.html", "leaderboard.csv", "significance.csv"} <= listed
    # a run copied into the leaderboard's own folder (listed in its marker, so "ours") must not be read:
    # with it the same model/fold/seed would be a duplicate run
    src = next(runs.rglob("result.json")).parent
    dst = out / "copied-run"
    dst.mkdir()
    for name in ("result.json", "predictions.jsonl"):
        (dst / name).write_bytes((src / name).read_bytes())
    (out / MARKER).write_text((out / MARKER).read_text() + "copied-run/result.json\ncopied-run/predictions.jsonl\n")
    second = _cli(str(runs), "--out", str(out))
    assert second.returncode == 0, second.stderr
    assert first.stderr.strip() == second.stderr.strip()  # "... from N runs": the same N
    assert not dst.exists()  # replaced by the new build (it was listed as ours)
    assert not [p for p in runs.iterdir() if p.name.startswith(".leaderboard.")], "temp or old dirs left behind"


def test_a_users_file_in_the_leaderboard_folder_is_never_deleted(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    out = tmp_path / "board"
    assert _cli(str(runs), "--out", str(out)).returncode == 0
    (out / "my-notes.md").write_text("mine")
    _refused_untouched(out, (str(runs), "--out", str(out)), "my-notes.md", str(out))


def test_empty_folder_and_legacy_leaderboard_are_accepted(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _cli(str(runs), "--out", str(empty)).returncode == 0 and (empty / MARKER).is_file()
    legacy = tmp_path / "legacy"  # what the leaderboard wrote before it had a marker
    legacy.mkdir()
    (legacy / "plots").mkdir()
    (legacy / "index.html").write_text("<footer>Generated by <code>lemer-bench leaderboard</code></footer>")
    (legacy / "leaderboard.csv").write_text("old")
    (legacy / "plots" / "robustness-old.png").write_bytes(b"png")
    proc = _cli(str(runs), "--out", str(legacy))
    assert proc.returncode == 0, proc.stderr
    assert (legacy / MARKER).is_file() and not (legacy / "plots" / "robustness-old.png").exists()


@pytest.mark.parametrize("code,text", [(errno.ENOSPC, "No space left on device"),
                                       (errno.EROFS, "Read-only file system")])
def test_write_failure_is_one_line_naming_the_path(tmp_path: Path, code: int, text: str) -> None:
    runs = _runs(tmp_path / "runs")
    parent = tmp_path / "site"
    out = parent / "board"
    assert _cli(str(runs), "--out", str(out)).returncode == 0
    before = _snapshot(parent)
    proc = _faulty_cli(parent, code, str(runs), "--out", str(out))
    assert proc.returncode not in (0, 2)  # not success, not "bad input"
    err = _one_line_error(proc, text, str(out))
    assert err.startswith("lemer-bench leaderboard: error:")
    assert _snapshot(parent) == before  # the previous leaderboard is intact, no temp dir left


def test_out_under_a_regular_file_is_one_line(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    f = tmp_path / "file.txt"
    f.write_text("x")
    proc = _cli(str(runs), "--out", str(f / "board"))
    assert proc.returncode not in (0, 2)
    _one_line_error(proc, str(f), "Not a directory")
    assert f.read_text() == "x"


def test_print_shows_the_headline_table(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs")
    write_run(runs, model="late", corpus="iemocap", fold="test=Session1", seed=0, uids=["iemocap:a", "iemocap:b"],
              gold=["neu", "hap"], pred=["neu", "hap"], synthetic=False)
    proc = _cli(str(runs), "--out", str(tmp_path / "board"), "--print")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Corpus"))
    assert "Best" in lines[header] and "Significant?" in lines[header] and "p (Holm)" in lines[header] and set(lines[header + 1]) <= {"-", " "}
    body = lines[header + 2:]
    assert body[0].startswith("iemocap ") and "one model" in body[0]  # IEMOCAP (real) first
    assert body[1].startswith("synthetic-iemocap ") and "lemer" in body[1]
