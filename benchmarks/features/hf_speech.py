"""Frame-level speech features from any wav2vec2-family Hugging Face model (wav2vec2, HuBERT, WavLM) at a chosen layer.

Specs (`spec.py`): a Hugging Face name or local path, optionally with a layer: `facebook/wav2vec2-base`,
`path/to/model@layer=6`, `path/to/model@mean` (uniform average of all transformer layers). Weights resolve
offline through `lemer.core.pretrained.resolve_pretrained`. Outputs are cut to the clip's real length (one
frame per 20 ms); batches hold clips of exactly equal length (these models take no attention mask, and
group-norm front ends change their output under padding), so a cache entry never depends on its batch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from benchmarks.features.cache import num_threads
from benchmarks.features.contract import AudioEncoder
from benchmarks.features.hf_models import load_local_model
from benchmarks.features.whisper import n_output_frames
from lemer.core.devices import resolve_device
from lemer.core.pretrained import resolve_pretrained, weights_hash

if TYPE_CHECKING:
    from benchmarks.features.spec import EncoderSpec


class HFSpeechEncoder(AudioEncoder):
    """wav2vec2 / HuBERT / WavLM (any transformers AutoModel exposing hidden states) at a chosen layer."""

    def __init__(self, name: str, layer: int | str = "last", device: str = "cpu") -> None:
        self.requested = name
        self.device = device
        self.model_dir = resolve_pretrained(name, "speech encoder")
        self.layer = layer
        suffix = "" if layer == "last" else (f"@layer={layer}" if isinstance(layer, int) else f"@{layer}")
        self.name = name + suffix
        self._model = None
        self._weights: str | None = None
        self._normalize = True
        self.batch_size = 8

    @property
    def identity(self) -> dict[str, str]:
        if self._weights is None:
            self._weights = weights_hash(self.model_dir)
        return {"encoder": self.requested, "weights": self._weights, "layer": str(self.layer)}

    def _load(self):  # noqa: ANN202 - a transformers PreTrainedModel
        if self._model is None:
            import torch

            torch.set_num_threads(num_threads())
            if (self.model_dir / "preprocessor_config.json").is_file():
                from transformers import AutoFeatureExtractor  # heavy optional dependency: only when loading

                self._normalize = bool(getattr(AutoFeatureExtractor.from_pretrained(str(self.model_dir)), "do_normalize", True))
            self.device = str(resolve_device(self.device))
            self._model = load_local_model(self.model_dir).to(self.device)
            n_layers = int(self._model.config.num_hidden_layers)
            if isinstance(self.layer, int) and not 0 <= self.layer <= n_layers:
                raise ValueError(f"speech encoder {self.requested!r} has hidden states 0..{n_layers}, not layer {self.layer}")
        return self._model

    def bucket(self, samples: np.ndarray) -> int:
        return len(samples)  # no attention mask: group-norm models change their output under padding

    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        import torch

        model = self._load()
        x = np.stack([np.asarray(s, dtype=np.float32) for s in batch])
        if self._normalize:
            x = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-7)
        with torch.inference_mode():
            out = model(torch.from_numpy(x).to(self.device), output_hidden_states=True)
        states = out.hidden_states
        if self.layer == "last":
            h = states[-1]
        elif self.layer == "mean":
            h = torch.stack(states[1:]).mean(0)
        else:
            h = states[int(self.layer)]
        h = h.float().cpu()
        return [h[r, : n_output_frames(len(s))].numpy().copy() for r, s in enumerate(batch)]


    @classmethod
    def from_spec(cls, spec: "EncoderSpec", device: str = "cpu") -> "HFSpeechEncoder":
        return cls(str(spec.name), spec.layer, device=device)

    @staticmethod
    def weight_sources(spec: "EncoderSpec") -> list[str]:
        return [str(spec.name)]
