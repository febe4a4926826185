"""tfidf-lr: learns class words, fits on train only, picks C on valid, aligns probabilities to env.classes."""
from __future__ import annotations

import dataclasses

import pytest

from baselines.common import select_by_valid_ua
from baselines.tfidf_lr import TfidfLR
from lemer.core.contract import Example, FitEnv, Requirements
from tests.support.baselines import CLASSES, accuracy, env, text_examples


def _fit(seed: int = 0, **config) -> tuple[TfidfLR, list[Example], list[str]]:
    train, _ = text_examples(80, 0)
    valid, _ = text_examples(24, 1)
    test, gold = text_examples(40, 2, labelled=False)
    model = TfidfLR(**config)
    model.fit(train, valid, env(seed))
    return model, test, gold


def test_learns_class_words_and_probs_are_complete() -> None:
    model, test, gold = _fit()
    preds = model.predict(test)
    assert accuracy(preds, gold) >= 0.9
    for p in preds:
        assert list(p.probs) == list(CLASSES)
        assert abs(sum(p.probs.values()) - 1.0) < 1e-9
    assert model.C in TfidfLR().cfg.c_grid


def test_deterministic() -> None:
    (m1, test, _), (m2, _, _) = _fit(), _fit()
    assert [p.probs for p in m1.predict(test)] == [p.probs for p in m2.predict(test)]


def test_vocabulary_comes_from_train_only() -> None:
    model, _, _ = _fit()
    assert "furious" in model.vectorizer.vocabulary_
    train, _ = text_examples(80, 0)
    valid = [Example(uid="v0", label="ang", text="zanzibar quokka furious", audio="")]
    m = TfidfLR()
    m.fit(train, valid, env(0))
    assert "zanzibar" not in m.vectorizer.vocabulary_ and "quokka furious" not in m.vectorizer.vocabulary_
    assert "!" in TfidfLR().cfg.token_pattern  # exclamations are tokens


def test_class_missing_from_train_gets_zero_probability() -> None:
    train, _ = text_examples(60, 0)
    train = [e for e in train if e.label != "sad"]
    valid, _ = text_examples(12, 1)
    model = TfidfLR()
    model.fit(train, valid, env(0))
    preds = model.predict([Example(uid="x", label=None, text="i was so lonely", audio="")])
    assert preds[0].probs["sad"] == 0.0 and list(preds[0].probs) == list(CLASSES)


def test_c_is_chosen_on_valid() -> None:
    """Every C of the grid is scored on valid; the best UA wins and ties keep the smaller C."""
    calls: list[float] = []

    def score(c: float) -> float:
        calls.append(c)
        return {0.1: 0.5, 1.0: 0.7, 10.0: 0.7, 100.0: 0.6}[c]

    assert select_by_valid_ua([0.1, 1.0, 10.0, 100.0], score, lambda m: None, "x") == 1.0
    assert calls == [0.1, 1.0, 10.0, 100.0]
    train, _ = text_examples(80, 0)
    valid, _ = text_examples(24, 1)
    lines: list[str] = []
    model = TfidfLR(c_grid=(10.0, 0.1))
    model.fit(train, valid, FitEnv(classes=CLASSES, seed=0, log=lines.append))
    scored = [line for line in lines if "valid UA" in line]
    assert [line.split()[1] for line in scored] == ["0.1", "10.0"]  # grid sorted, smallest C first
    assert model.C == 0.1  # this data is easy: both reach UA 1.0 and the tie keeps the smaller C


def test_requirements_and_errors() -> None:
    assert TfidfLR().requirements == Requirements()
    assert TfidfLR.info.modalities == ("text",)
    with pytest.raises(ValueError, match="unknown tfidf-lr switch.*ngrams"):
        TfidfLR(ngrams=3)
    empty = [Example(uid=f"e{i}", label=CLASSES[i % 2], text="", audio="") for i in range(4)]
    with pytest.raises(ValueError, match="no usable words"):
        TfidfLR().fit(empty, [], env(0))
    one_class = [Example(uid=f"o{i}", label="ang", text="so angry", audio="") for i in range(4)]
    with pytest.raises(ValueError, match="single class"):
        TfidfLR().fit(one_class, [], env(0))
    with pytest.raises(RuntimeError, match="before fit"):
        TfidfLR().predict(one_class)
    train, _ = text_examples(8, 0)
    with pytest.raises(ValueError, match="'t0_3'.*'bored'"):
        TfidfLR().fit([*train[:3], dataclasses.replace(train[3], label="bored")], [], env(0))
