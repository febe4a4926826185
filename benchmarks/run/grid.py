"""Run a suite's grid: resolve corpora, expand, skip what is done, prepare shared data, execute.

Shared data (transcripts, encoder features) for the pending runs is prepared once in this process
before any run starts; with `jobs > 1` independent runs go to spawned worker processes (one
torch thread each) that get the transcripts directly and read features from the cache. A failed
run is recorded beside its directory and counted; it never stops the grid. The summary is what
the CLI prints as the last line of stdout.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

from tqdm import tqdm

from benchmarks.corpora import resolve_roots
from benchmarks.run.inputs import DataConfig, RunData
from benchmarks.run.execute import OUTPUT_UNWRITABLE, execute_recorded, is_complete
from benchmarks.suite import RunSpec, Suite, expand
from benchmarks.runtime import one_thread_env


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


@dataclass
class Summary:
    runs_total: int = 0
    runs_done: int = 0
    runs_skipped: int = 0
    runs_failed: int = 0
    features_computed: int = 0
    features_reused: int = 0
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
    roots = resolve_roots(suite.needed_corpora(), opts.corpus_roots, generate=opts.generate, log=log,
                          scale=suite.synthetic_scale)
    data = RunData(DataConfig(roots=roots, cache_dir=opts.cache_dir,
                              text_encoder=suite.text_encoder, speech_encoder=suite.speech_encoder,
                              progress=opts.progress))
    grid = expand(suite, roots, data.fold_names, encoder_names=data.encoder_names, only_models=opts.models)
    if opts.limit is not None:
        grid = grid[: max(0, opts.limit)]
    return grid, data


# ---------------------------------------------------------------- worker side
_WORKER: dict[str, Any] = {}


def _die_with_parent() -> None:
    """A `kill -9`ed runner cannot stop its pool, and orphaned workers would finish the queued runs and
    then wait forever: ask Linux to SIGKILL this worker when its parent dies, and (elsewhere, or if
    prctl is refused) watch the parent pid from a daemon thread."""
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _init_worker(config: DataConfig, transcripts: dict[Any, dict[str, str]], failed: dict[Any, str], out: str) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    _WORKER["data"] = RunData(config, transcripts_cache=transcripts, failed=failed)
    _WORKER["out"] = Path(out)


def _work(spec: RunSpec) -> tuple[str | None, int, int]:
    data: RunData = _WORKER["data"]
    before = data.counters()
    err = execute_recorded(spec, data, _WORKER["out"], threads=1)  # one torch thread per worker (benchmarks.runtime)
    after = data.counters()
    return err, after[0] - before[0], after[1] - before[1]


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
        if not opts.force and is_complete(opts.out / spec.relpath(), spec):
            summary.runs_skipped += 1
        else:
            pending.append(spec)
    data.preflight(pending)  # a missing encoder is one message now, not the same failure in every run
    with _SigtermAsInterrupt(), ExitStack() as stack:
        if pending:
            data.prepare(pending, log=log)  # logs one stage line per item (hours of ASR must not sit under 0/N)
        bar = stack.enter_context(tqdm(total=len(grid), initial=summary.runs_skipped, unit="run", desc=suite.name,
                                       disable=not opts.progress or not sys.stderr.isatty(), file=sys.stderr,
                                       dynamic_ncols=True))
        c0, r0 = data.counters()
        summary.features_computed, summary.features_reused = c0, r0
        outcomes = _serial(pending, data, opts.out) if opts.jobs <= 1 or len(pending) <= 1 else \
            _parallel(pending, data, opts)
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
                outcomes.close()  # stops the pool (see _parallel)
                left = summary.runs_total - summary.runs_skipped - summary.runs_done - summary.runs_failed
                if left:
                    summary.runs_failed += left
                    summary.failures.append(f"{opts.out}: {left} runs stopped or not started, {err}")
                break
    summary.seconds = time.perf_counter() - t0
    return summary


Outcome = tuple[RunSpec, tuple[str | None, int, int]]


def _serial(pending: list[RunSpec], data: RunData, out: Path) -> Iterator[Outcome]:
    for spec in pending:
        before = data.counters()
        err = execute_recorded(spec, data, out)
        after = data.counters()
        yield spec, (err, after[0] - before[0], after[1] - before[1])


def _parallel(pending: list[RunSpec], data: RunData, opts: RunOptions) -> Iterator[Outcome]:
    config = replace(data.config, verify_audio=False, progress=False)
    ctx = multiprocessing.get_context("spawn")  # fork after torch/OpenMP use can deadlock
    pool = ProcessPoolExecutor(max_workers=opts.jobs, mp_context=ctx, initializer=_init_worker,
                               initargs=(config, data.transcripts_cache, data.failed, str(opts.out)))
    try:
        with one_thread_env():  # workers are spawned during submit and inherit this environment
            futures = {pool.submit(_work, spec): spec for spec in pending}
        for fut in as_completed(futures):
            spec = futures[fut]
            try:
                yield spec, fut.result()
            except BrokenProcessPool as e:  # a worker died (killed, out of memory): its run is not done
                yield spec, (f"worker process died: {e}", 0, 0)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():  # only this runner's own workers
            child.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

