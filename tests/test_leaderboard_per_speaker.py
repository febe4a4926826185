"""Per-speaker scores (leaderboard/per_speaker.py) on a hand-built cell."""
from __future__ import annotations

import numpy as np
import pytest

from leaderboard.per_speaker import competition_ranks, per_speaker, ranking_flips
from lemer.core.metrics import confusion_matrix, unweighted_accuracy

# 4 speakers x 4 utterances, gold 0 0 1 1 each
SPEAKERS = np.repeat(["F1", "F2", "M1", "M2"], 4)
GENDERS = [s[0] for s in SPEAKERS]
GOLD = np.tile([0, 0, 1, 1], 4)
PRED = np.array([[0, 0, 1, 1,    # F1: UA 1
                  0, 1, 1, 1,    # F2: recall 1/2, 1 -> 0.75
                  0, 0, 0, 0,    # M1: 1, 0 -> 0.5
                  0, 0, 1, 0]])  # M2: 1, 1/2 -> 0.75


def test_hand_built_worst_speaker_and_gender_gap() -> None:
    (b,) = per_speaker(["m"], [PRED], GOLD, 2, SPEAKERS, GENDERS, 500, np.random.default_rng(0))
    assert [(s.speaker, s.gender, s.n, s.ua) for s in b.speakers] == [
        ("F1", "F", 4, 1.0), ("F2", "F", 4, 0.75), ("M1", "M", 4, 0.5), ("M2", "M", 4, 0.75)]
    assert (b.worst_speaker, b.worst_ua) == ("M1", 0.5)
    # women: class 0 3/4, class 1 4/4 -> 0.875; men: class 0 4/4, class 1 1/4 -> 0.625
    assert b.gender_gap == pytest.approx(0.25)
    lo, hi = b.gender_gap_ci
    assert lo <= 0.25 <= hi and b.gender_gap_note is None
    assert b.speakers[0].ci == (1.0, 1.0)  # a perfect speaker stays perfect under resampling
    assert b.speakers[2].ci[0] <= 0.5 <= b.speakers[2].ci[1]


def test_confusions_sum_back_to_the_pooled_matrix() -> None:
    rng = np.random.default_rng(1)
    n, seeds, n_c = 300, 3, 4
    gold = rng.integers(0, n_c, n)
    pred = np.where(rng.random((seeds, n)) < 0.5, gold, rng.integers(0, n_c, (seeds, n)))
    speakers = rng.choice(["a", "b", "c", "d", "e"], n)
    (b,) = per_speaker(["m"], [pred], gold, n_c, speakers, None, 100, rng)
    pooled = sum(confusion_matrix(gold, p, n_c) for p in pred)
    assert (sum(s.confusion for s in b.speakers) == pooled).all()
    assert (b.pooled_confusion == pooled).all()
    for s in b.speakers:
        m = speakers == s.speaker
        assert (s.confusion == sum(confusion_matrix(gold[m], p[m], n_c) for p in pred)).all()
        assert s.ua == pytest.approx(np.mean([unweighted_accuracy(gold[m], p[m], n_c) for p in pred]))
    assert b.gender_gap is None and "no gender gap" in b.gender_gap_note


def test_gender_gap_without_enough_speakers_says_so() -> None:
    genders = ["F"] * 4 + ["M"] * 12  # one woman
    (b,) = per_speaker(["m"], [PRED], GOLD, 2, SPEAKERS, genders, 100, np.random.default_rng(2))
    assert b.gender_gap is not None and b.gender_gap_ci is None
    assert "1 women and 3 men: a lone speaker of a gender cannot be resampled" in b.gender_gap_note
    unknown = ["F"] * 8 + ["M"] * 4 + [None] * 4  # M2 unknown -> left out
    (b2,) = per_speaker(["m"], [PRED], GOLD, 2, SPEAKERS, unknown, 100, np.random.default_rng(2))
    assert b2.gender_gap == pytest.approx(0.875 - 0.5) and b2.gender_gap_ci is None
    assert "1 speaker(s) of unknown gender left out" in b2.gender_gap_note
    with pytest.raises(ValueError, match="speaker 'F1' has utterances marked gender 'F' and 'M'"):
        per_speaker(["m"], [PRED], GOLD, 2, SPEAKERS, ["F", "M"] + GENDERS[2:], 10, np.random.default_rng(0))


def test_rank_flips_on_the_worst_speaker() -> None:
    flips = ranking_flips(["A", "B", "C"], [0.7, 0.6, 0.5], [0.30, 0.50, 0.40])
    assert [(f.model, f.rank_pooled, f.rank_worst, f.flipped) for f in flips] == [
        ("A", 1, 3, True), ("B", 2, 1, True), ("C", 3, 2, True)]
    steady = ranking_flips(["A", "B", "C"], [0.7, 0.6, 0.5], [0.5, 0.45, 0.2])
    assert not any(f.flipped for f in steady)
    assert competition_ranks([0.5, 0.7, 0.5, 0.1]) == [2, 1, 2, 4]


def test_several_models_at_once_equal_one_at_a_time() -> None:
    other = np.where(np.arange(16) % 3 == 0, 1 - GOLD, GOLD)[None, :]
    both = per_speaker(["m", "o"], [PRED, other], GOLD, 2, SPEAKERS, GENDERS, 50, np.random.default_rng(3))
    (alone,) = per_speaker(["o"], [other], GOLD, 2, SPEAKERS, GENDERS, 50, np.random.default_rng(3))
    assert [s.ua for s in both[1].speakers] == [s.ua for s in alone.speakers]
    assert both[1].worst_speaker == alone.worst_speaker and both[1].gender_gap == alone.gender_gap
