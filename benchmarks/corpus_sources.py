"""Naming corpus roots given as saved Hugging Face datasets (`hf:DIR[?FIELD=COLUMN&...]`).

Why a module of its own: `benchmarks/corpora.py` resolves roots for the runner and is being
reworked; it only calls `is_hf_root` / `describe_hf_root` from here. A dataset exported from a
synthetic tree carries the generator's marker in its provenance file, so it is displayed as
`synthetic-<layout>` exactly like the tree it came from: synthetic numbers stay labelled synthetic.
"""
from __future__ import annotations

import os

from benchmarks.corpora import CorpusRoot, describe_root
from dataset_adapters.hf_dataset import format_hf_root, is_hf_root, parse_hf_root, read_provenance

__all__ = ["describe_any_root", "describe_hf_root", "is_hf_root"]


def describe_hf_root(name: str, given: str) -> CorpusRoot:
    """CorpusRoot for `hf:DIR?...` (canonical absolute root string); ValueError when DIR is not a folder."""
    path, mapping = parse_hf_root(given)
    path = path.resolve()
    if not path.is_dir():
        raise ValueError(f"{given!r}: {path} is not a folder (expected one written by Dataset.save_to_disk)")
    prov = read_provenance(path) or {}
    synthetic = bool(prov.get("synthetic"))
    display = str(prov.get("display") or name) if synthetic else name
    if synthetic and not display.startswith("synthetic-"):
        display = f"synthetic-{prov.get('synthetic_layout') or name}"
    return CorpusRoot(name=name, root=format_hf_root(path, mapping), display=display, synthetic=synthetic)


def describe_any_root(name: str, root: str | os.PathLike[str]) -> CorpusRoot:
    """Name a root honestly whichever form it takes (corpus tree or saved dataset)."""
    if is_hf_root(root):
        return describe_hf_root(name, str(root))
    return describe_root(name, root)
