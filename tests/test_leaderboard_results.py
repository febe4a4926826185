"""Bad input is refused with an error naming the file (and line), never silently dropped."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaderboard.board import compute_leaderboard
from leaderboard.results import ResultError, align, load_runs, read_predictions, read_result
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE
from tests.support.leaderboard import fold_data, write_predictions, write_run


def _one_run(root: Path, **kw) -> Path:  # type: ignore[no-untyped-def]
    uids, gold = fold_data("synthetic-iemocap", 1, 12)["test=Session1"]
    args = dict(model="m", corpus="synthetic-iemocap", fold="test=Session1", seed=0, uids=uids, gold=gold, pred=gold)
    args.update(kw)
    return write_run(root, **args)


def test_reads_a_valid_run(tmp_path: Path) -> None:
    d = _one_run(tmp_path)
    run = read_result(d / RESULT_FILE)
    assert run.spec.model == "m" and len(run.uids) == 12 and run.labels == ("neu", "hap", "ang", "sad")


def test_wrong_schema_version_names_the_file(tmp_path: Path) -> None:
    d = _one_run(tmp_path, schema_version=99)
    with pytest.raises(ResultError, match=rf"{d / RESULT_FILE}: schema_version 99 is not supported"):
        load_runs(tmp_path)


def test_missing_predictions_file(tmp_path: Path) -> None:
    d = _one_run(tmp_path)
    (d / PREDICTIONS_FILE).unlink()
    with pytest.raises(ResultError, match=rf"{d / RESULT_FILE}: no predictions.jsonl next to it"):
        load_runs(tmp_path)


def test_empty_predictions(tmp_path: Path) -> None:
    d = _one_run(tmp_path)
    (d / PREDICTIONS_FILE).write_text("")
    with pytest.raises(ResultError, match=rf"{d / PREDICTIONS_FILE}: no predictions \(empty file\)"):
        load_runs(tmp_path)


def test_prediction_count_must_match_metrics_n(tmp_path: Path) -> None:
    d = _one_run(tmp_path)
    lines = (d / PREDICTIONS_FILE).read_text().splitlines()
    (d / PREDICTIONS_FILE).write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(ResultError, match="metrics.n = 12 but .* holds 11 predictions"):
        load_runs(tmp_path)


def test_bad_lines_name_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "p.jsonl"
    p.write_text('{"uid": "a", "gold": "neu", "pred": "neu"}\n{"uid": "a", "gold": "neu", "pred": "hap"}\n')
    with pytest.raises(ResultError, match=rf"{p}:2: duplicate uid 'a' \(first on line 1\)"):
        read_predictions(p)
    p.write_text('{"uid": "a", "gold": "neu", "pred": "neu"}\n{"uid": "b", "gold": "neu"}\n')
    with pytest.raises(ResultError, match=rf"{p}:2: missing or non-string 'pred'"):
        read_predictions(p)
    p.write_text('{"uid": "a", "gold": "neu", "pred": "neu"}\nnot json\n')
    with pytest.raises(ResultError, match=rf"{p}:2: not valid JSON"):
        read_predictions(p)


def test_label_outside_the_run_label_set(tmp_path: Path) -> None:
    uids, gold = fold_data("synthetic-iemocap", 1, 12)["test=Session1"]
    d = _one_run(tmp_path, pred=["fru"] + gold[1:])
    with pytest.raises(ResultError, match=rf"{d / PREDICTIONS_FILE}: label 'fru' is not in the label set"):
        load_runs(tmp_path)


def test_missing_run_key(tmp_path: Path) -> None:
    d = _one_run(tmp_path)
    res = json.loads((d / RESULT_FILE).read_text())
    del res["run"]["seed"]
    (d / RESULT_FILE).write_text(json.dumps(res))
    with pytest.raises(ResultError, match=rf"{d / RESULT_FILE}: run is missing key\(s\): seed"):
        load_runs(tmp_path)


def test_no_runs_at_all(tmp_path: Path) -> None:
    with pytest.raises(ResultError, match="no result.json files found"):
        load_runs(tmp_path)


def test_models_with_different_test_sets_in_a_cell(tmp_path: Path) -> None:
    uids, gold = fold_data("synthetic-iemocap", 1, 12)["test=Session1"]
    a = _one_run(tmp_path, model="a")
    b = _one_run(tmp_path, model="b", uids=uids[:-1] + ["synthetic-iemocap:other"])
    with pytest.raises(ResultError) as e:
        compute_leaderboard(load_runs(tmp_path))
    msg = str(e.value)
    assert str(a / RESULT_FILE) in msg and str(b / RESULT_FILE) in msg
    assert "different test sets for fold 'test=Session1'" in msg and "synthetic-iemocap:" in msg


def test_models_with_different_gold_labels_in_a_cell(tmp_path: Path) -> None:
    uids, gold = fold_data("synthetic-iemocap", 1, 12)["test=Session1"]
    _one_run(tmp_path, model="a")
    flipped = ["sad" if g != "sad" else "neu" for g in gold[:1]] + gold[1:]
    _one_run(tmp_path, model="b", gold=flipped, pred=flipped)
    with pytest.raises(ResultError, match=r"gold label differs"):
        compute_leaderboard(load_runs(tmp_path))


def test_duplicate_runs_name_both_files(tmp_path: Path) -> None:
    _one_run(tmp_path / "x")
    _one_run(tmp_path / "y")
    with pytest.raises(ResultError, match=r"duplicate run for model 'm'.*fold=test=Session1 seed=0 \(also "):
        compute_leaderboard(load_runs(tmp_path))


def test_align_refuses_different_uids_and_gold(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_predictions(a, ["u1", "u2"], ["neu", "hap"], ["neu", "neu"])
    write_predictions(b, ["u2", "u3"], ["hap", "neu"], ["hap", "hap"])
    with pytest.raises(ResultError, match=rf"{a} and {b} cover different utterances.*'u1' is only in {a}"):
        align(read_predictions(a), read_predictions(b))
    write_predictions(b, ["u2", "u1"], ["sad", "neu"], ["hap", "hap"])
    with pytest.raises(ResultError, match=r"disagree on the gold label of 'u2' \('hap' vs 'sad'\)"):
        align(read_predictions(a), read_predictions(b))
    write_predictions(b, ["u2", "u1"], ["hap", "neu"], ["hap", "sad"])
    labels, gold, pa, pb, uids = align(read_predictions(a), read_predictions(b))
    assert labels == ["hap", "neu", "sad"] and uids == ["u1", "u2"]
    assert [labels[i] for i in pb] == ["sad", "hap"]  # reordered to A's uid order
