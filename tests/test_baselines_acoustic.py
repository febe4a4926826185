"""acoustic-lr and its numpy MFCC clip statistics (`mfcc-stats`): learns planted acoustic classes from real audio."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines.acoustic_lr import AcousticLR
from benchmarks.features import mfcc
from benchmarks.features.spec import EncoderSpec
from benchmarks.features.store import FeatureStore
from dataset_adapters.audio import AudioError, read_audio
from lemer.core.contract import Example, Requirements
from tests.support.baselines import CLASSES, accuracy, audio_examples, env, with_clip_features
from tests.support.features import make_utt


@pytest.fixture(scope="module")
def audio_data(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("audio")
    spec = AcousticLR().clip_spec
    train, _ = audio_examples(root, 48, 0)
    valid, _ = audio_examples(root, 16, 1)
    test, gold = audio_examples(root, 24, 2, labelled=False)
    cache = root / "cache"
    return (with_clip_features(train, spec, cache), with_clip_features(valid, spec, cache),
            with_clip_features(test, spec, cache), gold)


def test_learns_planted_acoustic_classes(audio_data) -> None:
    train, valid, test, gold = audio_data
    model = AcousticLR()
    model.fit(train, valid, env(0))
    preds = model.predict(test)
    assert accuracy(preds, gold) >= 0.9
    for p in preds:
        assert list(p.probs) == list(CLASSES) and abs(sum(p.probs.values()) - 1.0) < 1e-9
    again = AcousticLR()
    again.fit(train, valid, env(0))
    assert [p.probs for p in again.predict(test)] == [p.probs for p in preds]


def test_requirements_name_the_clip_encoder() -> None:
    assert AcousticLR().requirements == Requirements(clip_features="mfcc-stats:n_mfcc=20,n_mels=40")
    assert AcousticLR(n_mfcc=13).requirements.clip_features == "mfcc-stats:n_mfcc=13,n_mels=40"
    assert AcousticLR.info.modalities == ("speech",) and AcousticLR.info.encoders == ("clip",)
    assert EncoderSpec.parse(AcousticLR(n_mfcc=13).clip_spec, "clip").build().cfg.n_mfcc == 13


def test_mel_filterbank_puts_a_tone_in_the_right_band() -> None:
    sr = mfcc.SAMPLE_RATE
    t = np.arange(sr) / sr
    cfg = mfcc.MfccConfig()
    fb = mfcc.mel_filterbank(cfg.n_mels, cfg.n_fft, sr, cfg.fmin, cfg.fmax)
    centres = np.linspace(0, sr / 2, cfg.n_fft // 2 + 1)[fb.argmax(1)]
    for freq in (300.0, 1000.0, 4000.0):
        band = mfcc.log_mel_frames(np.sin(2 * np.pi * freq * t).astype(np.float32)).mean(0).argmax()
        assert abs(centres[band] - freq) / freq < 0.15
    assert mfcc.clip_statistics(np.zeros(100, np.float32)).shape == (mfcc.feature_dim(),)  # shorter than a window


def test_resampling_keeps_features_close(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x16 = (0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / 16000) + 0.01 * rng.normal(size=8000)).astype(np.float32)
    sf.write(tmp_path / "a16.wav", x16, 16000)
    x22 = (0.3 * np.sin(2 * np.pi * 440 * np.arange(11025) / 22050) + 0.01 * rng.normal(size=11025)).astype(np.float32)
    sf.write(tmp_path / "a22.wav", np.stack([x22, x22], 1), 22050)
    a, b = (mfcc.clip_statistics(read_audio(tmp_path / n)) for n in ("a16.wav", "a22.wav"))
    n = mfcc.MfccConfig().n_mfcc
    np.testing.assert_allclose(a[:n], b[:n], rtol=0.1, atol=0.5)  # mean MFCCs


def test_store_caches_clip_vectors_by_content(tmp_path: Path) -> None:
    path = tmp_path / "c.wav"
    sf.write(path, np.sin(np.arange(4000) * 0.1).astype(np.float32), 16000)
    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder=None, progress=False)
    first = store.clip([make_utt("c", path)], "mfcc-stats")["c"]
    assert first.dtype == np.float32 and not first.flags.writeable  # clip vectors keep float32
    np.testing.assert_array_equal(first, mfcc.clip_statistics(read_audio(path)))
    assert (store.computed, store.reused) == (1, 0)
    again = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder=None, progress=False)
    assert np.array_equal(again.clip([make_utt("c", path)], "mfcc-stats")["c"], first)
    assert (again.computed, again.reused) == (0, 1)  # another process: from the disk cache
    sf.write(path, np.sin(np.arange(4000) * 0.5).astype(np.float32), 16000)
    assert not np.array_equal(again.clip([make_utt("c", path)], "mfcc-stats")["c"], first)  # new content: new entry


def test_many_clips_take_seconds(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    clips = [(0.1 * rng.normal(size=int(16000 * rng.uniform(2, 6)))).astype(np.float32) for _ in range(200)]
    start = time.process_time()
    feats = mfcc.MfccStatsEncoder().encode(clips)
    assert np.stack(feats).shape == (200, mfcc.feature_dim())
    assert time.process_time() - start < 5.0  # measured ~0.8 s: ~1000 clips must take seconds, not minutes


def test_bad_audio_errors_name_the_file(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder=None, progress=False)
    with pytest.raises(AudioError, match=r"missing0\.wav"):
        store.clip([make_utt("m0", tmp_path / "missing0.wav")], "mfcc-stats")
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    with pytest.raises(AudioError, match="junk.wav"):
        store.clip([make_utt("j", junk)], "mfcc-stats")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioError, match="empty.wav.*no samples"):
        store.clip([make_utt("e", empty)], "mfcc-stats")
    bare = [Example(uid=f"m{i}", label=CLASSES[i % 2], text="", audio="x.wav") for i in range(4)]
    with pytest.raises(ValueError, match=r"acoustic-lr: 4 example\(s\) without clip features.*m0"):
        AcousticLR().fit(bare, [], env(0))
    with pytest.raises(ValueError, match="unknown acoustic-lr switch.*n_mfc"):
        AcousticLR(n_mfc=13)
    with pytest.raises(ValueError, match="options are n_mfcc"):
        EncoderSpec.parse("mfcc-stats:n_mfc=3", "clip")
