"""Additive noise at a target SNR, the SNR measured over the speech-active part of the clip.

Speech activity (`active_mask`): the clip is cut into 20 ms frames (non-overlapping, so the mask maps
to samples exactly); a frame is active when its mean square lies within `ACTIVE_WITHIN_DB` = 30 dB of
the loudest frame's and above the project's silence level (-80 dBFS, `dataset_adapters.audio`).
Why: pauses hold no speech, so a whole-clip SNR would depend on how much of a clip is silence (a clip
half silent would get 3 dB less noise than a clip that is all speech at the same nominal SNR). 30 dB
below the loudest frame keeps vowels and most consonants and drops pauses, breaths and a studio's
noise floor; weak fricatives under it are left out, which is the definition, not an error.

The SNR: P_speech / P_noise, both mean squares over the active samples of the speech the noise is
added to; the noise is scaled so this equals the target exactly (`mix_at_snr`). After reverberation
the speech is the reverberant clip, the mask still that of the dry clip (speech activity is the
talker's: reverberant tails in the pauses do not count as speech). A noise realisation
does not depend on the SNR, so `snr=0` and `snr=10` of a clip differ only in the noise level.

Noise sources:
- white: seeded Gaussian; pink: `colorednoise.powerlaw_psd_gaussian(1, n)` (1/f power, seeded);
- babble (`babble_noise`): `BABBLE_TALKERS` = 6 other talkers summed, each a track of distinct pool
  clips, every clip scaled to unit active-speech RMS (no talker dominates). Why six: with one to three
  talkers single words stay intelligible (an ASR engine transcribes them, and they carry emotions of
  their own); six already sound like a crowd yet need only a modest pool. A talker's track joins
  whole pool clips until it covers the clip (a talker who goes on speaking), then a seeded excerpt is
  taken: corpus utterances are mostly shorter than the longest clips, so refusing would make babble
  unusable on long clips, and no clip is repeated within one babble (a pool too small is an error);
- a folder (`NoiseFolder`): every non-hidden file at its top level, read with the project's reader
  (soundfile, soxr to 16 kHz, mono); a seeded file and offset per clip. A file shorter than the clip
  is an error naming it (no silent looping): every file must be at least as long as the longest clip.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Union

import numpy as np

from dataset_adapters.audio import SAMPLE_RATE, SILENCE_PEAK, AudioError, audio_hash, read_audio
from lemer.core.errors import InputError

FRAME = SAMPLE_RATE // 50  # 20 ms
ACTIVE_WITHIN_DB = 30.0
BABBLE_TALKERS = 6
POOL_MEMO_CLIPS = 256  # decoded babble clips kept per pool (~50 MB of 3 s clips)

Source = Union[str, Path, np.ndarray]


class DegradeError(InputError):
    """Input that cannot be degraded as asked (noise folder, noise file, babble pool, silent clip)."""


def _frame_sums(x: np.ndarray, frame: int = FRAME) -> tuple[np.ndarray, np.ndarray]:
    """(sum of squares, sample count) per 20 ms frame; the last frame may be partial."""
    x = np.asarray(x)
    n_full = len(x) // frame
    full = x[: n_full * frame].reshape(n_full, frame)
    sums = np.einsum("ij,ij->i", full, full, dtype=np.float64)
    counts = np.full(n_full, float(frame))
    tail = x[n_full * frame:]
    if tail.size:
        sums = np.append(sums, np.dot(tail.astype(np.float64), tail))
        counts = np.append(counts, float(tail.size))
    return sums, counts


def _is_active(ms: np.ndarray, within_db: float = ACTIVE_WITHIN_DB) -> np.ndarray:
    return (ms >= ms.max() * 10 ** (-within_db / 10)) & (ms >= SILENCE_PEAK**2)


def active_frames(samples: np.ndarray, within_db: float = ACTIVE_WITHIN_DB) -> np.ndarray:
    """Per 20 ms frame, whether it is speech-active (see the module docstring); all False if silent."""
    sums, counts = _frame_sums(samples)
    return _is_active(sums / counts, within_db)


def active_mask(samples: np.ndarray, within_db: float = ACTIVE_WITHIN_DB) -> np.ndarray:
    """Per sample, whether its 20 ms frame is speech-active."""
    return np.repeat(active_frames(samples, within_db), FRAME)[: len(samples)]


def active_power(x: np.ndarray, frames: np.ndarray) -> float:
    """Mean square of `x` over the samples of the frames `frames` marks active (0.0 if none)."""
    sums, counts = _frame_sums(x)
    n = counts[frames].sum()
    return float(sums[frames].sum() / n) if n else 0.0


def speech_power(x: np.ndarray) -> float:
    """Mean square over a clip's own speech-active samples (0.0 if silent)."""
    sums, counts = _frame_sums(x)
    act = _is_active(sums / counts)
    return float(sums[act].sum() / counts[act].sum()) if act.any() else 0.0


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float, frames: np.ndarray) -> tuple[np.ndarray, dict]:
    """`speech` plus `noise` scaled so the SNR over the active `frames` equals `snr_db`; (mixture float64, info)."""
    ps, pn = active_power(speech, frames), active_power(noise, frames)
    if ps <= 0 or pn <= 0:
        raise DegradeError("cannot set an SNR: " + ("the clip" if ps <= 0 else "the noise") + " is silent where speech is active")
    gain = float(np.sqrt(ps / (pn * 10 ** (snr_db / 10))))
    scaled = np.asarray(noise, dtype=np.float64) * gain
    measured = 10 * np.log10(ps / active_power(scaled, frames))
    return np.asarray(speech, dtype=np.float64) + scaled, {
        "snr_db_measured": round(float(measured), 4) + 0.0,  # + 0.0: never -0.0
        "noise_gain": gain,
        "active_fraction": round(float(_frame_sums(speech)[1][frames].sum() / len(speech)), 4)}


def white_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(n)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    import colorednoise

    return np.asarray(colorednoise.powerlaw_psd_gaussian(1.0, n, random_state=rng), dtype=np.float64)


def _content_hash(src: Source) -> str:
    if isinstance(src, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(src, dtype=np.float32).tobytes()).hexdigest()
    return audio_hash(src)


class BabblePool:
    """The clips babble is made of: (uid, speaker, path or samples), sorted by uid so the pool (and the
    babble drawn from it) does not depend on the order a corpus was listed in."""

    def __init__(self, clips: Iterable[tuple[str, str, Source]]) -> None:
        entries = sorted(((str(u), str(s), src) for u, s, src in clips), key=lambda e: e[0])
        if not entries:
            raise DegradeError("babble pool is empty")
        uids = [e[0] for e in entries]
        if len(set(uids)) != len(uids):
            dup = next(u for u in uids if uids.count(u) > 1)
            raise DegradeError(f"babble pool lists clip {dup!r} twice")
        self._entries = entries
        self._memo: OrderedDict[int, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def uid(self, i: int) -> str:
        return self._entries[i][0]

    @property
    def uids(self) -> list[str]:
        return [e[0] for e in self._entries]

    @property
    def speakers(self) -> list[str]:
        return [e[1] for e in self._entries]

    def samples(self, i: int) -> np.ndarray:
        """Clip i as 16 kHz float32 mono (decoded once while it stays among the last POOL_MEMO_CLIPS used)."""
        if i in self._memo:
            self._memo.move_to_end(i)
            return self._memo[i]
        src = self._entries[i][2]
        if isinstance(src, np.ndarray):
            x = np.ascontiguousarray(src, dtype=np.float32).reshape(-1)
        else:
            try:
                x = read_audio(src)
            except AudioError as e:
                raise DegradeError(f"babble clip {self._entries[i][0]!r}: {e}") from e
        self._memo[i] = x
        if len(self._memo) > POOL_MEMO_CLIPS:
            self._memo.popitem(last=False)
        return x

    @cached_property
    def hash(self) -> str:
        """sha256 over every clip's uid, speaker and content: part of a degraded clip's cache key."""
        h = hashlib.sha256()
        for uid, spk, src in self._entries:
            h.update(f"{uid}\0{spk}\0{_content_hash(src)}\n".encode())
        return h.hexdigest()


def babble_pool(items: Iterable[tuple[str, str, Source]], exclude_speakers: Iterable[str]) -> BabblePool:
    """A pool of the (uid, speaker, path) items whose speaker is not excluded (pass every test speaker of the
    fold); DegradeError when nothing is left."""
    items = list(items)
    excluded = {str(s) for s in exclude_speakers}
    kept = [it for it in items if str(it[1]) not in excluded]
    if not kept:
        raise DegradeError(f"babble pool is empty: all {len(items)} clips are by excluded speakers "
                           f"({', '.join(sorted(excluded)) or 'none'})")
    return BabblePool(kept)


def babble_noise(n: int, pool: BabblePool, rng: np.random.Generator, *, exclude_uid: str | None = None,
                 talkers: int = BABBLE_TALKERS) -> tuple[np.ndarray, list[list[str]]]:
    """`n` samples of `talkers` summed talker tracks (see the module docstring); (noise, uids per talker)."""
    order = iter(int(i) for i in rng.permutation(len(pool)))
    noise = np.zeros(n)
    used: list[list[str]] = []
    for _ in range(talkers):
        segments: list[tuple[np.ndarray, float]] = []
        names: list[str] = []
        covered = 0
        while covered < n:
            i = next(order, None)
            if i is None:
                raise DegradeError(f"babble pool of {len(pool)} clips is too small for {talkers} talkers over a "
                                   f"{n / SAMPLE_RATE:.2f} s clip (each talker needs distinct clips covering it)")
            uid = pool.uid(i)
            if uid == exclude_uid:
                continue
            x = pool.samples(i)
            power = speech_power(x)
            if power <= 0:
                continue  # a silent pool clip adds no talker
            segments.append((x, 1 / np.sqrt(power)))
            names.append(uid)
            covered += len(x)
        pos = -int(rng.integers(covered - n + 1))  # the excerpt of the joined clips: where the first clip starts
        for x, scale in segments:  # add each clip's part of the excerpt, at unit active-speech RMS
            lo, hi = max(pos, 0), min(pos + len(x), n)
            if hi > lo:
                noise[lo:hi] += x[lo - pos:hi - pos] * scale
            pos += len(x)
        used.append(names)
    return noise, used


class NoiseFolder:
    """The noise files of a folder, decoded once (16 kHz float32 mono)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DegradeError(f"noise folder {self.folder} does not exist or is not a folder")
        self.files = sorted(p for p in self.folder.iterdir() if p.is_file() and not p.name.startswith("."))
        if not self.files:
            raise DegradeError(f"noise folder {self.folder} holds no files")
        self.samples: list[np.ndarray] = []
        for p in self.files:
            try:
                self.samples.append(read_audio(p).astype(np.float64))
            except AudioError as e:
                raise DegradeError(f"noise folder {self.folder}: unreadable noise file {e}") from e

    @cached_property
    def hash(self) -> str:
        h = hashlib.sha256()
        for p in self.files:
            h.update(f"{p.name}\0{audio_hash(p)}\n".encode())
        return h.hexdigest()

    def excerpt(self, n: int, rng: np.random.Generator, clip_id: str) -> tuple[np.ndarray, dict]:
        """A seeded file and offset, `n` samples long; DegradeError naming the shortest file if it is shorter."""
        lengths = [len(x) for x in self.samples]
        shortest = int(np.argmin(lengths))
        if lengths[shortest] < n:
            raise DegradeError(f"noise file {self.files[shortest]} ({lengths[shortest] / SAMPLE_RATE:.2f} s) is shorter "
                               f"than clip {clip_id} ({n / SAMPLE_RATE:.2f} s): every file in {self.folder} must be "
                               f"at least as long as the longest clip it degrades (noise is never looped)")
        i = int(rng.integers(len(self.files)))
        offset = int(rng.integers(lengths[i] - n + 1))
        return self.samples[i][offset:offset + n], {"noise_file": self.files[i].name, "noise_offset_s": offset / SAMPLE_RATE}


def load_noise_folder(folder: str | Path) -> NoiseFolder:
    """`NoiseFolder(folder)`, decoded once per process while the folder's listing (names, sizes, mtimes) is unchanged."""
    p = Path(folder).resolve()
    try:
        listing = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(p.iterdir()))
    except OSError:
        listing = ()
    return _load_noise_folder(str(p), listing)


@lru_cache(maxsize=8)
def _load_noise_folder(folder: str, listing: tuple) -> NoiseFolder:
    return NoiseFolder(folder)


def noise_samples(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """White or pink noise (the generated kinds)."""
    return {"white": white_noise, "pink": pink_noise}[kind](n, rng)

