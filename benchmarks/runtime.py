"""One BLAS/OpenMP thread per worker process, so N parallel workers share the cores instead of
oversubscribing them. numpy, torch and CTranslate2 read these variables when first imported, and
spawned workers inherit the environment at the moment they start (inside the `with`)."""
from __future__ import annotations

import contextlib
import os
from typing import Iterator

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@contextlib.contextmanager
def one_thread_env() -> Iterator[None]:
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
