from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dataset_adapters.audio import AudioError, audio_hash, is_silent, read_audio
from tests.support.corpora import write_tone


def test_resamples_and_downmixes_stereo(tmp_path: Path) -> None:
    p = write_tone(tmp_path / "st.wav", 1.0, sr=22050, channels=2)
    x = read_audio(p)
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) - 16000) <= 1
    assert 0.25 < np.abs(x).max() < 0.35  # averaging two equal channels keeps the amplitude


def test_missing_corrupt_empty_and_short_clips_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="nope.wav: audio file not found"):
        read_audio(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunkjunk")
    with pytest.raises(AudioError, match="bad.wav: cannot decode"):
        read_audio(bad)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="empty.wav: audio file holds no samples"):
        read_audio(empty)
    short = write_tone(tmp_path / "short.wav", 0.05)
    with pytest.raises(AudioError, match=r"short.wav: clip too short: 0.050 s"):
        read_audio(short)


def test_silence_is_valid_but_flagged(tmp_path: Path) -> None:
    p = tmp_path / "silent.wav"
    sf.write(p, np.zeros(8000, dtype=np.float32), 16000)
    x = read_audio(p)
    assert is_silent(x) and not is_silent(read_audio(write_tone(tmp_path / "t.wav", 0.5)))


def test_audio_hash_follows_content_not_path(tmp_path: Path) -> None:
    a = write_tone(tmp_path / "a.wav", 0.5)
    b = tmp_path / "b.wav"
    b.write_bytes(a.read_bytes())
    c = write_tone(tmp_path / "c.wav", 0.5, freq=330.0)
    assert audio_hash(a) == audio_hash(b) != audio_hash(c)
