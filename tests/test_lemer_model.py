"""LE-MER behind the model interface: switches, requirements, determinism, learning, clear errors."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lemer.core.contract import Example, Features, Model
from lemer.core.inputs import MissingFeatures
from lemer.core.metrics import unweighted_accuracy
from lemer.model import LEMER
from lemer.model.config import LEMERConfig, describe
from tests.support.lemer import CLASSES, make_env, make_examples, unlabelled

FAST = {"max_epochs": 8, "patience": 3}


def _ua(model: LEMER, examples: list[Example]) -> float:
    preds = model.predict(unlabelled(examples))
    gold = np.array([CLASSES.index(e.label) for e in examples])  # type: ignore[arg-type]
    return unweighted_accuracy(gold, np.array([CLASSES.index(p.label) for p in preds]), len(CLASSES))


def _probs(model: LEMER, examples: list[Example]) -> np.ndarray:
    return np.array([[p.probs[c] for c in CLASSES] for p in model.predict(unlabelled(examples))])


def test_same_seed_same_predictions_different_seed_differs() -> None:
    train, valid, test = make_examples(80, 0, "tr"), make_examples(16, 1, "va"), make_examples(24, 2, "te")
    runs = []
    for seed in (3, 3, 4):
        m = LEMER(**FAST)
        m.fit(train, valid, make_env(seed))
        runs.append(_probs(m, test))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


@pytest.mark.parametrize("switches", [{}, {"modalities": "text"}, {"modalities": "speech"},
                                      {"use_label_embeddings": False}, {"label_init": "random", "use_constraint": False},
                                      {"text_scope": "target", "context_window": 0}])
def test_learns_the_class_signal(switches: dict) -> None:
    m = LEMER(max_epochs=20, patience=5, **switches)
    m.fit(make_examples(120, 0, "tr"), make_examples(24, 1, "va"), make_env())
    assert _ua(m, make_examples(40, 2, "te")) > 0.8


def test_overfits_a_tiny_batch() -> None:
    """8 examples with random labels and no signal: the model must memorise them (capacity and gradients work)."""
    rng = np.random.default_rng(0)
    tiny = [replace(e, label=str(rng.choice(CLASSES))) for e in make_examples(8, 5, signal=0.0)]
    m = LEMER(max_epochs=150, patience=150, dropout=0.0, head_dropout=0.0, lr=3e-3, weight_decay=0.0)
    m.fit(tiny, [replace(e, uid=e.uid + "-again") for e in tiny], make_env())  # select on the same utterances
    assert [p.label for p in m.predict(unlabelled(tiny))] == [e.label for e in tiny]
    assert m.history is not None and m.history.train_loss[-1] < 0.1 * m.history.train_loss[0]


def test_requirements_and_modalities_follow_the_switches() -> None:
    both, text, speech = LEMER(), LEMER(modalities="text", context_window=3), LEMER(modalities="speech", context_window=5)
    assert both.modalities == ("text", "speech") and LEMER.info.modalities == ("text", "speech")
    assert both.requirements.text_features and both.requirements.speech_features and both.requirements.text_context == 10
    assert text.modalities == ("text",) and not text.requirements.speech_features and text.requirements.text_context == 3
    assert speech.modalities == ("speech",) and not speech.requirements.text_features and speech.requirements.text_context == 0
    assert Model.modalities.fget is not None  # the base class exposes it for every model


def test_speech_only_is_transcript_independent() -> None:
    """A speech-only LE-MER reads neither transcripts nor text features: changing them changes nothing."""
    train, valid, test = make_examples(60, 0, "tr"), make_examples(12, 1, "va"), make_examples(20, 2, "te")
    strip = lambda es: [replace(e, text="", features=Features(speech=e.features.speech)) for e in es]  # type: ignore[union-attr]
    a, b = LEMER(modalities="speech", **FAST), LEMER(modalities="speech", **FAST)
    a.fit(train, valid, make_env())
    b.fit(strip(train), strip(valid), make_env(embed=False))
    np.testing.assert_array_equal(_probs(a, test), _probs(b, strip(test)))


def test_bad_config_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown LE-MER switch.*k_keyword"):
        LEMER(k_keyword=5)
    with pytest.raises(ValueError, match="modalities"):
        LEMER(modalities="audio")
    with pytest.raises(ValueError, match="context_window"):
        LEMER(context_window=11)
    with pytest.raises(ValueError, match="k_frames"):
        LEMER(k_frames=0)
    with pytest.raises(ValueError, match="warmup_ratio"):
        LEMER(finetune=True, warmup_ratio=1.0)
    with pytest.raises(ValueError, match="text_model"):
        LEMER(finetune=True, text_model=" ")


def test_missing_features_name_the_utterance() -> None:
    train = make_examples(12, 0, "tr")
    broken = train[:5] + [replace(train[5], features=Features(text=train[5].features.text, text_span=(0, 1)))] + train[6:]  # type: ignore[union-attr]
    with pytest.raises(MissingFeatures, match="tr5: LE-MER needs speech features"):
        LEMER(**FAST).fit(broken, [], make_env())
    with pytest.raises(RuntimeError, match="before fit"):
        LEMER().predict(unlabelled(train))


def test_without_validation_trains_and_predicts_every_example() -> None:
    m = LEMER(max_epochs=3)
    m.fit(make_examples(40, 0), [], make_env())
    test = make_examples(9, 2, "te")
    preds = m.predict(unlabelled(test))
    assert [p.uid for p in preds] == [e.uid for e in test]
    assert all(abs(sum(p.probs.values()) - 1) < 1e-6 and set(p.probs) == set(CLASSES) for p in preds)


def test_defaults_table_covers_every_switch() -> None:
    table = describe()
    for name in LEMERConfig.__dataclass_fields__:
        assert f"`{name}`" in table


def test_every_switch_has_one_of_the_three_tiers() -> None:
    """paper (abstract) / summary / ours, nothing else ("our reading", "project", "paper" were retired), and
    describe() renders each default's tier."""
    from lemer.model.config import SOURCES, TIERS

    assert TIERS == ("paper (abstract)", "summary", "ours")
    assert set(SOURCES) == set(LEMERConfig.__dataclass_fields__)
    assert {tier for tier, _ in SOURCES.values()} <= set(TIERS)
    table = describe().splitlines()
    assert table[0] == "| switch | default | tier | note |"
    for row in table[2:]:
        name = row.split("`")[1]
        assert f"| {SOURCES[name][0]} |" in row
    # every "ours" switch that changes the training objective says what chose its value
    for name in ("mu1", "mu2", "mu3", "mu4", "class_weights", "encoder_lr", "k_keywords", "k_frames"):
        tier, note = SOURCES[name]
        assert tier == "ours" and ("measured" in note or "not measured" in note), name


def test_literal_defaults() -> None:
    """`lemer` is the literal reading: label-aware fusion, no auxiliary losses, Al the constraint's target, the plain
    element-mean MSE, the fused streams alone in the classifier."""
    cfg = LEMERConfig()
    assert (cfg.fusion_input, cfg.fusion_directions, cfg.classifier_branches) == ("label_enhanced", "both", False)
    assert (cfg.mu1, cfg.mu2, cfg.mu3, cfg.mu4) == (1.0, 0.0, 0.0, 1.0)
    assert cfg.detach_al and cfg.constraint_norm == "element_mean" and cfg.use_constraint
