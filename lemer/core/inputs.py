"""Turn an Example's cached features into the arrays LE-MER consumes (computed in float32, held in float16).

Two choices live here because both the label embeddings and the network must see exactly the same
frames and tokens:
- speech frames are average-pooled by `speech_pool` (50 -> 25 fps by default) and, when a clip would
  still exceed `max_frames`, pooled by a larger factor so the whole clip fits: nothing is truncated;
- text tokens are either only the target span (`text_scope="target"`, our default: context reaches
  LE-MER through the encoder's contextualised target tokens) or the whole `[context] [SEP] target`
  sequence (`"all"`: label-token attention can also pick emotional words from the context; measured
  worse in text-only mode because max-pooling then mixes the context's emotions into the target's).
  Long sequences keep their last `max_tokens` tokens, i.e. the target and the most recent context.
  The target span is kept (shifted) because only target tokens are aligned with the target's frames.
  Features without a span are taken to be the target alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lemer.core.contract import Example


class MissingFeatures(ValueError):
    """An example lacks the cached features LE-MER needs (names the utterance)."""


@dataclass(frozen=True)
class Prepared:
    text: np.ndarray | None  # (n_tokens, d_text) float16 (float32 if a value exceeds float16's range)
    speech: np.ndarray | None  # (n_frames, d_speech) float16 (likewise)
    span: tuple[int, int] | None = None  # target token range inside `text`


def pool_frames(frames: np.ndarray, pool: int, max_frames: int) -> np.ndarray:
    """Average-pool (T, D) frames by `pool`, or by more if needed to fit `max_frames`; keeps every frame's content."""
    frames = np.asarray(frames, dtype=np.float32)
    if frames.ndim != 2:
        raise ValueError(f"speech features must be (n_frames, dim), got shape {frames.shape}")
    n = len(frames)
    factor = max(pool, -(-n // max_frames)) if n else pool
    if factor <= 1 or n == 0:
        return np.ascontiguousarray(frames)
    n_out = -(-n // factor)
    padded_len = n_out * factor
    counts = np.full(n_out, factor, dtype=np.float32)
    counts[-1] = n - (n_out - 1) * factor  # the last window may be partial: average only its real frames
    sums = np.zeros((padded_len, frames.shape[1]), dtype=np.float32)
    sums[:n] = frames
    return sums.reshape(n_out, factor, -1).sum(1) / counts[:, None]


def select_tokens(tokens: np.ndarray, span: tuple[int, int] | None, scope: str, max_tokens: int,
                  uid: str) -> tuple[np.ndarray, tuple[int, int]]:
    """The token rows LE-MER attends to and the target span inside them (see module docstring)."""
    tokens = np.asarray(tokens, dtype=np.float32)
    if tokens.ndim != 2:
        raise ValueError(f"{uid}: text features must be (n_tokens, dim), got shape {tokens.shape}")
    start, end = span if span is not None else (0, len(tokens))
    if not 0 <= start <= end <= len(tokens):
        raise ValueError(f"{uid}: text_span {span} outside the {len(tokens)} text tokens")
    if scope == "target":
        tokens, start, end = tokens[start:end], 0, end - start
    cut = max(0, len(tokens) - max_tokens)
    return np.ascontiguousarray(tokens[cut:]), (max(0, start - cut), end - cut)


def prepare(example: Example, use_text: bool, use_speech: bool, scope: str, max_tokens: int, pool: int,
            max_frames: int) -> Prepared:
    """Copies of the features this model uses (see `Prepared`), with a clear error naming the utterance if one is missing."""
    feats = example.features
    text = speech = span = None
    if use_text:
        if feats is None or feats.text is None:
            raise MissingFeatures(f"{example.uid}: LE-MER needs text features (features.text is missing)")
        text, span = select_tokens(feats.text, feats.text_span, scope, max_tokens, example.uid)
    if use_speech:
        if feats is None or feats.speech is None:
            raise MissingFeatures(f"{example.uid}: LE-MER needs speech features (features.speech is missing)")
        speech = pool_frames(feats.speech, pool, max_frames)
    for name, arr in (("text", text), ("speech", speech)):
        if arr is not None and not np.all(np.isfinite(arr)):
            raise ValueError(f"{example.uid}: {name} features contain NaN or inf")
    # Held for the whole fit, so stored at half precision (the cache's own precision); batches are
    # built in float32 by pad_sequences.
    return Prepared(text=_half(text), speech=_half(speech), span=span)


def _half(arr: np.ndarray | None) -> np.ndarray | None:
    """float16 copy when every value fits (|x| < 65504), else the float32 array unchanged."""
    if arr is None or np.abs(arr).max(initial=0.0) >= np.finfo(np.float16).max:
        return arr
    return arr.astype(np.float16)
