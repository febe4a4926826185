"""The leaderboard over what a suite runs beyond clean categorical cells: audio conditions (issue 23), refit runs
(issue 22), the soft and dimensional tasks and annotator agreement (issue 24), and the speaker-level reading of
every cell (issue 21). Runs are written per leaderboard/schema.py by tests/support/leaderboard.py."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from benchmarks import load_predictions, load_results
from leaderboard import validity
from leaderboard.build import build_leaderboard
from leaderboard.metrics import score_codes
from lemer.core.metrics import ccc, soft_cross_entropy
from tests.support.leaderboard import LABELS4, write_run

FOLDS, PER_SPEAKER = 5, 12
BABBLE = "snr=5,noise=babble"


def _fold(f: int) -> tuple[list[str], list[str], list[str]]:
    """uids, gold and speaker of fold f: two speakers (a woman and a man of session f), PER_SPEAKER each."""
    uids, gold, spk = [], [], []
    for g in "FM":
        for i in range(PER_SPEAKER):
            uids.append(f"iemocap:Ses{f:02d}F_impro01_{g}{i:03d}")
            gold.append(LABELS4[i % 4])
            spk.append(f"Ses{f:02d}_{g}")
    return uids, gold, spk


def _pred(gold: list[str], accuracy: float, rng: np.random.Generator) -> list[str]:
    return [g if rng.random() < accuracy else LABELS4[(LABELS4.index(g) + 1) % 4] for g in gold]


def _rows(uids: list[str], gold: list[str], pred: list[str], spk: list[str], votes: bool = True) -> list[dict]:
    rows = []
    for i, (u, g, p, s) in enumerate(zip(uids, gold, pred, spk)):
        row = {"uid": u, "gold": g, "pred": p, "probs": {c: (0.7 if c == p else 0.1) for c in LABELS4}, "speaker": s,
               "gender": s[-1]}
        if votes:  # 3 annotators: unanimous on even items, 2 of 3 on odd ones
            row["votes"] = {g: 3.0} if i % 2 == 0 else {g: 2.0, "oth": 1.0}
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("conditions")
    runs = root / "runs"
    rng = np.random.default_rng(3)
    for f in range(1, FOLDS + 1):
        uids, gold, spk = _fold(f)
        fold = f"test=Session{f}"
        for seed in (0, 1):
            common = dict(corpus="synthetic-iemocap", fold=fold, seed=seed, uids=uids, gold=gold, pred=gold)
            for model, clean, noisy in (("strong", 0.9, 0.4), ("weak", 0.5, 0.45)):
                for audio, acc in (("clean", clean), (BABBLE, noisy)):
                    write_run(runs, model=model, rows=_rows(uids, gold, _pred(gold, acc, rng), spk),
                              run_extra={} if audio == "clean" else {"audio": audio}, **common)
            write_run(runs, model="strong", rows=_rows(uids, gold, _pred(gold, 0.95, rng), spk),
                      run_extra={"refit": True}, **common)
            # dimensional: "strong" tracks the gold dimensions, "flat" predicts zeros
            dims = [{"arousal": float(np.sin(i)), "valence": float(np.cos(i)), "dominance": 0.1 * (i % 5) - 0.2}
                    for i in range(len(uids))]
            for model, scale in (("strong", 0.9), ("flat", 0.0)):
                rows = [{"uid": u, "gold": None if i % 7 == 0 else g, "speaker": s,
                         "gold_dims": d, "pred_dims": {k: scale * v + (0.05 if scale else 0.0) for k, v in d.items()}}
                        for i, (u, g, s, d) in enumerate(zip(uids, gold, spk, dims))]
                write_run(runs, model=model, rows=rows, run_extra={"task": "dimensional", "main_score": "ccc"}, **common)
            # soft: "strong" puts its mass where the annotators did, "uniform" spreads it
            for model, sharp in (("strong", True), ("uniform", False)):
                rows = []
                for u, g, s in zip(uids, gold, spk):
                    dist = {g: 0.75, LABELS4[(LABELS4.index(g) + 1) % 4]: 0.25}
                    probs = dict(dist) if sharp else {c: 0.25 for c in LABELS4}
                    rows.append({"uid": u, "gold": g, "pred": g if sharp else "neu", "probs": probs, "gold_dist": dist,
                                 "speaker": s})
                write_run(runs, model=model, rows=rows, run_extra={"task": "soft", "main_score": "soft_ce"}, **common)
    out = root / "board"
    return out, build_leaderboard(runs, out, n_resamples=300)


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_audio_refit_and_tasks_are_cells_of_their_own(board: tuple[Path, object]) -> None:
    out, lb = board
    titles = sorted(c.key.title for c in lb.cells)
    assert len(titles) == 3, titles  # clean, babble, refit: never one cell (duplicate runs) or ranked together
    assert sum("audio: snr=5,noise=babble (test only)" in t for t in titles) == 1
    assert sum("refit on train + valid" in t for t in titles) == 1
    assert sorted(t.key.task for t in lb.tasks) == ["dimensional", "soft"]
    rows = _csv(out / "leaderboard.csv")
    assert {(r["audio"], r["refit"]) for r in rows} == {("clean", "false"), (BABBLE, "false"), ("clean", "true")}


def test_every_categorical_cell_has_both_readings_groups_variance_speakers_and_calibration(board) -> None:
    out, lb = board
    clean = next(c for c in lb.cells if c.key.audio.is_clean and not c.key.refit)
    assert clean.inference is not None and clean.inference.n_speakers == 2 * FOLDS
    strong, weak = clean.ranked
    assert strong.model == "strong" and weak.vs_best is not None
    assert weak.vs_best.ci_speaker is not None and weak.p_worse_speaker is not None
    assert weak.worse_than_best and weak.worse_new_speakers  # 0.9 vs 0.5 on every speaker: both readings agree
    assert strong.letters == "a" and weak.letters == "b" and weak.letters_speaker == "b"
    assert strong.inference.variance.seed is not None and strong.inference.calibration.ece is not None
    assert len(strong.inference.speakers.speakers) == 2 * FOLDS
    row = next(r for r in _csv(out / "leaderboard.csv") if r["model"] == "weak" and r["audio"] == "clean"
               and r["refit"] == "false")
    for col in ("ua_ci_speaker_low_pct", "diff_vs_best_ci_speaker_low_pts", "p_holm_vs_best_speakers", "sd_seed_pts",
                "worst_speaker", "gender_gap_pts", "ece_pct", "brier", "nll"):
        assert row[col] != "", col
    assert row["groups_test_set"] == "b" and row["significantly_worse_new_speakers"] == "true"
    sig = _csv(out / "significance.csv")
    assert {r["reading"] for r in sig} == {"this test set", "new speakers"}
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "New speakers?" in page and "UA 95% CI (new speakers)" in page and "Where the variance comes from" in page


def test_robustness_compares_each_model_with_its_clean_twin(board) -> None:
    out, lb = board
    (table,) = lb.robustness
    by = {r.model: r for r in table.rows}
    assert by["strong"].test.diff < -0.3 and by["strong"].significant  # 0.9 -> 0.4
    assert by["strong"].test.ci_speaker is not None and by["strong"].p_holm_speaker is not None
    assert abs(by["weak"].test.diff) < 0.2
    rows = _csv(out / "robustness.csv")
    assert {r["model"] for r in rows} == {"strong", "weak"} and all(r["audio"] == BABBLE for r in rows)
    assert "Robustness: degraded audio against clean" in (out / "leaderboard.md").read_text(encoding="utf-8")


def test_dimensional_and_soft_cells_score_every_metric_of_their_task(board) -> None:
    out, lb = board
    dims = next(t for t in lb.tasks if t.key.task == "dimensional")
    assert [m.model for m in dims.ranked] == ["strong", "flat"] and dims.n == FOLDS * 2 * PER_SPEAKER
    # pooled over the folds (utterances without a consensus class kept), equal to the metric on the pooled arrays
    gold = np.array([np.sin(i) for _ in range(FOLDS) for i in range(2 * PER_SPEAKER)])
    assert dims.ranked[0].scores["ccc_aro"] == pytest.approx(ccc(0.9 * gold + 0.05, gold), abs=1e-12)
    flat = dims.ranked[1]
    assert flat.worse and flat.worse_speakers and flat.diff_ci_speaker is not None
    soft = next(t for t in lb.tasks if t.key.task == "soft")
    assert soft.main.name == "soft_ce" and [m.model for m in soft.ranked] == ["strong", "uniform"]
    dist = np.tile([0.75, 0.25, 0.0, 0.0], (1, 1))
    assert soft.ranked[0].scores["soft_ce"] == pytest.approx(soft_cross_entropy(dist, dist), abs=1e-9)
    rows = _csv(out / "tasks.csv")
    assert {r["task"] for r in rows} == {"dimensional", "soft"}
    assert all(r["ccc_aro"] != "" for r in rows if r["task"] == "dimensional")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "task: dimensional" in page and "CCC arousal" in page and "soft CE" in page


def test_agreement_breakdown_and_human_ceiling(board) -> None:
    _, lb = board
    clean = next(c for c in lb.cells if c.key.audio.is_clean and not c.key.refit)
    a = clean.agreement
    assert a is not None and a.counts == (FOLDS * PER_SPEAKER, FOLDS * PER_SPEAKER, 0)
    assert a.ceiling is not None and a.ceiling.levels[0].ua == pytest.approx(1.0)


def test_load_results_and_predictions_have_the_task_columns(board, tmp_path: Path) -> None:
    out, _ = board
    df = load_results(out.parent / "runs")
    for col in ("task", "audio", "refit", "ccc_aro", "ccc", "soft_ce", "plurality_acc", "ua", "ece"):
        assert col in df.columns, col
    dims = df[df["task"] == "dimensional"]
    assert dims["ua"].isna().all() and dims["ccc_aro"].notna().all()
    cat = df[(df["task"] == "categorical")]
    assert cat["ccc"].isna().all() and cat["ua"].notna().all()
    preds = load_predictions(out.parent / "runs")
    d = preds[preds["task"] == "dimensional"]
    assert d["gold"].isna().any() and set(d.iloc[0]["pred_dims"]) == {"arousal", "valence", "dominance"}


def test_one_speaker_carrying_the_difference_is_significant_only_on_this_test_set(tmp_path: Path) -> None:
    """Planted: B equals A except on one speaker of one fold, where B is always wrong; an utterance test sees 24
    discordant utterances, a speaker test one speaker out of ten."""
    runs = tmp_path / "runs"
    for f in range(1, FOLDS + 1):
        uids, gold, spk = _fold(f)
        wrong = [LABELS4[(LABELS4.index(g) + 1) % 4] for g in gold]
        for model in ("A", "B"):
            pred = list(gold)
            if model == "B" and f == 1:
                pred = [w if s.endswith("_F") else g for g, w, s in zip(gold, wrong, spk)]
            write_run(runs, model=model, corpus="synthetic-iemocap", fold=f"test=Session{f}", seed=0, uids=uids,
                      gold=gold, pred=pred, rows=_rows(uids, gold, pred, spk, votes=False))
    lb = build_leaderboard(runs, tmp_path / "board", n_resamples=2000)
    (cell,) = lb.cells
    b = cell.ranked[1]
    assert b.worse_than_best and b.p_worse is not None and b.p_worse < 0.05
    assert not b.worse_new_speakers and b.p_worse_speaker is not None and b.p_worse_speaker > 0.05
    md = (tmp_path / "board" / "leaderboard.md").read_text(encoding="utf-8")
    assert "| yes |" in md and "| no |" in md  # the headline shows both readings where they disagree


@pytest.mark.parametrize("model, passed", [("strong", True), ("flat", False), ("absent", None)])
def test_validity_check_d_asks_for_arousal_above_zero(board, monkeypatch: pytest.MonkeyPatch, model: str,
                                                      passed: bool | None) -> None:
    _, lb = board
    monkeypatch.setattr(validity, "AROUSAL_MODEL", model)
    panel = validity.ValidityPanel(corpus="synthetic-iemocap", protocol="loso", label_map="iemocap-4", synthetic=True,
                                   labels=tuple(LABELS4), folds=[], n=0, cue_types=[], models=[], incomplete={})
    validity.add_arousal_check(panel, lb.tasks)
    (v,) = panel.verdicts
    assert v.check == "d" and v.passed is passed, v.message
    if passed is not None:
        assert "new speakers" in v.message


def test_a_degraded_condition_on_fewer_folds_is_compared_on_those_folds(tmp_path: Path) -> None:
    """The demo runs babble on a subset of folds (a second corpus entry): the robustness table pairs it with the clean
    cell's utterances of those folds only, and says so."""
    runs = tmp_path / "runs"
    rng = np.random.default_rng(5)
    for f in range(1, FOLDS + 1):
        uids, gold, spk = _fold(f)
        for audio in ("clean", BABBLE) if f <= 3 else ("clean",):
            acc = 0.9 if audio == "clean" else 0.3
            write_run(runs, model="m", corpus="synthetic-iemocap", fold=f"test=Session{f}", seed=0, uids=uids, gold=gold,
                      pred=gold, rows=_rows(uids, gold, _pred(gold, acc, rng), spk, votes=False),
                      run_extra={} if audio == "clean" else {"audio": audio})
    lb = build_leaderboard(runs, tmp_path / "board", n_resamples=200)
    (table,) = lb.robustness
    (row,) = table.rows
    assert row.test.n_utterances == 3 * 2 * PER_SPEAKER and row.test.diff < -0.4
    assert "compared on the 3 fold(s)" in (table.note or "")
    clean = next(c for c in lb.cells if c.key.audio.is_clean)
    first3 = np.isin(clean.strata, [0, 1, 2])  # the clean UA of those folds, not of all five
    expected = score_codes(clean.gold[first3], clean.ranked[0].pred[0][first3], clean.labels).ua
    assert row.ua_clean == pytest.approx(expected) and row.ua_clean != pytest.approx(clean.ranked[0].ua)


def test_failed_runs_are_counted_on_their_cell_and_a_wholly_failed_condition_is_shown(tmp_path: Path) -> None:
    """Issue 25 item 2: runs that raised (error.txt, no result) are shown per cell with their reason, and a
    condition whose every run failed is listed, never silently absent."""
    from lemer.core.spec import RunSpec

    runs = tmp_path / "runs"
    dirs = []
    for f in (1, 2):
        uids, gold, spk = _fold(f)
        for model in ("a", "b"):
            dirs.append(write_run(runs, model=model, corpus="synthetic-iemocap", fold=f"test=Session{f}", seed=0,
                                  uids=uids, gold=gold, pred=gold, rows=_rows(uids, gold, gold, spk, votes=False)))
    import json as _json
    record = _json.loads((dirs[-1] / "result.json").read_text())["run"]
    (dirs[-1] / "result.json").unlink()  # b on fold 2 raised
    spec = RunSpec.from_json(record)
    (dirs[-1] / "error.txt").write_text(f"run_id: {spec.run_id}\nrun: {_json.dumps(spec.to_json())}\n\nTraceback:\n"
                                        "ValueError: no text in any transcript\n")
    asr = RunSpec.from_json({**record, "transcript": "asr:whisper-tiny.en", "model": "tfidf-lr"})
    bad = runs / "elsewhere" / "asr-run"
    bad.mkdir(parents=True)
    (bad / "error.txt").write_text(f"run_id: x\nrun: {_json.dumps(asr.to_json())}\n\nTraceback:\nRuntimeError: ASR died\n")
    out = tmp_path / "board"
    lb = build_leaderboard(runs, out, n_resamples=100)
    (cell,) = lb.cells
    assert cell.failed == {"b": ["ValueError: no text in any transcript"]}
    assert not next(m for m in cell.models if m.model == "b").complete
    (title,) = lb.unplaced_failures
    assert "asr:whisper-tiny.en" in title and lb.unplaced_failures[title] == {"tfidf-lr": ["RuntimeError: ASR died"]}
    md = (out / "leaderboard.md").read_text(encoding="utf-8")
    assert "b: 1 run (ValueError: no text in any transcript)" in md and "Conditions whose runs failed" in md
    assert "2 failed" in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("task, row, why", [
    ("categorical", {"uid": "u", "gold": "neu", "pred": "neu", "probs": {"neu": "x"}}, "finite numbers"),
    ("dimensional", {"uid": "u", "gold": None, "gold_dims": {"arousal": 0.1}, "pred_dims": {"arousal": 0.1}},
     "exactly arousal, valence, dominance"),
    ("dimensional", {"uid": "u", "gold": None, "gold_dims": {"arousal": 0.1, "valence": 0, "dominance": 0},
                     "pred_dims": {"arousal": None, "valence": 0, "dominance": 0}}, "finite numbers"),
    ("soft", {"uid": "u", "gold": None, "pred": "neu", "probs": {"neu": 1.0}}, "'gold_dist'"),
])
def test_a_malformed_task_row_is_an_error_naming_its_line(tmp_path: Path, task: str, row: dict, why: str) -> None:
    import json as _json

    from leaderboard.results import ResultError, read_predictions

    path = tmp_path / "p.jsonl"
    path.write_text("\n" + _json.dumps(row) + "\n", encoding="utf-8")  # line 2: the blank first line counts
    with pytest.raises(ResultError, match=r"p\.jsonl:2: .*") as e:
        read_predictions(path, task)
    assert why in str(e.value)
