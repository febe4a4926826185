"""A content-addressed on-disk cache of frame/token-level feature arrays, packed into shards.

Why this format: MSP-Podcast-sized grids hold 600k entries; one file (and, memory-mapped, one open
descriptor) per entry hits the open-file and mmap limits. Entries are therefore appended to shard
files of a few thousand entries each, written lock-free by each writer into shards it owns, and read
through one memory map per shard (see `benchmarks.features.shards` for the format and why it is safe
with concurrent writers on a shared filesystem). Every entry carries a blake2b checksum verified on
its first read in a process; a damaged or truncated shard makes `get` return None for its entries
(counted in `corrupt`) and the caller recomputes them into a new shard. Nothing is rewritten in place.

The previous layout (one safetensors file per entry, `ab/<key>.safetensors`) is still read: an old
entry found there is copied into a shard on first use (lazy migration; `migrate_legacy` does all at
once). Old files are left in place; delete `<cache>/features/??/` yourself once migrated.

Location: `lemer.core.pretrained.cache_root` (`$LEMER_CACHE` if set, else the user cache dir / lemer-bench).
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from benchmarks.features.shards import DTYPES as _DTYPES
from benchmarks.features.shards import Location, ShardReader, ShardWriter, checksum, describe_array
from lemer.core.atomic import write_bytes_atomic
from lemer.core.pretrained import cache_root

FORMAT_VERSION = "2"  # 1 = one safetensors file per entry (still read), 2 = shards
MAX_HEADER = 1 << 20
REFRESH_INTERVAL_S = 2.0  # a miss re-reads other writers' new index lines at most this often


def key_of(*parts: Any) -> str:
    """A stable hex key from JSON-serialisable parts (order matters)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def raise_open_file_limit() -> int:
    """Lift the soft open-file limit to the hard one and return it.

    Shards need one descriptor per shard, but old per-entry caches (read during migration) and ASR or
    encoder libraries still open many files; child processes inherit the raised limit.
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
    migrated: int = 0  # old per-entry files copied into shards


class FeatureCache:
    """Arrays keyed by hex strings, stored in shards under `root/namespace/{shards,index}/`, plus small metadata."""

    def __init__(self, root: str | os.PathLike[str] | None = None, namespace: str = "features",
                 entries_per_shard: int | None = None) -> None:
        self.root = cache_root(root) / namespace
        self.stats = CacheStats()
        self._reader = ShardReader(self.root)
        self._writer_args = {} if entries_per_shard is None else {"entries_per_shard": entries_per_shard}
        self._writer: ShardWriter | None = None
        self._verified: dict[str, tuple[np.ndarray, dict[str, str]]] = {}
        self._bad: set[tuple[str, int]] = set()  # (shard, offset) found damaged
        self._last_refresh = float("-inf")
        self._sizes: dict[str, int] = {}  # shard -> size last seen

    # ------------------------------------------------------------------ writing
    def put(self, key: str, array: np.ndarray, meta: dict[str, str] | None = None) -> None:
        """Store `array` (float16/float32/int64, any rank) under `key` in this writer's shard."""
        data, dtype, shape = describe_array(array)
        if self._writer is None or self._writer.pid != os.getpid():
            self._writer = ShardWriter(self.root, **self._writer_args)
        loc = self._writer.append(data, dtype, shape, key, dict(meta or {}))
        self._reader.add(key, loc)
        self._verified.pop(key, None)

    def flush(self) -> None:
        """Seal this writer's open shard (truncate, fsync, close); the next put starts a new shard."""
        if self._writer is not None:
            self._writer.seal()

    # ------------------------------------------------------------------ reading
    def get(self, key: str) -> tuple[np.ndarray, dict[str, str]] | None:
        """(read-only array over the shard's memory map, metadata) for `key`, or None if absent or corrupt."""
        hit = self._verified.get(key)
        if hit is not None:
            return hit
        if not self._reader.candidates(key):
            self._refresh(force=self._last_refresh == float("-inf"))
        found_corrupt = False
        for loc in self._reader.candidates(key):
            if (loc.shard, loc.offset) in self._bad:
                continue
            arr = self._checked_view(loc)
            if arr is None:
                self._bad.add((loc.shard, loc.offset))
                found_corrupt = True
                continue
            meta = {**loc.meta, "key": key, "format": FORMAT_VERSION, "blake2b": loc.blake2b}
            self._verified[key] = (arr, meta)
            return arr, meta
        legacy = self._get_legacy(key)
        if legacy is not None:
            return legacy
        if found_corrupt:
            self.stats.corrupt += 1
        return None

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_refresh >= REFRESH_INTERVAL_S:
            self._reader.refresh()
            self._last_refresh = time.monotonic()

    def _checked_view(self, loc: Location) -> np.ndarray | None:
        end = loc.offset + loc.nbytes
        if self._sizes.get(loc.shard, -1) < end:  # one stat per shard, not per entry (a round trip on NFS)
            try:
                self._sizes[loc.shard] = os.stat(self.root / "shards" / f"{loc.shard}.bin").st_size
            except OSError:
                return None
        if self._sizes[loc.shard] < end:  # a shard shorter than the entry (truncated, lost) must never be touched: SIGBUS
            return None
        arr = self._reader.view(loc)
        if arr is None:
            return None
        if loc.nbytes and checksum(memoryview(np.ascontiguousarray(arr)).cast("B")) != loc.blake2b:
            return None
        return arr

    def path(self, key: str) -> Path:
        """The file holding `key`: its shard when indexed, else where the old per-entry layout keeps it."""
        locs = self._reader.candidates(key)
        if locs:
            return self.root / "shards" / f"{locs[-1].shard}.bin"
        return self.legacy_path(key)

    def entries(self) -> Iterator[tuple[str, dict[str, str]]]:
        """(key, metadata) of every indexed entry (shards only; see `migrate_legacy` for old files)."""
        self._refresh(force=True)
        for key, loc in self._reader.entries():
            yield key, dict(loc.meta)

    def open_maps(self) -> int:
        """Shard files this object holds mapped (= descriptors, on Python < 3.13)."""
        return self._reader.open_maps()

    # ------------------------------------------------------------------ the old per-entry layout
    def legacy_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.safetensors"

    def _get_legacy(self, key: str) -> tuple[np.ndarray, dict[str, str]] | None:
        p = self.legacy_path(key)
        if not p.is_file():
            return None
        try:
            arr, meta = read_legacy_entry(p, key)
        except _Corrupt:
            self.stats.corrupt += 1
            return None
        user_meta = {k: v for k, v in meta.items() if k not in ("key", "format", "blake2b")}
        self.put(key, arr, user_meta)  # lazy migration: the next read comes from a shard
        self.stats.migrated += 1
        hit = self.get(key)
        if hit is None:  # pragma: no cover - only if the disk lies
            raise OSError(f"feature cache: entry {key} unreadable right after migrating it from {p}")
        return hit

    def migrate_legacy(self) -> int:
        """Copy every readable old per-entry file not yet in a shard into this writer's shards; returns how many."""
        self._refresh(force=True)
        n = 0
        for p in sorted(self.root.glob("??/*.safetensors")):
            key = p.stem
            if self._reader.candidates(key):
                continue
            if self._get_legacy(key) is not None:
                n += 1
        self.flush()
        return n


def read_legacy_entry(p: Path, key: str) -> tuple[np.ndarray, dict[str, str]]:
    """An old per-entry safetensors file as (array copy, metadata); raises _Corrupt on any damage."""
    raw = p.read_bytes()
    if len(raw) < 8:
        raise _Corrupt(p)
    (hlen,) = struct.unpack("<Q", raw[:8])
    if hlen > MAX_HEADER or 8 + hlen > len(raw):
        raise _Corrupt(p)
    try:
        header = json.loads(raw[8 : 8 + hlen])
        meta = header["__metadata__"]
        info = header["features"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        shape = tuple(int(s) for s in info["shape"])
        start, end = (int(x) for x in info["data_offsets"])
    except (ValueError, KeyError, TypeError):
        raise _Corrupt(p) from None
    n_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if meta.get("key") != key or start != 0 or end != n_bytes or 8 + hlen + end != len(raw):
        raise _Corrupt(p)
    data = raw[8 + hlen :]
    if hashlib.blake2b(data, digest_size=16).hexdigest() != meta.get("blake2b"):
        raise _Corrupt(p)
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy(), meta


def write_legacy_entry(root: Path, key: str, array: np.ndarray, meta: dict[str, str] | None = None) -> Path:
    """Write one entry in the old per-entry layout (tests and the scale benchmark compare against it)."""
    data, code, shape = describe_array(array)
    metadata = {"key": key, "format": "1", "blake2b": hashlib.blake2b(data, digest_size=16).hexdigest(), **(meta or {})}
    header = {"__metadata__": metadata, "features": {"dtype": code, "shape": list(shape), "data_offsets": [0, len(data)]}}
    hbytes = json.dumps(header, separators=(",", ":")).encode()
    hbytes += b" " * (-len(hbytes) % 8)
    path = root / key[:2] / f"{key}.safetensors"
    write_bytes_atomic(path, struct.pack("<Q", len(hbytes)) + hbytes + data)
    return path


class _Corrupt(Exception):
    pass


def num_threads() -> int:
    """Threads for one encoder/ASR engine: $LEMER_THREADS, else torch's setting capped at the cores."""
    env = os.environ.get("LEMER_THREADS")
    if env:
        return max(1, int(env))
    import torch

    return max(1, min(torch.get_num_threads(), os.cpu_count() or 1))
