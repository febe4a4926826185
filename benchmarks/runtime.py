"""Seeds and threads of a run, set once per run and recorded in its result.

Why one module: seeding and the thread policy used to live in four places, one of them a module
global flipped by the runner. Now a run calls `configure_run(seed, threads)` once before `fit`
and stores the returned record in its result, so a reader knows exactly what a number ran under.

Threads: a run computes with the same thread count on every executor (`run_threads`: torch, BLAS and
OpenMP, set by `benchmarks.run.work.counted` from the spec: the model's declared CPUs, else 1), because
the count decides bits (torch's parallel reductions, BLAS kernels): a `--jobs 1` run that kept the
libraries' defaults (one thread per core) could differ from the same run in a `--jobs 2` worker or a
1-CPU Ray task. Spawned pool workers also start with one thread (`one_thread_env`), so N of them share
the cores instead of oversubscribing them.
"""
from __future__ import annotations

import contextlib
import functools
import os
import platform
import sys
from typing import Any, Iterator

from lemer.core.devices import describe_device, precision_for, resolve_device
from lemer.core.seeding import seed_everything

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@contextlib.contextmanager
def one_thread_env() -> Iterator[None]:
    """One BLAS/OpenMP thread for every process started inside the block (spawned workers read
    these variables when numpy, torch and CTranslate2 are first imported)."""
    with _thread_env(1):
        yield


@contextlib.contextmanager
def _thread_env(n: int) -> Iterator[None]:
    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    os.environ.update({v: str(n) for v in THREAD_VARS})
    try:
        yield
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


@functools.lru_cache(maxsize=1)
def _blas_controller() -> Any:
    """One threadpoolctl controller (building one scans the loaded libraries: ~2 ms, too slow per clip)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Exactly `n` BLAS threads for the BLAS libraries loaded at first use (numpy's), restored after.

    For hot paths that must give the same bits in every process (the Whisper log-mel, called per clip)."""
    with _blas_controller().limit(limits=n, user_api="blas"):
        yield


@contextlib.contextmanager
def run_threads(n: int) -> Iterator[None]:
    """`n` torch, BLAS and OpenMP threads for one run, whatever the process had; everything restored after.

    The environment variables cover libraries first loaded during the run (sklearn's scipy BLAS, torch's
    OpenMP read them at load); threadpoolctl covers those already loaded; torch is set when imported."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    torch_before = torch.get_num_threads() if torch is not None else None
    try:
        with _thread_env(n), threadpool_limits(limits=n):
            yield
    finally:
        if torch is not None and torch_before is not None:
            torch.set_num_threads(torch_before)


def configure_run(seed: int, threads: int | None, device: str = "cpu") -> dict[str, Any]:
    """Seed every generator, apply the torch thread count and resolve the device; returns the record
    kept in result.json (`device`, `device_name`, `precision` say where neural models computed).

    torch is configured only when the model's module already imported it (importing torch for
    models that never use it would cost seconds per process); such models seed from `env.seed` and
    compute on the CPU whatever `device` says (`device` is recorded as "cpu" for them).
    The device is NOT part of a run's identity (`lemer/core/devices.py` says why): it is recorded here.
    """
    torch = sys.modules.get("torch")
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    seed_everything(seed)
    resolved, name, precision = "cpu", "cpu", "fp32"
    if torch is not None:
        dev = resolve_device(device)
        resolved, name, precision = str(dev), describe_device(dev), precision_for(dev)
    return {
        "seed": seed,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "blas_threads_env": {v: os.environ[v] for v in THREAD_VARS if v in os.environ},
        "python": platform.python_version(),
        "torch": getattr(torch, "__version__", None) if torch is not None else None,
        "device": resolved,
        "device_name": name,
        "precision": precision,
    }
