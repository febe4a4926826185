"""`lemer-bench suite check FILE`: every problem of a suite file at once, before anything is run.

What `run` would refuse, without reading, generating or encoding any corpus: unknown keys, values of the wrong
type, unknown models, corpora, protocols, label maps, transcript conditions and encoder specs (with the closest
names), switches that no model of the suite has, and every model and ablation value's merged config (built as
the runs will build it). Exit 0 with a one-line summary of the grid when the suite parses, 2 with one line per
problem (`file:line: what`) otherwise.
"""
from __future__ import annotations

import argparse
import sys

from benchmarks.suite import Suite, check_suite
from lemer.core.errors import EXIT_BAD_INPUT, EXIT_OK, message


def summary(suite: Suite) -> str:
    """What the suite runs, in a line (folds are counted at run time, from the corpora)."""
    parts = [f"{c.name} ({c.protocol}, {c.label_map}{', synthetic' if c.synthetic else ''}): "
             f"{len(c.models)} model name(s), {len(c.transcripts)} transcript condition(s), {len(c.seeds)} seed(s)"
             + (f", {len(c.audio)} audio condition(s)" if len(c.audio) > 1 or not c.audio[0].is_clean else "")
             + (f", tasks {', '.join(c.tasks)}" if c.tasks != ("categorical",) else "")
             + (", refit on train + valid" if c.refit else "")
             for c in suite.corpora]
    if suite.cross_corpus:
        parts.append(f"cross-corpus over {', '.join(suite.cross_corpus.corpora)} ({suite.cross_corpus.label_map})")
    if suite.ablations:
        parts.append(f"{len(suite.ablations)} ablation sweep(s) with "
                     f"{sum(len(a.values) for a in suite.ablations)} value(s)")
    ranks = ", ".join(suite.main_score(t) + ("" if t == "categorical" else f" ({t})") for t in suite.tasks())
    return f"ok: suite {suite.name!r} ({suite.path}) ranks by {ranks}: " + "; ".join(parts)


def cmd_check(args: argparse.Namespace) -> int:
    suite, problems = check_suite(args.file)
    if problems:
        for p in problems:
            print(message("suite check", p), file=sys.stderr)
        print(f"{len(problems)} problem(s) in {args.file}; nothing was run", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(summary(suite))  # type: ignore[arg-type]
    return EXIT_OK


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = sub.add_parser("suite", help="check a suite file without running it")
    ssub = s.add_subparsers(dest="suite_command", required=True)
    c = ssub.add_parser("check", help="report every problem of a suite at once (exit 2), or summarise it (exit 0)",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("file", help="a suite .toml file, or the name of a bundled suite (see `lemer-bench ls`)")
    c.set_defaults(func=cmd_check)
