"""`load_results` / `load_predictions` agree with the leaderboard's own aggregation of the same files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import load_predictions, load_results
from leaderboard.board import compute_leaderboard
from leaderboard.results import ResultError, load_runs
from tests.support.leaderboard import fold_data, noisy_predictions, write_run

CELL = ["model", "corpus", "protocol", "label_map", "train_corpus", "transcript"]


@pytest.fixture()
def runs(tmp_path: Path) -> Path:
    """2 models x 3 folds x 2 seeds x 2 transcripts on one synthetic corpus, plus one ablation run."""
    rng = np.random.default_rng(7)
    folds = fold_data("synthetic-iemocap", n_folds=3, per_fold=40)
    for model, acc in (("lemer", 0.7), ("tfidf-lr", 0.5)):
        for transcript, wer in (("gold", None), ("noise:wer=0.3", 0.3)):
            for seed in (0, 1):
                for fold, (uids, gold) in folds.items():
                    write_run(tmp_path, model=model, corpus="synthetic-iemocap", fold=fold, seed=seed, uids=uids,
                              gold=gold, pred=noisy_predictions(gold, acc - (0.1 if wer else 0), rng),
                              transcript=transcript, wer=wer)
    uids, gold = folds["test=Session1"]
    write_run(tmp_path, model="lemer", corpus="synthetic-iemocap", fold="test=Session1", seed=0, uids=uids,
              gold=gold, pred=noisy_predictions(gold, 0.6, rng), ablation={"param": "k_keywords", "value": 5})
    return tmp_path


def _pooled_from_predictions(preds: pd.DataFrame) -> pd.DataFrame:
    """Pooled WA/UA per cell computed here with pandas only: per seed over all folds, then mean over seeds."""
    main = preds[preds["ablation.param"].isna()].copy()
    main["correct"] = main["gold"] == main["pred"]

    def per_seed(g: pd.DataFrame) -> pd.Series:
        return pd.Series({"wa": g["correct"].mean(), "ua": g.groupby("gold")["correct"].mean().mean()})

    by_seed = main.groupby(CELL + ["seed"]).apply(per_seed, include_groups=False)
    return by_seed.groupby(level=CELL).mean()


def test_pooled_metrics_from_the_frames_match_the_leaderboard(runs: Path) -> None:
    df = load_results(runs)
    preds = load_predictions(runs)
    board = compute_leaderboard(load_runs(runs), n_resamples=50)
    expected = {(m.model, c.key.corpus, c.key.protocol, c.key.label_map, c.key.train_corpus, c.key.transcript.key):
                (m.wa, m.ua) for c in board.cells for m in c.models}
    assert len(expected) == 4  # 2 models x 2 transcripts; the ablation run is not a cell member

    pooled = _pooled_from_predictions(preds)
    assert len(pooled) == len(expected)
    for key, (wa, ua) in expected.items():
        assert pooled.loc[key, "wa"] == pytest.approx(wa, abs=1e-12)
        assert pooled.loc[key, "ua"] == pytest.approx(ua, abs=1e-12)

    # Pooled WA also follows from the one-row-per-run frame (n-weighted per seed, then mean over seeds).
    main = df[df["ablation.param"].isna()]
    by_seed = main.groupby(CELL + ["seed"]).apply(lambda g: np.average(g["wa"], weights=g["n"]), include_groups=False)
    for key, (wa, _) in expected.items():
        assert by_seed.groupby(level=CELL).mean().loc[key] == pytest.approx(wa, abs=1e-12)


def test_results_frame_has_one_row_per_run_with_flattened_spec(runs: Path) -> None:
    df = load_results(runs)
    assert len(df) == 2 * 2 * 2 * 3 + 1
    for col in ("run_dir", "model", "corpus", "fold", "seed", "transcript", "synthetic", "wa", "ua", "macro_f1",
                "n", "wer", "n_train", "timings.fit_s", "manifest_hash", "ablation.param", "ablation.value"):
        assert col in df.columns, col
    abl = df[df["ablation.param"].notna()]
    assert abl["ablation.param"].tolist() == ["k_keywords"] and abl["ablation.value"].tolist() == [5]
    noisy = df[df["transcript"] == "noise:wer=0.3"]
    assert (noisy["wer"] == 0.3).all() and df[df["transcript"] == "gold"]["wer"].isna().all()
    assert (df["n"] == 40).all()


def test_predictions_of_one_run_folder(runs: Path) -> None:
    run_dir = load_results(runs)["run_dir"].iloc[0]
    preds = load_predictions(run_dir)
    assert len(preds) == 40 and preds["uid"].is_unique
    assert set(preds["run_dir"]) == {run_dir}
    assert isinstance(preds["probs"].iloc[0], dict)


def test_broken_result_file_is_an_error_naming_it(runs: Path) -> None:
    victim = sorted(runs.rglob("result.json"))[3]
    victim.write_text("{not json")
    with pytest.raises(ResultError, match=str(victim)):
        load_results(runs)


def test_example_script_writes_a_png(runs: Path, tmp_path: Path) -> None:
    import runpy

    script = Path(__file__).resolve().parents[1] / "docs" / "example_results.py"
    main = runpy.run_path(str(script), run_name="example")["main"]
    out = tmp_path / "plot.png"
    assert main([str(runs), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
