"""Tiny randomly initialised BERT and wav2vec2 models on disk, for LE-MER's fine-tuning mode (no network).

The vocabulary is written by hand (special tokens + the words of `tests.helpers_runner`'s tiny IEMOCAP
tree), the configs are a few thousand parameters, and both are saved with `save_pretrained` so the
code under test loads them by path exactly as it would load bert-base-uncased / facebook/wav2vec2-base.
"""
from __future__ import annotations

from pathlib import Path

from tests.helpers_runner import CUES, FILLER

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def make_tiny_bert(root: Path, hidden: int = 32, seed: int = 0) -> Path:
    """A 2-layer BERT (hidden 32) with a WordPiece vocabulary of the test corpus's words."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    out = root / "tiny-bert"
    out.mkdir(parents=True, exist_ok=True)
    words = sorted({w.lower() for w in [*CUES.values(), *FILLER, "okay", "hello", "."]})
    vocab = out / "vocab.txt"
    vocab.write_text("\n".join(SPECIAL + words) + "\n", encoding="utf-8")
    BertTokenizer(str(vocab), do_lower_case=True).save_pretrained(str(out))
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(SPECIAL) + len(words), hidden_size=hidden, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=2 * hidden, max_position_embeddings=128)
    BertModel(cfg).save_pretrained(str(out))
    return out


def make_tiny_wav2vec2(root: Path, hidden: int = 32, seed: int = 0, norm: str = "group") -> Path:
    """A 2-layer wav2vec2 (hidden 32, 3 conv layers, stride 80 samples) with a preprocessor config."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    out = root / f"tiny-wav2vec2-{norm}"
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    cfg = Wav2Vec2Config(hidden_size=hidden, num_hidden_layers=2, num_attention_heads=2, intermediate_size=2 * hidden,
                         conv_dim=(16, 16, 16), conv_kernel=(10, 3, 3), conv_stride=(5, 4, 4),
                         num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, feat_extract_norm=norm,
                         do_stable_layer_norm=norm == "layer", mask_time_length=2, layerdrop=0.0)
    Wav2Vec2Model(cfg).save_pretrained(str(out))
    Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=norm == "layer").save_pretrained(str(out))
    return out
