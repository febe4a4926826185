"""Shared inputs of the perf benchmarks, built from packaged code only (no import of the `tests` package).

- `synth_root`: the generated synthetic IEMOCAP tree at scale `tiny` (`dataset_adapters.synth.generate`,
  espeak speech: 40 utterances over 5 sessions), generated once per session;
- `clips`: its first `N_CLIPS` utterances, the speech benchmarks' input;
- `fixed_cost_model`: `perf-fixed-cost` in the model registry for one module (`FixedCost`), a run of known cost;
- `grid_suite`: writes and loads a one-model loso suite, what the runner and executor benchmarks run.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Callable, ClassVar, Iterator, Sequence

import pytest

from baselines.majority import Majority
from benchmarks.models import MODELS
from benchmarks.suite import Suite, load_suite
from dataset_adapters.base import get_adapter
from dataset_adapters.synth import generate
from dataset_adapters.types import Utterance
from lemer.core.contract import Example, FitEnv, ModelInfo

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read when an encoder is built: the benchmarks never ask the hub

N_CLIPS = 16
N_FOLDS = 5  # loso on the synthetic tree: one fold per session
FIXED_COST = "perf-fixed-cost"


class FixedCost(Majority):
    """`majority` that first sleeps `SLEEP_S` in fit: every run costs the same known time, so a grid's wall
    time minus that work is what the executor itself costs (Ray workers import it by its dotted path)."""

    SLEEP_S = 0.1
    info: ClassVar[ModelInfo] = dataclasses.replace(Majority.info, name=FIXED_COST, description=f"majority after a {SLEEP_S} s sleep")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        time.sleep(self.SLEEP_S)
        super().fit(train, valid, env)


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny synthetic IEMOCAP tree (read-only: a benchmark that changes it copies it)."""
    root = tmp_path_factory.mktemp("perf-synth") / "IEMOCAP_full_release"
    generate("iemocap", root, scale="tiny", seed=0, progress=False)
    return root


@pytest.fixture(scope="session")
def clips(synth_root: Path) -> list[Utterance]:
    """The first `N_CLIPS` utterances of the tiny synthetic tree (espeak speech, 1-4 s)."""
    return list(get_adapter("iemocap").load(synth_root).utterances)[:N_CLIPS]


@pytest.fixture(scope="module")
def fixed_cost_model() -> Iterator[str]:
    """`perf-fixed-cost` registered for this module only (`Registry.overlay`); yields its name."""
    with MODELS.overlay({FIXED_COST: "benchmarks.perf.conftest:FixedCost"}):  # importable by name in Ray workers
        yield FIXED_COST


@pytest.fixture
def grid_suite(tmp_path: Path) -> Callable[[str, int], Suite]:
    """`make(model, seeds)`: the suite `model` x `seeds` seeds x every loso fold of IEMOCAP (gold text)."""

    def make(model: str, seeds: int) -> Suite:
        path = tmp_path / f"perf-{model}.toml"
        path.write_text(f"name = {json.dumps(path.stem)}\nseeds = {list(range(seeds))}\nmodels = [{json.dumps(model)}]\n"
                        'transcripts = ["gold"]\n\n[[corpora]]\nname = "iemocap"\nprotocol = "loso"\n'
                        'label_map = "iemocap-4"\n')
        return load_suite(str(path))

    return make
