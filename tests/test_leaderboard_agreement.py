"""Agreement levels, scores by level and the leave-one-annotator-out human ceiling, on hand-computed cases."""
from __future__ import annotations

import pytest

from leaderboard.agreement import agreement_level, by_agreement, human_ceiling, leave_one_out_score


@pytest.mark.parametrize("votes, gold, level", [
    ({"ang": 3.0, "neu": 0.0, "oth": 0.0}, "ang", "unanimous"),
    ({"ang": 2.0, "neu": 1.0, "oth": 0.0}, "ang", "majority"),
    ({"ang": 1.0, "neu": 0.5, "sad": 0.5, "oth": 1.0}, "ang", "plurality"),  # 1 of 3 votes, still the most
    ({"ang": 1.0, "neu": 1.0}, "ang", "plurality"),  # exactly half is not a majority
    (None, "ang", None),
    ({"ang": 2.0}, None, None),
    ({"neu": 2.0}, "ang", None),
])
def test_agreement_levels(votes: dict | None, gold: str | None, level: str | None) -> None:
    assert agreement_level(votes, gold) == level


@pytest.mark.parametrize("votes, score", [
    ({"ang": 3.0}, 1.0),
    # each ang voter sees {ang 1, neu 1}: a two-way tie, credit 1/2; the neu voter sees {ang 2}: 0
    ({"ang": 2.0, "neu": 1.0}, (2 * 0.5 + 0.0) / 3),
    ({"ang": 1.0, "neu": 1.0}, 0.0),  # two annotators who disagree
    ({"ang": 3.0, "oth": 1.0}, (3 * 1.0 + 0.0) / 4),  # a vote outside the map is never the others' plurality here
    ({"ang": 1.0}, None),  # one annotator: no one to compare with
])
def test_leave_one_annotator_out(votes: dict, score: float | None) -> None:
    got = leave_one_out_score(votes)
    assert got == (None if score is None else pytest.approx(score, abs=1e-12))


def test_by_agreement_and_the_ceiling_pool_over_rows() -> None:
    rows = [
        {"gold": "ang", "pred": "ang", "votes": {"ang": 3.0, "neu": 0.0}},
        {"gold": "neu", "pred": "ang", "votes": {"ang": 1.0, "neu": 2.0}},
        {"gold": "neu", "pred": "neu", "votes": {"ang": 1.0, "neu": 2.0}},
        {"gold": "ang", "pred": "neu"},  # no votes: counted, left out
    ]
    levels, unlevelled = by_agreement(rows)
    assert unlevelled == 1
    by = {s.level: s for s in levels}
    assert (by["unanimous"].n, by["unanimous"].wa) == (1, 1.0)
    assert (by["majority"].n, by["majority"].wa, by["majority"].ua) == (2, 0.5, 0.5)
    assert by["plurality"].n == 0 and by["plurality"].wa is None
    ceiling = human_ceiling(rows)
    assert ceiling is not None and ceiling.n == 3
    assert ceiling.wa == pytest.approx((1.0 + 1 / 3 + 1 / 3) / 3)
    assert ceiling.ua == pytest.approx((1.0 + 1 / 3) / 2)  # mean over the consensus classes ang, neu
