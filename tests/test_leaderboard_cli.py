"""`score` and `compare` on users' own prediction files, through the argparse commands."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, precision_score

from benchmarks.cli.guard import run_guarded
from leaderboard import cli
from tests.support.leaderboard import LABELS4, noisy_predictions, write_predictions


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lemer-bench")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = parser.parse_args(argv)
    return run_guarded(args.command, args.func, args)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    uids = [f"u{i:03d}" for i in range(200)]
    gold = [LABELS4[i] for i in rng.integers(0, 4, 200)]
    out = {}
    for name, acc in (("good", 0.85), ("bad", 0.4)):
        out[name] = tmp_path / f"{name}.jsonl"
        write_predictions(out[name], uids, gold, noisy_predictions(gold, acc, rng), probs=True)
    out["copy"] = tmp_path / "copy.jsonl"
    out["copy"].write_text(out["good"].read_text())
    return out


def _rows(p: Path) -> tuple[list[str], list[str]]:
    rows = [json.loads(x) for x in p.read_text().splitlines()]
    return [r["gold"] for r in rows], [r["pred"] for r in rows]


def test_score_prints_sklearn_equal_metrics(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["score", str(files["good"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    gold, pred = _rows(files["good"])
    assert set(out) == {"wa", "ua", "macro_f1", "n", "per_class", "classes"}
    assert out["n"] == 200
    assert out["wa"] == pytest.approx(accuracy_score(gold, pred))
    assert out["ua"] == pytest.approx(balanced_accuracy_score(gold, pred))
    assert out["macro_f1"] == pytest.approx(f1_score(gold, pred, average="macro"))
    assert set(out["per_class"]) == set(LABELS4)
    f1 = f1_score(gold, pred, labels=list(LABELS4), average=None)
    for lab, f in zip(LABELS4, f1):
        assert out["classes"][lab]["f1"] == pytest.approx(f)
        assert out["classes"][lab]["n_gold"] == gold.count(lab)


def test_score_table_shows_per_class_precision_recall_f1(files: dict[str, Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["score", str(files["good"])]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "recall" in out and "F1" in out and "n predicted" in out
    gold, pred = _rows(files["good"])
    p = precision_score(gold, pred, labels=list(LABELS4), average=None)
    for lab, x in zip(LABELS4, p):
        row = next(line for line in out.splitlines() if line.startswith(lab + " "))
        assert f"{x:.4f}" in row.split()


@pytest.mark.parametrize("test", ["mcnemar", "bootstrap", "permutation"])
def test_compare_identical_and_different(test: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["compare", str(files["good"]), str(files["copy"]), "--test", test, "--seed", "1", "--json"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert set(same) == {"test", "metric", "a", "b", "diff", "ci", "p_value", "n", "this_test_set", "new_speakers"}
    assert same["diff"] == 0 and same["p_value"] == 1 and same["n"] == 200
    assert same["metric"] == ("wa" if test == "mcnemar" else "ua")
    assert run_cli(["compare", str(files["good"]), str(files["bad"]), "--test", test, "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert diff["diff"] > 0.3 and diff["p_value"] < 0.01 and diff["ci"][0] > 0


def test_compare_refuses_different_utterances(tmp_path: Path, files: dict[str, Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.jsonl"
    lines = files["bad"].read_text().splitlines()
    row = json.loads(lines[0])
    row["uid"] = "elsewhere:1"
    other.write_text("\n".join([json.dumps(row)] + lines[1:]) + "\n")
    assert run_cli(["compare", str(files["good"]), str(other)]) == 2
    err = capsys.readouterr().err
    assert str(files["good"]) in err and str(other) in err and "'u000'" in err


def test_compare_refuses_different_gold(tmp_path: Path, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.jsonl"
    rows = [json.loads(x) for x in files["bad"].read_text().splitlines()]
    rows[5]["gold"] = "sad" if rows[5]["gold"] != "sad" else "neu"
    other.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert run_cli(["compare", str(files["good"]), str(other), "--test", "permutation"]) == 2
    err = capsys.readouterr().err
    assert "disagree on the gold label of 'u005'" in err and str(other) in err


def test_score_missing_file_is_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["score", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl: prediction file not found" in capsys.readouterr().err
