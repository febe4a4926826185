"""Atomic file writes: a reader (or a restarted run) never sees a half-written file.

Every result and cache file goes through a temp file in the same directory followed by
`os.replace`, which is atomic on POSIX. Temp names carry the writer's pid so two processes
writing the same target cannot clobber each other's partial file; a process killed mid-write
leaves only a `*.tmp` file that `remove_stale_temps` clears before the run is redone.
"""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any, Iterable

TMP_SUFFIX = ".tmp"


def refuse_folder(path: str | os.PathLike[str]) -> None:
    """IsADirectoryError naming `path` when it is an existing folder: commands call it before the work whose result
    `path` receives (hours of ASR must not end in this), and every atomic write checks it again."""
    if Path(path).is_dir():  # os.replace would fail naming the temp file; name what the user gave
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))


def write_bytes_atomic(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write `payload` to `path` via a same-directory pid-named temp file and `os.replace` (fsync'd first)."""
    path = Path(path)
    refuse_folder(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 `text` to `path` atomically (see `write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False) + "\n")


def write_jsonl_atomic(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> None:
    write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def remove_stale_temps(directory: str | os.PathLike[str]) -> int:
    """Delete temp files left in `directory` by a killed writer; returns how many were removed."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    n = 0
    for p in directory.glob(f".*{TMP_SUFFIX}"):
        pid = p.name[: -len(TMP_SUFFIX)].rpartition(".")[2]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue  # a live process is still writing it
        p.unlink(missing_ok=True)
        n += 1
    return n


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
