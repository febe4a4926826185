"""Where a grid's runs execute: this machine's process pool (default) or a Ray cluster.

One small interface, so the grid's bookkeeping (skip what is done, count, summarise) is the same
for both: `prepare` makes the pending runs' shared data (transcripts, features) available, and
`outcomes` executes the runs and yields (spec, (error or None, features computed, features reused))
as each finishes. Every run goes through `counted` -> `execute_recorded`, the one code path that
writes a run's files atomically, so resume, `--force` and the leaderboard do not depend on the
executor. Ray is imported only by the Ray executor (`benchmarks.run.ray_executor`).
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from benchmarks.run.inputs import DataConfig, RunData
from benchmarks.run.ray_executor import (  # ray imported only when one is made or checked
    RayExecutor,
    import_ray,
    probe_address,
)
from benchmarks.run.work import Counted, Outcome, counted
from benchmarks.runtime import one_thread_env
from lemer.core.spec import RunSpec

EXECUTORS = ("local", "ray")


class Executor(Protocol):
    def prepare(self, data: RunData, pending: list[RunSpec], log: Callable[[str], None]) -> tuple[int, int]:
        """Make the pending runs' shared data ready in `data`; (computed, reused) counted outside `data`."""
        ...

    def outcomes(self, pending: list[RunSpec], data: RunData) -> Iterator[Outcome]: ...

    def close(self) -> None: ...


def check_executor(name: str, address: str | None = None) -> None:
    """Fail before any work (corpora read or generated) when the executor cannot run here: Ray not installed
    is one line saying what to install (RayUnavailable, exit 2), not a ModuleNotFoundError after the corpus;
    an --ray-address where nothing listens is one line too (`probe_address`), not an error after the planning."""
    if name == "ray":
        import_ray()
        if address is not None:
            probe_address(address)
    elif name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}: expected one of {', '.join(EXECUTORS)}")


def make_executor(name: str, out: Path, jobs: int = 1, **ray_options: Any) -> Executor:
    """The executor called `name` ('local' or 'ray'); Ray options are ignored by the local one."""
    if name == "local":
        return LocalExecutor(out, jobs)
    if name == "ray":
        return RayExecutor(out, jobs=jobs, **ray_options)
    raise ValueError(f"unknown executor {name!r}: expected one of {', '.join(EXECUTORS)}")


# ---------------------------------------------------------------------------- the local process pool
class LocalExecutor:
    """Shared data prepared in this process; runs serially or in `jobs` spawned workers (started with one
    thread each); either way a run computes with its spec's thread count (`benchmarks.run.work.counted`)."""

    def __init__(self, out: Path, jobs: int = 1) -> None:
        self.out = out
        self.jobs = jobs

    def prepare(self, data: RunData, pending: list[RunSpec], log: Callable[[str], None]) -> tuple[int, int]:
        data.prepare(pending, log=log)
        return 0, 0  # counted by `data` itself

    def outcomes(self, pending: list[RunSpec], data: RunData) -> Iterator[Outcome]:
        if self.jobs <= 1 or len(pending) <= 1:
            for spec in pending:
                yield spec, counted(spec, data, self.out)
        else:
            yield from self._parallel(pending, data)

    def close(self) -> None:
        pass

    def _parallel(self, pending: list[RunSpec], data: RunData) -> Iterator[Outcome]:
        config = replace(data.config, verify_audio=False, progress=False)
        ctx = multiprocessing.get_context("spawn")  # fork after torch/OpenMP use can deadlock
        pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=_init_worker,
                                   initargs=(config, data.transcripts_cache, data.failed, str(self.out)))
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


def _work(spec: RunSpec) -> Counted:
    return counted(spec, _WORKER["data"], _WORKER["out"])  # threads from the spec, as in the serial path
