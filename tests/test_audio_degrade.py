"""Audio degradation: SNR, determinism, babble speakers, RT60, telephone band, bad noise input, the cache.

Every check measures the result independently of the library: the SNR over the samples the test itself
made speech-active, the RT60 by its own Schroeder integration, the telephone band by a Welch PSD.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import welch

from benchmarks.audio.degrade import DegradeCache, degrade
from benchmarks.audio.noise import BabblePool, DegradeError, NoiseFolder, babble_pool
from benchmarks.audio.telephone import mu_law

SR = 16000


def voiced(seconds: float, f0: float, seed: int, amp: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(clip, truth mask): harmonic tones of varying level with pauses that start off the 20 ms frame grid,
    the pauses holding -100 dBFS noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    tone = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) / k for k in range(1, 8))
    truth = np.zeros(n, dtype=bool)
    level = np.zeros(n)
    pos = int(rng.integers(1000, 3000))
    while pos < n:
        on = int(rng.uniform(0.25, 0.5) * SR)
        truth[pos:pos + on] = True
        level[pos:pos + on] = rng.uniform(0.4, 1.0)
        pos += on + int(rng.uniform(0.15, 0.35) * SR)
    x = amp * level * tone / np.abs(tone).max() + 1e-5 * rng.standard_normal(n)
    return x.astype(np.float32), truth


def measured_snr(clean: np.ndarray, out: np.ndarray, truth: np.ndarray, gain: float = 1.0) -> float:
    c = clean.astype(np.float64)
    noise = out.astype(np.float64) / gain - c
    return float(10 * np.log10(np.mean(c[truth] ** 2) / np.mean(noise[truth] ** 2)))


def pool_items(n: int, speakers: list[str], seconds: float = 2.0) -> list[tuple[str, str, np.ndarray]]:
    return [(f"u{i:02d}", speakers[i % len(speakers)], voiced(seconds, 100 + 7 * i, 100 + i)[0]) for i in range(n)]


def write_noise(path: Path, seconds: float, seed: int, sr: int = 22050, channels: int = 2) -> Path:
    x = np.random.default_rng(seed).standard_normal((int(seconds * sr), channels)) * 0.05
    sf.write(path, np.cumsum(x, axis=0) * 0.05 + x, sr)  # a brown-ish, non-white noise, stereo, not 16 kHz
    return path


@pytest.fixture(scope="module")
def clip() -> tuple[np.ndarray, np.ndarray]:
    return voiced(3.0, 140.0, seed=1)


@pytest.fixture(scope="module")
def pool() -> BabblePool:
    return BabblePool(pool_items(24, ["s1", "s2", "s3", "s4", "s5", "s6"]))


@pytest.mark.parametrize("noise", ["white", "pink", "babble", "folder"])
@pytest.mark.parametrize("snr", [-5.0, 0.0, 7.5, 15.0, 30.0])
def test_snr_over_speech_active_part_hits_target(noise: str, snr: float, clip, pool, tmp_path: Path) -> None:  # noqa: ANN001
    x, truth = clip
    assert 0.3 < truth.mean() < 0.8  # enough pause that a whole-clip SNR would miss by > 1.5 dB
    if noise == "folder":
        (tmp_path / "n").mkdir()
        for i in range(3):
            write_noise(tmp_path / "n" / f"n{i}.wav", 5.0, seed=i)
        noise = f"{tmp_path}/n"
    out, info = degrade(x, f"snr={snr},noise={noise}", clip_id="c1", babble_pool=pool)
    assert out.dtype == np.float32 and out.shape == x.shape and info["output_gain"] == 1.0
    assert abs(measured_snr(x, out, truth) - snr) < 0.5
    assert abs(info["noise"]["snr_db_measured"] - snr) < 1e-6


def test_peak_normalisation_keeps_the_snr(clip) -> None:  # noqa: ANN001
    x, truth = clip
    loud = (x * 9.0).astype(np.float32)  # peak 0.9: noise at -5 dB pushes it over 1
    out, info = degrade(loud, "snr=-5,noise=white", clip_id="c1")
    assert info["output_gain"] < 1.0 and np.abs(out).max() <= 1.0
    assert abs(measured_snr(loud, out, truth, info["output_gain"]) + 5.0) < 0.5


def test_same_seed_and_clip_identical_other_seed_or_clip_different(clip, pool) -> None:  # noqa: ANN001
    x, _ = clip
    for key in ["snr=5,noise=pink", "snr=5,noise=babble", "reverb=rt60:0.3", "reverb=rt60:0.3+snr=0,noise=white"]:
        a, _ = degrade(x, key, clip_id="c1", babble_pool=pool)
        b, _ = degrade(x.copy(), key, clip_id="c1", babble_pool=pool)
        assert a.tobytes() == b.tobytes(), key
        other_seed, _ = degrade(x, key.replace("3", "3,seed=1", 1) if "reverb" in key else key + ",seed=1",
                                clip_id="c1", babble_pool=pool)
        assert not np.array_equal(a, other_seed), key
        if "snr" in key:
            assert not np.array_equal(a, degrade(x, key, clip_id="c2", babble_pool=pool)[0]), key
    rooms = {degrade(x, "reverb=rt60:0.3", clip_id=f"c{i}")[1]["reverb"]["room"]["index"] for i in range(8)}
    assert len(rooms) > 1  # clips are spread over the bank's rooms


def test_one_noise_realisation_for_every_snr(clip) -> None:  # noqa: ANN001
    x, _ = clip
    low, _ = degrade(x, "snr=0,noise=pink", clip_id="c1")
    high, _ = degrade(x, "snr=20,noise=pink", clip_id="c1")
    r_low, r_high = low.astype(np.float64) - x, high.astype(np.float64) - x
    assert np.corrcoef(r_low, r_high)[0, 1] > 0.9999 and abs(np.std(r_low) / np.std(r_high) - 10) < 0.01


def test_identical_in_another_process(clip) -> None:  # noqa: ANN001
    """The generator is seeded from strings only: a fresh interpreter (another hash seed) gives the same bytes."""
    key = "reverb=rt60:0.3+snr=5,noise=pink+telephone"
    here = hashlib.sha256(degrade(clip[0], key, clip_id="c9")[0].tobytes()).hexdigest()
    code = ("import sys; sys.path.insert(0, 'tests'); import hashlib; from test_audio_degrade import voiced; "
            "from benchmarks.audio.degrade import degrade; "
            f"print(hashlib.sha256(degrade(voiced(3.0, 140.0, seed=1)[0], {key!r}, clip_id='c9')[0].tobytes()).hexdigest())")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).parents[1], env={"PYTHONHASHSEED": "123", "PATH": ""}).stdout.strip()
    assert here == there


def test_babble_never_holds_a_test_speaker(clip) -> None:  # noqa: ANN001
    items = pool_items(36, ["test-a", "test-b", "train-c", "train-d", "train-e", "train-f"])
    speaker = {u: s for u, s, _ in items}
    pool = babble_pool(items, exclude_speakers={"test-a", "test-b"})
    assert len(pool) == 24 and not {"test-a", "test-b"} & set(pool.speakers)
    for clip_id in ["c1", "c2", "c3", "u02"]:  # u02 is a pool clip: it never babbles over itself
        _, info = degrade(clip[0], "snr=0,noise=babble", clip_id=clip_id, babble_pool=pool)
        used = [u for talker in info["noise"]["babble_uids"] for u in talker]
        assert len(info["noise"]["babble_uids"]) == 6 and len(set(used)) == len(used)
        assert {speaker[u] for u in used} <= {"train-c", "train-d", "train-e", "train-f"} and clip_id not in used
    with pytest.raises(DegradeError, match="all 12 clips are by excluded speakers"):
        babble_pool(items[:12], exclude_speakers={"test-a", "test-b", "train-c", "train-d", "train-e", "train-f"})


def test_babble_talkers_are_level_normalised() -> None:
    from benchmarks.audio.noise import active_mask, babble_noise

    items = [(u, s, x * (0.02 if i % 2 else 1.0)) for i, (u, s, x) in enumerate(pool_items(12, ["s1", "s2"]))]
    pool = BabblePool(items)  # talkers 34 dB apart in level
    for seed in range(6):
        one, _ = babble_noise(SR, pool, np.random.default_rng(seed), talkers=1)
        m = active_mask(one)
        assert 0.5 < np.sqrt(np.mean(one[m] ** 2)) < 2.0  # each clip at unit active RMS (excerpts vary); unscaled: < 0.1


def test_babble_pool_too_small_is_an_error(clip) -> None:  # noqa: ANN001
    pool = BabblePool(pool_items(5, ["s1", "s2"]))
    with pytest.raises(DegradeError, match="babble pool of 5 clips is too small for 6 talkers"):
        degrade(clip[0], "snr=0,noise=babble", clip_id="c1", babble_pool=pool)


def schroeder_t30(h: np.ndarray) -> float:
    """RT60 by Schroeder backward integration, -5..-35 dB fitted and extrapolated to 60 dB (the test's own)."""
    edc = np.cumsum((h.astype(np.float64) ** 2)[::-1])[::-1]
    db = 10 * np.log10(edc / edc[0] + 1e-300)
    sel = (db <= -5) & (db >= -35)
    t = np.flatnonzero(sel) / SR
    return float(-60 / np.polyfit(t, db[sel], 1)[0])


@pytest.mark.parametrize("rt60", [0.3, 0.6])
def test_reverb_decay_matches_requested_rt60(rt60: float) -> None:
    impulse = np.zeros(int(1.5 * SR), dtype=np.float32)
    impulse[0] = 0.5
    for clip_id in ["a", "b", "c"]:  # (most likely) different rooms of the bank
        out, info = degrade(impulse, f"reverb=rt60:{rt60}", clip_id=clip_id)
        assert abs(schroeder_t30(out) / rt60 - 1) < 0.2, (clip_id, info["reverb"]["room"])
        room = info["reverb"]["room"]
        assert len(room["dims_m"]) == 3 and 0 < room["absorption"] < 1 and room["distance_m"] >= 1.0
        assert np.argmax(np.abs(out)) < 5 * SR // 1000  # the direct sound stays at the start: speech is not delayed


def test_reverb_keeps_length_and_level(clip) -> None:  # noqa: ANN001
    x, _ = clip
    out, _ = degrade(x, "reverb=rt60:0.5", clip_id="c1")
    assert out.shape == x.shape
    assert abs(np.sqrt(np.mean(out.astype(np.float64) ** 2)) / np.sqrt(np.mean(x.astype(np.float64) ** 2)) - 1) < 1e-3


def test_telephone_has_no_energy_above_4khz() -> None:
    x = (0.1 * np.random.default_rng(3).standard_normal(4 * SR)).astype(np.float32)
    out, _ = degrade(x, "telephone", clip_id="w")
    f, p = welch(out.astype(np.float64), fs=SR, nperseg=1024)
    passband = p[(f >= 500) & (f <= 3000)].mean()
    assert 10 * np.log10(p[f >= 4000].max() / passband) < -60
    assert 10 * np.log10(p[(f > 0) & (f <= 150)].mean() / passband) < -20  # the band-pass's low edge at 300 Hz
    fi, pi = welch(x.astype(np.float64), fs=SR, nperseg=1024)
    assert 10 * np.log10(pi[fi >= 4000].max() / pi[(fi >= 500) & (fi <= 3000)].mean()) > -3  # the input was white


def test_telephone_passes_the_band_at_its_frequency_and_level() -> None:
    t = np.arange(2 * SR) / SR
    for f0, kept in [(1000.0, True), (5000.0, False), (100.0, False)]:
        out, _ = degrade((0.3 * np.sin(2 * np.pi * f0 * t)).astype(np.float32), "telephone", clip_id="tone")
        f, p = welch(out[SR // 2:].astype(np.float64), fs=SR, nperseg=2048)
        level_db = 20 * np.log10(np.sqrt(np.mean(out[SR // 2:].astype(np.float64) ** 2)) / (0.3 / np.sqrt(2)))
        if kept:
            assert abs(f[np.argmax(p)] - f0) < 10 and abs(level_db) < 1.0
        else:
            assert level_db < -20, f0


def test_mu_law_has_256_levels_and_bounded_error() -> None:
    x = np.linspace(-1, 1, 200001)
    q = mu_law(x)
    assert 250 <= len(np.unique(q)) <= 256 and np.abs(q).max() <= 1
    mid = np.abs(x) > 0.01
    assert np.max(np.abs(q - x)[mid] / np.abs(x)[mid]) < 0.05  # companding: the error follows the level


def test_folder_noise_is_a_seeded_excerpt_at_the_recorded_offset(clip, tmp_path: Path) -> None:  # noqa: ANN001
    x, _ = clip
    (tmp_path / "n").mkdir()
    write_noise(tmp_path / "n" / "long.wav", 10.0, seed=5, sr=SR, channels=1)
    source = sf.read(tmp_path / "n" / "long.wav", dtype="float64")[0]
    offsets = set()
    for clip_id in ["a", "b", "c", "d"]:
        out, info = degrade(x, f"snr=0,noise={tmp_path}/n", clip_id=clip_id)
        start = round(info["noise"]["noise_offset_s"] * SR)
        excerpt = source[start:start + len(x)]
        residual = out.astype(np.float64) - x
        assert info["noise"]["noise_file"] == "long.wav"
        assert np.corrcoef(residual, excerpt)[0, 1] > 0.999  # the noise is that excerpt, scaled
        offsets.add(start)
    assert len(offsets) == 4


def test_bad_noise_input_names_folder_and_file(clip, tmp_path: Path) -> None:  # noqa: ANN001
    x, _ = clip
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DegradeError, match=f"noise folder {empty} holds no files"):
        degrade(x, f"snr=5,noise={empty}", clip_id="c1")
    bad = tmp_path / "bad"
    bad.mkdir()
    write_noise(bad / "a.wav", 5.0, seed=0)
    (bad / "notes.txt").write_text("not audio")
    with pytest.raises(DegradeError, match=r"unreadable noise file .*notes.txt: cannot decode"):
        NoiseFolder(bad)
    short = tmp_path / "short"
    short.mkdir()
    write_noise(short / "long.wav", 5.0, seed=0)
    write_noise(short / "brief.wav", 2.0, seed=1)
    with pytest.raises(DegradeError, match=r"noise file .*brief.wav \(2.00 s\) is shorter than clip c1 \(3.00 s\)"):
        degrade(x, f"snr=5,noise={short}", clip_id="c1")
    with pytest.raises(DegradeError, match="does not exist"):
        degrade(x, f"snr=5,noise={tmp_path}/missing", clip_id="c1")
    with pytest.raises(DegradeError, match="needs a babble pool"):
        degrade(x, "snr=5,noise=babble", clip_id="c1")


def test_silent_clip_cannot_take_an_snr() -> None:
    with pytest.raises(DegradeError, match="clip z has no speech-active frames"):
        degrade(np.zeros(SR, dtype=np.float32), "snr=5", clip_id="z")


def test_cache_hits_and_recomputes_a_corrupted_entry(clip, pool, tmp_path: Path) -> None:  # noqa: ANN001
    x, _ = clip
    cache = DegradeCache(tmp_path / "cache")
    key = "snr=5,noise=babble+telephone"
    first, info = cache.degrade(x, key, clip_id="c1", babble_pool=pool)
    assert (cache.misses, cache.hits, cache.corrupt) == (1, 0, 0)
    second, info2 = cache.degrade(x, key, clip_id="c1", babble_pool=pool)
    assert (cache.misses, cache.hits) == (1, 1) and second.tobytes() == first.tobytes() and info2 == info
    assert first.tobytes() == degrade(x, key, clip_id="c1", babble_pool=pool)[0].tobytes()
    (npy,) = (tmp_path / "cache").rglob("*.npy")
    raw = bytearray(npy.read_bytes())
    raw[-7] ^= 0xFF  # one sample's byte flipped: still a loadable .npy, only the sha256 tells
    npy.write_bytes(bytes(raw))
    third, _ = cache.degrade(x, key, clip_id="c1", babble_pool=pool)
    assert cache.corrupt == 1 and third.tobytes() == first.tobytes()
    assert cache.degrade(x, key, clip_id="c1", babble_pool=pool)[0].tobytes() == first.tobytes() and cache.hits == 2
    smaller_pool = BabblePool(pool_items(20, ["s1", "s2", "s3", "s4", "s5", "s6"]))  # another pool: another entry
    cache.degrade(x, key, clip_id="c1", babble_pool=smaller_pool)
    assert cache.misses == 2 and len(list((tmp_path / "cache").rglob("*.npy"))) == 2
    assert not list((tmp_path / "cache").rglob("*.tmp"))
