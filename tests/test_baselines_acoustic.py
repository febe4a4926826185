"""acoustic-lr and its numpy MFCC features: learns planted acoustic classes from real audio files."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines import acoustic_features as af
from baselines.acoustic_lr import AcousticLR
from lemer.core.contract import Example, Requirements
from tests.support.baselines import CLASSES, accuracy, audio_examples, env


@pytest.fixture(scope="module")
def audio_data(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("audio")
    train, _ = audio_examples(root, 48, 0)
    valid, _ = audio_examples(root, 16, 1)
    test, gold = audio_examples(root, 24, 2, labelled=False)
    return train, valid, test, gold


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


def test_requirements() -> None:
    assert AcousticLR().requirements == Requirements()
    assert AcousticLR.info.modalities == ("speech",) and AcousticLR.info.encoders == ()


def test_mel_filterbank_puts_a_tone_in_the_right_band() -> None:
    sr = af.SAMPLE_RATE
    t = np.arange(sr) / sr
    cfg = af.MfccConfig()
    fb = af.mel_filterbank(cfg.n_mels, cfg.n_fft, sr, cfg.fmin, cfg.fmax)
    centres = np.linspace(0, sr / 2, cfg.n_fft // 2 + 1)[fb.argmax(1)]
    for freq in (300.0, 1000.0, 4000.0):
        band = af.log_mel_frames(np.sin(2 * np.pi * freq * t).astype(np.float32)).mean(0).argmax()
        assert abs(centres[band] - freq) / freq < 0.15
    assert af.clip_statistics(np.zeros(100, np.float32)).shape == (af.feature_dim(),)  # shorter than a window


def test_resampling_keeps_features_close(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x16 = (0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / 16000) + 0.01 * rng.normal(size=8000)).astype(np.float32)
    sf.write(tmp_path / "a16.wav", x16, 16000)
    x22 = (0.3 * np.sin(2 * np.pi * 440 * np.arange(11025) / 22050) + 0.01 * rng.normal(size=11025)).astype(np.float32)
    sf.write(tmp_path / "a22.wav", np.stack([x22, x22], 1), 22050)
    a, b = af.clip_features(str(tmp_path / "a16.wav")), af.clip_features(str(tmp_path / "a22.wav"))
    n = af.MfccConfig().n_mfcc
    np.testing.assert_allclose(a[:n], b[:n], rtol=0.1, atol=0.5)  # mean MFCCs


def test_cache_by_path_and_mtime(tmp_path: Path) -> None:
    path = tmp_path / "c.wav"
    sf.write(path, np.sin(np.arange(4000) * 0.1).astype(np.float32), 16000)
    first = af.clip_features(str(path))
    assert af.clip_features(str(path)) is first  # served from the cache
    sf.write(path, np.sin(np.arange(4000) * 0.5).astype(np.float32), 16000)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert not np.array_equal(af.clip_features(str(path)), first)


def test_many_clips_take_seconds(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(200):
        p = tmp_path / f"s{i}.wav"
        sf.write(p, (0.1 * rng.normal(size=int(16000 * rng.uniform(2, 6)))).astype(np.float32), 16000)
        paths.append(str(p))
    start = time.process_time()
    feats = af.clip_features_many(paths)
    assert feats.shape == (200, af.feature_dim())
    assert time.process_time() - start < 5.0  # measured ~0.8 s: ~1000 clips must take seconds, not minutes


def test_bad_audio_errors_name_the_file(tmp_path: Path) -> None:
    train = [Example(uid=f"m{i}", label=CLASSES[i % 2], text="", audio=str(tmp_path / f"missing{i}.wav")) for i in range(4)]
    with pytest.raises(FileNotFoundError, match=r"'m0'.*missing0\.wav"):
        AcousticLR().fit(train, [], env(0))
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    with pytest.raises(ValueError, match="junk.wav"):
        af.clip_features(str(junk))
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, np.float32), 16000)
    with pytest.raises(ValueError, match="empty.wav.*no samples"):
        af.clip_features(str(empty))
    with pytest.raises(ValueError, match="unknown acoustic-lr switch.*n_mfc"):
        AcousticLR(n_mfc=13)
