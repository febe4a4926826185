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

from lemer.seeding import seed_everything

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


def configure_run(seed: int, threads: int | None) -> dict[str, Any]:
    """Seed every generator and apply the torch thread count; returns the record kept in result.json.

    torch is configured only when the model's module already imported it (importing torch for
    models that never use it would cost seconds per process); such models seed from `env.seed`.
    """
    torch = sys.modules.get("torch")
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    seed_everything(seed)
    return {
        "seed": seed,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "blas_threads_env": {v: os.environ[v] for v in THREAD_VARS if v in os.environ},
        "python": platform.python_version(),
        "torch": getattr(torch, "__version__", None) if torch is not None else None,
        "device": "cpu",
    }
