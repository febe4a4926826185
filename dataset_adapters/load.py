"""Reading a corpus from wherever it lives: its distributed tree or a saved Hugging Face dataset."""
from __future__ import annotations

import os

from dataset_adapters.base import get_adapter
from dataset_adapters.check import check_load_args
from dataset_adapters.hf_dataset import is_hf_root, load_dataset_corpus
from dataset_adapters.types import LoadReport, OnError


def load_report(corpus: str, root: str | os.PathLike[str], label_map: str | None = None,
                on_error: OnError = "raise", verify_audio: bool = True, verify_samples: bool = False) -> LoadReport:
    """Read `corpus` from wherever it lives: its distributed tree, or a saved Hugging Face dataset
    (`hf:DIR[?FIELD=COLUMN&...]`, see `hf_dataset.py`). Either way the same validation, label maps
    and skip accounting apply; folds always come from the corpus's adapter. Arguments of the wrong
    type are refused with `InvalidArgument` before anything is read."""
    adapter = get_adapter(corpus)
    check_load_args(root, label_map, on_error, verify_audio, verify_samples)
    if is_hf_root(root):
        return load_dataset_corpus(adapter.info.name, str(root), label_map=label_map, on_error=on_error,
                                   verify_audio=verify_audio, verify_samples=verify_samples)
    return adapter.load(root, label_map=label_map, on_error=on_error, verify_audio=verify_audio,
                        verify_samples=verify_samples)
