"""Pretrained Hugging Face encoders for LE-MER's fine-tuning mode: load them and prepare them.

Text: any BERT-family model with a [CLS]/[SEP] tokenizer (bert-base-uncased in the paper; RoBERTa's
<s>/</s> play the same roles). Speech: any wav2vec2-family model loaded with `AutoModel` (wav2vec2,
HuBERT, WavLM). Names resolve through `lemer.core.pretrained.resolve_pretrained` (the one resolver of the
project: local path, $LEMER_MODELS_DIR, the local Hugging Face cache), and the text input is the one the
feature cache builds (`lemer.core.text_input.build_text_input`).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

from lemer.core.pretrained import resolve_pretrained


def enable_checkpointing(model: nn.Module) -> None:
    """Recompute activations in backward (non-reentrant); transformers >= 5 renamed the method."""
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:  # transformers 4.x
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


# ----------------------------------------------------------------------------------------------- text
def load_text_encoder(name: str, gradient_checkpointing: bool = False) -> tuple[Any, nn.Module]:
    """(tokenizer, model) of a BERT-family encoder, the model in train mode with every weight trainable."""
    from transformers import AutoModel, AutoTokenizer  # heavy optional dependency: only when fine-tuning
    from transformers.utils import logging as hf_logging  # (transformers: heavy, optional)

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
    import torch  # here, so that the pre-training settings (CLI help) load without torch

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
    from transformers import AutoModel  # heavy optional dependency: only when fine-tuning
    from transformers.utils import logging as hf_logging  # (transformers: heavy, optional)

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
        normalize = bool(json.loads((path / "preprocessor_config.json").read_text()).get("do_normalize", True))
    return model, normalize


def uses_attention_mask(model: nn.Module) -> bool:
    """wav2vec2-base style models (group-norm front end) must NOT get an attention mask (transformers'
    documented rule: they were pre-trained on zero-padded batches); layer-norm ones (large, WavLM) must."""
    return getattr(model.config, "feat_extract_norm", "layer") == "layer"


def frame_counts(model: nn.Module, n_samples: torch.Tensor) -> torch.Tensor:
    """Encoder frames each clip really covers (the CNN's output length for its number of samples)."""
    import torch

    return model._get_feat_extract_output_lengths(n_samples).to(torch.long)


def normalize_audio(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per clip (wav2vec2's `do_normalize`), on the clip's real samples only."""
    x = np.asarray(x, dtype=np.float32)
    return (x - x.mean()) / np.sqrt(x.var() + 1e-7)
