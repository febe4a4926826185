"""A content-addressed on-disk cache of frame/token-level feature arrays.

Why this format: each entry is one safetensors file (no pickle), written via a temp file and
`os.replace` so readers never see half an entry, and read back as a read-only `np.memmap` at the
data offset parsed from the safetensors header, so a run touches only the pages it uses. The
header's metadata carries a blake2b checksum of the data bytes and the caller's key; a short file,
a bad header or a checksum mismatch makes `get` return None (counted in `corrupt`, file removed),
and the caller recomputes the entry.

Location: `$LEMER_CACHE` if set, else platformdirs' user cache dir / lemer-bench.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.atomic import write_bytes_atomic

FORMAT_VERSION = "1"
_DTYPES = {"F16": np.float16, "F32": np.float32, "I64": np.int64}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
MAX_HEADER = 1 << 20


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory: explicit argument > $LEMER_CACHE > user cache dir / lemer-bench."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("LEMER_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("lemer-bench"))


def key_of(*parts: Any) -> str:
    """A stable hex key from JSON-serialisable parts (order matters)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def raise_open_file_limit() -> int:
    """Lift the soft open-file limit to the hard one and return it.

    Each memory-mapped cache entry keeps one file descriptor (Python < 3.13's mmap duplicates it), and a
    grid holds thousands of entries: under the common soft limit of 1024 a demo would fail with
    "Too many open files". Child processes inherit the raised limit. (Packing entries into shard files
    would remove the need; see docs/performance.md, F1.)
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # e.g. a platform that refuses RLIM_INFINITY: keep what we have
            pass
    return soft


@dataclass
class CacheStats:
    """Counters a run reports: entries computed now, reused from disk, and found corrupt (then recomputed)."""

    computed: int = 0
    reused: int = 0
    corrupt: int = 0


class FeatureCache:
    """Arrays keyed by hex strings under `root/namespace/ab/<key>.safetensors`, plus small metadata."""

    def __init__(self, root: str | os.PathLike[str] | None = None, namespace: str = "features") -> None:
        self.root = cache_root(root) / namespace
        self.stats = CacheStats()

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.safetensors"

    def put(self, key: str, array: np.ndarray, meta: dict[str, str] | None = None) -> None:
        """Store `array` (float16/float32/int64, any rank) under `key`, atomically."""
        arr = np.ascontiguousarray(array)
        if arr.dtype not in _CODES:
            raise TypeError(f"feature cache stores float16/float32/int64 arrays, got {arr.dtype}")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        metadata = {"key": key, "format": FORMAT_VERSION, "blake2b": hashlib.blake2b(data, digest_size=16).hexdigest()}
        metadata.update(meta or {})
        header = {
            "__metadata__": metadata,
            "features": {"dtype": _CODES[arr.dtype], "shape": list(arr.shape), "data_offsets": [0, len(data)]},
        }
        hbytes = json.dumps(header, separators=(",", ":")).encode()
        hbytes += b" " * (-len(hbytes) % 8)  # safetensors aligns the data start to 8 bytes
        write_bytes_atomic(self.path(key), struct.pack("<Q", len(hbytes)) + hbytes + data)

    def get(self, key: str) -> tuple[np.ndarray, dict[str, str]] | None:
        """(read-only memmap, metadata) for `key`, or None if absent or corrupt (a corrupt file is removed)."""
        p = self.path(key)
        if not p.is_file():
            return None
        try:
            arr, meta = self._open(p, key)
        except _Corrupt:
            self.stats.corrupt += 1
            p.unlink(missing_ok=True)
            return None
        return arr, meta

    def _open(self, p: Path, key: str) -> tuple[np.ndarray, dict[str, str]]:
        size = p.stat().st_size
        with open(p, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise _Corrupt(p)
            (hlen,) = struct.unpack("<Q", head)
            if hlen > MAX_HEADER or 8 + hlen > size:
                raise _Corrupt(p)
            try:
                header = json.loads(f.read(hlen))
                meta = header["__metadata__"]
                info = header["features"]
                dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
                shape = tuple(int(s) for s in info["shape"])
                start, end = (int(x) for x in info["data_offsets"])
            except (ValueError, KeyError, TypeError):
                raise _Corrupt(p) from None
        n_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if meta.get("key") != key or start != 0 or end != n_bytes or 8 + hlen + end != size:
            raise _Corrupt(p)
        if n_bytes == 0:
            return np.zeros(shape, dtype=dtype), meta
        arr = np.memmap(p, dtype=dtype, mode="r", offset=8 + hlen, shape=shape)
        if hashlib.blake2b(memoryview(arr).cast("B"), digest_size=16).hexdigest() != meta.get("blake2b"):
            raise _Corrupt(p)
        return arr, meta


class _Corrupt(Exception):
    pass


# --- encoder identity: resolving a model name to local files and hashing its weights ------------------
# Cache keys must change when the weights change and must be computable without loading the model
# (a fully cached run should not pay for it). Hub names go through the local Hugging Face cache first;
# a download is attempted only when HF_HUB_OFFLINE is not set.

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".msgpack", ".h5")


class EncoderUnavailable(RuntimeError):
    """The named encoder cannot be reached (not a local path, not in the HF cache, no network)."""


def resolve_model_dir(name: str, role: str) -> Path:
    """A local directory holding `name`'s files (a path as is, or a Hugging Face snapshot)."""
    p = Path(name).expanduser()
    if p.is_dir():
        return p.resolve()
    if p.exists() or name.startswith((".", "/", "~")):
        raise EncoderUnavailable(f"{role} encoder path {name!r} is not a model directory")
    from lemer.encoders import MODELS_DIR_ENV  # the same local-copies folder LE-MER's fine-tuning reads

    local = Path(os.environ.get(MODELS_DIR_ENV, "")) / name if os.environ.get(MODELS_DIR_ENV) else None
    if local is not None and local.is_dir():
        return local.resolve()
    try:
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(name, local_files_only=True))
        except Exception:
            if os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False"):
                raise
            return Path(snapshot_download(name))
    except Exception as e:
        raise EncoderUnavailable(
            f"{role} encoder {name!r} is neither a local directory nor reachable on the Hugging Face hub "
            f"({type(e).__name__}); use a local path or the offline default 'default'") from e


def weights_hash(model_dir: Path) -> str:
    """sha256 over the weight files' names and bytes, memoised on disk by (path, size, mtime)."""
    files = sorted(f for f in model_dir.rglob("*") if f.is_file() and f.suffix in WEIGHT_SUFFIXES)
    if not files:
        raise EncoderUnavailable(f"no weight files ({', '.join(WEIGHT_SUFFIXES)}) in {model_dir}")
    stamp = [(str(f.relative_to(model_dir)), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    memo_key = hashlib.sha256(json.dumps([str(model_dir), stamp]).encode()).hexdigest()
    memo = cache_root() / "weights" / f"{memo_key}.json"
    try:
        return str(json.loads(memo.read_text())["sha256"])
    except (OSError, ValueError, KeyError):
        pass
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(model_dir)).encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
    digest = h.hexdigest()
    write_bytes_atomic(memo, json.dumps({"sha256": digest, "dir": str(model_dir)}).encode())
    return digest


def num_threads() -> int:
    """Threads for one encoder/ASR engine: $LEMER_THREADS, else torch's setting capped at the cores."""
    env = os.environ.get("LEMER_THREADS")
    if env:
        return max(1, int(env))
    import torch

    return max(1, min(torch.get_num_threads(), os.cpu_count() or 1))
