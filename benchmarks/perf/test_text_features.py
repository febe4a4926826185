"""Text-feature extraction speed: our cached path vs the straightforward one, on the same inputs.

Inputs: the first N_UTTS utterances of the synthetic IEMOCAP plan at scale `full` (words only, no audio is
rendered), each with its dialogue context (LE-MER's default window of 10 preceding utterances), which gives
sequences of ~170 tokens on average, like real IEMOCAP dialogues.

- `test_text_features_batched`: `FeatureStore.text` into an empty cache each round: `TextEncoder.encode` batches
  only inputs of exactly equal length (up to 32), so nothing is padded and a feature never depends on its batch
  mates (cache determinism); on these 32 inputs most lengths differ, so most calls hold one input and the gain
  over the naive path is mostly the padding it does not compute. fp16 entries written to disk.
- `test_text_features_naive`: one utterance at a time, padded to the model's max length (512), encoded with an
  attention mask, trimmed; nothing cached.

Run: `python -m pytest benchmarks/perf/test_text_features.py --benchmark-only` (`extra_info["utterances_per_s"]`).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.features.cache import FeatureCache
from benchmarks.features.store import FeatureStore
from benchmarks.features.text import TextEncoder
from dataset_adapters.synth.iemocap_layout import plan

N_UTTS = 32  # one full batch of the batched path; the naive path costs ~1.5 s per utterance under load
CONTEXT = 10

Item = tuple[str, str, list[str]]


@pytest.fixture(scope="module")
def items() -> list[Item]:
    """(uid, transcript, preceding transcripts oldest-first) for the first N_UTTS planned utterances."""
    planned, _ = plan("full", 0)
    history: dict[str, list[str]] = {}
    out: list[Item] = []
    for u in planned[:N_UTTS]:
        prev = history.setdefault(u.dialog, [])
        out.append((u.uid, u.transcript, list(prev[-CONTEXT:])))
        prev.append(u.transcript)
    return out


def _per_s(benchmark, n: int) -> None:  # noqa: ANN001
    if getattr(benchmark, "stats", None) is not None:
        benchmark.extra_info["utterances_per_s"] = round(n / benchmark.stats.stats.mean, 2)


def test_text_features_batched(benchmark, items: list[Item], tmp_path: Path) -> None:  # noqa: ANN001
    store = FeatureStore(tmp_path / "cache", speech_encoder=None, progress=False)
    store.text(items[:1], CONTEXT)  # load the model and hash its weights outside the timed rounds

    def clear() -> None:
        shutil.rmtree(tmp_path / "cache" / "features", ignore_errors=True)
        store.cache = FeatureCache(tmp_path / "cache", "features")  # forget the in-memory index too

    out = benchmark.pedantic(lambda: store.text(items, CONTEXT), setup=clear, rounds=3, iterations=1)
    assert len(out) == len(items) and store.computed == len(items)  # the last round encoded every input
    assert all(arr.shape[1] == 384 and 0 < span[0] < span[1] <= len(arr) for arr, span in out.values())
    _per_s(benchmark, len(items))


def test_text_features_naive(benchmark, items: list[Item]) -> None:  # noqa: ANN001
    enc = TextEncoder()
    model = enc._load()  # noqa: SLF001 - the same weights and thread setting as the batched path
    pad = enc.tokenizer.pad_token_id or 0

    def one(text: str, ctx: list[str]) -> np.ndarray:
        ids = list(enc.build(text, ctx, CONTEXT).ids)
        n = len(ids)
        x = torch.full((1, enc.max_length), pad, dtype=torch.long)
        mask = torch.zeros((1, enc.max_length), dtype=torch.long)
        x[0, :n] = torch.tensor(ids)
        mask[0, :n] = 1
        with torch.inference_mode():
            return model(input_ids=x, attention_mask=mask).last_hidden_state[0, :n].float().numpy().copy()

    one(*items[0][1:])  # warm-up outside the timed rounds
    out = benchmark.pedantic(lambda: [one(t, c) for _, t, c in items], rounds=1, iterations=1)
    assert len(out) == len(items) and all(np.isfinite(a).all() and a.shape[1] == 384 for a in out)
    _per_s(benchmark, len(items))
