"""egemaps-lr: openSMILE's eGeMAPSv02 functionals, standardised, logistic regression; learns a pitch-only contrast."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines import egemaps_features as ef
from baselines.egemaps_lr import EgemapsLR
from dataset_adapters.audio import AudioError, read_audio
from lemer.core.contract import Example, FitEnv, Requirements
from tests.support.baselines import SR, harmonic, pitch_examples


def test_features_are_opensmiles_functionals(tmp_path: Path) -> None:
    import opensmile

    rng = np.random.default_rng(0)
    path = tmp_path / "h.wav"
    sf.write(path, harmonic(150.0, 1.0, rng, sr=22050), 22050)  # resampled to 16 kHz by the one reader
    reference = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                                feature_level=opensmile.FeatureLevel.Functionals).process_signal(read_audio(path), SR)
    ours = ef.clip_functionals(str(path))
    assert ours.shape == (ef.N_FUNCTIONALS,) == (reference.shape[1],)
    np.testing.assert_allclose(ours, reference.to_numpy()[0], rtol=1e-6, atol=1e-6)
    f0_mean = ef.feature_names("functionals").index("F0semitoneFrom27.5Hz_sma3nz_amean")
    assert abs(ours[f0_mean] - 12 * np.log2(150.0 / 27.5)) < 1.0  # openSMILE heard the pitch we synthesised
    x = EgemapsLR()._features([Example(uid="h", label=None, text="", audio=str(path))])
    np.testing.assert_allclose(x[0], reference.to_numpy()[0], rtol=1e-6, atol=1e-6)


def test_learns_a_pitch_only_contrast(tmp_path: Path) -> None:
    train, _ = pitch_examples(tmp_path, 16, 0)
    valid, _ = pitch_examples(tmp_path, 8, 1)
    test, gold = pitch_examples(tmp_path, 12, 2, labelled=False)
    model = EgemapsLR()
    logs: list[str] = []
    model.fit(train, valid, FitEnv(classes=("low", "high"), seed=0, log=logs.append))
    preds = model.predict(test)
    assert np.mean([p.label == g for p, g in zip(preds, gold)]) >= 0.9  # chance is 0.5
    assert [p.uid for p in preds] == [e.uid for e in test]
    assert all(list(p.probs) == ["low", "high"] and abs(sum(p.probs.values()) - 1) < 1e-9 for p in preds)
    assert model.C in model.cfg.c_grid and any("valid UA" in m for m in logs)  # C picked on validation
    assert any(f"{ef.N_FUNCTIONALS} features" in m for m in logs)


def test_cache_is_by_content(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    a = tmp_path / "a.wav"
    sf.write(a, harmonic(200.0, 0.5, rng), SR)
    b = tmp_path / "b.wav"
    shutil.copy(a, b)
    first = ef.clip_functionals(str(a))
    assert ef.clip_functionals(str(b)) is first  # same bytes: computed once
    assert not first.flags.writeable


def test_bad_audio_errors_name_the_file(tmp_path: Path) -> None:
    missing = [Example(uid=f"m{i}", label=("low", "high")[i % 2], text="", audio=str(tmp_path / f"missing{i}.wav"))
               for i in range(2)]
    with pytest.raises(FileNotFoundError, match=r"egemaps-lr: example 'm0'.*missing0\.wav"):
        EgemapsLR().fit(missing, [], FitEnv(classes=("low", "high"), seed=0))
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    bad = [Example(uid="j", label="low", text="", audio=str(junk)), *missing[1:]]
    with pytest.raises(AudioError, match=r"junk\.wav: cannot decode.*example 'j'"):
        EgemapsLR().fit(bad, [], FitEnv(classes=("low", "high"), seed=0))
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(400, np.float32), SR)
    with pytest.raises(AudioError, match=r"short\.wav: clip too short"):
        ef.clip_functionals(str(short))
    with pytest.raises(ValueError, match="unknown egemaps-lr switch"):
        EgemapsLR(n_mfcc=13)


def test_registered_as_a_speech_model_without_encoder_features() -> None:
    from benchmarks.models import describe

    facts = describe("egemaps-lr")
    assert facts.modalities == ("speech",) and not facts.speech_features and not facts.text_features
    assert facts.target == "baselines.egemaps_lr:EgemapsLR"
    assert EgemapsLR().requirements == Requirements()
    assert set(facts.config) == {"c_grid", "class_weight"}
