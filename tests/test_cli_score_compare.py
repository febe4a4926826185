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


@pytest.fixture(scope="module")
def one_speaker(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """10 IEMOCAP speakers (5 sessions x F/M) x 20 utterances; B is right on 14 of each speaker's 20, A equals B but
    for one speaker (Ses01_F), on whom A is right every time: the whole difference sits on one speaker."""
    d = tmp_path_factory.mktemp("one-speaker")
    uids, gold, a, b, folds = [], [], [], [], {}
    for s in range(1, 6):
        for g in "FM":
            for i in range(20):
                uid = f"iemocap:Ses0{s}F_impro01_{g}{i:03d}"
                label = LABELS[i % 4]
                wrong = LABELS[(i + 1) % 4]
                uids.append(uid)
                gold.append(label)
                b.append(label if i % 10 < 7 else wrong)
                a.append(label if (s, g) == (1, "F") else b[-1])
                folds.setdefault(f"test=Session{s}", []).append(uid)
    write_predictions(d / "a.jsonl", uids, gold, a)
    write_predictions(d / "b.jsonl", uids, gold, b)
    write_predictions(d / "short.jsonl", uids[:-1], gold[:-1], a[:-1])
    write_predictions(d / "extra.jsonl", [*uids[:5], "iemocap:Ses09F_impro01_F000", *uids[5:]],
                      [*gold[:5], "neu", *gold[5:]], [*a[:5], "neu", *a[5:]])
    (d / "folds.json").write_text(json.dumps({"corpus": "iemocap", "protocol": "loso", "label_map": "iemocap-4",
                                              "folds": [{"name": k, "train": [], "valid": [], "test": v}
                                                        for k, v in folds.items()]}))
    plain = [u.replace("iemocap:", "x") for u in uids]
    write_predictions(d / "plain-a.jsonl", plain, gold, a)
    write_predictions(d / "plain-b.jsonl", plain, gold, b)
    (d / "speakers.csv").write_text("uid,speaker\n" + "".join(f"{p},{u[9:14]}{u[-4]}\n" for p, u in zip(plain, uids)))
    return {k: d / k for k in ("a.jsonl", "b.jsonl", "short.jsonl", "extra.jsonl", "folds.json", "plain-a.jsonl",
                               "plain-b.jsonl", "speakers.csv")}


def test_compare_gives_both_readings_and_one_speaker_is_not_a_new_speaker_effect(one_speaker: dict[str, Path]) -> None:
    f = one_speaker
    r = cli("compare", str(f["a.jsonl"]), str(f["b.jsonl"]), "--test", "permutation", "--folds", str(f["folds.json"]),
            "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["diff"] == pytest.approx(0.03) and out["this_test_set"]["p_value"] < 0.05
    speakers = out["new_speakers"]
    assert speakers["available"] and speakers["n_speakers"] == 10
    assert speakers["p_value_speaker_signflip"] > 0.05 and speakers["p_method"] == "exact"
    human = cli("compare", str(f["a.jsonl"]), str(f["b.jsonl"]), "--folds", str(f["folds.json"]))
    assert "this test set: a - b = +0.0300" in human.stdout and "new speakers (10 speakers)" in human.stdout
    assert "resampled within the 5 fold(s)" in human.stdout


def test_the_speaker_reading_says_why_it_is_unavailable_and_takes_a_speakers_file(one_speaker: dict[str, Path]) -> None:
    f = one_speaker
    r = cli("compare", str(f["plain-a.jsonl"]), str(f["plain-b.jsonl"]), "--json")
    out = json.loads(r.stdout)
    assert not out["new_speakers"]["available"] and "--speakers" in out["new_speakers"]["why"]
    assert "new speakers: unavailable" in cli("compare", str(f["plain-a.jsonl"]), str(f["plain-b.jsonl"])).stdout
    r = cli("compare", str(f["plain-a.jsonl"]), str(f["plain-b.jsonl"]), "--speakers", str(f["speakers.csv"]), "--json")
    assert json.loads(r.stdout)["new_speakers"]["n_speakers"] == 10


def test_external_predictions_must_test_exactly_the_folds_named(one_speaker: dict[str, Path]) -> None:
    f = one_speaker
    _one_line_error(cli("score", str(f["short.jsonl"]), "--folds", str(f["folds.json"])),
                    str(f["short.jsonl"]), "1 test utterance(s) of iemocap loso iemocap-4 (5 fold(s)) missing",
                    "Ses05F_impro01_M019")
    _one_line_error(cli("score", str(f["extra.jsonl"]), "--folds", str(f["folds.json"])),
                    f"{f['extra.jsonl']}:6:", "Ses09F_impro01_F000", "is not a test utterance")
    _one_line_error(cli("score", str(f["a.jsonl"]), "--folds", str(f["folds.json"]), "--fold", "test=Session9"),
                    "no fold 'test=Session9'")
    _one_line_error(cli("score", str(f["a.jsonl"]), "--fold", "test=Session1"), "--fold NAME needs --folds FILE")
    ok = cli("score", str(f["a.jsonl"]), "--folds", str(f["folds.json"]))
    assert ok.returncode == 0, ok.stderr
    dup = f["a.jsonl"].read_text().splitlines()
    dup_path = f["a.jsonl"].with_name("dup.jsonl")
    dup_path.write_text("\n".join([*dup, dup[3]]) + "\n")
    _one_line_error(cli("score", str(dup_path), "--folds", str(f["folds.json"])), f"{dup_path}:201", "duplicate uid")
