"""The perf benchmarks share the test fixtures (test-only models in a registry overlay) and the speech clips."""
import pytest

from tests.conftest import test_models  # noqa: F401

N_CLIPS = 16


@pytest.fixture(scope="module")
def clips():  # noqa: ANN201 - list[Utterance]
    """The first `N_CLIPS` utterances of the tiny synthetic IEMOCAP tree (espeak speech; tests/support/synth.py)."""
    from tests.support.synth import tiny_utterances

    return list(tiny_utterances("iemocap"))[:N_CLIPS]
