"""The validity panel's verdicts on constructed runs with cue ground truth: a corpus that passes every
check, and one that fails each of them; oracles never ranked; the page and markdown say it in words."""
from __future__ import annotations

import json
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from leaderboard.board import compute_leaderboard
from leaderboard.html import render
from leaderboard.results import load_runs
from leaderboard.schema import RESULT_FILE
from leaderboard.tables import markdown
from leaderboard.validity import build_validity
from tests.support.leaderboard import LABELS4, write_run

CORPUS = "synthetic-iemocap"
KINDS = ("words", "prosody", "both", "none")
FOLDS = ("test=Session1", "test=Session2")
PER_FOLD = 120


def _fold(f: int) -> tuple[list[str], list[str], list[str]]:
    """uids, gold, cue types: `none` utterances are neutral, the others one of the emotions."""
    uids, gold, kinds = [], [], []
    for i in range(PER_FOLD):
        kind = KINDS[i % 4]
        uids.append(f"iemocap:S{f}_{i:04d}")
        kinds.append(kind)
        gold.append("neu" if kind == "none" else LABELS4[1 + (i // 4) % 3])
    return uids, gold, kinds


def _predict(gold: list[str], kinds: list[str], reads: set[str], rng: np.random.Generator) -> list[str]:
    """Right where the model can read the cue (cue type in `reads`), a random label elsewhere."""
    return [g if k in reads else str(rng.choice(LABELS4)) for g, k in zip(gold, kinds)]


def _by_cue(uids: list[str], gold: list[str], pred: list[str], kinds: list[str]) -> dict:
    n, ok, per = Counter(), Counter(), {}
    for g, p, k in zip(gold, pred, kinds):
        n[k] += 1
        ok[k] += g == p
        per.setdefault(k, Counter())[g] += 1
    return {k: {"n": n[k], "correct": ok[k], "gold": dict(per[k])} for k in n}


def _write(root: Path, models: dict[str, tuple[set[str], list[str], dict | None]], seeds=(0, 1)) -> Path:
    """Models that read the same cue types make the same predictions (so "no better than" is exact)."""
    for model, (reads, modalities, extra) in models.items():
        for seed in seeds:
            for f, fold in enumerate(FOLDS, 1):
                uids, gold, kinds = _fold(f)
                rng = np.random.default_rng([zlib.crc32(",".join(sorted(reads)).encode()), seed, f])
                pred = _predict(gold, kinds, reads, rng)
                d = write_run(root, model=model, corpus=CORPUS, fold=fold, seed=seed, uids=uids, gold=gold, pred=pred,
                              transcript_independent="text" not in modalities)
                res = json.loads((d / RESULT_FILE).read_text())
                res["diagnostics"] = {**(extra or {}), "modalities": modalities,
                                      "by_cue_type": _by_cue(uids, gold, pred, kinds),
                                      "cue_truth": {"file": "SYNTHETIC_CUES.jsonl", "uncovered": 0}}
                (d / RESULT_FILE).write_text(json.dumps(res))
    return root


ORACLE = {"oracle": {"twin": "speech-only-meanpool"}}
GOOD = {
    "text-only": ({"words", "both"}, ["text"], None),
    "speech-only": ({"prosody", "both"}, ["speech"], None),
    "late-fusion": ({"words", "prosody", "both"}, ["speech", "text"], None),
    "oracle-cue-pool": ({"prosody", "both", "none"}, ["speech"], ORACLE),
    "speech-only-meanpool": ({"both"}, ["speech"], None),
}
BAD = {
    "text-only": ({"both"}, ["text"], None),  # cannot read `words` utterances: (a) text fails
    "speech-only": ({"prosody", "both"}, ["speech"], None),
    "late-fusion": ({"prosody", "both"}, ["speech", "text"], None),  # no better than speech-only: (c) fails
    "oracle-cue-pool": ({"both"}, ["speech"], ORACLE),  # no better than its twin: (b) fails
    "speech-only-meanpool": ({"both"}, ["speech"], None),
}


def _verdicts(root: Path) -> dict[str, bool | None]:
    (panel,) = build_validity(load_runs(root), n_resamples=400)
    return {v.check: v.passed for v in panel.verdicts}


def test_a_well_built_corpus_passes_every_check(tmp_path: Path) -> None:
    assert _verdicts(_write(tmp_path, GOOD)) == {"a-text": True, "a-speech": True, "b": True, "c": True}


def test_a_badly_built_corpus_fails_each_check_and_says_so_in_words(tmp_path: Path) -> None:
    root = _write(tmp_path, BAD)
    assert _verdicts(root) == {"a-text": False, "a-speech": True, "b": False, "c": False}
    lb = compute_leaderboard(load_runs(root), n_resamples=200)
    md = markdown(lb)
    assert "This benchmark FAILS validity checks (a) text, (b), (c)" in md and "[synthetic]" in md
    from leaderboard.plots import all_plots

    plots = all_plots(lb)
    assert [p.title for p in plots if p.section == "validity"] == [f"Accuracy by cue type — {CORPUS} · loso · iemocap-4 [synthetic]"]
    page = render(lb, plots)
    assert "FAILS validity checks" in page and "SYNTHETIC corpus" in page and "Accuracy by cue type" in page


def test_the_oracle_is_never_ranked_but_shown_in_the_panel(tmp_path: Path) -> None:
    lb = compute_leaderboard(load_runs(_write(tmp_path, GOOD)), n_resamples=200)
    assert all(m.model != "oracle-cue-pool" for c in lb.cells for m in c.models)
    assert lb.cells[0].best is not None and lb.cells[0].best.model == "late-fusion"
    (panel,) = lb.validity
    oracle = next(m for m in panel.models if m.model == "oracle-cue-pool")
    assert oracle.is_oracle and panel.models[-1] is oracle
    assert oracle.accuracy("prosody") == 1.0 and oracle.by_cue["prosody"][0] == 2 * PER_FOLD // 4
    assert "ORACLE" in markdown(lb)


def test_missing_models_are_not_checked_rather_than_passed(tmp_path: Path) -> None:
    root = _write(tmp_path, {"text-only": GOOD["text-only"]})
    assert _verdicts(root) == {"a-text": True, "a-speech": None, "b": None, "c": None}


def test_chance_is_the_best_constant_guess_and_seeds_are_averaged_not_pooled(tmp_path: Path) -> None:
    # a constant "hap" predictor on `words` utterances is right on 1/3 of them = chance: never passes (a)
    root = tmp_path
    for seed in (0, 1, 2):
        for f, fold in enumerate(FOLDS, 1):
            uids, gold, kinds = _fold(f)
            pred = ["hap"] * len(uids)
            d = write_run(root, model="text-const", corpus=CORPUS, fold=fold, seed=seed, uids=uids, gold=gold, pred=pred)
            res = json.loads((d / RESULT_FILE).read_text())
            res["diagnostics"] = {"modalities": ["text"], "by_cue_type": _by_cue(uids, gold, pred, kinds)}
            (d / RESULT_FILE).write_text(json.dumps(res))
    (panel,) = build_validity(load_runs(root), n_resamples=100)
    (t,) = panel.chance_tests
    assert t.n == 2 * PER_FOLD // 4 and t.chance == pytest.approx(1 / 3, abs=0.02) and not t.passed
    assert t.k == round(t.n * t.accuracy)


def test_a_malformed_cue_block_is_an_error_naming_the_file(tmp_path: Path) -> None:
    from leaderboard.results import ResultError

    root = _write(tmp_path, {"text-only": GOOD["text-only"]}, seeds=(0,))
    path = next(root.rglob(RESULT_FILE))
    res = json.loads(path.read_text())
    res["diagnostics"]["by_cue_type"]["words"]["n"] += 1  # no longer adds up to the predictions
    path.write_text(json.dumps(res))
    with pytest.raises(ResultError, match=str(path)):
        build_validity(load_runs(root), n_resamples=50)
