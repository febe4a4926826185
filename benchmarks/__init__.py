"""The harness: suites, runner, transcripts (ASR, noise), encoders and feature cache, CLI.

The Python API for notebooks lives in `benchmarks.api` and is re-exported here:
`load_corpus`, `make_folds`, `run_suite`, `load_results`, `load_predictions`.
"""
from benchmarks.api import load_corpus, load_predictions, load_results, make_folds, run_suite

__all__ = ["load_corpus", "make_folds", "run_suite", "load_results", "load_predictions"]
