"""Compact letter display (Piepho 2004) and the all-pairs tests with Holm per reading (leaderboard/groups.py)."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from leaderboard.groups import compact_letters, letter_groups, letter_name, p_matrix, pairwise_tests
from leaderboard.significance import holm


def _p(m: int, significant: list[tuple[int, int]]) -> np.ndarray:
    p = np.ones((m, m))
    for i, j in significant:
        p[i, j] = p[j, i] = 0.001
    return p


def test_three_models_a_ab_b() -> None:
    assert compact_letters(_p(3, [(0, 2)]), [0.7, 0.6, 0.5]) == ["a", "ab", "b"]


@pytest.mark.parametrize("m, significant, ua, expected", [
    (4, [], [0.4, 0.3, 0.2, 0.1], ["a", "a", "a", "a"]),
    (4, list(combinations(range(4), 2)), [0.4, 0.3, 0.2, 0.1], ["a", "b", "c", "d"]),
    (4, [(0, 2), (0, 3), (1, 3)], [0.4, 0.3, 0.2, 0.1], ["a", "ab", "bc", "c"]),
    (3, [(0, 2)], [0.5, 0.6, 0.7], ["b", "ab", "a"]),  # letters follow UA, not input order
    # insert-absorb gives a = {0,1,2}, b = {1,2,3}, c = {2,3,4}; the sweep drops model 2 from b, since a and c
    # already give it its pairs with 1 and 3
    (5, [(0, 3), (0, 4), (1, 4)], [0.5, 0.4, 0.3, 0.2, 0.1], ["a", "ab", "ac", "bc", "c"]),
])
def test_known_letter_displays(m: int, significant: list, ua: list, expected: list) -> None:
    assert compact_letters(_p(m, significant), ua) == expected


def maximal_cliques(m: int, sig: np.ndarray) -> set[frozenset[int]]:
    """Brute force: every maximal set of models with no significant pair among them."""
    ok = [frozenset(c) for r in range(1, m + 1) for c in combinations(range(m), r)
          if not any(sig[i, j] for i, j in combinations(c, 2))]
    return {c for c in ok if not any(c < d for d in ok)}


def test_random_patterns_letters_mean_exactly_not_separated() -> None:
    rng = np.random.default_rng(0)
    for _ in range(60):
        m = int(rng.integers(2, 8))
        sig = np.triu(rng.random((m, m)) < 0.4, 1)
        sig = sig | sig.T
        p = np.where(sig, 0.01, 0.5)
        letters = letter_groups(p, list(rng.random(m)))
        for i, j in combinations(range(m), 2):
            assert bool(set(letters[i]) & set(letters[j])) == (not sig[i, j])
        groups = {frozenset(x for x in range(m) if name in letters[x]) for name in {n for ls in letters for n in ls}}
        cliques = maximal_cliques(m, sig)
        assert all(any(g <= c for c in cliques) for g in groups)  # every letter is a set of unseparated models
        assert all(letters[x] for x in range(m))  # every model has a letter
        for x in range(m):  # no redundant entry: each letter of a model gives it a pair no other letter gives
            for name in letters[x]:
                if len(letters[x]) > 1:
                    mates = [o for o in range(m) if o != x and name in letters[o]]
                    assert any(not (set(letters[x]) - {name}) & set(letters[o]) for o in mates)


def test_nan_counts_as_not_separated_and_bad_matrices_are_refused() -> None:
    p = _p(3, [(0, 2)])
    p[0, 1] = p[1, 0] = np.nan
    assert compact_letters(p, [0.7, 0.6, 0.5]) == ["a", "ab", "b"]
    with pytest.raises(ValueError, match="not symmetric"):
        compact_letters(np.array([[1, 0.01], [0.5, 1]]), [0.1, 0.2])
    assert [letter_name(i) for i in (0, 25, 26, 52)] == ["a", "z", "A", "a2"]


def test_pairwise_tests_holm_per_reading_and_letters() -> None:
    rng = np.random.default_rng(1)
    n_k, per = 12, 50
    clusters = np.repeat(np.arange(n_k), per)
    gold = np.tile(np.arange(4), n_k * per // 4)
    a = rng.random(gold.size) < 0.85
    b = np.where(rng.random(gold.size) < 0.1, rng.random(gold.size) < 0.85, a)  # B = A with 10% redrawn
    c = rng.random(gold.size) < 0.3
    acc = np.stack([a, b, c], axis=1).astype(float)  # A ~ B >> C, on every speaker
    res = pairwise_tests(["A", "B", "C"], acc, gold, 4, clusters // 3, clusters, 2000, rng)
    assert [(c.model_a, c.model_b) for c in res.comparisons] == [("A", "B"), ("A", "C"), ("B", "C")]
    assert [c.p_utterance_holm for c in res.comparisons] == pytest.approx(holm([c.p_utterance for c in res.comparisons]))
    assert [c.p_speaker_holm for c in res.comparisons] == pytest.approx(holm([c.p_speaker for c in res.comparisons]))
    assert res.letters_utterance == ("a", "a", "b") and res.letters_speaker == ("a", "a", "b")
    assert res.notes == () and res.why_no_letters_speaker is None
    assert p_matrix(res.comparisons, res.models, "p_speaker_holm")[0, 2] == res.comparisons[1].p_speaker_holm
    js = res.to_json()
    assert js["letters_speaker"] == {"A": "a", "B": "a", "C": "b"}


def test_pairwise_tests_say_when_no_pair_can_be_separated() -> None:
    rng = np.random.default_rng(2)
    gold = np.tile(np.arange(2), 100)
    acc = (rng.random((200, 3)) < [0.9, 0.5, 0.1]).astype(float)
    few = pairwise_tests(["A", "B", "C"], acc, gold, 2, None, np.repeat(np.arange(4), 50), 1000, rng)
    assert few.letters_speaker is None
    assert few.why_no_letters_speaker == "4 speakers: the smallest possible p is 0.125, so no test at alpha 0.05"
    assert all(c.p_speaker is None and c.p_speaker_holm is None for c in few.comparisons)
    # 6 speakers: smallest p 2/64 = 0.031 > 0.05 / 3 at Holm's first step (7 speakers: 0.0156 would do)
    six = pairwise_tests(["A", "B", "C"], acc, gold, 2, None, np.repeat(np.arange(6), 34)[:200], 1000, rng)
    assert six.letters_speaker == ("a", "a", "a") and min(c.p_speaker for c in six.comparisons) == 2 / 64
    assert any(n.startswith("new speakers (speaker sign flip): Holm over 3 pairs needs p <= 0.017") for n in six.notes)
    seven = pairwise_tests(["A", "B", "C"], acc, gold, 2, None, np.repeat(np.arange(7), 29)[:200], 1000, rng)
    assert seven.notes == () and seven.letters_speaker == ("a", "b", "c")
    # 20 resamples: utterance Monte Carlo p >= 1/21 > 0.05 / 3
    coarse = pairwise_tests(["A", "B", "C"], acc, gold, 2, None, np.repeat(np.arange(10), 20), 20, rng)
    assert any(n.startswith("this test set (utterance sign flip)") for n in coarse.notes)
    assert coarse.letters_utterance == ("a", "a", "a")
