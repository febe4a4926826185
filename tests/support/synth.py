"""Generated synthetic corpora (`dataset_adapters.synth`, espeak speech): tiny trees generated once per test
process and shared by every test file (fixture `synth_iemocap`); hand-made trees are `tests/support/corpora.py`."""
from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from dataset_adapters.base import get_adapter
from dataset_adapters.synth import generate
from dataset_adapters.types import Utterance

_BASE = Path(tempfile.mkdtemp(prefix="lemer-synth-tests-"))
atexit.register(shutil.rmtree, _BASE, True)


@lru_cache(maxsize=None)
def tiny_tree(layout: str, seed: int = 0) -> tuple[Path, dict[str, Any]]:
    """(root, summary) of a tiny corpus, generated on first use and shared by every test file."""
    root = _BASE / f"{layout}-{seed}"
    summary = generate(layout, root, scale="tiny", seed=seed, progress=False)
    return root, summary


@lru_cache(maxsize=None)
def tiny_utterances(layout: str, seed: int = 0) -> tuple[Utterance, ...]:
    """The utterances the adapter loads from `tiny_tree(layout, seed)` (read-only: copy the tree to change it)."""
    return tuple(get_adapter(layout).load(tiny_tree(layout, seed)[0]).utterances)


def fresh_dir(name: str) -> Path:
    """A new empty folder path (not created) under the shared temporary base."""
    return Path(tempfile.mkdtemp(prefix=name + "-", dir=_BASE)) / "corpus"


def tree_digest(root: Path) -> str:
    """sha256 over every file's relative path and bytes, in sorted order."""
    h = hashlib.sha256()
    for dirpath, dirnames, files in os.walk(root):
        dirnames.sort()
        for f in sorted(files):
            p = Path(dirpath) / f
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()
