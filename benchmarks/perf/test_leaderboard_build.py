"""Leaderboard generation over ~2000 result files vs the bare cost of reading them.

The runs tree is fake but written exactly per leaderboard/schema.py by tests/support/leaderboard.py:
4 corpora x 8 models x 5 transcript conditions x 3 seeds x 5 folds (transcript-independent models once)
= 2160 runs of 40 test utterances each.

- `test_leaderboard_build`: `leaderboard.build.build_leaderboard` (read + validate every file, recompute
  metrics, paired bootstrap / significance tests per cell, the speaker-level reading of every cell (each
  prediction row names one of two speakers per fold, as on IEMOCAP: all pairs in both readings, letters,
  variance, calibration, per speaker), tables, plots, HTML, atomic directory swap).
- `test_leaderboard_read_floor`: only `json.loads` of every result.json and predictions.jsonl line and a
  plain per-run accuracy: what any leaderboard must at least pay.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from leaderboard.build import build_leaderboard
from tests.support.leaderboard import make_runs_dir  # the tests' writer of schema-exact result files

MODELS = {f"model-{i}": (0.3 + 0.06 * i, 0.5, i == 0) for i in range(8)}
TRANSCRIPTS = {"gold": None, "asr:whisper-tiny.en": 0.12, "asr:pocketsphinx": 0.45, "noise:wer=0.1": 0.1,
               "noise:wer=0.3": 0.3}
CORPORA = ("synthetic-iemocap", "synthetic-crema-d", "synthetic-msp-podcast", "synthetic-other")
N_RUNS = len(CORPORA) * (7 * len(TRANSCRIPTS) + 1) * 15


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lb-perf")
    for corpus in CORPORA:
        make_runs_dir(root, corpus=corpus, per_fold=40, models=MODELS, transcripts=TRANSCRIPTS, incomplete=None,
                      cross_corpus=False, ablation=False, speakers_per_fold=2)
    return root


def test_leaderboard_build(benchmark, runs_dir: Path, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "board"
    lb = benchmark.pedantic(lambda: build_leaderboard(runs_dir, out), setup=lambda: shutil.rmtree(out, ignore_errors=True),
                            rounds=2, iterations=1)
    assert len(lb.cells) == len(CORPORA) * len(TRANSCRIPTS)
    assert (out / "index.html").is_file() and (out / "leaderboard.csv").is_file()
    assert all(c.inference is not None and c.inference.n_speakers == 10 for c in lb.cells)


def test_leaderboard_read_floor(benchmark, runs_dir: Path) -> None:  # noqa: ANN001
    def read_all() -> dict[str, float]:
        acc = {}
        for result in runs_dir.rglob("result.json"):
            run = json.loads(result.read_text(encoding="utf-8"))
            rows = [json.loads(line) for line in (result.parent / "predictions.jsonl").read_text().splitlines()]
            acc[run["run_id"]] = sum(r["gold"] == r["pred"] for r in rows) / len(rows)
        return acc

    acc = benchmark.pedantic(read_all, rounds=2, iterations=1)
    assert len(acc) == N_RUNS
