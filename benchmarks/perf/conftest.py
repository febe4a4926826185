"""The perf benchmarks share the test fixtures (test-only models in a registry overlay)."""
from tests.conftest import test_models  # noqa: F401
