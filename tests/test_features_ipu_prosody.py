"""opensmile:egemaps-ipu: pauses split a clip into units; each frame carries its unit's departure from the clip."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.features import ipu_prosody as ipu
from benchmarks.features import opensmile as ee
from benchmarks.features.spec import EncoderSpec
from tests.support.baselines import SR, harmonic
from tests.support.features import make_utt  # noqa: F401  (first: it sets the offline/cache environment)
from tests.support.features import speech_encoder as get_speech_encoder

F0_MEAN = 0  # FEATURES[0] is the F0 mean contrast


def _clip(parts: list[tuple[float, float]], seed: int = 0, gap: float = 0.25) -> np.ndarray:
    """Tones (f0 Hz, seconds) separated by `gap` seconds of faint noise, with silence at both ends."""
    rng = np.random.default_rng(seed)
    noise = lambda s: (0.001 * rng.normal(size=int(s * SR))).astype(np.float32)  # noqa: E731
    out = [noise(0.1)]
    for i, (f0, seconds) in enumerate(parts):
        if i:
            out.append(noise(gap))
        out.append(harmonic(f0, seconds, rng))
    out.append(noise(0.1))
    return np.concatenate(out)


def test_pause_mask_and_units() -> None:
    loud = np.array([0.1] * 5 + [1.0] * 40 + [0.1] * 12 + [1.0] * 30 + [0.1] * 4 + [1.0] * 30 + [0.1] * 3)
    pauses = ipu.pause_mask(loud)
    assert pauses[:5].all() and pauses[45:57].all()
    assert not pauses[87:91].any()  # 40 ms of quiet is a gap between words, not a pause
    assert ipu.units(pauses) == [(5, 45), (57, 121)]  # the trailing 30 ms of quiet is an edge: not speech
    short = np.array([0.1] * 12 + [1.0] * 10 + [0.1] * 12 + [1.0] * 40)
    assert ipu.units(ipu.pause_mask(short)) == [(34, 74)]  # a 100 ms burst is no unit


def test_the_unit_that_departs_gets_the_contrast_and_the_clip_averages_out() -> None:
    x = _clip([(150.0, 1.0), (210.0, 1.0), (150.0, 1.0)])
    frames = get_speech_encoder(ee.IPU_SPEC).encode([x])[0]
    assert frames.shape[1] == ipu.N_FEATURES
    lld = ee.scaled_lld_frames(x)
    spans = ipu.units(ipu.pause_mask(lld[:, ee.feature_names("lld").index("Loudness_sma3")]))
    assert len(spans) == 3
    f0 = [float(frames[(a + b) // 2, F0_MEAN]) for a, b in spans]
    assert f0[1] > 1.0 and f0[0] < -0.3 and f0[2] < -0.3  # +~4 semitones vs the clip, in 2-semitone units
    assert abs(f0[0] - f0[2]) < 0.2
    assert np.all(frames[: spans[0][0]] == 0) and np.all(frames[spans[0][1]: spans[1][0]] == 0)  # pauses: 0
    weights = np.array([b - a for a, b in spans], dtype=float)
    assert abs(np.average(f0, weights=weights)) < 0.1  # duration-weighted, the units' departures cancel


def test_level_and_speaker_pitch_do_not_matter_only_the_departure_does() -> None:
    low = get_speech_encoder(ee.IPU_SPEC).encode([_clip([(110.0, 1.0), (150.0, 1.0)], seed=1)])[0]
    high = get_speech_encoder(ee.IPU_SPEC).encode([0.3 * _clip([(160.0, 1.0), (218.0, 1.0)], seed=1)])[0]
    for frames in (low, high):
        voiced = frames[np.abs(frames).sum(1) > 0]
        assert voiced[:, F0_MEAN].min() < -0.5 < 0.5 < voiced[:, F0_MEAN].max()
    assert abs(low[:, F0_MEAN].max() - high[:, F0_MEAN].max()) < 0.3  # same ~5.4 semitone step, other voice


def test_one_unit_has_nothing_to_contrast() -> None:
    frames = get_speech_encoder(ee.IPU_SPEC).encode([_clip([(180.0, 2.0)])])[0]
    assert not frames.any()
    assert not ipu.ipu_contrast_frames(np.zeros((0, ee.N_LLD), np.float32), ee.feature_names("lld")).any()


def test_missing_descriptors_are_named() -> None:
    with pytest.raises(ValueError, match="F0semitoneFrom27.5Hz_sma3nz"):
        ipu.ipu_contrast_frames(np.zeros((10, 2), np.float32), ["Loudness_sma3", "mfcc1_sma3"])


def test_specs_append_to_a_50fps_encoder_and_key_the_cache() -> None:
    enc = get_speech_encoder("whisper-tiny.en+" + ee.IPU_SPEC)
    assert isinstance(enc, ee.WithEgemapsEncoder) and isinstance(enc.egemaps, ee.IpuProsodyEncoder)
    assert enc.name == "whisper-tiny.en-encoder+opensmile:egemaps-ipu"
    x = _clip([(150.0, 1.0), (210.0, 1.0)])
    out = enc.encode([x])[0]
    assert out.shape[1] == 384 + ipu.N_FEATURES
    np.testing.assert_allclose(out[:, 384:], ee.to_50fps(get_speech_encoder(ee.IPU_SPEC).encode([x])[0], len(out)),
                               rtol=1e-6)
    plain = get_speech_encoder("whisper-tiny.en+opensmile:egemaps").identity
    assert enc.identity != plain and ipu.VERSION in enc.identity["appended"]
    for bad in ("opensmile:egemaps-ipu+opensmile:egemaps", "opensmile:prosody", "whisper-tiny.en+opensmile:x"):
        with pytest.raises(ValueError, match="opensmile"):
            get_speech_encoder(bad)


def test_preflight_knows_opensmile_needs_no_weights(tmp_path) -> None:
    from benchmarks.features.whisper import whisper_model_dir

    def weight_sources(spec: str) -> list[str]:
        return EncoderSpec.parse(spec, "speech").weight_sources()
    from benchmarks.features.store import FeatureStore

    assert weight_sources(ee.IPU_SPEC) == [] and weight_sources("opensmile:egemaps") == []
    assert weight_sources("whisper-tiny.en+" + ee.IPU_SPEC) == [whisper_model_dir()]
    assert weight_sources("/models/w2v@layer=3+opensmile:egemaps") == ["/models/w2v"]
    for spec, problems in ((ee.IPU_SPEC, 0), ("whisper-tiny.en+" + ee.IPU_SPEC, 0), (f"{tmp_path}/none+{ee.IPU_SPEC}", 1)):
        store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder=spec, progress=False)
        assert len(store.unreachable(text=False, speech=True)) == problems, spec


def test_clips_spread_over_processes_give_the_serial_result(monkeypatch: pytest.MonkeyPatch) -> None:
    clips = [_clip([(150.0 + 20 * i, 0.6), (200.0, 0.6)], seed=i) for i in range(3)]
    monkeypatch.setenv("LEMER_THREADS", "2")
    spread = ee.map_clips(ee.ipu_frames, clips)
    assert ee._POOL and not ee._SERIAL  # worker processes did the work
    monkeypatch.setenv("LEMER_THREADS", "1")
    serial = ee.map_clips(ee.ipu_frames, clips)
    assert len(spread) == 3 and all(np.array_equal(a, b) for a, b in zip(spread, serial))
