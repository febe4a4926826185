"""The runner's bookkeeping cost per run: a grid of 100 `majority` runs vs a bare hand-written loop.

Corpus: the tiny synthetic IEMOCAP tree (conftest.py; 40 utterances, 5 sessions), `loso` -> 5 folds x 20 seeds
= 100 runs. `majority` reads neither text nor features, so what is timed is the harness itself: planning the
grid (corpus read once, folds, run ids), skip checks, building Examples, seeding, scoring, provenance, and the
atomic (fsync'd) writes per run.

- `test_runner_overhead`: `benchmarks.run.runner.run_suite` into an empty results directory each round.
- `test_runner_floor`: the same 100 fits/predictions on the same folds with a plain loop that writes the
  same two files with plain `open().write` (no atomicity, no validation, no provenance): the floor.

Per-run overhead = (runner mean - floor mean) / 100, recorded by the floor in `extra_info` when both ran.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from baselines.majority import Majority
from benchmarks.perf.conftest import N_FOLDS
from benchmarks.run.runner import RunOptions, run_suite
from benchmarks.suite import Suite
from dataset_adapters.base import get_adapter, get_label_map
from lemer.core.contract import Example, FitEnv

SEEDS = 20
N_RUNS = N_FOLDS * SEEDS
MEANS: dict[str, float] = {}


def test_runner_overhead(benchmark, synth_root: Path, tmp_path: Path,  # noqa: ANN001
                         grid_suite: Callable[[str, int], Suite]) -> None:
    suite = grid_suite("majority", SEEDS)
    out = tmp_path / "runs"
    opts = RunOptions(out=out, jobs=1, corpus_roots={"iemocap": str(synth_root)}, cache_dir=str(tmp_path / "cache"),
                      progress=False, generate=False)
    summary = benchmark.pedantic(lambda: run_suite(suite, opts, log=lambda msg: None),
                                 setup=lambda: shutil.rmtree(out, ignore_errors=True), rounds=3, iterations=1)
    assert summary.runs_total == N_RUNS and summary.runs_done == N_RUNS and summary.runs_failed == 0
    assert len(list(out.rglob("result.json"))) == N_RUNS
    if getattr(benchmark, "stats", None) is not None:
        MEANS["runner"] = benchmark.stats.stats.mean


def test_runner_floor(benchmark, synth_root: Path, tmp_path: Path) -> None:  # noqa: ANN001
    classes = tuple(get_label_map("iemocap-4").classes)
    out = tmp_path / "runs"

    def floor() -> int:
        adapter = get_adapter("iemocap")
        utts = {u.uid: u for u in adapter.load(str(synth_root), label_map="iemocap-4").utterances}
        n = 0
        for fold in adapter.folds(list(utts.values()), "loso"):
            for seed in range(SEEDS):
                model = Majority()
                model.fit([Example(uid, utts[uid].label, "", "") for uid in fold.train], [], FitEnv(classes, seed))
                preds = model.predict([Example(uid, None, "", "") for uid in fold.test])
                d = out / fold.name / f"seed={seed}"
                d.mkdir(parents=True, exist_ok=True)
                with open(d / "predictions.jsonl", "w") as f:
                    for p in preds:
                        f.write(json.dumps({"uid": p.uid, "gold": utts[p.uid].label, "pred": p.label, "probs": p.probs}) + "\n")
                wa = sum(utts[p.uid].label == p.label for p in preds) / len(preds)
                (d / "result.json").write_text(json.dumps({"fold": fold.name, "seed": seed, "wa": wa}))
                n += 1
        return n

    n = benchmark.pedantic(floor, setup=lambda: shutil.rmtree(out, ignore_errors=True), rounds=3, iterations=1)
    assert n == N_RUNS and len(list(out.rglob("result.json"))) == N_RUNS
    if getattr(benchmark, "stats", None) is not None and "runner" in MEANS:
        benchmark.extra_info["runner_overhead_ms_per_run"] = round(
            1000 * (MEANS["runner"] - benchmark.stats.stats.mean) / N_RUNS, 2)
