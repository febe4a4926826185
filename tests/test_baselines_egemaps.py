"""egemaps-lr: openSMILE's eGeMAPSv02 functionals, standardised, logistic regression; learns a pitch-only contrast."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines.egemaps_lr import EgemapsLR
from benchmarks.features import opensmile as osm
from benchmarks.features.store import FeatureStore
from dataset_adapters.audio import AudioError, read_audio
from lemer.core.contract import Example, FitEnv, Requirements
from tests.support.baselines import SR, harmonic, pitch_examples, with_clip_features
from tests.support.features import make_utt

SPEC = "opensmile:egemaps-functionals"


def test_features_are_opensmiles_functionals(tmp_path: Path) -> None:
    import opensmile

    rng = np.random.default_rng(0)
    path = tmp_path / "h.wav"
    sf.write(path, harmonic(150.0, 1.0, rng, sr=22050), 22050)  # resampled to 16 kHz by the one reader
    reference = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                                feature_level=opensmile.FeatureLevel.Functionals).process_signal(read_audio(path), SR)
    (ex,) = with_clip_features([Example(uid="h", label=None, text="", audio=str(path))], SPEC, tmp_path / "cache")
    ours = ex.features.clip
    assert ours.shape == (osm.N_FUNCTIONALS,) == (reference.shape[1],)
    np.testing.assert_allclose(ours, reference.to_numpy()[0], rtol=1e-6, atol=1e-6)
    f0_mean = osm.feature_names("functionals").index("F0semitoneFrom27.5Hz_sma3nz_amean")
    assert abs(ours[f0_mean] - 12 * np.log2(150.0 / 27.5)) < 1.0  # openSMILE heard the pitch we synthesised
    np.testing.assert_array_equal(EgemapsLR()._features([ex])[0], ours.astype(np.float64))


def test_learns_a_pitch_only_contrast(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    train, _ = pitch_examples(tmp_path, 16, 0)
    valid, _ = pitch_examples(tmp_path, 8, 1)
    test, gold = pitch_examples(tmp_path, 12, 2, labelled=False)
    train, valid, test = (with_clip_features(x, SPEC, cache) for x in (train, valid, test))
    model = EgemapsLR()
    logs: list[str] = []
    model.fit(train, valid, FitEnv(classes=("low", "high"), seed=0, log=logs.append))
    preds = model.predict(test)
    assert np.mean([p.label == g for p, g in zip(preds, gold)]) >= 0.9  # chance is 0.5
    assert [p.uid for p in preds] == [e.uid for e in test]
    assert all(list(p.probs) == ["low", "high"] and abs(sum(p.probs.values()) - 1) < 1e-9 for p in preds)
    assert model.C in model.cfg.c_grid and any("valid UA" in m for m in logs)  # C picked on validation
    assert any(f"{osm.N_FUNCTIONALS} features" in m for m in logs)


def test_cache_is_by_content(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    a = tmp_path / "a.wav"
    sf.write(a, harmonic(200.0, 0.5, rng), SR)
    b = tmp_path / "b.wav"
    shutil.copy(a, b)
    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder=None, progress=False)
    got = store.clip([make_utt("a", a), make_utt("b", b)], SPEC)
    assert got["a"] is got["b"] and (store.computed, store.reused) == (1, 1)  # same bytes: computed once
    assert not got["a"].flags.writeable


def test_bad_audio_errors_name_the_file(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder=None, progress=False)
    with pytest.raises(AudioError, match=r"missing0\.wav"):
        store.clip([make_utt("m0", tmp_path / "missing0.wav")], SPEC)
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    with pytest.raises(AudioError, match=r"junk\.wav: cannot decode"):
        store.clip([make_utt("j", junk)], SPEC)
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(400, np.float32), SR)
    with pytest.raises(AudioError, match=r"short\.wav: clip too short"):
        store.clip([make_utt("s", short)], SPEC)
    with pytest.raises(ValueError, match="unknown egemaps-lr switch"):
        EgemapsLR(n_mfcc=13)


def test_registered_as_a_speech_model_reading_clip_features() -> None:
    from benchmarks.models import describe

    facts = describe("egemaps-lr")
    assert facts.modalities == ("speech",) and not facts.speech_features and not facts.text_features
    assert facts.clip_features == SPEC and facts.target == "baselines.egemaps_lr:EgemapsLR"
    assert EgemapsLR().requirements == Requirements(clip_features=SPEC)
    assert set(facts.config) == {"c_grid", "class_weight"}
