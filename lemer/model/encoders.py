"""Pretrained Hugging Face encoders for LE-MER's fine-tuning mode: find them offline, load them, prepare them.

Text: any BERT-family model with a [CLS]/[SEP] tokenizer (bert-base-uncased in the paper; RoBERTa's
<s>/</s> play the same roles). Speech: any wav2vec2-family model loaded with `AutoModel` (wav2vec2,
HuBERT, WavLM). Names resolve WITHOUT network: a local directory as given; else `$LEMER_MODELS_DIR/<name>`
(e.g. `$LEMER_MODELS_DIR/facebook/wav2vec2-base`); else a snapshot in the local Hugging Face cache
(`$HF_HOME`, filled once on a machine with network by `huggingface-cli download <name>`).
`PretrainedUnavailable` says exactly that, so a grid fails before it starts instead of mid-way.

The text input is the one the feature cache uses (`build_text_input`, also called by
`benchmarks/features/text_encoder.py`): `[CLS] ctx_1 [SEP] ... ctx_k [SEP] target [SEP]`, context cut
from the OLDEST side, the target's token span returned.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lemer.core.errors import LemerError

MODELS_DIR_ENV = "LEMER_MODELS_DIR"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json", "pytorch_model.bin.index.json")


class PretrainedUnavailable(LemerError, RuntimeError):
    """Pretrained weights named by a model's config cannot be found on this machine (no download is tried)."""


def how_to_provide(name: str) -> str:
    """The ways to make `name` available offline (used in every error about missing weights)."""
    return (f"point at a local copy (text_model/speech_model = \"/path/to/dir\" in the suite's "
            f"[model_defaults] or [model_config.<model>]; [encoders] for cached features), or put it under ${MODELS_DIR_ENV}/{name}, or fill the Hugging Face "
            f"cache on a machine with network (`huggingface-cli download {name}`) and copy $HF_HOME here")


def resolve_pretrained(name: str) -> Path:
    """A local directory holding `name`'s config and weights (see the module docstring for the order)."""
    p = Path(name).expanduser()
    if p.is_dir():
        return _checked(p.resolve(), name)
    if name.startswith((".", "/", "~")) or p.exists():
        raise PretrainedUnavailable(f"pretrained model path {name!r} is not a directory; " + how_to_provide(name))
    root = os.environ.get(MODELS_DIR_ENV)
    if root and (Path(root) / name).is_dir():
        return _checked((Path(root) / name).resolve(), name)
    try:
        from huggingface_hub import snapshot_download  # installed with transformers

        return _checked(Path(snapshot_download(name, local_files_only=True)), name)
    except PretrainedUnavailable:
        raise
    except Exception as e:  # noqa: BLE001 - any miss in the offline cache means the same thing here
        raise PretrainedUnavailable(f"pretrained model {name!r} is not available offline ({type(e).__name__}); "
                                    + how_to_provide(name)) from None


def _checked(path: Path, name: str) -> Path:
    if not (path / "config.json").is_file() or not any((path / w).is_file() for w in WEIGHT_FILES):
        raise PretrainedUnavailable(f"pretrained model {name!r} at {path} lacks config.json or weights "
                                    f"({', '.join(WEIGHT_FILES)}); " + how_to_provide(name))
    return path


def enable_checkpointing(model: nn.Module) -> None:
    """Recompute activations in backward (non-reentrant); transformers >= 5 renamed the method."""
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:  # transformers 4.x
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


# ----------------------------------------------------------------------------------------------- text
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


def load_text_encoder(name: str, gradient_checkpointing: bool = False) -> tuple[Any, nn.Module]:
    """(tokenizer, model) of a BERT-family encoder, the model in train mode with every weight trainable."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_pretrained(name)
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if tokenizer.cls_token_id is None or tokenizer.sep_token_id is None:
        raise ValueError(f"text model {name!r}: tokenizer has no CLS/SEP tokens (not a BERT-family model?)")
    model = AutoModel.from_pretrained(str(path))
    if gradient_checkpointing:
        enable_checkpointing(model)
    return tokenizer, model


def embed_strings(tokenizer: Any, model: nn.Module, words: Sequence[str], device: torch.device | str,
                  max_length: int) -> np.ndarray:
    """(n, d) mean over each `[CLS] word [SEP]`'s last hidden states (as the frozen mode's keyword embeddings)."""
    was_training = model.training
    model.eval()
    rows = []
    with torch.inference_mode():
        for w in words:
            ids = [tokenizer.cls_token_id] + tokenizer.encode(w, add_special_tokens=False)[: max_length - 2] \
                + [tokenizer.sep_token_id]
            h = model(input_ids=torch.tensor([ids], device=device)).last_hidden_state[0]
            rows.append(h.float().mean(0).cpu().numpy())
    model.train(was_training)
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, int(model.config.hidden_size)), np.float32)


# --------------------------------------------------------------------------------------------- speech
def load_speech_encoder(name: str, gradient_checkpointing: bool = False) -> tuple[nn.Module, bool]:
    """(model, normalise input?) of a wav2vec2-family encoder with its CNN feature extractor frozen.

    Why frozen: fine-tuning recipes for wav2vec2/HuBERT/WavLM (fairseq, transformers' examples) keep the
    convolutional front end fixed; it is low-level and its gradients are large and noisy."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_pretrained(name)
    model = AutoModel.from_pretrained(str(path))
    if not hasattr(model, "feature_extractor") or not hasattr(model, "_get_feat_extract_output_lengths"):
        raise ValueError(f"speech model {name!r} ({type(model).__name__}) is not a wav2vec2-family model "
                         "(wav2vec2, HuBERT, WavLM)")
    for p in model.feature_extractor.parameters():
        p.requires_grad = False
    if gradient_checkpointing:
        enable_checkpointing(model)
    normalize = True
    if (path / "preprocessor_config.json").is_file():
        import json

        normalize = bool(json.loads((path / "preprocessor_config.json").read_text()).get("do_normalize", True))
    return model, normalize


def uses_attention_mask(model: nn.Module) -> bool:
    """wav2vec2-base style models (group-norm front end) must NOT get an attention mask (transformers'
    documented rule: they were pre-trained on zero-padded batches); layer-norm ones (large, WavLM) must."""
    return getattr(model.config, "feat_extract_norm", "layer") == "layer"


def frame_counts(model: nn.Module, n_samples: torch.Tensor) -> torch.Tensor:
    """Encoder frames each clip really covers (the CNN's output length for its number of samples)."""
    return model._get_feat_extract_output_lengths(n_samples).to(torch.long)


def normalize_audio(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per clip (wav2vec2's `do_normalize`), on the clip's real samples only."""
    x = np.asarray(x, dtype=np.float32)
    return (x - x.mean()) / np.sqrt(x.var() + 1e-7)
