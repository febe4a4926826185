"""The error types a user can act on, and the exit codes the command line gives them.

Why one home: every layer raises errors about bad input (a suite, a corpus file, a result file, a model
switch, an argument) or about output the file system refused. The CLI turns each into one line
`lemer-bench <command>: error: <message>` and an exit code from the table below, whichever layer raised it,
so an error is never a traceback and the same kind of failure exits the same way from every command.
Each concrete error keeps the builtin base it always had (ValueError, KeyError, RuntimeError), so code that
catches those keeps working.

Exit codes (`lemer-bench`, every command):
    0    success
    1    runs failed, or an output could not be written (nothing already there was replaced)
    2    bad input: a suite, corpus, file, argument or model switch that cannot be used; nothing was run
    130  interrupted (Ctrl-C, SIGTERM)
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # runs failed, or a write was refused
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
MESSAGE_PREFIX = "lemer-bench"


class LemerError(Exception):
    """Base of the project's own errors: the message names the file (and line) or the value at fault."""

    exit_code = EXIT_BAD_INPUT


class InputError(LemerError, ValueError):
    """Input that cannot be used (a suite, corpus, result or argument); nothing was computed from it."""


class OutputError(LemerError):
    """The file system refused an output (full, read-only, no permission); what was there is unchanged."""

    exit_code = EXIT_FAILED


def message(command: str | None, text: str) -> str:
    """The one form of an error line: `lemer-bench <command>: error: <text>`."""
    who = f"{MESSAGE_PREFIX} {command}" if command else MESSAGE_PREFIX
    return f"{who}: error: {text}"
