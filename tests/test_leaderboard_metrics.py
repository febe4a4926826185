"""Metrics must equal scikit-learn's on the same predictions, including classes missing from gold."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    recall_score,
)

from leaderboard.metrics import encode, score_codes, score_labels, scores_from_confusion, ua_per_utterance_weights
from lemer.core.metrics import unweighted_accuracy

# sklearn warns about classes missing from gold: exactly the cases these tests exercise
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

LABELS = ["neu", "hap", "ang", "sad", "fru"]


def _cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    cases = []
    for n in (1, 7, 50, 400):
        gold = rng.integers(0, 5, n)
        pred = np.where(rng.random(n) < 0.6, gold, rng.integers(0, 5, n))
        cases.append((gold, pred))
    # class 4 never in gold but predicted; class 3 in neither
    gold = rng.choice([0, 1, 2], 80)
    pred = np.where(rng.random(80) < 0.5, gold, rng.choice([0, 1, 2, 4], 80))
    cases.append((gold, pred))
    # a class in gold that is never predicted
    gold = rng.choice([0, 1, 2, 3], 60)
    pred = np.where(gold == 3, 0, gold)
    cases.append((gold, pred))
    return cases


@pytest.mark.parametrize("gold,pred", _cases())
def test_one_unweighted_accuracy_for_training_and_leaderboard(gold: np.ndarray, pred: np.ndarray) -> None:
    """Early stopping, the baselines and the leaderboard share one UA (lemer/core/metrics.py): the mean recall
    over the classes present in gold, to the bit, including classes predicted but absent from gold."""
    ua = unweighted_accuracy(gold, pred, len(LABELS))
    assert ua == score_codes(gold, pred, LABELS).ua
    assert ua == pytest.approx(balanced_accuracy_score(gold, pred), abs=1e-12)
    present = [c for c in range(len(LABELS)) if np.any(gold == c)]
    assert ua == float(np.mean([np.mean(pred[gold == c] == c) for c in present]))


def test_unweighted_accuracy_of_no_gold_is_zero_and_leaderboard_needs_no_torch() -> None:
    import subprocess
    import sys

    assert unweighted_accuracy(np.array([], dtype=int), np.array([], dtype=int), 3) == 0.0
    code = "import sys, leaderboard.metrics, lemer.core.metrics; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("gold,pred", _cases())
def test_metrics_equal_sklearn(gold: np.ndarray, pred: np.ndarray) -> None:
    s = score_codes(gold, pred, LABELS)
    g = [LABELS[i] for i in gold]
    p = [LABELS[i] for i in pred]
    assert s.wa == pytest.approx(accuracy_score(g, p), abs=1e-12)
    assert s.ua == pytest.approx(balanced_accuracy_score(g, p), abs=1e-12)
    assert s.macro_f1 == pytest.approx(f1_score(g, p, average="macro", zero_division=0), abs=1e-12)
    assert s.n == len(g)
    np.testing.assert_array_equal(s.confusion, confusion_matrix(g, p, labels=LABELS))
    present = [lab for lab in LABELS if lab in g]
    rec = recall_score(g, p, labels=present, average=None, zero_division=0)
    for lab, r in zip(present, rec):
        assert s.per_class[lab] == pytest.approx(r)
    for lab in set(LABELS) - set(present):
        assert s.per_class[lab] is None


@pytest.mark.parametrize("gold,pred", _cases())
def test_per_class_precision_recall_f1_equal_sklearn(gold: np.ndarray, pred: np.ndarray) -> None:
    """Each defined per-class value equals sklearn's; undefined ones are None, never a silent 0; the mean of the
    defined F1 values is macro-F1."""
    s = score_codes(gold, pred, LABELS)
    g = [LABELS[i] for i in gold]
    p = [LABELS[i] for i in pred]
    prec, rec, f1, support = precision_recall_fscore_support(g, p, labels=list(LABELS), zero_division=0)
    for c, pr, r, f, n in zip(s.classes, prec, rec, f1, support):
        assert c.n_gold == n and c.n_predicted == p.count(c.label)
        assert (c.precision is None) == (c.label not in p)
        assert (c.recall is None) == (c.label not in g)
        assert (c.f1 is None) == (c.label not in g and c.label not in p)
        for ours, theirs in ((c.precision, pr), (c.recall, r), (c.f1, f)):
            if ours is not None:
                assert ours == pytest.approx(theirs, abs=1e-12)
    defined = [c.f1 for c in s.classes if c.f1 is not None]
    assert s.macro_f1 == pytest.approx(sum(defined) / len(defined), abs=1e-12)


def test_pooled_from_summed_confusions_equals_concatenation() -> None:
    rng = np.random.default_rng(1)
    g1, p1 = rng.integers(0, 4, 30), rng.integers(0, 4, 30)
    g2, p2 = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    pooled = scores_from_confusion(score_codes(g1, p1, LABELS[:4]).confusion + score_codes(g2, p2, LABELS[:4]).confusion, LABELS[:4])
    direct = score_codes(np.r_[g1, g2], np.r_[p1, p2], LABELS[:4])
    assert (pooled.wa, pooled.ua, pooled.macro_f1) == pytest.approx((direct.wa, direct.ua, direct.macro_f1))


def test_ua_weights_make_ua_linear() -> None:
    rng = np.random.default_rng(2)
    gold = rng.choice([0, 1, 3], 90)
    pred = np.where(rng.random(90) < 0.7, gold, rng.integers(0, 4, 90))
    w = ua_per_utterance_weights(gold, 4)
    assert float(w @ (gold == pred)) == pytest.approx(balanced_accuracy_score(gold, pred))


def test_score_labels_defaults_to_union_and_rejects_unknown() -> None:
    s = score_labels(["a", "b", "b"], ["a", "b", "c"])
    assert s.labels == ("a", "b", "c")
    assert s.macro_f1 == pytest.approx(f1_score(["a", "b", "b"], ["a", "b", "c"], average="macro"))
    with pytest.raises(ValueError, match="'zzz' is not in the label set"):
        encode(["neu", "zzz"], LABELS)


def test_empty_predictions_are_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        score_codes(np.array([], dtype=int), np.array([], dtype=int), LABELS)
