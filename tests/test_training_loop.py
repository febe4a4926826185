"""The shared training loop and masked layers: determinism, selection on validation, masking."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lemer.core.contract import Example, Features
from lemer.core.layers import AttentivePooling, masked_max, masked_mean, masked_softmax, pad_sequences
from lemer.core.metrics import unweighted_accuracy
from lemer.core.training import (
    TrainConfig,
    fit_module,
    length_bucketed_batches,
    predict_proba,
    seed_everything,
)


def _examples(n: int, seed: int) -> list[Example]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        label = ["a", "b", "c"][i % 3]
        frames = rng.normal(size=(int(rng.integers(3, 12)), 8)).astype(np.float32)
        frames[:, i % 3] += 2.0  # class signal in one dimension
        out.append(Example(uid=f"u{i}", label=label, text="", audio="", features=Features(speech=frames)))
    return out


class _Pool(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pool = AttentivePooling(8)
        self.out = nn.Linear(8, 3)

    def forward(self, batch: dict[str, torch.Tensor]):
        return self.out(self.pool(batch["x"], batch["mask"])), None


def _encode(examples):
    x, mask = pad_sequences([e.features.speech for e in examples])
    return {"x": x, "mask": mask}


def _train(seed: int) -> np.ndarray:
    train, valid = _examples(60, 0), _examples(15, 1)
    seed_everything(seed)  # models seed before building their layers
    module = _Pool()
    fit_module(module, _encode, train, valid, ["a", "b", "c"], TrainConfig(max_epochs=15, batch_size=8), seed=seed,
               length=lambda e: len(e.features.speech))
    return predict_proba(module, _encode, _examples(20, 2), length=lambda e: len(e.features.speech))


def test_same_seed_same_predictions_and_learns() -> None:
    p1, p2 = _train(3), _train(3)
    np.testing.assert_array_equal(p1, p2)
    gold = np.array([i % 3 for i in range(20)])
    assert unweighted_accuracy(gold, p1.argmax(1), 3) > 0.8


def test_padding_never_attended() -> None:
    x, mask = pad_sequences([np.ones((2, 4), np.float32), np.ones((5, 4), np.float32)])
    assert x.shape == (2, 5, 4) and mask.sum().item() == 7
    x2 = x.clone()
    x2[0, 2:] = 1e6  # garbage in the padding of the first sequence
    pool = AttentivePooling(4)
    torch.testing.assert_close(pool(x, mask), pool(x2, mask))
    torch.testing.assert_close(masked_mean(x, mask), masked_mean(x2, mask))
    torch.testing.assert_close(masked_max(x, mask), masked_max(x2, mask))
    w = masked_softmax(torch.randn(2, 5), mask)
    assert torch.all(w[0, 2:] == 0) and torch.allclose(w.sum(-1), torch.ones(2))


def test_buckets_cover_every_index_once() -> None:
    lengths = list(np.random.default_rng(0).integers(1, 100, size=103))
    batches = length_bucketed_batches(lengths, 8, np.random.default_rng(0))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(103))
