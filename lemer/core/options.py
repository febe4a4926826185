"""Numeric command-line values with their allowed range, shared by every `lemer-bench` command.

argparse calls the returned function on the text; a value outside the range is a usage error naming the option
and the range (exit 2, no traceback), so `--jobs 0` or `features --context -1` never reaches the code. Each
function carries its range as `.range_text`, which the option's help shows.
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def integer(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An argparse `type=` for an integer in [lo, hi] (either bound may be open)."""
    text = _range_text(lo, hi)

    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer {text}, got {value!r}") from None
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise argparse.ArgumentTypeError(f"must be an integer {text}, got {n}")
        return n

    parse.range_text = text  # type: ignore[attr-defined]
    parse.__name__ = "integer"
    return parse


def number(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False) -> Callable[[str], float]:
    """An argparse `type=` for a finite number in the range (bounds closed unless `lo_open` / `hi_open`)."""
    text = _range_text(lo, hi, lo_open, hi_open)

    def parse(value: str) -> float:
        try:
            x = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number {text}, got {value!r}") from None
        below = lo is not None and (x <= lo if lo_open else x < lo)
        above = hi is not None and (x >= hi if hi_open else x > hi)
        if not math.isfinite(x) or below or above:
            raise argparse.ArgumentTypeError(f"must be a number {text}, got {value}")
        return x

    parse.range_text = text  # type: ignore[attr-defined]
    parse.__name__ = "number"
    return parse


def _range_text(lo: float | None, hi: float | None, lo_open: bool = False, hi_open: bool = False) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {hi:g}"
    return ""
