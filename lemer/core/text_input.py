"""The text input every BERT-family encoder of the project reads: `[CLS] ctx_1 [SEP] ... ctx_k [SEP] target [SEP]`.

Why one builder: the feature cache (frozen encoders) and LE-MER's fine-tuning mode must give the encoder the
same sequence for the same utterance, so features and fine-tuning are comparable. The context is cut from the
OLDEST side when it does not fit, and the target's token span is returned so a model can find it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TextInput:
    """Token ids of one built sequence and the half-open span of the target's tokens inside it."""

    ids: tuple[int, ...]
    span: tuple[int, int]


def build_text_input(tokenizer: Any, text: str, context: Sequence[str], context_window: int,
                     max_length: int) -> TextInput:
    """The `[CLS] ctx.. [SEP] target [SEP]` ids for one utterance, context truncated oldest-first."""
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    target = tokenizer.encode(text or "", add_special_tokens=False)[: max_length - 2]
    room = max_length - 2 - len(target)
    ctx_ids: list[int] = []
    if context_window > 0 and room > 0:
        for utt in reversed(list(context)[-context_window:]):  # newest first, so the oldest is cut
            piece = tokenizer.encode(utt or "", add_special_tokens=False) + [sep]
            if len(piece) > room:
                ctx_ids = piece[len(piece) - room:] + ctx_ids
                break
            ctx_ids = piece + ctx_ids
            room -= len(piece)
    ids = [cls] + ctx_ids + target + [sep]
    start = 1 + len(ctx_ids)
    return TextInput(tuple(ids), (start, start + len(target)))


def text_max_length(tokenizer: Any, config: Any) -> int:
    """Longest input the text model takes: the tokenizer's limit, the position table, 512 at most."""
    limits = [512, int(getattr(config, "max_position_embeddings", 512))]
    if 0 < int(getattr(tokenizer, "model_max_length", 512)) < 10**6:
        limits.append(int(tokenizer.model_max_length))
    return max(8, min(limits))
