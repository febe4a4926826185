"""Calibration scores (leaderboard/calibration.py) on hand-computed examples, and the missing / odd probability rules."""
from __future__ import annotations

import math

import numpy as np
import pytest

from leaderboard.calibration import (
    brier,
    calibration,
    calibration_from_dicts,
    check_distribution,
    ece,
    nll,
    probs_from_dicts,
    reliability,
)

# conf (max p) 0.9, 0.62, 0.7, 0.85, 0.88 -> 15-bin bins 13, 9, 10, 12, 13; argmax right on 1, 3, 5
P = np.array([[0.9, 0.1], [0.62, 0.38], [0.3, 0.7], [0.85, 0.15], [0.12, 0.88]])
GOLD = np.array([0, 1, 1, 1, 1])


def test_hand_computed_ece_brier_nll() -> None:
    # bin 13 holds 0.9 and 0.88 (both right): |1 - 0.89| * 2/5; the other bins one each
    assert ece(P, GOLD) == pytest.approx(0.4 * 0.11 + 0.2 * (0.62 + 0.3 + 0.85))
    assert brier(P, GOLD) == pytest.approx((0.02 + 2 * 0.62 ** 2 + 0.18 + 2 * 0.85 ** 2 + 2 * 0.12 ** 2) / 5)
    assert nll(P, GOLD) == pytest.approx(-(math.log(0.9) + math.log(0.38) + math.log(0.7) + math.log(0.15)
                                           + math.log(0.88)) / 5)


def test_nll_clips_at_1e_12_and_brier_range() -> None:
    p = np.array([[1.0, 0.0]])
    assert nll(p, np.array([1])) == pytest.approx(-math.log(1e-12))
    assert brier(p, np.array([1])) == pytest.approx(2.0)


def test_reliability_bins() -> None:
    bins = reliability(P, GOLD)
    assert len(bins) == 15 and sum(b.count for b in bins) == 5
    b13 = bins[13]
    assert (b13.lower, b13.upper) == pytest.approx((13 / 15, 14 / 15))
    assert (b13.count, b13.confidence, b13.accuracy) == (2, pytest.approx(0.89), 1.0)
    assert bins[9].accuracy == 0.0 and bins[0].confidence is None and bins[0].accuracy is None
    # bins are right-closed: a confidence exactly on an edge belongs to the bin below it
    edge = reliability(np.array([[0.6, 0.4, 0, 0, 0], [0.6 + 1e-12, 0.4 - 1e-12, 0, 0, 0], [0.2] * 5,
                                 [1.0, 0, 0, 0, 0]]), np.zeros(4, dtype=int))
    assert [b.count for b in edge if b.count] == [1, 2, 1]
    assert edge[2].count == 1 and edge[8].count == 2 and edge[14].count == 1  # 0.2 = 3/15, 0.6 = 9/15, 1.0


def test_seeds_are_scored_separately_then_averaged() -> None:
    other = np.array([[0.6, 0.4], [0.2, 0.8], [0.45, 0.55], [0.4, 0.6], [0.3, 0.7]])
    cal = calibration(np.stack([P, other]), GOLD)
    assert cal.n_seeds == 2 and cal.n_utterances == 5 and cal.reason is None
    assert cal.ece == pytest.approx((ece(P, GOLD) + ece(other, GOLD)) / 2)
    assert cal.brier == pytest.approx((brier(P, GOLD) + brier(other, GOLD)) / 2)
    assert cal.nll == pytest.approx((nll(P, GOLD) + nll(other, GOLD)) / 2)
    assert cal.nll != pytest.approx(nll((P + other) / 2, GOLD))  # not the ensemble's score
    assert sum(b.count for b in cal.reliability) == 10  # the diagram pools the seeds


def test_missing_probabilities_give_none_and_a_reason() -> None:
    cal = calibration(None, GOLD, source="runs/x/predictions.jsonl")
    assert (cal.ece, cal.brier, cal.nll, cal.reliability) == (None, None, None, None)
    assert cal.reason == "no probabilities in runs/x/predictions.jsonl"
    assert cal.to_json()["ece"] is None
    arr, why = probs_from_dicts([None, None], ["neu", "hap"], "f.jsonl")
    assert arr is None and why == "no probabilities in f.jsonl"
    arr, why = probs_from_dicts([{"neu": 1.0}, None], ["neu", "hap"], "f.jsonl")
    assert arr is None and why == "no probabilities for 1 of 2 utterances in f.jsonl"
    cal = calibration_from_dicts([[{"neu": 0.7, "hap": 0.3}, None]], np.array([0, 1]), ["neu", "hap"], ["f.jsonl"])
    assert cal.ece is None and "1 of 2 utterances in f.jsonl" in cal.reason


def test_dicts_missing_labels_are_zero_unknown_labels_are_refused() -> None:
    arr, why = probs_from_dicts([{"neu": 1.0}, {"hap": 0.25, "neu": 0.75}], ["neu", "hap"], "f")
    assert why is None and arr.tolist() == [[1.0, 0.0], [0.75, 0.25]]
    arr, why = probs_from_dicts([{"joy": 1.0}], ["neu", "hap"], "f")
    assert arr is None and "label 'joy' in f (row 0) is not in the label set" in why
    cal = calibration_from_dicts([[{"neu": 0.9, "hap": 0.1}, {"hap": 1.0}]], np.array([0, 1]), ["neu", "hap"], ["f"])
    assert cal.ece == pytest.approx(0.05) and cal.nll == pytest.approx(-math.log(0.9) / 2)


def test_sums_off_by_rounding_are_renormalised_scores_are_refused() -> None:
    rounded = np.array([[0.3333, 0.3333, 0.3333], [0.5, 0.25, 0.25]])
    p, n, why = check_distribution(rounded, "f")
    assert why is None and n == 1 and p[0].sum() == pytest.approx(1.0) and p[1].tolist() == [0.5, 0.25, 0.25]
    cal = calibration(rounded, np.array([0, 0]))
    assert cal.n_renormalised == 1 and cal.nll == pytest.approx(-(math.log(1 / 3) + math.log(0.5)) / 2)
    cal = calibration(np.array([[[0.9, 0.8]], [[0.5, 0.5]]]), np.array([0]), source="g.jsonl")
    assert cal.ece is None and "sum to 1.7 (seed 0, utterance 0)" in cal.reason and "g.jsonl" in cal.reason
    cal = calibration(np.array([[1.2, -0.2]]), np.array([0]), source="h")
    assert cal.ece is None and "negative or not finite" in cal.reason
