"""One LE-MER training epoch on cached features for 1000 utterances: our loop vs the straightforward one.

The features are RANDOM arrays of realistic shape (stated, not hidden): 384-d text tokens (~30 per utterance,
lognormal, 5..120) and 384-d speech frames (~150 per utterance at 50 fps, lognormal, 25..1500, i.e. 0.5-30 s),
stored as float16 like the feature cache's entries. Timing covers `lemer.core.training.fit_module` for one epoch
(no validation pass) on a freshly built `LEMERNet` with LE-MER's default config.

- `test_lemer_epoch`: our path: length-bucketed batches (`length=` given), LE-MER's `torch_threads=1`.
- `test_lemer_epoch_unbucketed`: the same epoch with plain shuffled batches (each padded to its longest member).
- `test_lemer_epoch_two_threads`: our batching with 2 torch threads (what a default torch would use on 2 cores).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from lemer.core.contract import Example, Features
from lemer.core.training import TrainConfig, fit_module, torch_threads
from lemer.model import LEMER, LEMERNet

N_UTTS = 1000
DIM = 384
CLASSES = ("neu", "hap", "ang", "sad")


def _lengths(rng: np.random.Generator, mean: float, lo: int, hi: int, n: int) -> np.ndarray:
    sigma = 0.6
    mu = np.log(mean) - sigma**2 / 2  # lognormal with the requested mean
    return np.clip(np.round(rng.lognormal(mu, sigma, n)), lo, hi).astype(int)


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    rng = np.random.default_rng(0)
    n_tok = _lengths(rng, 30, 5, 120, N_UTTS)
    n_frm = _lengths(rng, 150, 25, 1500, N_UTTS)
    out = []
    for i in range(N_UTTS):
        tokens = rng.standard_normal((n_tok[i], DIM), dtype=np.float32).astype(np.float16)
        frames = rng.standard_normal((n_frm[i], DIM), dtype=np.float32).astype(np.float16)
        start = int(rng.integers(1, max(2, n_tok[i] // 2)))  # [CLS] context [SEP] target [SEP]
        feats = Features(text=tokens, text_span=(start, n_tok[i] - 1), speech=frames)
        out.append(Example(uid=f"u{i}", label=CLASSES[i % 4], text="", audio="", features=feats))
    return out


def _epoch_runner(examples: list[Example], bucketed: bool, threads: int) -> Callable[[], float]:
    """A zero-argument callable training a fresh LEMERNet for one epoch; returns the epoch's mean loss."""
    model = LEMER(max_epochs=1, torch_threads=threads)
    cache = model._prepare(examples)  # noqa: SLF001 - float32 copies + frame pooling, done once per fit
    encode = model._encoder(cache)  # noqa: SLF001
    length = model._length(cache) if bucketed else None  # noqa: SLF001
    cfg = TrainConfig.from_config(model.cfg.to_dict())

    def run() -> float:
        with torch_threads(threads):
            net = LEMERNet(model.cfg, len(CLASSES), DIM, DIM)
            hist = fit_module(net, encode, examples, [], CLASSES, cfg, seed=0, length=length)
        return hist.train_loss[-1]

    return run


def test_lemer_epoch(benchmark, examples: list[Example]) -> None:  # noqa: ANN001
    loss = benchmark.pedantic(_epoch_runner(examples, bucketed=True, threads=1), rounds=3, iterations=1)
    assert np.isfinite(loss)


def test_lemer_epoch_unbucketed(benchmark, examples: list[Example]) -> None:  # noqa: ANN001
    loss = benchmark.pedantic(_epoch_runner(examples, bucketed=False, threads=1), rounds=3, iterations=1)
    assert np.isfinite(loss)


def test_lemer_epoch_two_threads(benchmark, examples: list[Example]) -> None:  # noqa: ANN001
    # 2 rounds only: under load this variant is the slowest (threads waiting for a busy core)
    loss = benchmark.pedantic(_epoch_runner(examples, bucketed=True, threads=2), rounds=2, iterations=1)
    assert np.isfinite(loss)
