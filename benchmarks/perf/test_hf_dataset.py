"""Reading a corpus from a saved Hugging Face dataset vs from its tree, and writing the export.

Corpus: the synthetic IEMOCAP tree at scale `small` (`dataset_adapters.synth.generate`; 600 utterances of
espeak speech, generated once for this module, not timed). Audio checks are off in the two read benchmarks
(`verify_audio=False`, what the runner's workers do), so what is timed is parsing: label/transcript files for
the tree, the memory-mapped Arrow table (mapped columns only, never the embedded audio) for the dataset.

- `test_read_tree`: the IEMOCAP adapter on the tree.
- `test_read_hf`: the same corpus from `hf:DIR` (the same Utterance records).
- `test_export_hf`: `export_dataset` of every utterance (save_to_disk embeds every clip).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dataset_adapters.base import get_adapter
from dataset_adapters.hf_dataset import export_dataset
from dataset_adapters.load import load_report
from dataset_adapters.synth import generate


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """(tree, exported dataset, number of utterances)."""
    base = tmp_path_factory.mktemp("hf-perf")
    tree = base / "IEMOCAP_full_release"
    generate("iemocap", tree, scale="small", seed=0, progress=False)
    utts = get_adapter("iemocap").load(tree).utterances
    export_dataset(utts, base / "hf", {"corpus": "iemocap"})
    return tree, base / "hf", len(utts)


def test_read_tree(benchmark, corpus: tuple[Path, Path, int]) -> None:  # noqa: ANN001
    report = benchmark(lambda: load_report("iemocap", str(corpus[0]), verify_audio=False))
    assert len(report.utterances) == corpus[2]


def test_read_hf(benchmark, corpus: tuple[Path, Path, int]) -> None:  # noqa: ANN001
    report = benchmark(lambda: load_report("iemocap", f"hf:{corpus[1]}", verify_audio=False))
    tree = load_report("iemocap", str(corpus[0]), verify_audio=False)
    assert [(u.uid, u.label, u.transcript) for u in report.utterances] == [(u.uid, u.label, u.transcript) for u in tree.utterances]


def test_export_hf(benchmark, corpus: tuple[Path, Path, int], tmp_path: Path) -> None:  # noqa: ANN001
    utts = load_report("iemocap", str(corpus[0]), verify_audio=False).utterances
    out = tmp_path / "export"
    n = benchmark.pedantic(lambda: export_dataset(utts, out, {"corpus": "iemocap"}),
                           setup=lambda: shutil.rmtree(out, ignore_errors=True), rounds=3, iterations=1)
    assert n == len(utts) and out.is_dir()
