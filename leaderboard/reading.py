"""The leaderboard's one way to read a file a user named (predictions, results, references, speakers, folds).

Through `lemer.core.user_files`, so a FIFO, folder or unreadable path is refused with one line naming it instead of
hanging or escaping as a traceback; the problem becomes a `ResultError` (exit code 2 at the CLI).
"""
from __future__ import annotations

import os

from leaderboard.schema import ResultError
from lemer.core.user_files import UnreadableFile, read_utf8


def read_user_text(path: str | os.PathLike[str], what: str) -> str:
    """The UTF-8 text of `path`; `ResultError` naming the path (and line) otherwise. `what` names the file's role
    ("prediction file") in the message for a missing one."""
    try:
        return read_utf8(path)
    except UnreadableFile as e:
        reason = f"{what} not found" if e.reason == "missing" else e.reason
        where = f"{e.path}:{e.line}" if e.line is not None else e.path
        raise ResultError(f"{where}: {reason}") from None
