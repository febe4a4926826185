"""`lemer-bench` entry point: each command group lives in its own module and registers its sub-commands."""
from __future__ import annotations

import argparse
import sys

from benchmarks.cli import data, features, pretrain, run, suite
from benchmarks.cli.guard import run_guarded
from benchmarks.provenance import package_version
from leaderboard import cli as leaderboard_cli

# Each command group is a module whose `register(subparsers)` adds parsers whose `func(args) -> int` runs it.
COMMAND_GROUPS = (
    data,  # data export | folds | check | synth
    features,  # transcripts, features
    run,  # run, ls, demo
    suite,  # suite check
    pretrain,  # pretrain (second-stage wav2vec2 pre-training on one fold's training audio)
    leaderboard_cli,  # score, compare, leaderboard
)


DESCRIPTION = """\
Benchmark speech+text emotion recognition (LE-MER and baselines) on IEMOCAP, MSP-Podcast and
CREMA-D, or on synthetic stand-ins in their layouts: speaker-disjoint folds, gold / ASR / noisy
transcripts, cached encoder features, a leaderboard with significance tests.

Start with `lemer-bench demo` (generates synthetic corpora, runs a small suite), `lemer-bench ls` (what
can be named), then `lemer-bench run --suite NAME --corpus iemocap=/path/to/IEMOCAP_full_release`."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lemer-bench", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and run the command through the one error path (`guard.run_guarded`)."""
    args = build_parser().parse_args(argv)
    command = " ".join(str(getattr(args, a)) for a in ("command", "data_command", "suite_command")
                       if getattr(args, a, None))
    return run_guarded(command, args.func, args)


if __name__ == "__main__":
    sys.exit(main())
