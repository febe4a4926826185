"""opensmile:egemaps frame encoder and SPEC+opensmile:egemaps: frame rates, alignment, units, caching."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from benchmarks.features import opensmile as ee
from benchmarks.features.spec import DEFAULT_SPEECH_SPEC
from benchmarks.features.whisper import WhisperEncoder, n_output_frames
from tests.support.baselines import SR, harmonic
from tests.support.features import make_utt  # first: it sets the offline/cache environment
from tests.support.features import speech_encoder as get_speech_encoder


@pytest.fixture(scope="module")
def whisper() -> WhisperEncoder:
    return WhisperEncoder()


def test_frame_encoder_gives_25_descriptors_at_100_fps() -> None:
    import opensmile

    rng = np.random.default_rng(0)
    enc = get_speech_encoder("opensmile:egemaps")
    one, two = enc.encode([harmonic(180.0, 1.0, rng), harmonic(180.0, 2.0, rng)])
    assert one.shape[1] == two.shape[1] == ee.N_LLD == 25
    assert len(two) - len(one) == 100  # one more second -> 100 more frames
    assert len(one) == 96  # 100 per second, less openSMILE's last 40 ms (its longest window must fit)
    x = harmonic(180.0, 1.0, rng)
    raw = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                          feature_level=opensmile.FeatureLevel.LowLevelDescriptors).process_signal(x, SR)
    np.testing.assert_allclose(enc.encode([x])[0] * ee.lld_units(), raw.to_numpy(), rtol=1e-5, atol=1e-5)
    f0 = list(raw.columns).index("F0semitoneFrom27.5Hz_sma3nz")
    assert abs(np.median(enc.encode([x])[0][:, f0]) * 12 - 12 * np.log2(180.0 / 27.5)) < 1.0  # 12 semitones/unit


def test_units_keep_speech_like_values_small() -> None:
    import soxr

    from dataset_adapters.synth.espeak import synthesize

    audio, sr = synthesize("I think I have seen this before, maybe tomorrow it will be cold")
    x = np.asarray(audio, dtype=np.float32)
    x = soxr.resample(x / 32768.0 if np.abs(x).max() > 2 else x, sr, SR).astype(np.float32)
    frames = get_speech_encoder("opensmile:egemaps").encode([x])[0]
    assert np.abs(frames).max() < 10 and frames.std() > 0.3  # raw Hz values would reach thousands


def test_to_50fps_averages_pairs_and_repeats_the_tail() -> None:
    frames = np.arange(10, dtype=np.float32).reshape(5, 2)  # rows (0,1) (2,3) (4,5) (6,7) (8,9)
    out = ee.to_50fps(frames, 4)
    np.testing.assert_array_equal(out, [[1, 2], [5, 6], [8, 9], [8, 9]])  # last pair is row 4 alone, then repeated
    np.testing.assert_array_equal(ee.to_50fps(frames, 2), [[1, 2], [5, 6]])
    with pytest.raises(ValueError, match="no eGeMAPS frames"):
        ee.to_50fps(np.zeros((0, 2), np.float32), 3)


def test_concatenation_aligns_with_whisper_frames(whisper: WhisperEncoder) -> None:
    rng = np.random.default_rng(2)
    clips = [harmonic(140.0, s, rng) for s in (0.3, 1.03, 2.0)]
    enc = get_speech_encoder("whisper-tiny.en+opensmile:egemaps")
    assert enc.name == "whisper-tiny.en-encoder+opensmile:egemaps"
    for clip in clips:  # one clip per batch: the Whisper bucket is the exact input length
        (out,) = enc.encode([clip])
        (ref,) = whisper.encode([clip])
        assert out.shape == (len(ref), ref.shape[1] + ee.N_LLD) and len(ref) == n_output_frames(len(clip))
        np.testing.assert_array_equal(out[:, : ref.shape[1]], ref)
        lld = ee.scaled_lld_frames(clip)
        np.testing.assert_allclose(out[0, ref.shape[1]:], lld[:2].mean(0), rtol=1e-6)
        np.testing.assert_allclose(out[-1, ref.shape[1]:], ee.to_50fps(lld, len(ref))[-1], rtol=1e-6)


def test_specs_and_default() -> None:
    assert isinstance(get_speech_encoder("opensmile:egemaps"), ee.EgemapsEncoder)
    assert isinstance(get_speech_encoder("whisper-tiny.en-encoder+opensmile:egemaps"), ee.WithEgemapsEncoder)
    for bad in ("+opensmile:egemaps", "opensmile:egemaps+opensmile:egemaps", "a+b+opensmile:egemaps"):
        with pytest.raises(ValueError, match="SPEC\\+opensmile:egemaps"):
            get_speech_encoder(bad)
    assert isinstance(get_speech_encoder("default"), WhisperEncoder)  # the default is unchanged...
    assert DEFAULT_SPEECH_SPEC == "whisper-tiny.en-encoder"  # ...and named in one place


def test_store_caches_egemaps_frames_by_content(tmp_path: Path) -> None:
    from benchmarks.features.store import FeatureStore

    rng = np.random.default_rng(3)
    utts = []
    for i, seconds in enumerate((0.5, 0.8, 0.8)):
        path = tmp_path / f"c{i}.wav"
        sf.write(path, harmonic(120.0 + 40 * i, seconds, rng), SR)
        utts.append(make_utt(f"u{i}", path))
    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder="opensmile:egemaps", progress=False)
    assert store.speech_encoder_name == "opensmile:egemaps"
    first = store.speech(utts)
    assert store.computed == 3 and all(first[u.uid].shape[1] == 25 for u in utts)
    assert len(first["u0"]) == 46  # 0.5 s at 100 frames/s, less the last 40 ms
    again = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder="opensmile:egemaps", progress=False)
    second = again.speech(utts)
    assert again.computed == 0 and again.reused == 3
    for u in utts:
        np.testing.assert_array_equal(second[u.uid], first[u.uid])
    ident = ee.EgemapsEncoder().identity
    assert ident["opensmile"] and ident["config"] == "eGeMAPSv02" and ident["units"] == ee.UNITS_VERSION


def test_store_names_a_bad_clip(tmp_path: Path) -> None:
    from benchmarks.features.store import FeatureStore
    from dataset_adapters.audio import AudioError

    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF....not really a wav")
    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder="whisper-tiny.en+opensmile:egemaps",
                         progress=False)
    with pytest.raises(AudioError, match=r"junk\.wav: cannot decode"):
        store.speech([make_utt("bad", junk)])
    assert store.computed == 0
