"""The harness's one door to encoder features: compute once, cache by content, hand out memory maps.

Three roles, one mechanism: text token features, speech frame features, and clip vectors (one per clip, for the
logistic-regression baselines), all keyed by (role, encoder identity incl. weights hash and layer, storage
dtype, input content hash: the audio file's sha256, or the exact token ids) in the one sharded cache
(`cache.py`). A second run over the same inputs computes nothing (`computed == 0`, `reused == n`). Frame and
token features are stored as float16 by default (half the disk and page cache; values outside its range stay
float32); clip vectors keep float32 (`contract.ClipEncoder.store_dtype`). Encoders are named by spec
(`spec.py`) and built on first use.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence, TypeVar

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from benchmarks.features.cache import FeatureCache, key_of, raise_open_file_limit
from benchmarks.features.contract import AudioEncoder
from benchmarks.features.spec import EncoderSpec
from dataset_adapters.audio import FILE_AUDIO, SAMPLE_RATE, ClipReader
from dataset_adapters.types import Utterance
from lemer.core.pretrained import PretrainedUnavailable, resolve_pretrained, weights_hash
from lemer.core.spec import EncoderRef

T = TypeVar("T")
STORE_DTYPES = ("float16", "float32")
_F16_MAX = float(np.finfo(np.float16).max)
_DECODE_WINDOW = 256  # clips decoded at once; batches only group equal buckets, so windows change no feature


def _progress(items: Iterable[T], total: int, desc: str, enabled: bool) -> Iterable[T]:
    if not enabled or not sys.stderr.isatty():  # bars only on a terminal: no cursor escapes in logs
        return items
    return tqdm(items, total=total, desc=desc, unit="clip" if "text" not in desc else "utt", file=sys.stderr,
                leave=False)


def _combined(hashes: Sequence[str]) -> str:
    return hashlib.sha256("+".join(hashes).encode()).hexdigest()


def _header_samples(path: str) -> int:
    """Approximate 16 kHz length from the file header (for ordering only; unreadable files sort first and
    then fail in `read_audio` with its clear error)."""
    try:
        info = sf.info(path)
    except Exception:  # noqa: BLE001 - read_audio reports the real problem
        return 0
    return int(info.frames * SAMPLE_RATE / max(info.samplerate, 1))


class FeatureStore:
    """Cached features for one (text encoder, speech encoder) choice, and any clip encoder a model names.

    `text_encoder` / `speech_encoder`: specs (`spec.py`; `default` = the offline defaults), or None for a store
    without that role."""

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
        self.specs: dict[str, EncoderSpec] = {}
        if text_encoder is not None:
            self.specs["text"] = EncoderSpec.parse(text_encoder, "text")
        if speech_encoder is not None:
            self.specs["speech"] = EncoderSpec.parse(speech_encoder, "speech")
        self._built: dict[str, Any] = {}  # spec key -> encoder, built on first use

    @property
    def text_encoder_name(self) -> str | None:
        return self.specs["text"].key if "text" in self.specs else None

    @property
    def speech_encoder_name(self) -> str | None:
        return self.specs["speech"].key if "speech" in self.specs else None

    def encoder_ref(self, role: str) -> EncoderRef:
        """This store's `role` ("text" or "speech") encoder as a run records it: canonical spec and the sha256 of
        its weights (None for weight-free encoders). Resolves folders and hashes weight files (memoised on disk),
        loads no model; PretrainedUnavailable when a folder cannot be found (`unreachable` lists them all)."""
        spec = self._spec(role)
        hashes = [weights_hash(resolve_pretrained(s, f"{role} encoder")) for s in spec.weight_sources()]
        weights = None if not hashes else hashes[0] if len(hashes) == 1 else _combined(hashes)
        return EncoderRef(role, spec.key, weights)

    def unreachable(self, text: bool, speech: bool) -> list[str]:
        """One line per needed encoder whose weights cannot be found, without loading any model.

        The runner calls this before a grid starts, so a missing `bert-base-uncased` is one message up front,
        not the same failure in every run."""
        problems = []
        for role, wanted in (("text", text), ("speech", speech)):
            if not wanted or role not in self.specs:
                continue
            for source in self.specs[role].weight_sources():
                try:
                    resolve_pretrained(source, f"{role} encoder")
                except PretrainedUnavailable as e:
                    problems.append(str(e).split("; point at a local copy")[0])
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
    def text_encoder(self) -> Any:  # benchmarks.features.text.TextEncoder
        return self._encoder(self._spec("text"))

    @property
    def speech_encoder(self) -> AudioEncoder:
        return self._encoder(self._spec("speech"))

    def _spec(self, role: str) -> EncoderSpec:
        if role not in self.specs:
            raise RuntimeError(f"this FeatureStore has no {role} encoder ({role}_encoder=None)")
        return self.specs[role]

    def _encoder(self, spec: EncoderSpec) -> Any:
        """The encoder of `spec`, built once per store."""
        if spec.key not in self._built:
            self._built[spec.key] = spec.build(self.device)
        return self._built[spec.key]

    def _store(self, key: str, arr: np.ndarray, meta: dict[str, str] | None = None, dtype: str | None = None) -> np.ndarray:
        arr = np.asarray(arr, dtype=np.float32)
        if not np.isfinite(arr).all():
            raise ValueError(f"encoder produced NaN/inf features for {meta.get('uid') if meta else key}")
        if (dtype or self.dtype) == "float16" and np.abs(arr).max(initial=0.0) < _F16_MAX:
            arr = arr.astype(np.float16)
        self.cache.put(key, arr, meta)
        self.cache.stats.computed += 1
        got = self.cache.get(key)
        if got is None:  # pragma: no cover - only if the disk lies
            raise OSError(f"feature cache entry {self.cache.path(key)} unreadable right after writing it")
        return got[0]

    def speech(self, utterances: Sequence[Utterance], reader: ClipReader = FILE_AUDIO) -> dict[str, np.ndarray]:
        """uid -> (n_frames, d) read-only memmap of the store's speech encoder; misses are read and encoded.
        `reader`: where the samples come from (the files, or a degraded audio condition's clips)."""
        return self._audio(utterances, self.speech_encoder, "speech", reader)

    def clip(self, utterances: Sequence[Utterance], spec: str | EncoderSpec,
             reader: ClipReader = FILE_AUDIO) -> dict[str, np.ndarray]:
        """uid -> (d,) read-only vector of the clip encoder `spec` (e.g. `opensmile:egemaps-functionals`)."""
        parsed = spec if isinstance(spec, EncoderSpec) else EncoderSpec.parse(spec, "clip")
        return self._audio(utterances, self._encoder(parsed), "clip", reader)

    def _audio(self, utterances: Sequence[Utterance], enc: AudioEncoder, kind: str,
               reader: ClipReader) -> dict[str, np.ndarray]:
        """The one audio path: cache look-up by clip content, then decode a window of misses at a time, batch
        them by the encoder's bucket, encode, store. A batch that fails is retried clip by clip, so the error
        names the clip that caused it."""
        dtype = enc.store_dtype or self.dtype
        ident = enc.identity
        out: dict[str, np.ndarray] = {}
        todo: dict[str, list[Utterance]] = {}
        for u in utterances:
            key = key_of(kind, ident, dtype, reader.key(u))
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
        bar = _progress(range(len(pending)), len(pending), f"{kind} features ({enc.name})", self.progress)
        it = iter(bar)
        for start in range(0, len(pending), _DECODE_WINDOW):
            clips = [(key, us, reader.samples(us[0])) for key, us in pending[start : start + _DECODE_WINDOW]]
            clips.sort(key=lambda c: enc.bucket(c[2]))
            batches: list[list[tuple[str, list[Utterance], np.ndarray]]] = []
            for c in clips:
                if batches and enc.bucket(batches[-1][0][2]) == enc.bucket(c[2]) and len(batches[-1]) < enc.batch_size:
                    batches[-1].append(c)
                else:
                    batches.append([c])
            for batch in batches:
                for (key, us, _), feats in zip(batch, _encode_naming_the_clip(enc, batch)):
                    arr = self._store(key, feats, {"kind": kind, "encoder": enc.name, "uid": us[0].uid}, dtype)
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


def _encode_naming_the_clip(enc: AudioEncoder, batch: Sequence[tuple[str, list[Utterance], np.ndarray]]) -> list[np.ndarray]:
    """`enc.encode` of a batch; on failure, clip by clip, so the error names the clip (uid and file) at fault."""
    try:
        return enc.encode([c[2] for c in batch])
    except ValueError:
        if len(batch) == 1:
            raise ValueError(f"{batch[0][1][0].audio} ({batch[0][1][0].uid}): {enc.name}: "
                             f"{sys.exc_info()[1]}") from None
    return [_encode_naming_the_clip(enc, [c])[0] for c in batch]
