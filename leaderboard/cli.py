"""`lemer-bench score | compare | leaderboard`: also usable on users' own prediction files.

Errors in the input (bad files, different test sets, an output folder the leaderboard does not own)
print one clear message naming the file to stderr and return exit code 2; a write the file system
refuses (no space, read-only) prints one line naming the path and returns 1. Results go to stdout
as JSON (`score`, `compare`) or, with `leaderboard --print`, as the headline table.
"""
from __future__ import annotations

import argparse
import json
import sys

from leaderboard.metrics import score_labels
from leaderboard.references import load_references
from leaderboard.results import ResultError, align, read_predictions
from leaderboard.significance import DEFAULT_RESAMPLES, METRICS, TESTS, compare

EXIT_BAD_INPUT = 2
EXIT_WRITE_FAILED = 1


def _score(args: argparse.Namespace) -> int:
    p = read_predictions(args.predictions)
    print(json.dumps(score_labels(p.gold, p.pred).to_json(), indent=2))
    return 0


def _compare(args: argparse.Namespace) -> int:
    a, b = read_predictions(args.a), read_predictions(args.b)
    labels, gold, pred_a, pred_b, _ = align(a, b)
    metric = args.metric or ("wa" if args.test == "mcnemar" else "ua")
    res = compare(pred_a, pred_b, gold, len(labels), test=args.test, metric=metric,
                  n_resamples=args.resamples, seed=args.seed)
    print(json.dumps(res.to_json(), indent=2))
    return 0


def _leaderboard(args: argparse.Namespace) -> int:
    from leaderboard.build import OutputWriteError, build_leaderboard  # matplotlib is imported only here

    refs = load_references(args.references) if args.references else None
    try:
        lb = build_leaderboard(args.runs_dir, args.out, references=refs, n_resamples=args.resamples, seed=args.seed)
    except OutputWriteError as e:
        print(f"lemer-bench {args.command}: error: {e}", file=sys.stderr)
        return EXIT_WRITE_FAILED
    ranked = sum(len(c.ranked) for c in lb.cells)
    print(f"wrote {args.out}: {len(lb.cells)} cells, {ranked} ranked model rows from {lb.n_runs} runs", file=sys.stderr)
    if args.print:
        from leaderboard.tables import headline_text

        print(headline_text(lb))
    return 0


def _guarded(func):  # type: ignore[no-untyped-def]
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (ResultError, ValueError, FileExistsError) as e:
            print(f"lemer-bench {args.command}: error: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
    return run


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("score", help="WA, UA, macro-F1 and per-class recall of a predictions JSONL file")
    p.add_argument("predictions", help="JSONL with uid, gold, pred (optional probs)")
    p.set_defaults(func=_guarded(_score))

    p = sub.add_parser("compare", help="paired significance test between two prediction files on the same utterances")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--test", choices=TESTS, default="bootstrap")
    p.add_argument("--metric", choices=METRICS, default=None, help="default: wa for mcnemar, ua otherwise")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    p.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES)
    p.set_defaults(func=_guarded(_compare))

    p = sub.add_parser("leaderboard", help="tables, significance tests, plots and index.html from a runs directory")
    p.add_argument("runs_dir")
    p.add_argument("--out", required=True,
                   help="output folder: new, empty, or one this command wrote before (it holds a .lemer-leaderboard "
                        "marker); replaced atomically. Any other non-empty folder is refused")
    p.add_argument("--references", help="TOML file of published reference rows ([[reference]] tables)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES)
    p.add_argument("--print", action="store_true",
                   help="also print the headline table (best model per corpus and condition) to stdout")
    p.set_defaults(func=_guarded(_leaderboard))
