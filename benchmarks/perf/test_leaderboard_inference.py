"""Speaker-level inference for one leaderboard cell the size of the ablations suite's largest.

Cell: 20 models x 3 seeds x 600 utterances (the small synthetic IEMOCAP corpus), 10 speakers in 5 folds (LOSO),
4 classes, probabilities for every model, 1000 resamples.

- `test_cell_inference`: `leaderboard.inference.cell_inference` (all 190 pairs in both readings with Holm and
  letters, per-model utterance and speaker CIs, variance components, calibration, per-speaker view).
- `test_cell_utterance_tests_floor`: what cells.py computes today for the same cell (utterance bootstrap of WA
  and UA for every model, best-vs-rest sign-flip test): the cost the leaderboard already pays per cell.
"""
from __future__ import annotations

import numpy as np
import pytest

from leaderboard.inference import cell_inference
from leaderboard.significance import (
    bootstrap_counts,
    metric_weights,
    permutation_p,
    random_signs,
    resampled_metric,
    seed_mean_correct,
)

MODELS, SEEDS, N, SPEAKERS, CLASSES, RESAMPLES = 20, 3, 600, 10, 4, 1000


@pytest.fixture(scope="module")
def cell() -> dict:
    rng = np.random.default_rng(0)
    gold = np.tile(np.arange(CLASSES), N // CLASSES)
    speakers = np.repeat([f"Ses{k // 2 + 1:02d}_{'FM'[k % 2]}" for k in range(SPEAKERS)], N // SPEAKERS)
    preds = [np.where(rng.random((SEEDS, N)) < 0.4 + 0.02 * m, gold, rng.integers(0, CLASSES, (SEEDS, N)))
             for m in range(MODELS)]
    return {"model_names": [f"model-{m}" for m in range(MODELS)], "preds": preds, "gold": gold,
            "n_classes": CLASSES, "strata": np.array([s[:5] for s in speakers]), "clusters": speakers,
            "genders": [s[-1] for s in speakers],
            "probs": [rng.dirichlet(np.ones(CLASSES), size=(SEEDS, N)) for _ in range(MODELS)]}


def test_cell_inference(benchmark, cell: dict) -> None:  # noqa: ANN001
    res = benchmark.pedantic(lambda: cell_inference(**cell, n_resamples=RESAMPLES, seed=0), rounds=3, iterations=1)
    assert len(res.pairwise.comparisons) == MODELS * (MODELS - 1) // 2
    assert res.pairwise.comparisons[0].p_speaker_method == "exact"


def test_cell_utterance_tests_floor(benchmark, cell: dict) -> None:  # noqa: ANN001
    gold, strata = cell["gold"], cell["strata"]

    def today() -> np.ndarray:
        rng = np.random.default_rng(0)
        acc = np.stack([seed_mean_correct(p, gold) for p in cell["preds"]], axis=1)
        counts = bootstrap_counts(strata, RESAMPLES, rng)
        for metric in ("wa", "ua"):
            resampled_metric(acc, gold, CLASSES, metric, counts)
        w = metric_weights(gold, CLASSES, "ua")
        return permutation_p(w[:, None] * (acc[:, :1] - acc[:, 1:]), random_signs(RESAMPLES, gold.size, rng))

    p = benchmark.pedantic(today, rounds=3, iterations=1)
    assert p.shape == (MODELS - 1,)
