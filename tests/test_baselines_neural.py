"""Neural baselines (text-only, speech-only, early/late fusion, cross-attention) on planted signals."""
from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import pytest
import torch

from baselines.common import NeuralBaseline, pooled_frame_count
from baselines.cross_attention import CrossAttention, CrossAttentionNet
from baselines.fusion import EarlyFusion, LateFusion, tune_text_weight
from baselines.unimodal import SpeechOnly, TextOnly
from lemer.core.contract import Example, Features, Model, Requirements
from lemer.core.inputs import pool_frames
from lemer.core.layers import pad_sequences
from lemer.core.switches import ConfigError
from tests.support.baselines import CLASSES, accuracy, env, feature_examples

FAST = {"d_model": 32, "max_epochs": 25, "patience": 6, "batch_size": 16}
# model class -> the modality whose planted signal it must learn
CASES = {TextOnly: "text", SpeechOnly: "speech", EarlyFusion: "both", LateFusion: "both", CrossAttention: "both"}


def _data(signal: str):
    train, _ = feature_examples(120, 0, signal)
    valid, _ = feature_examples(40, 1, signal)
    test, gold = feature_examples(60, 2, signal, labelled=False)
    return train, valid, test, gold


@lru_cache(maxsize=None)
def _fit_predict(cls: type[Model], signal: str, seed: int, **extra) -> tuple[np.ndarray, float]:
    """Probabilities (N, C) on the unlabelled test split and test accuracy; cached across tests."""
    train, valid, test, gold = _data(signal)
    model = cls(**FAST, **extra)
    model.fit(train, valid, env(seed))
    preds = model.predict(test)
    assert [p.uid for p in preds] == [e.uid for e in test]
    for p in preds:
        assert list(p.probs) == list(CLASSES)
        assert abs(sum(p.probs.values()) - 1.0) < 1e-6
        assert p.label == max(p.probs, key=p.probs.get)
    probs = np.array([[p.probs[c] for c in CLASSES] for p in preds])
    return probs, accuracy(preds, gold)


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.info.name)
def test_learns_planted_signal_with_unlabelled_test(cls: type[Model]) -> None:
    _, acc = _fit_predict(cls, CASES[cls], 0)
    assert acc >= 0.8, f"{cls.info.name} accuracy {acc} (chance 0.25)"


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.info.name)
def test_same_seed_same_probs_other_seed_differs(cls: type[Model]) -> None:
    p0, _ = _fit_predict(cls, CASES[cls], 0)
    train, valid, test, _ = _data(CASES[cls])
    again = cls(**FAST)
    again.fit(train, valid, env(0))
    p0_again = np.array([[p.probs[c] for c in CLASSES] for p in again.predict(test)])
    np.testing.assert_array_equal(p0, p0_again)
    p1, _ = _fit_predict(cls, CASES[cls], 1)
    assert not np.array_equal(p0, p1)


def test_unimodal_models_ignore_the_other_modality() -> None:
    """Signal only in speech: text-only stays near chance, speech-only learns it (and vice versa)."""
    _, text_on_speech = _fit_predict(TextOnly, "speech", 0)
    _, speech_on_text = _fit_predict(SpeechOnly, "text", 0)
    assert text_on_speech < 0.5 and speech_on_text < 0.5


@pytest.mark.parametrize("cls", [EarlyFusion, LateFusion, CrossAttention], ids=lambda c: c.info.name)
def test_fusion_combines_modalities(cls: type[Model]) -> None:
    """Each modality shows one bit of the class: unimodal models top out near 0.5, fusion must beat them."""
    _, text_acc = _fit_predict(TextOnly, "split", 0)
    _, speech_acc = _fit_predict(SpeechOnly, "split", 0)
    _, fused = _fit_predict(cls, "split", 0)
    assert max(text_acc, speech_acc) < 0.65
    assert fused >= 0.75, f"{cls.info.name} split-signal accuracy {fused}"


def test_requirements() -> None:
    assert TextOnly().requirements == Requirements(text_features=True)
    assert SpeechOnly(context_window=3).requirements == Requirements(speech_features=True)  # never asks for text
    both = Requirements(text_features=True, speech_features=True)
    for cls in (EarlyFusion, LateFusion, CrossAttention):
        assert cls().requirements == both
        assert cls(context_window=2).requirements.text_context == 2
    for cls in CASES:
        assert set(cls.info.encoders) == set(cls.info.modalities)


def test_mean_pooling_switch_learns() -> None:
    _, acc = _fit_predict(SpeechOnly, "speech", 0, pooling="mean")
    assert acc >= 0.8


def test_late_fusion_weight_tuning() -> None:
    # speech is confidently wrong on the first two items, text right but unsure: only w >= 0.8 gets all four
    p_text = np.array([[0.6, 0.4], [0.4, 0.6], [0.6, 0.4], [0.4, 0.6]])
    p_speech = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.9]])
    valid = [Example(uid=f"v{i}", label=("a", "b")[i % 2], text="", audio="") for i in range(4)]
    assert tune_text_weight(p_text, p_speech, valid, ("a", "b")) == (0.9, 1.0)
    # both agree everywhere: every weight ties, plain averaging wins
    assert tune_text_weight(p_speech[2:], p_speech[2:], valid[:2], ("a", "b")) == (0.5, 1.0)
    train, valid, test, gold = _data("text")
    model = LateFusion(**FAST, tune_weight=True)
    model.fit(train, valid, env(0))
    assert model.text_weight >= 0.5  # speech carries nothing here
    assert accuracy(model.predict(test), gold) >= 0.8


def test_text_span_selects_target_tokens_unless_context_requested() -> None:
    text = np.arange(20, dtype=np.float16).reshape(10, 2)
    e = Example(uid="x", label=None, text="", audio="", features=Features(text=text, text_span=(3, 7)))
    assert TextOnly()._text(e).shape == (4, 2)
    assert TextOnly(context_window=2)._text(e).shape == (10, 2)


def test_cross_attention_ignores_padding() -> None:
    torch.manual_seed(0)
    net = CrossAttentionNet(6, 5, 4, d_model=16, heads=4, pooling="attentive", dropout=0.0, head_dropout=0.0).eval()
    rng = np.random.default_rng(0)
    text, text_mask = pad_sequences([rng.normal(size=(3, 6)), rng.normal(size=(7, 6))])
    speech, speech_mask = pad_sequences([rng.normal(size=(9, 5)), rng.normal(size=(4, 5))])
    batch = {"text": text, "text_mask": text_mask, "speech": speech, "speech_mask": speech_mask}
    garbage = {k: v.clone() for k, v in batch.items()}
    garbage["text"][0, 3:] = 1e4
    garbage["speech"][1, 4:] = -1e4
    with torch.no_grad():
        torch.testing.assert_close(net(batch)[0], net(garbage)[0])


def test_bad_inputs_give_clear_errors() -> None:
    train, valid, test, _ = _data("speech")
    with pytest.raises(ConfigError, match=r"unknown speech-only switch.*d_modle.*known: \[.*'d_model'"):
        SpeechOnly(d_modle=8)
    with pytest.raises(ConfigError, match="pooling"):
        SpeechOnly(pooling="max")
    with pytest.raises(RuntimeError, match="before fit"):
        SpeechOnly().predict(test)
    no_speech = [dataclasses.replace(train[0], features=Features(text=train[0].features.text)), *train[1:]]
    with pytest.raises(ValueError, match=repr(train[0].uid)):
        SpeechOnly(**FAST).fit(no_speech, valid, env(0))
    wrong_dim = dataclasses.replace(train[1], features=Features(speech=np.zeros((5, 3), np.float32)))
    with pytest.raises(ValueError, match="3-d, expected 12"):
        SpeechOnly(**FAST).fit([*train[2:], wrong_dim], valid, env(0))
    bad_label = dataclasses.replace(train[2], label="bored")
    with pytest.raises(ValueError, match="bored"):
        SpeechOnly(**FAST).fit([bad_label, *train[3:]], valid, env(0))
    with pytest.raises(ValueError, match="more than once"):
        SpeechOnly(**FAST).fit(train, [train[0]], env(0))


def test_every_neural_baseline_shares_the_training_loop() -> None:
    for cls in (TextOnly, SpeechOnly, EarlyFusion, CrossAttention):
        assert issubclass(cls, NeuralBaseline)


def test_torch_thread_setting_is_restored() -> None:
    train, valid, test, _ = _data("speech")
    before = torch.get_num_threads()
    model = SpeechOnly(**{**FAST, "max_epochs": 2})
    model.fit(train, valid, env(0))
    model.predict(test)
    assert torch.get_num_threads() == before


def test_speech_pool_averages_frames_and_max_frames_pools_harder() -> None:
    frames = np.arange(14, dtype=np.float16).reshape(7, 2)
    e = Example(uid="x", label=None, text="", audio="", features=Features(speech=frames))
    np.testing.assert_allclose(SpeechOnly(speech_pool=3)._speech(e), [[2, 3], [8, 9], [12, 13]])
    # over max_frames: pooled by 4 instead of 2, so every frame still counts (LE-MER's meaning of max_frames)
    np.testing.assert_allclose(SpeechOnly(speech_pool=2, max_frames=2)._speech(e), [[3, 4], [10, 11]])
    assert SpeechOnly(speech_pool=3)._length(e) == 3 and CrossAttention()._length(
        dataclasses.replace(e, features=Features(speech=frames, text=frames, text_span=(0, 2)))) == 2 + 2


def test_pooled_frame_count_matches_pool_frames() -> None:
    for n in range(40):
        for pool in (1, 2, 3, 4):
            for max_frames in (1, 5, 8, 1500):
                want = len(pool_frames(np.zeros((n, 1), np.float32), pool, max_frames))
                assert pooled_frame_count(n, pool, max_frames) == want, (n, pool, max_frames)
