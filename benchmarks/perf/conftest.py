"""The perf benchmarks share the test fixtures (test-only models in a registry overlay) and the speech clips."""
import pytest

from tests.conftest import test_models  # noqa: F401

N_CLIPS = 16


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - list[Utterance]
    """The first `N_CLIPS` utterances of a tiny synthetic IEMOCAP tree (espeak speech)."""
    from dataset_adapters.base import get_adapter
    from dataset_adapters.synth import generate

    root = tmp_path_factory.mktemp("perf") / "IEMOCAP_full_release"
    generate("iemocap", root, scale="tiny", seed=0, progress=False)
    return list(get_adapter("iemocap").load(root).utterances)[:N_CLIPS]
