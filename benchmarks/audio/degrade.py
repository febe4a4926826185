"""Apply an audio condition to a clip, deterministically, and keep the results in an on-disk cache.

`degrade(samples, condition, clip_id=...)` applies the components in the canonical order (reverb,
noise, telephone: `condition.py` says why). Each component draws from its own generator seeded by
sha256(condition seed, clip id, component), so a clip's degraded samples depend on nothing else: not
on the other clips of a run, the order they come in, the process or the machine (for the same library
versions, which `info` records where they matter). Pass the clip's audio hash as `clip_id` (content-
addressed, like the feature cache) or its uid; the cache keys on both.

Clipping: the result is float32; when its peak exceeds 1 it is scaled to peak 1 (peak normalisation,
never hard clipping). The gain applies to speech and noise together, so the SNR is unchanged; it is
recorded as `output_gain` (with `telephone_gain` when the telephone quantiser needed headroom).

Babble and noise folders come in explicitly: `babble_pool` (`noise.babble_pool(items, exclude_speakers)`
builds one without the test speakers; the clip's own uid is never used) and `noise_files` (a
`NoiseFolder`; loaded from the condition's folder when not given). Arguments a condition does not use
are ignored, so one call can serve every condition of a run.
"""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np

from benchmarks.audio.noise import (
    BabblePool,
    DegradeError,
    NoiseFolder,
    active_frames,
    babble_noise,
    load_noise_folder,
    mix_at_snr,
    noise_samples,
)
from benchmarks.audio.reverb import reverberate
from benchmarks.audio.telephone import telephone
from lemer.core.atomic import write_bytes_atomic
from lemer.core.audio_condition import AudioCondition

DEGRADE_VERSION = "audio-degrade-v1"  # bump when any component's algorithm changes: it is part of the cache key

__all__ = ["DEGRADE_VERSION", "DegradeCache", "DegradeError", "component_rng", "degrade", "samples_hash", "source_hash"]


def component_rng(seed: int, clip_id: str, component: str) -> np.random.Generator:
    """The generator of one component of one clip: sha256 of (seed, clip id, component), nothing else."""
    digest = hashlib.sha256(f"{seed}\0{clip_id}\0{component}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def samples_hash(samples: np.ndarray) -> str:
    """sha256 of a clip's float32 samples (its identity when no file hash is at hand)."""
    return hashlib.sha256(np.ascontiguousarray(samples, dtype=np.float32).tobytes()).hexdigest()


def _check(samples: np.ndarray, clip_id: str) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim != 1 or x.size == 0 or not np.issubdtype(x.dtype, np.floating):
        raise DegradeError(f"clip {clip_id}: expected 1-D float samples, got shape {x.shape} dtype {x.dtype}")
    if not np.isfinite(x).all():
        raise DegradeError(f"clip {clip_id}: samples hold NaN or infinity")
    return x.astype(np.float64)


def _noise_folder(cond: AudioCondition, noise_files: NoiseFolder | None) -> NoiseFolder:
    folder = str(cond.noise_folder)
    if noise_files is None:
        return load_noise_folder(folder)
    if Path(noise_files.folder).resolve() != Path(folder).resolve():
        raise DegradeError(f"noise_files holds {noise_files.folder}, but the condition names {folder}")
    return noise_files


def degrade(samples: np.ndarray, condition: AudioCondition | str, *, clip_id: str,
            babble_pool: BabblePool | None = None, noise_files: NoiseFolder | None = None) -> tuple[np.ndarray, dict]:
    """(float32 degraded clip of the same length, info) for a 16 kHz mono clip; see the module docstring."""
    cond = AudioCondition.parse(condition)
    x = _check(samples, clip_id)
    info: dict = {"condition": cond.key, "version": DEGRADE_VERSION}
    if cond.is_clean:
        return np.asarray(samples, dtype=np.float32).copy(), {**info, "output_gain": 1.0}
    active = active_frames(x)  # speech activity is the talker's: taken from the clip as given (dry)
    if cond.rt60 is not None:
        x, info["reverb"] = reverberate(x, cond.rt60, cond.reverb_seed,
                                        component_rng(cond.reverb_seed, clip_id, "reverb"))
    if cond.snr_db is not None:
        if not active.any():
            raise DegradeError(f"clip {clip_id} has no speech-active frames (every 20 ms frame is below -80 dBFS): "
                               f"an SNR cannot be set")
        kind = "folder" if cond.noise_folder is not None else str(cond.noise)  # not the path: a moved folder's noise stays
        rng = component_rng(cond.noise_seed, clip_id, f"noise:{kind}")  # nor the SNR: one realisation for every level
        noise_info: dict = {"noise": cond.noise, "snr_db_target": cond.snr_db}
        if cond.noise == "babble":
            if babble_pool is None:
                raise DegradeError(f"condition {cond.key} needs a babble pool (noise.babble_pool)")
            noise, noise_info["babble_uids"] = babble_noise(len(x), babble_pool, rng, exclude_uid=clip_id)
        elif cond.noise_folder is not None:
            noise, where = _noise_folder(cond, noise_files).excerpt(len(x), rng, clip_id)
            noise_info.update(where)
        else:
            noise = noise_samples(str(cond.noise), len(x), rng)
        x, mixed = mix_at_snr(x, noise, float(cond.snr_db), active)
        info["noise"] = {**noise_info, **mixed}
    if cond.telephone:
        x, info["telephone"] = telephone(x)
    peak = float(np.abs(x).max())
    gain = 1.0 / peak if peak > 1.0 else 1.0
    info["output_gain"] = gain
    return (x * gain).astype(np.float32), info


def source_hash(condition: AudioCondition | str, babble_pool: BabblePool | None = None,
                noise_files: NoiseFolder | None = None) -> str:
    """The hash of the noise source a condition uses ('' for generated noise or none): the babble pool's or
    the noise folder's content hash."""
    cond = AudioCondition.parse(condition)
    if cond.noise == "babble":
        if babble_pool is None:
            raise DegradeError(f"condition {cond.key} needs a babble pool (noise.babble_pool)")
        return babble_pool.hash
    if cond.noise_folder is not None:
        return _noise_folder(cond, noise_files).hash
    return ""


class DegradeCache:
    """Degraded clips on disk under `root`, keyed by (clip audio hash, clip id, condition key, noise-source hash,
    DEGRADE_VERSION): `<key>.npy` (float32) beside `<key>.json` (the .npy's sha256 and the info).

    Both files are written atomically (`lemer.core.atomic`), the .npy first, so a reader finds either no
    entry, or a .npy without its .json (a miss), or both. A read whose .npy does not match the stored
    sha256 (or will not load) is recomputed and rewritten, and counted in `corrupt`.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.hits = self.misses = self.corrupt = 0

    def key(self, audio_hash: str, clip_id: str, condition: AudioCondition | str, source: str) -> str:
        ident = [DEGRADE_VERSION, audio_hash, clip_id, AudioCondition.parse(condition).key, source]
        return hashlib.sha256(json.dumps(ident).encode()).hexdigest()

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.npy", folder / f"{key}.json"

    def degrade(self, samples: np.ndarray, condition: AudioCondition | str, *, clip_id: str,
                audio_hash: str | None = None, babble_pool: BabblePool | None = None,
                noise_files: NoiseFolder | None = None) -> tuple[np.ndarray, dict]:
        """`degrade(...)` through the cache; `audio_hash` is the clip's (e.g. `dataset_adapters.audio.audio_hash`
        of its file), else the hash of `samples`."""
        cond = AudioCondition.parse(condition)
        if cond.is_clean:
            return degrade(samples, cond, clip_id=clip_id)
        key = self.key(audio_hash or samples_hash(samples), clip_id, cond, source_hash(cond, babble_pool, noise_files))
        npy, meta = self._paths(key)
        if meta.is_file():
            try:
                stored = json.loads(meta.read_text())
                payload = npy.read_bytes()
                if hashlib.sha256(payload).hexdigest() != stored["sha256"]:
                    raise ValueError("sha256 mismatch")
                out = np.load(io.BytesIO(payload), allow_pickle=False)
                self.hits += 1
                return out, stored["info"]
            except (OSError, ValueError, KeyError, TypeError):
                self.corrupt += 1
        else:
            self.misses += 1
        out, info = degrade(samples, cond, clip_id=clip_id, babble_pool=babble_pool, noise_files=noise_files)
        buf = io.BytesIO()
        np.save(buf, out, allow_pickle=False)
        payload = buf.getvalue()
        write_bytes_atomic(npy, payload)
        write_bytes_atomic(meta, json.dumps({"sha256": hashlib.sha256(payload).hexdigest(), "info": info}).encode())
        return out, info
