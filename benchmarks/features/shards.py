"""Sharded storage for the feature cache: many entries per file, one memory map per shard.

Why: one file per entry means one open descriptor per entry held in memory (Python < 3.13's mmap
duplicates it) and ~600k files for MSP-Podcast. Here entries are packed into shard files.

Layout under the cache namespace:

    shards/<writer>-<n>.bin     raw little-endian array bytes, each entry 64-byte aligned
    index/<writer>-<n>.jsonl    one JSON line per entry: key, offset, nbytes, dtype, shape, blake2b, meta

Concurrency without locks: every writer (one per FeatureCache object and process, id = pid + random)
owns the shards it creates and is the only process that ever writes to them, so writers on one host
or many hosts of a shared filesystem never contend. An entry becomes visible only when its index
line is appended, after its bytes are written; a reader ignores an incomplete last line (a writer
killed mid-append). Readers merge all index fragments (later fragments and lines are extra
candidates, never replacements) and verify each entry's blake2b on first use, so bytes lost by a
crash or damaged later are detected and the entry is recomputed into the reader's own shard. Nothing
is ever rewritten or deleted in place.

A shard file is created sparse at its full capacity and mapped once per process, so the mapping
covers entries appended after it was made; when sealed (full, or at exit) it is truncated to the
bytes used and fsync'd. Per entry there is no fsync: the checksum, not the disk order, guards reads.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import mmap
import os
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

DTYPES = {"F16": np.float16, "F32": np.float32, "I64": np.int64}
CODES = {np.dtype(v): k for k, v in DTYPES.items()}
ALIGN = 64
SHARD_ENTRIES = 4096  # entries per shard before a writer starts the next one
SHARD_CAPACITY = 1 << 30  # virtual size of a new shard (sparse; truncated to the used bytes when sealed)


def checksum(data: bytes | memoryview) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Location:
    """Where one entry lives, as read from an index line."""

    shard: str  # shard file stem
    offset: int
    nbytes: int
    dtype: str
    shape: tuple[int, ...]
    blake2b: str
    meta: dict[str, str]


class ShardWriter:
    """Appends entries to shards only this writer owns; see the module docstring for the protocol."""

    def __init__(self, root: Path, entries_per_shard: int = SHARD_ENTRIES, capacity: int = SHARD_CAPACITY) -> None:
        self.root = root
        self.entries_per_shard = entries_per_shard
        self.capacity = capacity
        self.pid = os.getpid()
        self.writer_id = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._n = 0
        self._data_fd: int | None = None
        self._index_fd: int | None = None
        self._stem = ""
        self._used = 0
        self._count = 0
        self._cap = 0
        self._finalizer = weakref.finalize(self, ShardWriter._seal_fds, None, None, 0)
        atexit.register(self.seal)

    @property
    def active_stem(self) -> str:
        return self._stem

    def append(self, data: bytes, dtype: str, shape: tuple[int, ...], key: str, meta: dict[str, str]) -> Location:
        """Write one entry and publish its index line; returns where it went."""
        start = -(-self._used // ALIGN) * ALIGN
        if self._data_fd is None or self._count >= self.entries_per_shard or start + len(data) > self._cap:
            self._open_next(len(data))
            start = 0
        assert self._data_fd is not None and self._index_fd is not None
        view = memoryview(data)
        written = 0
        while written < len(data):
            written += os.pwrite(self._data_fd, view[written:], start + written)
        loc = Location(self._stem, start, len(data), dtype, tuple(shape), checksum(data), dict(meta))
        line = json.dumps({"k": key, "o": start, "n": len(data), "d": dtype, "s": list(shape), "h": loc.blake2b,
                           "m": loc.meta}, separators=(",", ":")) + "\n"
        os.write(self._index_fd, line.encode())  # one write on an O_APPEND descriptor: a whole line or a torn tail
        self._used = start + len(data)
        self._count += 1
        return loc

    def _open_next(self, need: int) -> None:
        self.seal()
        (self.root / "shards").mkdir(parents=True, exist_ok=True)
        (self.root / "index").mkdir(parents=True, exist_ok=True)
        self._n += 1
        self._stem = f"{self.writer_id}-{self._n:04d}"
        self._cap = max(self.capacity, need)
        data_fd = os.open(self.root / "shards" / f"{self._stem}.bin", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        os.ftruncate(data_fd, self._cap)  # sparse: disk holds only what is written
        index_fd = os.open(self.root / "index" / f"{self._stem}.jsonl",
                           os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._data_fd, self._index_fd = data_fd, index_fd
        self._used = self._count = 0
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, ShardWriter._seal_fds, data_fd, index_fd, 0)

    def seal(self) -> None:
        """Truncate the active shard to its used bytes, fsync it and its index, close both."""
        if self._data_fd is None or os.getpid() != self.pid:  # a forked child must not touch the parent's shard
            return
        self._finalizer.detach()
        ShardWriter._seal_fds(self._data_fd, self._index_fd, self._used)
        self._data_fd = self._index_fd = None

    @staticmethod
    def _seal_fds(data_fd: int | None, index_fd: int | None, used: int) -> None:
        if data_fd is None:
            return
        try:
            if used:
                os.ftruncate(data_fd, used)
            os.fsync(data_fd)
            if index_fd is not None:
                os.fsync(index_fd)
        finally:
            os.close(data_fd)
            if index_fd is not None:
                os.close(index_fd)


class ShardReader:
    """Merged view of every index fragment under a root, plus one read-only map per shard file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.index: dict[str, list[Location]] = {}
        self._consumed: dict[str, int] = {}  # fragment stem -> bytes of complete lines already read
        self._maps: dict[str, mmap.mmap] = {}

    def add(self, key: str, loc: Location) -> None:
        self.index.setdefault(key, []).append(loc)

    def refresh(self) -> int:
        """Read index lines appended since the last call (new fragments included); returns how many."""
        idx = self.root / "index"
        try:
            names = os.listdir(idx)
        except FileNotFoundError:
            return 0
        added = 0
        for name in names:
            if not name.endswith(".jsonl"):
                continue
            stem = name[: -len(".jsonl")]
            done = self._consumed.get(stem, 0)
            try:
                with open(idx / name, "rb") as f:
                    f.seek(done)
                    chunk = f.read()
            except FileNotFoundError:
                continue
            end = chunk.rfind(b"\n") + 1  # a torn last line (writer killed mid-append) waits or is ignored
            for line in chunk[:end].splitlines():
                try:
                    r = json.loads(line)
                    loc = Location(stem, int(r["o"]), int(r["n"]), str(r["d"]), tuple(int(s) for s in r["s"]),
                                   str(r["h"]), dict(r.get("m") or {}))
                    key = str(r["k"])
                except (ValueError, KeyError, TypeError):
                    continue  # a damaged line: its entry is simply absent and will be recomputed
                if loc not in self.index.get(key, ()):
                    self.add(key, loc)
                    added += 1
            self._consumed[stem] = done + end
        return added

    def candidates(self, key: str) -> list[Location]:
        return self.index.get(key, [])

    def view(self, loc: Location) -> np.ndarray | None:
        """A read-only array over the shard's map, or None when the shard is missing or too short."""
        dtype = np.dtype(DTYPES[loc.dtype]).newbyteorder("<") if loc.dtype in DTYPES else None
        if dtype is None or int(np.prod(loc.shape, dtype=np.int64)) * dtype.itemsize != loc.nbytes:
            return None
        if loc.nbytes == 0:
            return np.zeros(loc.shape, dtype=dtype)
        mm = self._map(loc.shard, loc.offset + loc.nbytes)
        if mm is None:
            return None
        arr = np.frombuffer(mm, dtype=dtype, count=loc.nbytes // dtype.itemsize, offset=loc.offset)
        return arr.reshape(loc.shape)

    def _map(self, stem: str, need: int) -> mmap.mmap | None:
        mm = self._maps.get(stem)
        if mm is not None and len(mm) >= need:
            return mm
        path = self.root / "shards" / f"{stem}.bin"
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < need:
                    return None  # truncated or lost bytes: the caller treats the entry as corrupt
                mm = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
        except (FileNotFoundError, ValueError, OSError):
            return None
        self._maps[stem] = mm  # an older, shorter map stays alive while arrays still view it
        return mm

    def open_maps(self) -> int:
        return len(self._maps)

    def entries(self) -> Iterator[tuple[str, Location]]:
        for key, locs in self.index.items():
            yield key, locs[0]

    def shard_stems(self) -> set[str]:
        return {loc.shard for locs in self.index.values() for loc in locs}


def describe_array(arr: np.ndarray) -> tuple[bytes, str, tuple[int, ...]]:
    """(little-endian bytes, dtype code, shape) of an array the cache accepts."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype not in CODES:
        raise TypeError(f"feature cache stores float16/float32/int64 arrays, got {arr.dtype}")
    return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes(), CODES[arr.dtype], tuple(arr.shape)


def location_json(loc: Location) -> dict[str, Any]:
    return {"shard": loc.shard, "offset": loc.offset, "nbytes": loc.nbytes, "dtype": loc.dtype, "shape": list(loc.shape)}
