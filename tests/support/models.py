"""Test-only models: harness models for the model registry, and tiny pretrained encoders on disk.

- `test-keyword-text`, `test-failing`, `test-slow` (`TEST_MODELS`): named as test-only; they enter the real
  registry only through `MODELS.overlay` (fixture `test_models`, or `python -m tests.support.runs`).
- `make_tiny_bert`, `make_tiny_wav2vec2`: tiny randomly initialised BERT and wav2vec2 models for LE-MER's
  fine-tuning mode (no network). The vocabulary is written by hand (special tokens + the words of the
  tiny IEMOCAP tree of `tests.support.corpora.iemocap_tree`), the configs are a few thousand parameters,
  and both are saved with `save_pretrained` so the code under test loads them by path exactly as it
  would load bert-base-uncased / facebook/wav2vec2-base.
"""
from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from lemer.core.contract import Example, FitEnv, Model, ModelInfo, Prediction
from tests.support.corpora import CUES, FILLER


class KeywordText(Model):
    """Test-only text model: per-class word counts (add-one), argmax log-likelihood; ties by seeded noise."""

    info = ModelInfo(name="test-keyword-text", modalities=("text",), description="test-only bag-of-words model")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        self.classes = env.classes
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        for ex in train:
            self.counts[ex.label].update(_words(ex.text))
        self.noise = np.random.default_rng(env.seed)  # seeded by the harness's seed, not by a global

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        out = []
        vocab = set().union(*self.counts.values()) if self.counts else set()
        for ex in examples:
            assert ex.label is None, "predict() must not see gold labels"
            scores = np.array([sum(np.log((self.counts[c][w] + 1) / (sum(self.counts[c].values()) + len(vocab) + 1))
                                   for w in _words(ex.text)) for c in self.classes])
            scores = scores + 1e-9 * self.noise.random(len(scores))
            p = np.exp(scores - scores.max())
            p /= p.sum()
            out.append(Prediction(ex.uid, self.classes[int(p.argmax())], dict(zip(self.classes, p.tolist()))))
        return out


class Failing(Model):
    """Test-only model that raises in fit() (to check that failures are recorded, not fatal)."""

    info = ModelInfo(name="test-failing", modalities=(), description="test-only: always fails")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        raise RuntimeError("test-failing model fails on purpose")

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        raise AssertionError("unreachable")


class Slow(Model):
    """Test-only model that sleeps `seconds` in fit(), then predicts the first class (kill/restart test)."""

    info = ModelInfo(name="test-slow", modalities=(), description="test-only: slow constant model")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        time.sleep(float(self.config.get("seconds", 0.3)))
        self.label = env.classes[0]

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        return [Prediction(ex.uid, self.label, {self.label: 1.0}) for ex in examples]


class Recording(KeywordText):
    """Test-only: `test-keyword-text` that logs the uids (and whether labels came with them) of every fit, refit
    and predict call into the run log, so a test can check which utterances each step saw."""

    info = ModelInfo(name="test-recording", modalities=("text",), description="test-only: logs what it is given")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        self.log = env.log
        env.log("fit " + json.dumps({"train": [e.uid for e in train], "valid": [e.uid for e in valid],
                                     "labelled": all(e.label is not None for e in [*train, *valid])}))
        super().fit(train, valid, env)

    def refit(self, train_valid: Sequence[Example], env: FitEnv) -> None:
        env.log("refit " + json.dumps({"train": [e.uid for e in train_valid]}))
        super().fit(train_valid, [], env)

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        self.log("predict " + json.dumps({"uids": [e.uid for e in examples],
                                          "labelled": any(e.label is not None for e in examples)}))
        return super().predict(examples)


def _words(text: str) -> list[str]:
    return [w.strip(".,!?").lower() for w in text.split() if w.strip(".,!?")]


TEST_MODELS = {
    "test-keyword-text": "tests.support.models:KeywordText",
    "test-failing": "tests.support.models:Failing",
    "test-slow": "tests.support.models:Slow",
    "test-recording": "tests.support.models:Recording",
}


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
