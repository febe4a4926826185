"""The harness: suites, runner, transcripts (ASR, noise), encoders and feature cache, CLI.

The Python API for notebooks lives in `benchmarks.api` and is re-exported here:
`load_corpus`, `make_folds`, `run_suite`, `load_results`, `load_predictions` (imported lazily,
so `import benchmarks` stays cheap for the CLI and the spawned run workers).
"""
from typing import Any

__all__ = ["load_corpus", "make_folds", "run_suite", "load_results", "load_predictions"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from benchmarks import api

        return getattr(api, name)
    raise AttributeError(f"module 'benchmarks' has no attribute {name!r}")
