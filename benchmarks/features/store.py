"""The harness's one door to encoder features: compute once, cache by content, hand out memory maps.

Keys are (encoder identity incl. weights hash and layer, storage dtype, input content hash): the
audio file's sha256 for speech, the exact token ids for text. A second run over the same inputs
computes nothing (`computed == 0`, `reused == n`). Features are stored as float16 by default (half
the disk and page-cache; the report measures that probe accuracy is unchanged); values outside the
float16 range are stored as float32 instead of overflowing.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import sys
from pathlib import Path
from typing import Iterable, Sequence, TypeVar

import numpy as np

from benchmarks.features.cache import FeatureCache, key_of, raise_open_file_limit
from dataset_adapters.audio import SAMPLE_RATE, audio_hash, read_audio
from dataset_adapters.types import Utterance
from lemer.core.spec import EncoderRef

T = TypeVar("T")
STORE_DTYPES = ("float16", "float32")
_F16_MAX = float(np.finfo(np.float16).max)


def _progress(items: Iterable[T], total: int, desc: str, enabled: bool) -> Iterable[T]:
    if not enabled or not sys.stderr.isatty():  # bars only on a terminal: no cursor escapes in logs
        return items
    from tqdm.auto import tqdm

    return tqdm(items, total=total, desc=desc, unit="clip" if "speech" in desc else "utt", file=sys.stderr, leave=False)


# kind -> (module, factory) of the encoders, imported on first use only (they pull in torch and transformers)
_ENCODER_FACTORIES = {"text": ("benchmarks.features.text_encoder", "TextEncoder"),
                      "speech": ("benchmarks.features.speech_encoder", "get_speech_encoder")}
_DECODE_WINDOW = 256  # clips decoded at once; batches only group equal lengths, so windows change no feature


def _combined(hashes: Sequence[str]) -> str:
    return hashlib.sha256("+".join(hashes).encode()).hexdigest()


def _header_samples(path: str) -> int:
    """Approximate 16 kHz length from the file header (for ordering only; unreadable files sort first and
    then fail in `read_audio` with its clear error)."""
    import soundfile as sf

    try:
        info = sf.info(path)
    except Exception:  # noqa: BLE001 - read_audio reports the real problem
        return 0
    return int(info.frames * SAMPLE_RATE / max(info.samplerate, 1))


class FeatureStore:
    """Cached speech and text features for one (text encoder, speech encoder) choice."""

    def __init__(self, cache_dir: str | Path | None = None, text_encoder: str | None = "default",
                 speech_encoder: str | None = "default", progress: bool = True, dtype: str | None = None,
                 device: str = "cpu") -> None:
        raise_open_file_limit()  # one descriptor per memory-mapped entry (see the function)
        self.cache = FeatureCache(cache_dir, "features")
        self.progress = progress
        self.device = device  # auto | cpu | cuda[:N]; features are the same up to numerics, so not in the keys
        self.dtype = dtype or os.environ.get("LEMER_FEATURE_DTYPE", "float16")
        if self.dtype not in STORE_DTYPES:
            raise ValueError(f"feature dtype {self.dtype!r}: expected one of {', '.join(STORE_DTYPES)}")
        self._text_spec, self._speech_spec = text_encoder, speech_encoder
        self._text = None
        self._speech = None
        self.text_encoder_name: str | None = None
        self.speech_encoder_name: str | None = None
        if text_encoder is not None:
            from benchmarks.features.text_encoder import DEFAULT_DISPLAY_NAME, DEFAULT_TEXT_ENCODER

            self.text_encoder_name = DEFAULT_DISPLAY_NAME if text_encoder == DEFAULT_TEXT_ENCODER else text_encoder
        if speech_encoder is not None:
            from benchmarks.features.speech_encoder import DEFAULT_SPEECH_ENCODER, DEFAULT_SPEECH_SPEC

            self.speech_encoder_name = DEFAULT_SPEECH_SPEC if speech_encoder == DEFAULT_SPEECH_ENCODER else speech_encoder

    def encoder_ref(self, role: str) -> EncoderRef:
        """This store's `role` ("text" or "speech") encoder as a run records it: canonical spec and the sha256 of its
        weights (None for encoders without weights). Resolves folders and hashes weight files (memoised on disk),
        loads no model; EncoderUnavailable when a folder cannot be found (`unreachable` lists them all)."""
        from benchmarks.features.cache import resolve_model_dir, weights_hash
        from benchmarks.features.speech_encoder import weight_sources
        from benchmarks.features.text_encoder import DEFAULT_TEXT_ENCODER, default_text_model_dir

        if role == "text" and self._text_spec is not None:
            target = default_text_model_dir() if self._text_spec == DEFAULT_TEXT_ENCODER else self._text_spec
            return EncoderRef("text", str(self.text_encoder_name), weights_hash(resolve_model_dir(target, "text")))
        if role == "speech" and self._speech_spec is not None:
            hashes = [weights_hash(resolve_model_dir(s, "speech")) for s in weight_sources(self._speech_spec)]
            weights = None if not hashes else hashes[0] if len(hashes) == 1 else _combined(hashes)
            return EncoderRef("speech", str(self.speech_encoder_name), weights)
        raise RuntimeError(f"this FeatureStore has no {role} encoder")

    def unreachable(self, text: bool, speech: bool) -> list[str]:
        """One line per needed encoder whose files cannot be found, without loading any model.

        The runner calls this before a grid starts, so a missing `bert-base-uncased` is one message
        up front, not the same failure in every run."""
        from benchmarks.features.cache import WEIGHT_SUFFIXES, EncoderUnavailable, resolve_model_dir

        wanted: list[tuple[str, str, str]] = []  # (role, spec as named, what to resolve)
        if text and self._text_spec is not None:
            from benchmarks.features.text_encoder import DEFAULT_TEXT_ENCODER, default_text_model_dir

            wanted.append(("text", self._text_spec, default_text_model_dir() if self._text_spec == DEFAULT_TEXT_ENCODER
                           else self._text_spec))
        if speech and self._speech_spec is not None:
            from benchmarks.features.speech_encoder import weight_sources

            try:
                targets = weight_sources(self._speech_spec)
            except ValueError as e:
                return [f"speech encoder {self._speech_spec!r}: {e}"]
            wanted += [("speech", self._speech_spec, t) for t in targets]
        problems = []
        for role, spec, target in wanted:
            try:
                folder = resolve_model_dir(target, role)
            except EncoderUnavailable as e:
                problems.append(str(e).split('; use a local path')[0])
                continue
            if not any(f.suffix in WEIGHT_SUFFIXES and f.is_file() for f in folder.rglob("*")):
                problems.append(f"{role} encoder {spec!r}: no weight files ({', '.join(WEIGHT_SUFFIXES)}) in {folder}")
        return problems

    # counters, as the API promises plain attributes
    @property
    def computed(self) -> int:
        return self.cache.stats.computed

    @property
    def reused(self) -> int:
        return self.cache.stats.reused

    @property
    def corrupt(self) -> int:
        return self.cache.stats.corrupt

    @property
    def text_encoder(self):  # noqa: ANN201 - benchmarks.features.text_encoder.TextEncoder
        return self._encoder("text")

    @property
    def speech_encoder(self):  # noqa: ANN201 - benchmarks.features.speech_encoder.SpeechEncoder
        return self._encoder("speech")

    def _encoder(self, kind: str):  # noqa: ANN202 - TextEncoder or SpeechEncoder
        """The `kind` ("text" or "speech") encoder, built on first use; a store made without one says so."""
        spec = getattr(self, f"_{kind}_spec")
        if spec is None:
            raise RuntimeError(f"this FeatureStore has no {kind} encoder ({kind}_encoder=None)")
        if getattr(self, f"_{kind}") is None:
            module, factory = _ENCODER_FACTORIES[kind]
            setattr(self, f"_{kind}", getattr(importlib.import_module(module), factory)(spec, device=self.device))
        return getattr(self, f"_{kind}")

    def _store(self, key: str, arr: np.ndarray, meta: dict[str, str] | None = None) -> np.ndarray:
        arr = np.asarray(arr, dtype=np.float32)
        if not np.isfinite(arr).all():
            raise ValueError(f"encoder produced NaN/inf features for {meta.get('uid') if meta else key}")
        if self.dtype == "float16" and np.abs(arr).max(initial=0.0) < _F16_MAX:
            arr = arr.astype(np.float16)
        self.cache.put(key, arr, meta)
        self.cache.stats.computed += 1
        got = self.cache.get(key)
        if got is None:  # pragma: no cover - only if the disk lies
            raise OSError(f"feature cache entry {self.cache.path(key)} unreadable right after writing it")
        return got[0]

    def speech(self, utterances: Sequence[Utterance]) -> dict[str, np.ndarray]:
        """uid -> (n_frames, d) read-only memmap; misses are read, batched by exact input length, encoded."""
        enc = self.speech_encoder
        ident = enc.identity
        out: dict[str, np.ndarray] = {}
        todo: dict[str, list[Utterance]] = {}
        for u in utterances:
            key = key_of("speech", ident, self.dtype, audio_hash(u.audio))
            hit = self.cache.get(key)
            if hit is not None:
                out[u.uid] = hit[0]
                self.cache.stats.reused += 1
            else:
                todo.setdefault(key, []).append(u)  # identical clips are encoded once
        if not todo:
            return out
        # Sort by the header's length and decode one window at a time, so memory holds a window of audio,
        # not the whole corpus (200 h of MSP-Podcast would be ~46 GB of float32 samples).
        pending = sorted(todo.items(), key=lambda kv: _header_samples(kv[1][0].audio))
        bar = _progress(range(len(pending)), len(pending), f"speech features ({enc.name})", self.progress)
        it = iter(bar)
        for start in range(0, len(pending), _DECODE_WINDOW):
            clips = [(key, us, read_audio(us[0].audio)) for key, us in pending[start : start + _DECODE_WINDOW]]
            clips.sort(key=lambda c: enc.bucket(c[2]))
            batches: list[list[tuple[str, list[Utterance], np.ndarray]]] = []
            for c in clips:
                if batches and enc.bucket(batches[-1][0][2]) == enc.bucket(c[2]) and len(batches[-1]) < enc.batch_size:
                    batches[-1].append(c)
                else:
                    batches.append([c])
            for batch in batches:
                for (key, us, _), feats in zip(batch, enc.encode([c[2] for c in batch])):
                    arr = self._store(key, feats, {"kind": "speech", "encoder": enc.name, "uid": us[0].uid})
                    for u in us:
                        out[u.uid] = arr
                    self.cache.stats.reused += len(us) - 1  # identical clips share the entry just computed
                    next(it, None)
        if hasattr(bar, "close"):
            bar.close()
        return out

    def text(self, items: Sequence[tuple[str, str, Sequence[str]]], context_window: int) -> dict[str, tuple[np.ndarray, tuple[int, int]]]:
        """(uid, text, preceding texts oldest-first) -> ((n_tokens, d) memmap, target span)."""
        enc = self.text_encoder
        ident = enc.identity
        out: dict[str, tuple[np.ndarray, tuple[int, int]]] = {}
        todo: dict[str, list[str]] = {}
        built = {}
        for uid, text, ctx in items:
            inp = enc.build(text, ctx, context_window)
            key = key_of("text", ident, self.dtype, list(inp.ids))
            hit = self.cache.get(key)
            if hit is not None:
                out[uid] = (hit[0], inp.span)
                self.cache.stats.reused += 1
            else:
                todo.setdefault(key, []).append(uid)
                built[key] = inp
        keys = list(todo)
        step = 256
        bar = _progress(range(len(keys)), len(keys), f"text features ({enc.name})", self.progress and bool(keys))
        it = iter(bar)
        for b in range(0, len(keys), step):
            chunk = keys[b : b + step]
            for key, feats in zip(chunk, enc.encode([built[k] for k in chunk])):
                arr = self._store(key, feats, {"kind": "text", "encoder": enc.name, "uid": todo[key][0]})
                for uid in todo[key]:
                    out[uid] = (arr, built[key].span)
                self.cache.stats.reused += len(todo[key]) - 1
                next(it, None)
        if hasattr(bar, "close"):
            bar.close()
        return out

    def embed_words(self, words: Sequence[str]) -> np.ndarray:
        """(n, d) float32 mean-pooled embeddings of short strings (LE-MER's keyword label embeddings)."""
        return self.text_encoder.embed_words(words)
