"""`score` / `compare` through `python -m benchmarks.cli`: folders, bad --resamples, labels outside the
label set, and the human table vs the `--json` form (fault-injection items of issue 13, issue 16)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE
from tests.support.leaderboard import write_predictions

REPO = Path(__file__).resolve().parents[1]
LABELS = ["neu", "hap", "ang", "sad"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "benchmarks.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("preds")
    uids = [f"u{i:02d}" for i in range(40)]
    gold = [LABELS[i % 4] for i in range(40)]
    good = [g if i % 5 else LABELS[(i + 1) % 4] for i, g in enumerate(gold)]  # 32/40 right
    out = {"a": d / "a.jsonl", "b": d / "b.jsonl", "foreign": d / "foreign.jsonl"}
    write_predictions(out["a"], uids, gold, good)
    write_predictions(out["b"], uids, gold, gold)
    # two clips of class 'sad' predicted as 'fru', a label this 4-class run does not have
    write_predictions(out["foreign"], uids, gold, ["fru" if i in (3, 7) else g for i, g in enumerate(gold)])
    run_dir = d / "runs" / "demo" / "some-run"
    write_predictions(run_dir / PREDICTIONS_FILE, uids, gold, good)
    (run_dir / RESULT_FILE).write_text(json.dumps({"labels": LABELS + ["fru"]}))
    out["runs"], out["run_dir"] = d / "runs", run_dir
    return out


def _one_line_error(r: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert r.returncode == 2, r
    assert "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr


def test_score_of_a_runs_folder_is_a_named_error(files: dict[str, Path]) -> None:
    _one_line_error(cli("score", str(files["runs"])), str(files["runs"]), "is a folder", "leaderboard")


def test_compare_with_a_folder_is_a_named_error(files: dict[str, Path]) -> None:
    _one_line_error(cli("compare", str(files["a"]), str(files["runs"])), str(files["runs"]), "is a folder")


def test_a_run_folder_holding_predictions_is_read(files: dict[str, Path]) -> None:
    r = cli("score", str(files["run_dir"]), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["wa"] == pytest.approx(0.8)
    assert set(out["per_class"]) == set(LABELS) | {"fru"}  # label set from the result.json beside it


@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_compare_refuses_bad_resamples(files: dict[str, Path], value: str) -> None:
    r = cli("compare", str(files["a"]), str(files["a"]), f"--resamples={value}")
    _one_line_error(r, "--resamples")
    assert "numpy" not in r.stderr and "index" not in r.stderr.lower()


def test_score_refuses_a_pred_label_never_seen_in_gold(files: dict[str, Path]) -> None:
    # before: exit 0 with macro-F1 and UA silently computed over 5 classes
    r = cli("score", str(files["foreign"]))
    _one_line_error(r, f"{files['foreign']}:4:", "'fru'", "--labels")


def test_score_refuses_labels_outside_the_given_set(files: dict[str, Path]) -> None:
    _one_line_error(cli("score", str(files["a"]), "--labels", "neu,hap,ang"), f"{files['a']}:4:", "gold label 'sad'")


def test_score_with_the_full_label_set_counts_the_foreign_label(files: dict[str, Path]) -> None:
    r = cli("score", str(files["foreign"]), "--labels", "neu,hap,ang,sad,fru", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["wa"] == pytest.approx(38 / 40)
    assert out["per_class"]["fru"] is None and out["per_class"]["sad"] == pytest.approx(0.8)


def test_score_prints_a_table_by_default_and_json_on_request(files: dict[str, Path]) -> None:
    human = cli("score", str(files["a"]))
    assert human.returncode == 0, human.stderr
    assert "WA (accuracy)" in human.stdout and "0.8000" in human.stdout and "macro-F1" in human.stdout
    assert "recall" in human.stdout and "label set from the gold labels" in human.stdout
    with pytest.raises(ValueError):
        json.loads(human.stdout)
    machine = cli("score", str(files["a"]), "--json")
    out = json.loads(machine.stdout)  # exactly one JSON object on stdout
    assert out["wa"] == pytest.approx(0.8) and out["n"] == 40


def test_compare_table_names_a_and_b(files: dict[str, Path]) -> None:
    human = cli("compare", str(files["a"]), str(files["b"]), "--resamples", "200")
    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    row_a = next(x for x in lines if x.startswith("a "))
    row_b = next(x for x in lines if x.startswith("b "))
    assert str(files["a"]) in row_a and "0.8000" in row_a
    assert str(files["b"]) in row_b and "1.0000" in row_b
    assert "a - b = -0.2000" in human.stdout and "p = " in human.stdout
    machine = cli("compare", str(files["a"]), str(files["b"]), "--resamples", "200", "--json")
    out = json.loads(machine.stdout)
    assert out["diff"] == pytest.approx(-0.2) and out["n"] == 40


def test_compare_refuses_runs_with_different_label_sets(files: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "other-run"
    other.mkdir()
    (other / PREDICTIONS_FILE).write_text((files["run_dir"] / PREDICTIONS_FILE).read_text())
    (other / RESULT_FILE).write_text(json.dumps({"labels": LABELS}))
    _one_line_error(cli("compare", str(files["run_dir"]), str(other)), "different label sets", "--labels")
