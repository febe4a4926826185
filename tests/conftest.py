"""Shared fixtures. Test-only models are added to the model registry only while a module that asks
for them runs (`Registry.overlay`), so no test leaves an entry in a global registry behind."""
from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(scope="module")
def test_models() -> Iterator[None]:
    """`test-keyword-text`, `test-failing`, `test-slow` (tests/helpers_runner.py) for this module's tests."""
    from benchmarks.models import MODELS
    from tests.helpers_runner import TEST_MODELS

    with MODELS.overlay(dict(TEST_MODELS)):
        yield
