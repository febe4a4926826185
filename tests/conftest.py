"""Shared fixtures (the helpers behind them live in `tests/support/`, a module per role).

Test-only models are added to the model registry only while a module that asks for them runs
(`Registry.overlay`), so no test leaves an entry in a global registry behind. The corpus trees here are
built once per session and are read-only: a test that changes a tree builds its own with
`tests.support.corpora` (or copies one).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest


@pytest.fixture(scope="module")
def test_models() -> Iterator[None]:
    """`test-keyword-text`, `test-failing`, `test-slow` (tests/support/models.py) for this module's tests."""
    from benchmarks.models import MODELS
    from tests.support.models import TEST_MODELS

    with MODELS.overlay(dict(TEST_MODELS)):
        yield


@pytest.fixture(scope="session")
def iemocap_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run-grid tree: 3 sessions x 2 speakers x 8 utterances with cue words (`corpora.iemocap_tree`)."""
    from tests.support.corpora import iemocap_tree

    return iemocap_tree(tmp_path_factory.mktemp("iemocap-corpus"))


@pytest.fixture(scope="session")
def quirky_iemocap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The adapter tests' tree: 5 sessions of hand-written rows with the layout quirks (`corpora.quirky_iemocap`)."""
    from tests.support.corpora import quirky_iemocap

    return quirky_iemocap(tmp_path_factory.mktemp("quirky-iemocap"))


@pytest.fixture(scope="session")
def synth_iemocap() -> tuple[Path, tuple]:
    """(root, utterances) of the generated tiny IEMOCAP corpus (40 kept utterances of espeak speech)."""
    from tests.support.synth import tiny_tree, tiny_utterances

    return tiny_tree("iemocap")[0], tiny_utterances("iemocap")
