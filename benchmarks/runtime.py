"""Seeds and threads of a run, set once per run and recorded in its result.

Why one module: seeding and the thread policy used to live in four places, one of them a module
global flipped by the runner. Now a run calls `configure_run(seed, threads)` once before `fit`
and stores the returned record in its result, so a reader knows exactly what a number ran under.

Threads: N parallel workers each get one BLAS/OpenMP thread (`one_thread_env`, inherited by the
spawned workers) and one torch thread (`threads=1`), so they share the cores instead of
oversubscribing them; a single-process grid leaves the libraries' defaults (`threads=None`).
"""
from __future__ import annotations

import contextlib
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
    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    os.environ.update({v: "1" for v in THREAD_VARS})
    try:
        yield
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


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
