"""Features and transcripts tests: the offline/cache environment (set on import), utterance records, tiny HF encoders.

The generated IEMOCAP-layout corpus they run on is `tests.support.synth.tiny_tree` (fixture `synth_iemocap`)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dataset_adapters.types import Utterance

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the network
os.environ.setdefault("LEMER_THREADS", "2")
os.environ.setdefault("LEMER_CACHE", tempfile.mkdtemp(prefix="lemer-test-cache-"))  # weight-hash memos etc.


def make_utt(uid: str, audio: str | Path, transcript: str | None = "hello there") -> Utterance:
    return Utterance(uid=uid, corpus="test", speaker=None, session=None, audio=str(audio), start=None, end=None,
                     transcript=transcript, label="neu", label_raw="neu", partition=None)


def tiny_bert(dirpath: Path) -> Path:
    """A randomly initialised 2-layer BERT with the MiniLM tokenizer, saved with save_pretrained."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from benchmarks.features.text import default_text_model_dir

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


def speech_encoder(spec: str, device: str = "cpu"):  # noqa: ANN201 - an AudioEncoder
    """The speech encoder a spec names, as the feature store builds it."""
    from benchmarks.features.spec import EncoderSpec

    return EncoderSpec.parse(spec, "speech").build(device)
