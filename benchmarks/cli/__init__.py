"""`lemer-bench` entry point: each command group lives in its own module and registers its sub-commands."""
from __future__ import annotations

import argparse
import importlib
import sys

# Each module exposes `register(subparsers)`, adding parsers whose `func(args) -> int` runs the command.
COMMAND_MODULES = (
    "benchmarks.cli.data",  # data export | folds | check | synth
    "benchmarks.cli.features",  # transcripts, features
    "benchmarks.cli.run",  # run, ls, demo
    "leaderboard.cli",  # score, compare, leaderboard
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lemer-bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
