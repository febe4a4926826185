"""Suites: small declarative TOML files naming a grid of runs.

`parse.py` turns a file into a `Suite` (`schema.py`), checking everything; `benchmarks/run/grid.py` expands a
suite into its runs. Bundled suites live in `builtin/`; every key is documented in docs/suites.md.
"""
from benchmarks.suite.parse import SUITES, check_suite, list_suites, load_suite, suite_path
from benchmarks.suite.schema import ALL_MODELS, AblationSweep, CorpusEntry, CrossCorpus, Suite, SuiteError

__all__ = ["SUITES", "ALL_MODELS", "AblationSweep", "CorpusEntry", "CrossCorpus", "Suite", "SuiteError",
           "check_suite", "list_suites", "load_suite", "suite_path"]
