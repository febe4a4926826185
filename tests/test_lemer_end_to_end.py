"""LE-MER through the real harness: the synthetic IEMOCAP-layout generator (scale tiny), the real offline text
and speech encoders, the feature cache, the runner and its result files; plus the bundled ablation suite."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.corpora import CorpusRoot
from benchmarks.run.grid import expand
from benchmarks.suite import load_suite
from dataset_adapters.synth import generate
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE
from lemer.core.spec import EncoderRef
from tests.support.runs import write_suite

ENCODERS = {"text": EncoderRef("text", "t"), "speech": EncoderRef("speech", "s")}

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SUITE = """
name = "lemer-e2e"
seeds = [0]
models = ["lemer"]
transcripts = ["gold"]

[model_config.lemer]
max_epochs = 6
context_window = 2

[[corpora]]
name = "iemocap"
protocol = "loso"
label_map = "iemocap-4"
max_folds = 1

[[ablations]]
model = "lemer"
param = "modalities"
values = ["speech"]
"""


@pytest.mark.slow
def test_lemer_runs_end_to_end_on_cached_features(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    generate("iemocap", corpus, scale="tiny", seed=0, progress=False)
    out = tmp_path / "runs"
    suite = write_suite(tmp_path / "s.toml", SUITE)
    code = main(["run", "--suite", str(suite), "--corpus", f"iemocap={corpus}", "--out", str(out),
                 "--cache", str(tmp_path / "cache"), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["runs_done"] == 2 and summary["runs_failed"] == 0, captured.err
    results = {json.loads(p.read_text())["run"]["ablation"] is None: json.loads(p.read_text()) for p in out.rglob(RESULT_FILE)}
    full, speech = results[True], results[False]
    assert full["run"]["model"] == "lemer" and full["run"]["model_config"]["context_window"] == 2
    assert {e["role"] for e in full["run"]["encoders"]} == {"text", "speech"}
    assert all(e["spec"] and e["weights"] for e in full["run"]["encoders"])  # Whisper and MiniLM: hashed weights
    assert [e["role"] for e in speech["run"]["encoders"]] == ["speech"]  # speech-only LE-MER reads no text features
    assert speech["run"]["ablation"] == {"param": "modalities", "value": "speech"}
    assert speech["run"]["transcript_independent"] is True and speech["run"]["transcript"] == "gold"
    assert full["n_test"] == speech["n_test"] > 0 and full["n_train"] > full["n_test"]
    for res in (full, speech):
        assert res["metrics"]["n"] == res["n_test"] and 0.0 <= res["metrics"]["ua"] <= 1.0
    attention = full["diagnostics"]["attention"]  # LE-MER's attention entropies, written with every run
    assert all(0.0 <= attention["entropy"][k] <= 1.0 for k in ("gt", "gs", "al", "ar")), attention
    cue = attention["cues"]["time"]  # the synthetic corpus's cue spans: does Gs of the gold class find them?
    assert cue["n"] > 0 and 0.0 < cue["chance"] < 1.0 and 0.0 <= cue["peak_in_span"] <= 1.0
    assert full["diagnostics"]["by_cue_type"]  # the harness's per-cue-type accuracy sits beside it
    rows = [json.loads(line) for p in out.rglob(PREDICTIONS_FILE) for line in p.read_text().splitlines()]
    assert len(rows) == 2 * full["n_test"] and all(abs(sum(r["probs"].values()) - 1) < 1e-6 for r in rows)


def test_bundled_ablation_suite_expands_to_the_documented_grid() -> None:
    suite = load_suite("ablations")
    roots = {"iemocap": CorpusRoot("iemocap", "/unused", "synthetic-iemocap", True)}
    grid = expand(suite, roots, lambda c, lm, p, t: [f"test=Session{i}" for i in range(1, 6)], encoders=ENCODERS)
    assert len(grid) == 40 * 5 * 3
    assert {r.seed for r in grid} == {0, 1, 2} and len({r.fold for r in grid}) == 5
    sweeps = {(r.model, r.ablation.param, r.ablation.value) for r in grid if r.ablation}
    assert ("lemer-no-labels", "modalities", "speech") in sweeps and ("lemer", "k_frames", 50) in sweeps
    assert {r.text_context for r in grid if r.ablation and r.ablation.param == "context_window"} == {0, 2, 5, 10}
    assert ("lemer", "fusion_attention", "ar") in sweeps and ("lemer", "fusion_attention", "al") in sweeps
    assert ("lemer-no-labels", "modalities", "text") in sweeps and ("lemer", "label_init", "random") in sweeps
    # the literal model, the earlier one and each extension alone, all paired on the same folds and seeds
    plain = {r.model for r in grid if not r.ablation}
    assert {"lemer", "lemer-v1", "lemer-aux-heads", "lemer-scaled-constraint", "lemer-two-way-constraint",
            "lemer-branch-classifier", "lemer-plain-fusion", "lemer-one-way-fusion", "lemer-no-constraint"} <= plain
    assert not any(r.ablation and r.ablation.param == "detach_al" for r in grid)  # now lemer-two-way-constraint
    # the baselines read as much dialogue context as LE-MER: 10 by default, and text-only at each swept context
    lemer_context = {r.text_context for r in grid if r.model == "lemer" and not r.ablation}
    assert lemer_context == {10}
    assert {r.text_context for r in grid if r.model in ("text-only", "cross-attention") and not r.ablation} == {10}
    assert {r.text_context for r in grid if r.model == "text-only" and r.ablation} == {0, 2, 5, 10}
    speech_only = [r for r in grid if r.ablation and r.ablation.value == "speech"]
    assert speech_only and all(r.transcript_independent and not r.text_features for r in speech_only)
