"""`lemer-bench run | ls | demo`: run a suite's grid, list what can be run, or run the embedded demo.

`run` and `demo` print progress on stderr and, as the last line of stdout, the grid summary as
JSON; the exit code is non-zero when any run failed or the results folder cannot be written (1),
or when the suite cannot start (2): a bad suite, a missing corpus, an unreachable encoder (all
listed once, before any run), or another runner holding the same `--out` (see `run/lock.py`).
Errors go through the one error path of the CLI (`guard.py`).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.corpora import parse_corpus_args
from benchmarks.models import MODELS, describe
from benchmarks.run.lock import out_lock
from benchmarks.run.runner import RunOptions, Summary, run_suite
from benchmarks.suite import SuiteError, list_suites, load_suite, suite_path
from benchmarks.transcripts import ASR_ENGINES, examples
from dataset_adapters.base import CORPORA, corpus_info, label_maps
from leaderboard.build import build_leaderboard
from lemer.core.errors import LemerError, OutputError
from lemer.core.options import integer

DEMO_SUITE = "demo"


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("run", help="run a suite's grid of runs (skips completed runs)")
    p.add_argument("--suite", required=True, help="bundled suite name (see `lemer-bench ls`) or path to a .toml")
    _common(p)
    p.add_argument("--corpus", action="append", default=[], metavar="NAME=ROOT",
                   help="corpus root, e.g. iemocap=/data/IEMOCAP_full_release (or set the corpus's LEMER_DATA_<NAME>; see `ls`)")
    p.add_argument("--force", action="store_true", help="redo runs that already have results")
    p.add_argument("--models", default=None, help="comma-separated subset of the suite's models")
    p.add_argument("--limit", type=integer(0), default=None, help="run only the first N (>= 0) runs of the grid")
    # --- executor options (benchmarks/run/executors.py; docs/cluster.md) ---
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where runs execute: this machine's process pool (default) or a Ray cluster")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="Ray cluster to join (e.g. auto, or HEAD_IP:6379); default: start a local Ray instance")
    p.add_argument("--retries", type=integer(0), default=2,
                   help="Ray: resubmit a task whose worker died up to N (>= 0) times (default 2); errors are kept")
    p.add_argument("--text-encoder", default=None, metavar="NAME_OR_PATH",
                   help="override the suite's text encoder: a BERT-family Hugging Face name or a local folder "
                        "(e.g. a downloaded bert-base-uncased), or 'default' (all-MiniLM-L6-v2, offline)")
    p.add_argument("--speech-encoder", default=None, metavar="NAME_OR_PATH",
                   help="override the suite's speech encoder: a wav2vec2-family name or local folder"
                        "[@layer=K|@mean], 'opensmile:egemaps[-ipu]', SPEC+opensmile:egemaps[-ipu], or "
                        "'default' (Whisper tiny.en encoder, offline)")
    p.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="generate the synthetic corpora, run the demo suite, write the leaderboard")
    _common(d, jobs_default=min(2, os.cpu_count() or 1))
    d.set_defaults(func=cmd_demo)

    ls = sub.add_parser("ls", help="list corpora, protocols, label maps, models, transcript sources, suites")
    ls.add_argument("--switches", metavar="MODEL", default=None,
                    help="list MODEL's switches instead: each default, whether the model's registry entry sets it, "
                         "and where the value comes from (paper / summary / ours) where the model records it")
    ls.set_defaults(func=cmd_ls)


def _common(p: argparse.ArgumentParser, jobs_default: int = 1) -> None:
    p.add_argument("--out", type=Path, default=Path("runs"), help="results directory (default ./runs)")
    p.add_argument("--jobs", type=integer(1), default=jobs_default,
                   help=f"parallel run processes, >= 1 (default {jobs_default})")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="cache folder for features, transcripts and degraded audio (default: $LEMER_CACHE or the "
                        "user cache dir)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--device", default="auto", metavar="auto|cpu|cuda[:N]",
                   help="where encoders and neural models compute (default auto: a GPU when torch sees one; "
                        "bf16 autocast on GPU). Recorded in each result, not part of a run's identity")


def _execute(suite_name: str, args: argparse.Namespace, **extra: Any) -> tuple[int, Summary, Any]:
    """Parse the suite (CLI overrides through the same checks) and run its grid; bad input raises (`guard.py`)."""
    encoders = {role: extra[f"{role}_encoder"] for role in ("text", "speech") if extra.get(f"{role}_encoder")}
    suite = load_suite(suite_name, overrides={"encoders": encoders} if encoders else None)  # same checks as the file's
    models = None
    if extra.get("models"):
        models = [m.strip() for m in extra["models"].split(",") if m.strip()]
        for m in models:
            MODELS.defaults(m)  # KeyError with close names on a typo
    opts = RunOptions(out=args.out, jobs=max(1, args.jobs), force=extra.get("force", False),
                      limit=extra.get("limit"), models=models,
                      corpus_roots=parse_corpus_args(extra.get("corpus", [])),
                      cache_dir=args.cache, progress=not args.no_progress, device=args.device,
                      **_executor_options(args))
    summary = run_suite(suite, opts)
    _print_failures(summary)
    return (1 if summary.runs_failed else 0), summary, suite


def _executor_options(args: argparse.Namespace) -> dict[str, Any]:
    """--executor/--ray-address/--retries as RunOptions fields (absent on `demo`: the local pool)."""
    executor = getattr(args, "executor", "local")
    address = getattr(args, "ray_address", None)
    if address and executor != "ray":
        raise ValueError("--ray-address needs --executor ray")
    return {"executor": executor, "ray_address": address, "retries": max(0, getattr(args, "retries", 2))}


def _print_failures(summary: Summary) -> None:
    """Each distinct reason once, with how many runs it failed and one of their folders.

    (The grid already logged every failure as it happened; a reason shared by 75 runs, such as a
    missing encoder, must not scroll by 75 more times.)"""
    reasons: Counter[str] = Counter()
    example: dict[str, str] = {}
    for line in summary.failures:
        where, _, reason = line.partition(": ")
        reasons[reason] += 1
        example.setdefault(reason, where)
    for reason, n in reasons.most_common():
        runs = f"{n} runs, e.g. {example[reason]}" if n > 1 else example[reason]
        print(f"failed ({runs}): {reason}", file=sys.stderr)


def _locked(args: argparse.Namespace, body: Any) -> int:
    """Run `body()` holding the lock on --out; a held lock or an unwritable --out is one line, no traceback."""
    try:
        with out_lock(args.out):
            return int(body())
    except OSError as e:
        if isinstance(e, LemerError) or e.filename is None or not _under(e.filename, args.out):
            raise
        raise OutputError(f"cannot write to --out {args.out} ({e.strerror or type(e).__name__}: {e.filename}); "
                          "completed results there are untouched") from None


def _under(filename: Any, out: Path) -> bool:
    try:
        return Path(os.path.abspath(filename)).is_relative_to(os.path.abspath(out))
    except (TypeError, ValueError):
        return False


def _leaderboard(runs_dir: Path) -> tuple[bool, str]:
    """Build the leaderboard of one suite's results into <runs_dir>/leaderboard; (ok, message)."""
    out_dir = runs_dir / "leaderboard"
    try:
        build_leaderboard(runs_dir, out_dir)
    except Exception as e:  # the grid's results stay valid; say clearly what went wrong
        return False, f"lemer-bench: leaderboard not written ({type(e).__name__}: {e})"
    return True, f"leaderboard written to {out_dir} (open {out_dir / 'index.html'} in a browser)"


def _finish(code: int, summary: Summary, suite: Any, with_leaderboard: bool, out: Path) -> int:
    """The leaderboard (when the suite asks for one and the whole grid ran), where the results are and what to do
    next (stderr), then the summary as the last line of stdout."""
    runs = out / suite.name
    if with_leaderboard:
        ok, msg = _leaderboard(runs)
        print(msg, file=None if ok else sys.stderr)
        code = code or (0 if ok else 1)
    else:
        print(f"results in {runs} ({summary.runs_done} run(s) written, {summary.runs_skipped} already there); next: "
              f"lemer-bench leaderboard {runs} --out {runs / 'leaderboard'}", file=sys.stderr)
    print(json.dumps(summary.to_json()))
    return code


def cmd_run(args: argparse.Namespace) -> int:
    def body() -> int:
        code, summary, suite = _execute(args.suite, args, force=args.force, models=args.models, limit=args.limit,
                                        corpus=args.corpus, text_encoder=args.text_encoder,
                                        speech_encoder=args.speech_encoder)
        full_grid = args.limit is None and args.models is None
        return _finish(code, summary, suite, suite.leaderboard and full_grid, args.out)
    return _locked(args, body)


def cmd_demo(args: argparse.Namespace) -> int:
    def body() -> int:
        code, summary, suite = _execute(DEMO_SUITE, args)
        return _finish(code, summary, suite, True, args.out)
    return _locked(args, body)


def cmd_ls(args: argparse.Namespace) -> int:
    print(switches_text(args.switches) if args.switches else ls_text())
    return 0


def switches_text(name: str) -> str:
    """Every switch of model `name` (a suite sets them under [model_config.<name>] or [model_defaults])."""
    model = MODELS.get(name).from_config(MODELS.defaults(name))
    cfg = getattr(model, "cfg", None)
    if cfg is None or not dataclasses.is_dataclass(cfg) or not dataclasses.fields(cfg):
        return f"{name}: no switches"
    registered = MODELS.defaults(name)
    sources = getattr(sys.modules[type(cfg).__module__], "SOURCES", {})
    lines = [f"{name}: {MODELS.description(name)}", f"{'switch':<26} {'default':<22} source"]
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        tier, note = sources.get(f.name, ("", ""))
        mark = f" (set by the {name} entry)" if f.name in registered else ""
        where = f"{tier}: {note}" if tier else "(not recorded)"
        lines.append(f"{f.name:<26} {value!r:<22} {where}{mark}".rstrip())
    return "\n".join(lines)


def ls_text() -> str:
    """Everything a user can name in a suite or on the command line, with where it comes from."""
    lines = ["corpora (root via --corpus NAME=ROOT or the environment variable):"]
    for name in CORPORA:
        info = corpus_info(name)
        lines.append(f"  {name:<12} protocols: {', '.join(info.protocols)} (default {info.default_protocol})   "
                     f"label maps: {', '.join(m.name for m in info.label_maps)}   tasks: {', '.join(info.tasks)}   "
                     f"env: {info.env_var}")
    lines.append("label maps:")
    maps = label_maps()
    for n in maps:
        lm = maps.get(n)
        lines.append(f"  {lm.name:<12} {', '.join(lm.classes)}   (corpora: {', '.join(lm.corpora) or 'all'})")
    lines.append("models:")
    for name in MODELS:
        try:
            f = describe(name)
            mods = ", ".join(f.modalities) or "none (transcript-independent)"
            lines.append(f"  {name:<20} modalities: {mods}   tasks: {', '.join(f.tasks)}")
        except Exception as e:  # a model whose module is broken must not hide the others
            lines.append(f"  {name:<20} (unavailable: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    lines.append("transcript sources:")
    lines.extend(f"  {k}" for k in _transcript_keys())
    lines.append("suites:")
    for s in list_suites():
        try:
            desc = load_suite(s).description.strip().splitlines()[0]
        except (SuiteError, IndexError):
            desc = ""
        lines.append(f"  {s:<14} {desc}   ({suite_path(s)})")
    return "\n".join(lines)


def _transcript_keys() -> list[str]:
    return [f"{k:<26} {ASR_ENGINES.description(k[4:])}" if k.startswith("asr:") else k for k in examples()]
