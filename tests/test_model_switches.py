"""Every registered model's switches: one error type, the same names and meanings everywhere.

The shared switches are defined once in `lemer/core/switches.py`; these tests check that every model
declares them from there, that every switch of every model is validated, and that `max_tokens`
keeps the end of the token sequence (where the target utterance is) in LE-MER and the baselines.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks.models import MODELS, describe
from lemer.core.contract import Example, Features
from lemer.core.switches import SHARED, TRAINING_SWITCHES, ConfigError, Switches
from lemer.core.training import TrainConfig

# Every model the project ships (tests elsewhere register throwaway models in the same registry).
NAMES = [n for n in MODELS.names() if MODELS.get(n).__module__.split(".")[0] in ("lemer", "baselines")]


def _build(name: str, **overrides: object):
    return MODELS.get(name).from_config({**MODELS.defaults(name), **overrides})


def _switches(name: str) -> list[str]:
    return sorted(_build(name).resolved_config)


ALL_SWITCHES = [(name, s) for name in NAMES for s in _switches(name)]


def test_every_model_is_covered() -> None:
    assert {"majority", "tfidf-lr", "acoustic-lr", "text-only", "speech-only", "early-fusion", "late-fusion",
            "cross-attention", "lemer", "lemer-v1"} <= set(NAMES)


LEMER_NAMES = [n for n in NAMES if MODELS.get(n).__module__.startswith("lemer.")]


def test_lemer_variants_are_the_registered_lemer_names() -> None:
    from benchmarks.models import LEMER_VARIANTS

    assert set(LEMER_VARIANTS) == set(LEMER_NAMES)
    assert "lemer-detach-al" not in NAMES  # replaced by lemer-two-way-constraint (Al detached is the default now)
    for name in LEMER_NAMES:  # every variant is `lemer` with named switches changed, and says so
        assert MODELS.description(name), name
        assert name in ("lemer", "lemer-v1") or len(MODELS.defaults(name)) <= 2, name


@pytest.mark.parametrize("name", LEMER_NAMES)
def test_every_lemer_variant_builds_fits_and_predicts(name: str) -> None:
    from tests.support.lemer import CLASSES, make_env, make_examples, unlabelled

    model = _build(name, max_epochs=2, patience=2)
    model.fit(make_examples(32, 0, "tr"), make_examples(8, 1, "va"), make_env())
    preds = model.predict(unlabelled(test := make_examples(8, 2, "te")))
    assert [p.uid for p in preds] == [e.uid for e in test]
    assert all(set(p.probs) == set(CLASSES) and abs(sum(p.probs.values()) - 1) < 1e-6 for p in preds)


@pytest.mark.parametrize("name", NAMES)
def test_unknown_switch_names_the_key_and_the_known_ones(name: str) -> None:
    with pytest.raises(ConfigError) as err:
        _build(name, contxt_window=2)
    message = str(err.value)
    assert "contxt_window" in message and "unknown" in message
    for known in _switches(name):
        assert repr(known) in message


@pytest.mark.parametrize(("name", "switch"), ALL_SWITCHES)
def test_every_switch_rejects_a_value_of_the_wrong_type(name: str, switch: str) -> None:
    with pytest.raises(ConfigError, match=switch):
        _build(name, **{switch: object()})


@pytest.mark.parametrize("name", NAMES)
def test_bad_values_of_shared_switches_raise_the_one_error(name: str) -> None:
    switches = set(_switches(name))
    bad = {"context_window": [-1, 11, True, 2.0], "max_tokens": [0, -3, 1.5], "speech_pool": [0, None],
           "max_frames": [0, "256"], "max_epochs": [0, True], "lr": [-1.0, float("nan"), "0.1"],
           "batch_size": [0], "class_weights": [1, "yes"], "torch_threads": [0, None]}
    tried = 0
    for switch, values in bad.items():
        if switch not in switches:
            continue
        for value in values:
            with pytest.raises(ConfigError, match=switch):
                _build(name, **{switch: value})
            tried += 1
    assert tried == sum(len(v) for k, v in bad.items() if k in switches)  # every shared switch it has was tried


@pytest.mark.parametrize("name", NAMES)
def test_config_is_a_frozen_switches_dataclass_and_the_resolved_config(name: str) -> None:
    model = _build(name)
    cfg = model.cfg
    assert isinstance(cfg, Switches) and dataclasses.is_dataclass(cfg)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.__setattr__(next(iter(model.resolved_config), "x"), 0)
    assert model.resolved_config == dataclasses.asdict(cfg)
    # a registered variant (other defaults, same class) reports errors under its base model's name
    owner = {"speech-only-meanpool": "speech-only"}.get(name, name)
    assert cfg.OWNER == ("LE-MER" if name.startswith("lemer") else owner)


@pytest.mark.parametrize("name", NAMES)
def test_shared_switches_come_from_the_one_definition(name: str) -> None:
    """A model may change a shared switch's default, never its check: the field must be `shared(...)`."""
    for f in dataclasses.fields(_build(name).cfg):
        if f.name in SHARED:
            assert f.metadata.get("shared") == f.name, f"{name}: {f.name} is not declared with lemer.core.switches.shared"


@pytest.mark.parametrize("name", [n for n in NAMES if "max_epochs" in _switches(n)])
def test_neural_models_share_the_training_switches_and_defaults(name: str) -> None:
    config = _build(name).resolved_config
    assert set(TRAINING_SWITCHES) <= set(config)
    for f in dataclasses.fields(TrainConfig):
        assert config[f.name] == f.default


@pytest.mark.parametrize("name", [n for n in NAMES if "context_window" in _switches(n)])
def test_context_window_is_what_the_harness_prepares(name: str) -> None:
    facts = describe(name, {"context_window": 3})
    assert facts.text_context == (3 if facts.text_features else 0)
    assert facts.config["context_window"] == 3


# -- max_tokens keeps the end, where the target utterance is ---------------------------------------------------
N_TOKENS, SPAN = 10, (6, 10)  # 5 context tokens, [SEP], then a 4-token target at the end


def _example() -> Example:
    text = np.arange(N_TOKENS * 2, dtype=np.float16).reshape(N_TOKENS, 2)
    speech = np.ones((6, 3), dtype=np.float16)
    return Example(uid="u", label=None, text="", audio="", features=Features(text=text, text_span=SPAN, speech=speech))


def _text_rows(name: str, **switches: object) -> np.ndarray:
    """The token rows model `name` feeds its network for `_example()`, through its own encode path."""
    model, e = _build(name, **switches), _example()
    if name.startswith("lemer"):
        prepared = model._prepare([e])[e.uid]
        return np.asarray(prepared.text, dtype=np.float32)
    if name == "late-fusion":
        model = model.text_model
    batch = model.encode([e])
    rows = batch["text"][0][batch["text_mask"][0]]
    return rows.numpy()


TEXT_FEATURE_MODELS = [n for n in NAMES if "max_tokens" in _switches(n) and describe(n).text_features]


@pytest.mark.parametrize("name", TEXT_FEATURE_MODELS)
def test_max_tokens_keeps_the_end_with_context(name: str) -> None:
    extra = {"text_scope": "all"} if name.startswith("lemer") else {}
    tokens = np.asarray(_example().features.text, dtype=np.float32)
    np.testing.assert_array_equal(_text_rows(name, context_window=2, max_tokens=3, **extra), tokens[-3:])
    np.testing.assert_array_equal(_text_rows(name, context_window=2, max_tokens=7, **extra), tokens[-7:])
    np.testing.assert_array_equal(_text_rows(name, context_window=2, **extra), tokens)  # under the cap: all kept


@pytest.mark.parametrize("name", TEXT_FEATURE_MODELS)
def test_max_tokens_keeps_the_end_of_the_target(name: str) -> None:
    extra = {"text_scope": "target"} if name.startswith("lemer") else {}
    target = np.asarray(_example().features.text, dtype=np.float32)[SPAN[0] : SPAN[1]]
    np.testing.assert_array_equal(_text_rows(name, context_window=0, max_tokens=3, **extra), target[-3:])
    np.testing.assert_array_equal(_text_rows(name, context_window=0, **extra), target)


def test_text_feature_models_include_lemer_and_the_neural_text_baselines() -> None:
    assert {"lemer", "text-only", "early-fusion", "late-fusion", "cross-attention"} <= set(TEXT_FEATURE_MODELS)
