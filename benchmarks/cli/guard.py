"""The one error path of every `lemer-bench` command: an expected failure is one line and an exit code.

`run_guarded` runs a command's function; what it raises becomes `lemer-bench <command>: error: <message>` on
stderr (`lemer.core.errors.message`) with the exit code of `lemer.core.errors` (2 bad input, 1 a refused
write), whichever layer raised it. An OSError on a user path names the path and what the system said (a
refused write exits 1, anything else, such as a file that is not readable or not a regular file, exits 2);
a closed stdout (`lemer-bench score ... | head`) ends quietly; Ctrl-C exits 130. Only a genuine bug still
shows a traceback.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys
from typing import Callable

from lemer.core.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, LemerError, message

WRITE_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EDQUOT)
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a reader that left


def os_error_text(e: OSError) -> str:
    """`PATH: what the system said`, plus what to do where that is clear."""
    where = e.filename if e.filename is not None else "(unnamed file)"
    what = e.strerror or type(e).__name__
    hint = ""
    if e.errno in WRITE_ERRNOS:
        hint = "; nothing already there was replaced: free space or choose another folder"
    elif e.errno in (errno.EACCES, errno.EPERM):
        hint = "; check its permissions"
    elif e.errno == errno.EISDIR:
        hint = "; a file was expected here, not a folder"
    elif e.errno == errno.ENOTDIR:
        hint = "; a folder was expected, or a parent of the path is a file"
    elif e.errno == errno.ELOOP:
        hint = "; the path is a symbolic-link loop"
    return f"{where}: {what}{hint}"


def exit_code(e: BaseException) -> int:
    if isinstance(e, LemerError):
        return e.exit_code
    if isinstance(e, OSError):
        return EXIT_FAILED if e.errno in WRITE_ERRNOS else EXIT_BAD_INPUT
    return EXIT_BAD_INPUT


def describe(e: BaseException) -> str:
    if isinstance(e, OSError) and not isinstance(e, LemerError):
        return os_error_text(e)
    if isinstance(e, KeyError) and not isinstance(e, LemerError):
        return str(e.args[0]) if e.args else repr(e)
    return str(e)


def run_guarded(command: str | None, func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """`func(args)` as an exit code; every expected failure is one line on stderr (see the module docstring)."""
    try:
        return int(func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (LemerError, OSError, ValueError, KeyError) as e:
        print(message(command, describe(e)), file=sys.stderr)
        return exit_code(e)


def _silence_stdout() -> None:
    """After the reader of stdout left, later writes (and the interpreter's final flush) must not raise."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
