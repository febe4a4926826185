"""Reading a file a user named: refuse anything but a regular file, with one reason, before opening it.

A FIFO, socket or device given as a prediction file, a suite, a label file or sitting where a `result.json` should be
would block a reader forever; a folder, a dangling or looping symlink or a file without read permission would escape
as an OSError traceback. `file_problem` says which (never opening the path), `read_bytes` reads a regular file
non-blocking (so a FIFO swapped in between the check and the open cannot hang it either). Every reader of user
paths (corpus trees: dataset_adapters/files.py; result files, references, speakers and folds files: leaderboard/;
suite files: benchmarks/suite) goes through here and turns `UnreadableFile` into its own error naming the path.
"""
from __future__ import annotations

import errno
import os
import stat


class UnreadableFile(ValueError):
    """A file that cannot be opened or decoded: `path`, `line` (1-based, or None) and `reason`."""

    def __init__(self, path: str | os.PathLike[str], reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


def file_problem(path: str | os.PathLike[str]) -> str | None:
    """Why `path` is not a readable regular file ("missing", "symlink loop", "a FIFO, not a regular
    file", "permission denied", ...), or None when it is one. Never opens the file."""
    p = os.fspath(path)
    try:
        st = os.stat(p)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symlink loop (the link points back at itself)"
        if e.errno == errno.ENOENT:
            return "dangling symlink (its target does not exist)" if os.path.islink(p) else "missing"
        if e.errno == errno.EACCES:
            return "permission denied"
        return f"cannot be opened ({e.strerror or type(e).__name__})"
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a special file")
    return f"{kind}, not a regular file"


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file; `UnreadableFile` naming why otherwise (never blocks on a FIFO)."""
    why = file_problem(path)
    if why:
        raise UnreadableFile(path, why)
    try:
        fd = os.open(os.fspath(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise UnreadableFile(path, "permission denied" if e.errno == errno.EACCES
                             else f"cannot be opened ({e.strerror or type(e).__name__})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between stat and open
            raise UnreadableFile(path, "not a regular file")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise UnreadableFile(path, f"read failed ({e.strerror or type(e).__name__})") from None
    finally:
        os.close(fd)


def read_utf8(path: str | os.PathLike[str]) -> str:
    """The text of a regular UTF-8 file (a BOM is dropped); `UnreadableFile` naming the path and the first bad line."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UnreadableFile(path, f"not valid UTF-8 ({e.reason} at byte {e.start})",
                             data[: e.start].count(b"\n") + 1) from None
