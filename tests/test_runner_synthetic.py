"""Synthetic corpora end to end: generated on first use under $LEMER_DATA, labelled `synthetic-*`
everywhere (result.json and paths), WER recorded for noisy transcripts, and cross-corpus runs that
train on one corpus and test on all of the other in the shared label space."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cli import main
from dataset_adapters.base import get_adapter
from leaderboard.results import read_result
from leaderboard.schema import RESULT_FILE
from tests.support.runs import write_suite

pytestmark = pytest.mark.usefixtures("test_models")

SYN_SUITE = """
name = "syn"
seeds = [0]
models = ["majority", "test-keyword-text"]
transcripts = ["gold", "noise:wer=0.3"]
synthetic_scale = "tiny"

[[corpora]]
name = "iemocap"
synthetic = true
max_folds = 2

[[corpora]]
name = "crema-d"
synthetic = true
transcripts = ["gold"]
max_folds = 1

[cross_corpus]
corpora = ["iemocap", "crema-d"]
"""


def test_synthetic_corpora_are_generated_and_labelled_honestly(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LEMER_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("LEMER_DATA_IEMOCAP", str(tmp_path / "must-not-be-used"))  # real-corpus variable
    suite = write_suite(tmp_path / "syn.toml", SYN_SUITE)
    out = tmp_path / "runs"
    argv = ["run", "--suite", str(suite), "--out", str(out), "--cache", str(tmp_path / "cache"), "--no-progress"]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    # iemocap: majority 2 folds + text 2 transcripts x 2 folds; crema-d: 1 + 1; cross: 2 directions x 2 models
    assert summary["runs_done"] == summary["runs_total"] == 6 + 2 + 4
    for name in ("iemocap", "crema-d"):
        assert (tmp_path / "data" / "synthetic" / name / "SYNTHETIC.json").is_file()

    results = {p: read_result(p).result for p in out.rglob(RESULT_FILE)}
    for path, res in results.items():
        run = res["run"]
        assert run["synthetic"] is True
        assert run["corpus"].startswith("synthetic-") and run["train_corpus"].startswith("synthetic-")
        assert Path(path).relative_to(out).parts[1] == run["corpus"]
        if run["transcript"] == "noise:wer=0.3":
            assert 0.1 < res["wer"] < 0.6 and "noise-wer=0.3" in Path(path).parts
        else:
            assert res["wer"] is None

    cross = [r for r in results.values() if r["run"]["kind"] == "cross"]
    assert len(cross) == 4
    shared = {n: get_adapter(n).load(tmp_path / "data" / "synthetic" / n, label_map="shared-4").utterances
              for n in ("iemocap", "crema-d")}
    for r in cross:
        run = r["run"]
        train, test = run["train_corpus"].removeprefix("synthetic-"), run["corpus"].removeprefix("synthetic-")
        assert train != test and run["fold"] == f"train={run['train_corpus']}" and run["label_map"] == "shared-4"
        assert r["n_test"] == len(shared[test])  # tested on ALL of the other corpus
        assert r["n_train"] + r["n_valid"] == len(shared[train]) and r["n_valid"] > 0
        assert r["labels"] == ["neu", "hap", "ang", "sad"]

    code = main(argv)  # second time: nothing regenerated, nothing recomputed
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and summary["runs_skipped"] == 12 and summary["features_computed"] == 0


def test_ls_lists_everything_a_suite_can_name(capsys) -> None:
    assert main(["ls"]) == 0
    out = capsys.readouterr().out
    for needle in ("corpora", "iemocap", "LEMER_DATA_MSP_PODCAST", "speaker-5fold", "label maps", "shared-4",
                   "models:", "majority", "none (transcript-independent)", "transcript sources", "asr:pocketsphinx",
                   "suites:", "demo", "cross-corpus", "tasks: categorical, dimensional, soft", "tasks: categorical, soft"):
        assert needle in out, needle
    oracle = next(line for line in out.splitlines() if line.strip().startswith("oracle-cue-pool"))
    assert oracle.endswith("tasks: categorical")  # a model that cannot learn the other tasks says so


def test_ls_switches_lists_defaults_and_their_sources(capsys) -> None:
    assert main(["ls", "--switches", "lemer-no-labels"]) == 0
    out = capsys.readouterr().out
    labels = next(line for line in out.splitlines() if line.startswith("use_label_embeddings"))
    assert "False" in labels and "paper (abstract)" in labels and "set by the lemer-no-labels entry" in labels
    assert main(["ls", "--switches", "tfidf-lr"]) == 0
    assert "c_grid" in capsys.readouterr().out
    assert main(["ls", "--switches", "lemr"]) == 2
    assert "did you mean lemer" in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [
    (["run", "--suite", "nope"], "unknown suite 'nope'"),
    (["run", "--suite", "demo", "--models", "majorit"], "did you mean majority"),
    (["run", "--suite", "paper", "--corpus", "iemocap"], "NAME=ROOT"),
])
def test_cli_refuses_bad_arguments_clearly(argv: list[str], needle: str, capsys) -> None:
    assert main(argv + ["--no-progress"]) == 2
    assert needle in capsys.readouterr().err


DEMO_LIKE = """
name = "demo"
seeds = [0, 1]
models = ["majority", "test-keyword-text"]
transcripts = ["gold", "noise:wer=0.1"]
synthetic_scale = "tiny"
leaderboard = true

[[corpora]]
name = "iemocap"
synthetic = true
max_folds = 2
"""


def test_demo_command_runs_the_demo_suite_and_writes_the_leaderboard(tmp_path: Path, capsys, monkeypatch) -> None:
    import benchmarks.cli.run as cli_run

    monkeypatch.setenv("LEMER_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(cli_run, "DEMO_SUITE", str(write_suite(tmp_path / "demo.toml", DEMO_LIKE)))
    out = tmp_path / "runs"
    code = main(["demo", "--out", str(out), "--cache", str(tmp_path / "cache"), "--no-progress", "--jobs", "1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.strip().splitlines()
    assert json.loads(lines[-1])["runs_done"] == 2 * 2 + 2 * 2 * 2
    board = out / "demo" / "leaderboard"
    assert f"leaderboard written to {board}" in captured.out
    html = (board / "index.html").read_text()
    assert "synthetic-iemocap" in html and (board / "leaderboard.csv").is_file()
