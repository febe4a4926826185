"""Reading a corpus from a saved Hugging Face dataset vs from its tree, and writing the export.

Corpus: the hand-made IEMOCAP tree of tests/support/corpora.py (`iemocap_tree`), 5 sessions x 2 speakers x 100
utterances (1000 clips of 50 ms). Audio checks are off in the two read benchmarks (`verify_audio=False`,
what the runner's workers do), so what is timed is parsing: label/transcript files for the tree,
the memory-mapped Arrow table (mapped columns only, never the embedded audio) for the dataset.

- `test_read_tree`: the IEMOCAP adapter on the tree.
- `test_read_hf`: the same corpus from `hf:DIR` (same Utterance records).
- `test_export_hf`: `export_dataset` of the 1000 utterances (save_to_disk embeds every clip).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

N_PER_SPEAKER = 100


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from dataset_adapters.base import get_adapter
    from dataset_adapters.hf_dataset import export_dataset
    from tests.support.corpora import iemocap_tree

    base = tmp_path_factory.mktemp("hf-perf")
    tree = iemocap_tree(base / "tree", sessions=5, per_speaker=N_PER_SPEAKER)
    export_dataset(get_adapter("iemocap").load(tree).utterances, base / "hf", {"corpus": "iemocap"})
    return tree, base / "hf"


def test_read_tree(benchmark, corpus: tuple[Path, Path]) -> None:  # noqa: ANN001
    from dataset_adapters.load import load_report

    report = benchmark(lambda: load_report("iemocap", str(corpus[0]), verify_audio=False))
    assert len(report.utterances) == 5 * 2 * N_PER_SPEAKER


def test_read_hf(benchmark, corpus: tuple[Path, Path]) -> None:  # noqa: ANN001
    from dataset_adapters.load import load_report

    report = benchmark(lambda: load_report("iemocap", f"hf:{corpus[1]}", verify_audio=False))
    assert len(report.utterances) == 5 * 2 * N_PER_SPEAKER


def test_export_hf(benchmark, corpus: tuple[Path, Path], tmp_path: Path) -> None:  # noqa: ANN001
    from dataset_adapters.hf_dataset import export_dataset
    from dataset_adapters.load import load_report

    utts = load_report("iemocap", str(corpus[0]), verify_audio=False).utterances
    out = tmp_path / "export"

    def clear() -> None:
        shutil.rmtree(out, ignore_errors=True)

    n = benchmark.pedantic(lambda: export_dataset(utts, out, {"corpus": "iemocap"}), setup=clear, rounds=3,
                           iterations=1)
    assert n == len(utts)
