"""One entry point for reading a corpus from wherever it lives: its distributed tree or a saved HF dataset.

Why: every caller (CLI, runner, Python API) must get the same validation, label maps and skip
accounting whichever form the corpus takes; `hf:DIR[?FIELD=COLUMN&...]` roots go to
`hf_dataset`, anything else to the corpus's own adapter. Folds always come from the adapter.
"""
from __future__ import annotations

import os

from dataset_adapters.base import get_adapter
from dataset_adapters.hf_dataset import is_hf_root, load_dataset_corpus
from dataset_adapters.types import LoadReport, OnError


def load_report(corpus: str, root: str | os.PathLike[str], label_map: str | None = None,
                on_error: OnError = "raise", verify_audio: bool = True) -> LoadReport:
    """Read `corpus` from `root` (a corpus tree or `hf:DIR`); unknown corpus names raise KeyError with hints."""
    adapter = get_adapter(corpus)
    if is_hf_root(root):
        return load_dataset_corpus(adapter.name, str(root), label_map=label_map, on_error=on_error,
                                   verify_audio=verify_audio)
    return adapter.load(root, label_map=label_map, on_error=on_error, verify_audio=verify_audio)
