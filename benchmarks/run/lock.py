"""One runner per results folder: an advisory `fcntl` lock on `<out>/.lemer-run.lock`.

Two runners on one `--out` corrupt each other's view: the second deletes a result to redo it while
the first is building its leaderboard from the folder. The lock is held for the whole command
(grid and leaderboard) and released by the kernel when the process exits, however it exits (no
stale lock after a `kill -9`). The file stays in place and records the holder's pid, so a refused
runner can say who holds it. Worker processes do not inherit the descriptor (Python opens it
non-inheritable), so orphans of a killed runner never keep the folder locked.
"""
from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lemer.core.errors import LemerError

LOCK_NAME = ".lemer-run.lock"


class OutLocked(LemerError, RuntimeError):
    """Another live runner holds the results folder."""


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return "pid unknown"
    return f"pid {pid}" if pid.isdigit() else "pid unknown"


@contextmanager
def out_lock(out: Path) -> Iterator[Path]:
    """Hold the results folder's lock for the `with` body; `OutLocked` if another runner has it.

    OSError (read-only or full file system, no permission) propagates for the caller to report.
    A folder this call created and that holds nothing but the lock at the end (a suite that could
    not start) is removed again, so a refused command leaves no trace.
    """
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise OutLocked(f"{out}: another lemer-bench runner ({_holder(path)}) is writing results here; "
                            "wait for it to finish or use another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        try:
            yield path
        finally:  # also when the body raised (a suite that could not start)
            if created and [p.name for p in out.iterdir()] == [LOCK_NAME]:
                path.unlink(missing_ok=True)
                try:
                    out.rmdir()
                except OSError:  # another runner put something there meanwhile: it is theirs now
                    pass
    finally:
        os.close(fd)  # closing the only descriptor releases the lock
