"""Shared fixtures for the features/transcripts tests: a generated IEMOCAP-layout corpus and tiny HF models."""
from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf

from dataset_adapters.types import Utterance

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the network
os.environ.setdefault("LEMER_THREADS", "2")
os.environ.setdefault("LEMER_CACHE", tempfile.mkdtemp(prefix="lemer-test-cache-"))  # weight-hash memos etc.


@lru_cache(maxsize=None)
def tiny_iemocap(root: str) -> tuple[Utterance, ...]:
    """The synthetic tiny IEMOCAP tree (40 kept utterances of espeak speech), generated once per root."""
    from dataset_adapters.base import get_adapter
    from dataset_adapters.synth import generate

    if not (Path(root) / "Session1").is_dir():
        generate("iemocap", root, scale="tiny", seed=0, progress=False)
    return tuple(get_adapter("iemocap").load(root).utterances)


def make_utt(uid: str, audio: str | Path, transcript: str | None = "hello there") -> Utterance:
    return Utterance(uid=uid, corpus="test", speaker=None, session=None, audio=str(audio), start=None, end=None,
                     transcript=transcript, label="neu", label_raw="neu", partition=None)


def write_tone(path: Path, seconds: float, sr: int = 16000, channels: int = 1, freq: float = 220.0) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    sf.write(path, np.stack([x] * channels, axis=1) if channels > 1 else x, sr)
    return path


def tiny_bert(dirpath: Path) -> Path:
    """A randomly initialised 2-layer BERT with the MiniLM tokenizer, saved with save_pretrained."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from benchmarks.features.text_encoder import default_text_model_dir

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(default_text_model_dir())
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(dirpath)
    tok.model_max_length = 64
    tok.save_pretrained(dirpath)
    return dirpath


def tiny_speech_model(dirpath: Path, kind: str = "wav2vec2") -> Path:
    """A randomly initialised 2-layer wav2vec2 / HuBERT / WavLM (conv stride 320 as in the real models)."""
    import torch
    from transformers import HubertConfig, HubertModel, Wav2Vec2Config, Wav2Vec2Model, WavLMConfig, WavLMModel

    torch.manual_seed(0)
    classes = {"wav2vec2": (Wav2Vec2Config, Wav2Vec2Model), "hubert": (HubertConfig, HubertModel),
               "wavlm": (WavLMConfig, WavLMModel)}
    cfg_cls, model_cls = classes[kind]
    cfg = cfg_cls(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                  conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    model_cls(cfg).save_pretrained(dirpath)
    return dirpath
