"""Label embeddings come from the training fold only, and find real class evidence there."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from lemer.core.contract import Example, Features
from lemer.model import LEMER
from lemer.model.label_embeddings import class_keywords, semantic_init, tonal_init
from tests.support.lemer import CLASSES, WORDS, hash_embed, make_env, make_examples

FAST = {"max_epochs": 2, "patience": 1}


def test_keywords_are_the_class_words() -> None:
    train = make_examples(400, 0)
    kw = class_keywords([e.text for e in train], [e.label for e in train], CLASSES, k=3)
    for c in CLASSES:
        assert set(kw[c]) == set(WORDS[c]), (c, kw[c])


def test_keywords_skip_stop_words_and_handle_empty_text() -> None:
    kw = class_keywords(["the and of", "", "it is"], ["neu", "hap", "neu"], CLASSES, k=5)
    assert kw == {c: [] for c in CLASSES}
    init = semantic_init(["", ""], ["neu", "hap"], CLASSES, 5, hash_embed)
    assert init.missing == list(CLASSES)


def test_semantic_init_is_the_mean_keyword_embedding() -> None:
    train = make_examples(80, 0)
    init = semantic_init([e.text for e in train], [e.label for e in train], CLASSES, 3, hash_embed)
    i = CLASSES.index("ang")
    np.testing.assert_allclose(init.vectors[i], hash_embed(init.evidence["ang"]).mean(0), rtol=1e-6)


def test_tonal_init_picks_class_typical_frames() -> None:
    """Frames carrying the class direction rank above the class's plain-noise frames."""
    train = make_examples(120, 0, signal=2.0)
    frames = [np.asarray(e.features.speech, np.float32) for e in train]  # type: ignore[union-attr]
    init = tonal_init(frames, [e.label for e in train], CLASSES, k=5, per_utt=16, seed=0)
    s_dirs = np.random.default_rng(101).normal(size=(len(CLASSES), frames[0].shape[1]))
    for i in range(len(CLASSES)):
        # the class's top frames point along its own direction more than along any other class's
        proj = s_dirs @ init.vectors[i]
        assert proj.argmax() == i


def _with_text_and_frames(e: Example, text: str, seed: int) -> Example:
    rng = np.random.default_rng(seed)
    feats = e.features
    assert feats is not None
    speech = rng.normal(scale=5.0, size=feats.speech.shape).astype(np.float32)  # type: ignore[union-attr]
    return replace(e, text=text, features=Features(text=feats.text, text_span=feats.text_span, speech=speech))


def _label_vectors(model: LEMER) -> dict[str, np.ndarray]:
    return {k: v.vectors.copy() for k, v in model.label_inits.items()}


def test_label_embeddings_ignore_validation_data() -> None:
    """Rewriting the validation fold (texts full of a new word, different frames) leaves the label inits unchanged;
    rewriting the training fold changes them (so this test can fail)."""
    train, valid = make_examples(60, 0, "tr"), make_examples(20, 1, "va")
    base = LEMER(**FAST)
    base.fit(train, valid, make_env())
    leaked_valid = [_with_text_and_frames(e, "zebra zebra " + e.text, i) for i, e in enumerate(valid)]
    other = LEMER(**FAST)
    other.fit(train, leaked_valid, make_env())
    for key, vec in _label_vectors(base).items():
        np.testing.assert_array_equal(vec, _label_vectors(other)[key])
    assert all("zebra" not in words for words in other.keywords.values())

    changed_train = [_with_text_and_frames(e, "zebra " + e.text, i) if e.label == "hap" else e for i, e in enumerate(train)]
    third = LEMER(**FAST)
    third.fit(changed_train, valid, make_env())
    assert "zebra" in third.keywords["hap"]
    assert not np.array_equal(_label_vectors(base)["speech"], _label_vectors(third)["speech"])


def test_no_text_encoder_falls_back_to_random_and_logs() -> None:
    log: list[str] = []
    model = LEMER(**FAST)
    model.fit(make_examples(40, 0), make_examples(8, 1, "va"), make_env(embed=False, log=log))
    assert any("embed_words is None" in m for m in log)
    assert "text" not in model.label_inits and "speech" in model.label_inits


def test_class_absent_from_training_fold_is_logged() -> None:
    train = [e for e in make_examples(60, 0) if e.label != "sad"]
    log: list[str] = []
    model = LEMER(**FAST)
    model.fit(train, make_examples(8, 1, "va"), make_env(log=log))
    assert any("'sad'" in m and "random init" in m for m in log)
