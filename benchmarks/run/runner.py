"""Run a suite's grid: resolve corpora, expand, skip what is done, prepare shared data, execute.

Shared data (transcripts, encoder features) for the pending runs is prepared once before any run
starts; where runs then execute is the executor's business (`benchmarks.run.executors`: this
machine's process pool by default, or a Ray cluster). A failed run is recorded beside its
directory and counted; it never stops the grid. The summary is what the CLI prints as the last
line of stdout.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from benchmarks.corpora import resolve_roots
from benchmarks.run.execute import OUTPUT_UNWRITABLE, is_complete, replaced_fields
from benchmarks.run.executors import check_executor, make_executor
from benchmarks.run.grid import expand
from benchmarks.run.inputs import DataConfig, RunData
from benchmarks.run.preflight import check_device, check_pretrained
from benchmarks.suite import Suite
from lemer.core.errors import InputError
from lemer.core.pretrained import cache_root
from lemer.core.spec import RunSpec


@dataclass
class RunOptions:
    out: Path = Path("runs")
    jobs: int = 1
    force: bool = False
    limit: int | None = None  # run only the first N runs of the grid (smoke tests)
    models: list[str] | None = None  # restrict the grid to these models
    corpus_roots: dict[str, str] = field(default_factory=dict)  # --corpus NAME=ROOT
    cache_dir: str | None = None  # feature cache; None = the feature store's default
    progress: bool = True
    generate: bool = True  # generate missing synthetic corpora
    # --- executor (benchmarks/run/executors.py) ---
    executor: str = "local"  # "local" (process pool, needs no Ray) or "ray"
    ray_address: str | None = None  # None: start a local Ray instance; else e.g. "auto" or "head:6379"
    retries: int = 2  # Ray: times a task whose worker died is resubmitted (its errors are kept)
    device: str = "auto"  # auto | cpu | cuda[:N] (the CLI's default); recorded per run, not part of its identity


@dataclass
class Summary:
    runs_total: int = 0
    runs_done: int = 0
    runs_skipped: int = 0
    runs_failed: int = 0
    features_computed: int = 0
    features_reused: int = 0
    cache_corrupt_recomputed: int = 0  # transcript and feature cache entries that failed their checksum
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)  # "<run dir>: <reason>", not in the JSON line

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("failures")
        d["seconds"] = round(self.seconds, 2)
        return d


def _log(msg: str) -> None:
    tqdm.write(msg, file=sys.stderr)


def plan(suite: Suite, opts: RunOptions, log: Callable[[str], None] = _log) -> tuple[list[RunSpec], RunData]:
    """The suite's grid (after --models/--limit) and the process's data access; fails up front on missing corpora."""
    # Ray not installed, or nothing listening at --ray-address: one line before any corpus is read or generated
    check_executor(opts.executor, opts.ray_address)
    check_device(opts.device)
    cache_root(opts.cache_dir)  # a cache path that is a file: one line before any corpus is read
    roots = resolve_roots(suite.needed_corpora(), opts.corpus_roots, generate=opts.generate, log=log,
                          scale=suite.synthetic_scale)  # a missing real corpus is named first
    check_pretrained(suite, opts.models)  # before any corpus is read, transcribed or encoded
    data = RunData(DataConfig(roots=roots, cache_dir=opts.cache_dir,
                              text_encoder=suite.text_encoder, speech_encoder=suite.speech_encoder,
                              progress=opts.progress, device=opts.device))
    grid = expand(suite, roots, data.fold_names, encoders=data.encoder_refs, only_models=opts.models)
    for corpus in data.loaded_corpora():  # the stated empty-text policy, with the count, once per corpus read
        if corpus.empty_text:
            log(corpus.notes[-1])
    if opts.limit is not None:
        grid = grid[: max(0, opts.limit)]
    return grid, data


class ReplacesResults(InputError):
    """Pending runs would overwrite results of a different spec; nothing was run."""


def refuse_replacing(out: Path, pending: list[RunSpec], show: int = 5) -> None:
    """Refuse (before anything runs) to overwrite a result written by a different spec at the same path; `--force`
    replaces them. A result computed on other corpus content (same spec) is redone without asking: it is stale."""
    clashes = [(spec, diff) for spec in pending if (diff := replaced_fields(out / spec.relpath(), spec))]
    if not clashes:
        return
    lines = [f"  {out / spec.relpath()}: {'; '.join(diff[:4])}{' ...' if len(diff) > 4 else ''}"
             for spec, diff in clashes[:show]]
    more = f"  ... and {len(clashes) - show} more\n" if len(clashes) > show else ""
    raise ReplacesResults(
        f"{len(clashes)} run(s) of this suite would replace results written by a different spec (what differs is "
        f"shown as old -> new):\n" + "\n".join(lines) + "\n" + more
        + "Nothing was run. Rerun with --force to replace them, or write to another --out to keep both.")


# ---------------------------------------------------------------- parent side
class _SigtermAsInterrupt:
    """Turn SIGTERM into KeyboardInterrupt so a terminated grid stops its workers and exits cleanly."""

    def __enter__(self) -> None:
        self._old = None
        self._pid = os.getpid()
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._raise)

    def _raise(self, signum: int, frame: Any) -> None:
        if os.getpid() != self._pid:  # a forked helper (e.g. an ASR pool) inherited this: die as by default
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise KeyboardInterrupt

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)


def run_suite(suite: Suite, opts: RunOptions, log: Callable[[str], None] = _log) -> Summary:
    t0 = time.perf_counter()
    grid, data = plan(suite, opts, log)
    summary = Summary(runs_total=len(grid))
    pending = []
    for spec in grid:
        if not opts.force and is_complete(opts.out / spec.relpath(), spec, data.manifest_hash(spec)):
            summary.runs_skipped += 1
        else:
            pending.append(spec)
    if not opts.force:
        refuse_replacing(opts.out, pending)
    # no pending run: no executor (a Ray cluster is not even contacted)
    executor = make_executor(opts.executor, opts.out, opts.jobs, address=opts.ray_address, retries=opts.retries,
                             progress=opts.progress) if pending else None
    with _SigtermAsInterrupt(), ExitStack() as stack:
        try:
            # preparation logs one stage line per item (hours of ASR must not sit under a 0/N bar)
            t_comp, t_reuse = executor.prepare(data, pending, log) if executor else (0, 0)
            # progress bar on a terminal only; the JSON summary line is printed either way
            bar = stack.enter_context(tqdm(total=len(grid), initial=summary.runs_skipped, unit="run", desc=suite.name,
                                           disable=not opts.progress or not sys.stderr.isatty(), file=sys.stderr,
                                           dynamic_ncols=True))
            c0, r0 = data.counters()
            summary.features_computed, summary.features_reused = c0 + t_comp, r0 + t_reuse
            outcomes = executor.outcomes(pending, data) if executor else iter(())
            for spec, (err, computed, reused) in outcomes:
                summary.features_computed += computed
                summary.features_reused += reused
                if err is None:
                    summary.runs_done += 1
                else:
                    summary.runs_failed += 1
                    summary.failures.append(f"{opts.out / spec.relpath()}: {err}")
                    log(f"FAILED {spec.relpath()}: {err}")
                bar.update(1)
                if err is not None and err.startswith(OUTPUT_UNWRITABLE):  # every later run would fail after its fit
                    outcomes.close()  # stops the queued runs (see the executors)
                    left = summary.runs_total - summary.runs_skipped - summary.runs_done - summary.runs_failed
                    if left:
                        summary.runs_failed += left
                        summary.failures.append(f"{opts.out}: {left} runs stopped or not started, {err}")
                    break
        finally:
            if executor:
                executor.close()  # stops the pool's queued runs too
    corrupt = data.corrupt_counts()
    summary.cache_corrupt_recomputed = sum(corrupt)
    if summary.cache_corrupt_recomputed:
        log(f"recomputed {summary.cache_corrupt_recomputed} corrupt cache entries ({corrupt[0]} transcripts, "
            f"{corrupt[1]} features): each failed its checksum or did not parse")
    summary.seconds = time.perf_counter() - t0
    return summary
