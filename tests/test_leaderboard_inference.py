"""The cell entry point (leaderboard/inference.py): one call, every part, deterministic; and fed from a real Cell."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from leaderboard.inference import cell_inference

N_CLASSES = 4


def iemocap_like(n_models: int = 3, seeds: int = 3, per_speaker: int = 24, seed: int = 0) -> dict:
    """5 sessions x 2 speakers, uids in the IEMOCAP form, models of rising accuracy; model 0 has probabilities."""
    from leaderboard.speakers import resolve_speakers

    rng = np.random.default_rng(seed)
    uids = [f"iemocap:Ses{s:02d}F_impro01_{g}{i:03d}" for s in range(1, 6) for g in "FM" for i in range(per_speaker)]
    speakers, genders = resolve_speakers(uids)
    n = len(uids)
    gold = np.tile(np.arange(N_CLASSES), n // N_CLASSES)
    strata = np.array([u[8:13] for u in uids])  # "Ses01" ...
    preds = [np.where(rng.random((seeds, n)) < 0.4 + 0.15 * m, gold, rng.integers(0, N_CLASSES, (seeds, n)))
             for m in range(n_models)]
    probs: list = [None] * n_models
    probs[0] = rng.dirichlet(np.ones(N_CLASSES), size=(seeds, n))
    return {"model_names": [f"m{m}" for m in range(n_models)], "preds": preds, "gold": gold, "n_classes": N_CLASSES,
            "strata": strata, "clusters": speakers, "genders": genders, "probs": probs}


def test_cell_inference_has_every_part_and_is_deterministic() -> None:
    cell = iemocap_like()
    res = cell_inference(**cell, n_resamples=300, seed=5)
    again = cell_inference(**cell, n_resamples=300, seed=5)
    other = cell_inference(**cell, n_resamples=300, seed=6)
    js = json.dumps(res.to_json())
    assert js == json.dumps(again.to_json())
    assert js != json.dumps(other.to_json())
    assert (res.n_speakers, res.n_folds, res.n_utterances) == (10, 5, 240)
    assert len(res.pairwise.comparisons) == 3 and res.pairwise.comparisons[0].p_speaker_method == "exact"
    m0, m2 = res.models[0], res.models[2]
    assert m0.calibration.ece is not None and res.models[1].calibration.reason == "no probabilities in the predictions of 'm1'"
    assert m0.ci_speaker is not None and m0.ci_utterance[0] < m0.ua < m0.ci_utterance[1]
    assert m0.variance.n_folds == 5 and m0.variance.n_seeds == 3 and m0.variance.test_sample > 0
    assert len(m2.speakers.speakers) == 10 and m2.speakers.gender_gap_ci is not None
    assert res.pairwise.letters_utterance[2] != res.pairwise.letters_utterance[0]  # m2 (0.7) vs m0 (0.4) separate
    assert [f.model for f in res.rank_flips] == ["m0", "m1", "m2"]
    comp = res.pairwise.comparisons[1]  # m0 vs m2
    assert (comp.a, comp.b) == (m0.ua, m2.ua)
    assert comp.to_json()["p_speaker_holm"] is not None


def test_models_may_have_different_seed_counts_and_ua_is_the_seed_mean() -> None:
    from lemer.core.metrics import unweighted_accuracy

    cell = iemocap_like(n_models=2)
    cell["preds"][1] = cell["preds"][1][:1]
    cell["probs"] = None
    res = cell_inference(**cell, n_resamples=100, seed=0)
    for m, p in zip(res.models, cell["preds"]):
        assert m.ua == pytest.approx(np.mean([unweighted_accuracy(cell["gold"], s, N_CLASSES) for s in p]))
    assert res.models[1].variance.seed is None and "1 seed" in res.models[1].variance.notes[0]


def test_one_speaker_per_fold_gives_reasons_not_numbers() -> None:
    cell = iemocap_like(n_models=2)
    cell["strata"] = np.array(cell["clusters"])  # each speaker its own fold
    res = cell_inference(**cell, n_resamples=100, seed=0)
    assert res.why_no_ci_speaker.startswith("fold 'Ses01_F' has a single speaker")
    assert all(m.ci_speaker is None for m in res.models)
    assert res.pairwise.comparisons[0].ci_speaker is None and res.pairwise.comparisons[0].p_speaker is not None


def test_bad_input_is_refused() -> None:
    cell = iemocap_like(n_models=2)
    with pytest.raises(ValueError, match="2 model names for 1 prediction arrays"):
        cell_inference(**{**cell, "preds": cell["preds"][:1]}, n_resamples=10)
    with pytest.raises(ValueError, match=r"predictions of 'm1' are \(3, 10\)"):
        cell_inference(**{**cell, "preds": [cell["preds"][0], cell["preds"][1][:, :10]]}, n_resamples=10)
    with pytest.raises(ValueError, match="codes outside"):
        cell_inference(**{**cell, "preds": [cell["preds"][0], cell["preds"][1] + 4]}, n_resamples=10)


def test_fed_from_a_leaderboard_cell(tmp_path: Path) -> None:
    """The wiring the leaderboard will do: a Cell's uids, gold, strata and each ranked model's (seeds, n) pred."""
    from leaderboard.cells import build_cells
    from leaderboard.results import load_runs
    from tests.support.leaderboard import make_runs_dir

    root = make_runs_dir(tmp_path, per_fold=24, transcripts={"gold": None}, incomplete=None, cross_corpus=False,
                         ablation=False)
    (cell,) = build_cells(load_runs(root), n_resamples=50)
    # these uids carry no speaker: a speakers table stands in for a speakers file (2 speakers per fold)
    table = {u: (f"{u.split(':')[1][:2]}_{int(u[-4:]) % 2}", "FM"[int(u[-4:]) % 2]) for u in cell.uids}
    speakers = [table[u][0] for u in cell.uids]
    genders = [table[u][1] for u in cell.uids]
    res = cell_inference([m.model for m in cell.ranked], [m.pred for m in cell.ranked], cell.gold, len(cell.labels),
                         cell.strata, speakers, genders, n_resamples=200, seed=0)
    assert [m.ua for m in res.models] == pytest.approx([m.ua for m in cell.ranked])
    assert (res.n_speakers, res.n_folds) == (10, 5)
    for m, mr in zip(res.models, cell.ranked):
        assert (m.speakers.pooled_confusion == mr.confusion).all()
