"""Writes the leaderboard directory atomically: everything goes to a sibling temp dir, then renames.

A reader of `--out DIR` sees either the previous complete output or the new complete one, never
a mix: the new tree is built in `.DIR.tmp-<pid>`, the old DIR (if any) is moved aside, the new
one renamed into place, and only then is the old one removed. Any error removes the temp dir.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from leaderboard.board import Leaderboard, compute_leaderboard
from leaderboard.html import render
from leaderboard.plots import all_plots
from leaderboard.references import Reference
from leaderboard.results import load_runs
from leaderboard.significance import DEFAULT_RESAMPLES
from leaderboard.tables import latex, leaderboard_csv, markdown, significance_csv

OUTPUT_FILES = ("leaderboard.md", "leaderboard.tex", "leaderboard.csv", "significance.csv", "index.html")


def write_outputs(lb: Leaderboard, out_dir: str | os.PathLike[str]) -> Path:
    """Render every file of the leaderboard into `out_dir`, replacing it atomically."""
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not a directory")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        plots = all_plots(lb)
        texts = {
            "leaderboard.md": markdown(lb), "leaderboard.tex": latex(lb), "leaderboard.csv": leaderboard_csv(lb),
            "significance.csv": significance_csv(lb), "index.html": render(lb, plots),
        }
        for name, text in texts.items():
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / "plots").mkdir()
        for p in plots:
            (tmp / "plots" / p.name).write_bytes(p.png)
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def build_leaderboard(runs_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
             references: list[Reference] | None = None, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> Leaderboard:
    """Read `runs_dir`, compute the leaderboard and write it to `out_dir` (the `leaderboard` command)."""
    lb = compute_leaderboard(load_runs(runs_dir), references=references, n_resamples=n_resamples, seed=seed)
    write_outputs(lb, out_dir)
    return lb
