"""Feature-cache scale benchmark: the old one-file-per-entry layout vs the sharded cache at 100k+ entries.

    python -m benchmarks.tools.cache_scale --n 100000 --frames 16 --dim 384 [--layouts old,sharded] [--out r.json]

Each phase runs in a fresh process, so peak RSS and open descriptors are that phase's own:
- write: n synthetic fp16 entries of (frames, dim) (frames varies +-25% around --frames, like real clips);
  old = the previous release's writer (one safetensors file per entry, atomic, fsync'd), sharded = FeatureCache.put;
- read: a fresh reader gets every entry and keeps it referenced, as RunData does for a grid, touching one value
  per entry (old = np.memmap per file, as the previous FeatureCache.get did, checksum included).
Reported: entries/s and MB/s, files on disk, open descriptors and memory maps while everything is held,
peak RSS (ru_maxrss; includes file-backed pages) and RssAnon/RssFile at the end. A phase that fails (e.g.
"Too many open files") is reported with its error and where it stopped. Temp files are removed at the end.
Not a timed test: run it by hand on an idle machine; numbers on a shared machine are noted as such.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.features.cache import FeatureCache, raise_open_file_limit, write_legacy_entry


def entry_key(i: int) -> str:
    """The cache key of entry `i` (a sha256, like the store's keys)."""
    return hashlib.sha256(str(i).encode()).hexdigest()


def entry_frames(i: int, mean: int) -> int:
    """Entry `i`'s frame count: deterministic, within +-25% of `mean`, as real clip lengths vary."""
    return max(1, int(mean * (0.75 + 0.5 * ((i * 2654435761) % 1000) / 1000)))


def entry_array(i: int, frames: int, dim: int) -> np.ndarray:
    """Entry `i`'s fp16 (frames, dim) array, the same on every call (seeded by `i`)."""
    rng = np.random.default_rng(i)
    return rng.standard_normal((entry_frames(i, frames), dim), dtype=np.float32).astype(np.float16)


def _status() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("RssAnon", "RssFile", "VmRSS"):
            out[k] = round(int(v.split()[0]) / 1024, 1)
    return out


def _proc_counts() -> dict[str, int]:
    return {"open_fds": len(os.listdir("/proc/self/fd")),
            "memory_maps": sum(1 for _ in open("/proc/self/maps"))}


def legacy_get(root: Path, key: str) -> np.ndarray:
    """The previous FeatureCache.get: parse the safetensors header, np.memmap the data, verify blake2b."""
    p = root / key[:2] / f"{key}.safetensors"
    with open(p, "rb") as f:
        (hlen,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(hlen))
    info = header["features"]
    arr = np.memmap(p, dtype=np.dtype("<f2"), mode="r", offset=8 + hlen, shape=tuple(info["shape"]))
    if hashlib.blake2b(memoryview(arr).cast("B"), digest_size=16).hexdigest() != header["__metadata__"]["blake2b"]:
        raise ValueError(f"checksum mismatch in {p}")
    return arr


def phase(layout: str, what: str, root: Path, n: int, frames: int, dim: int) -> dict[str, Any]:
    limit = raise_open_file_limit()
    t0 = time.perf_counter()
    done, nbytes, err = 0, 0, None
    held: list[np.ndarray] = []
    try:
        if what == "write":
            cache = FeatureCache(root) if layout == "sharded" else None
            for i in range(n):
                a = entry_array(i, frames, dim)
                if cache is not None:
                    cache.put(entry_key(i), a, {"kind": "speech", "uid": str(i)})
                else:
                    write_legacy_entry(root / "features", entry_key(i), a, {"kind": "speech", "uid": str(i)})
                nbytes += a.nbytes
                done += 1
            if cache is not None:
                cache.flush()
        else:
            cache = FeatureCache(root) if layout == "sharded" else None
            total = 0.0
            for i in range(n):
                if cache is not None:
                    got = cache.get(entry_key(i))
                    if got is None:
                        raise KeyError(f"entry {i} missing")
                    a = got[0]
                else:
                    a = legacy_get(root / "features", entry_key(i))
                total += float(a[0, 0])
                held.append(a)
                nbytes += a.nbytes
                done += 1
    except OSError as e:
        err = f"{type(e).__name__}: {e}"
    secs = time.perf_counter() - t0
    row: dict[str, Any] = {"layout": layout, "phase": what, "n": n, "done": done, "error": err,
                           "seconds": round(secs, 2), "entries_per_s": round(done / secs, 1),
                           "mb_per_s": round(nbytes / secs / 2**20, 1), "fd_soft_limit": limit,
                           "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    row.update(_proc_counts())
    row.update(_status())
    return row


def _files(root: Path) -> dict[str, Any]:
    n, size = 0, 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            n += 1
            size += os.stat(os.path.join(dirpath, f)).st_blocks * 512
    return {"files_on_disk": n, "disk_mib": round(size / 2**20, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--frames", type=int, default=16, help="mean frames per entry (real clips: ~150)")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--layouts", default="old,sharded")
    ap.add_argument("--tmp", default=None, help="where to write (default: a temp dir, removed at the end)")
    ap.add_argument("--out", default=None, help="write the JSON report here too")
    ap.add_argument("--phase", nargs=3, metavar=("LAYOUT", "WHAT", "ROOT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.phase:
        print(json.dumps(phase(args.phase[0], args.phase[1], Path(args.phase[2]), args.n, args.frames, args.dim)))
        return 0
    base = Path(tempfile.mkdtemp(prefix="lemer-cache-scale-", dir=args.tmp))
    report: dict[str, Any] = {"n": args.n, "frames_mean": args.frames, "dim": args.dim, "dtype": "float16",
                              "load_at_start": os.getloadavg(), "cpus": os.cpu_count(), "rows": []}
    try:
        for layout in args.layouts.split(","):
            root = base / layout
            for what in ("write", "read"):
                cmd = [sys.executable, "-m", "benchmarks.tools.cache_scale", "--n", str(args.n), "--frames", str(args.frames),
                       "--dim", str(args.dim), "--phase", layout, what, str(root)]
                done = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    row = {"layout": layout, "phase": what, "error": done.stderr.strip().splitlines()[-1:]}
                else:
                    row = json.loads(done.stdout.strip().splitlines()[-1])
                if what == "write":
                    row.update(_files(root))
                report["rows"].append(row)
                print(json.dumps(row), file=sys.stderr)
            shutil.rmtree(root, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    report["load_at_end"] = os.getloadavg()
    text = json.dumps(report, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
