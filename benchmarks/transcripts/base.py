"""The transcript-source interface and its on-disk cache.

Why cache by audio content: ASR is the slowest step of a suite, and the same clip decoded with the
same engine and settings always gives the same text. Entries live under
`$LEMER_CACHE/transcripts/<source>-<settings hash>/ab/<audio sha256>.json`, one small JSON file per
clip written atomically, so parallel processes and killed runs never leave a half entry.

Every entry carries a blake2b checksum of its content (source, audio hash, text), as the feature cache's
entries do (`benchmarks/features/shards.py:checksum`); it is verified on every read. An entry that does
not parse, names another clip or fails its checksum (a flipped byte, an edited text) is recomputed and
counted in `stats.corrupt`, which `transcripts` and `run` report. An entry written before checksums
existed (no `blake2b` key) is accepted as a legacy entry, with its shape and audio hash still checked: it
is no less trustworthy than when it was written, and recomputing every cached clip would cost the hours
of ASR the cache exists to save.
"""
from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchmarks.features.cache import CacheStats, key_of
from benchmarks.features.shards import checksum
from dataset_adapters.audio import FILE_AUDIO, ClipReader, is_silent
from dataset_adapters.types import Utterance
from lemer.core.atomic import write_bytes_atomic
from lemer.core.pretrained import cache_root


class TranscriptSource(ABC):
    """A named way to get text for utterances: `transcribe(utts) -> {uid: text}`."""

    key: str

    @abstractmethod
    def transcribe(self, utterances: Sequence[Utterance], progress: bool = True,
                   reader: ClipReader = FILE_AUDIO) -> dict[str, Any]:
        """uid -> text; `reader` gives the audio an ASR engine hears (the files, or a degraded condition's clips)."""


class CachedAsrSource(TranscriptSource):
    """An ASR engine whose outputs are cached per (source key, engine settings, audio content)."""

    def __init__(self, key: str, cache_dir: str | Path | None = None) -> None:
        self.key = key
        self.stats = CacheStats()
        self._cache_dir = cache_dir

    @property
    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Everything that changes the output (weights hash, decoding options): part of the cache key."""

    @abstractmethod
    def decode(self, clips: Sequence[np.ndarray], progress: bool) -> list[str]:
        """Transcribe non-silent 16 kHz float32 clips, in order."""

    def _dir(self) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.=-]+", "-", self.key)
        return cache_root(self._cache_dir) / "transcripts" / f"{safe}-{key_of(self.settings)[:12]}"

    def _entry(self, digest: str) -> Path:
        return self._dir() / digest[:2] / f"{digest}.json"

    def transcribe(self, utterances: Sequence[Utterance], progress: bool = True,
                   reader: ClipReader = FILE_AUDIO) -> dict[str, str]:
        out: dict[str, str] = {}
        todo: dict[str, list[Utterance]] = {}
        found: dict[str, str | None] = {}  # one read per entry: clips with the same audio share it
        for u in utterances:
            digest = reader.key(u)
            if digest not in found:
                found[digest] = self._lookup(digest)
            text = found[digest]
            if text is None:
                todo.setdefault(digest, []).append(u)
            else:
                out[u.uid] = text
                self.stats.reused += 1
        if not todo:
            return out
        digests = list(todo)
        audio = {d: reader.samples(todo[d][0]) for d in digests}
        texts = {d: "" for d in digests if is_silent(audio[d])}  # documented: silence -> "" (no decoding)
        speech = [d for d in digests if d not in texts]
        for d, text in zip(speech, self.decode([audio[d] for d in speech], progress)):
            texts[d] = text.strip()
        for d in digests:
            payload = {"source": self.key, "audio_sha256": d, "uid": todo[d][0].uid, "text": texts[d]}
            payload["blake2b"] = content_checksum(payload)
            write_bytes_atomic(self._entry(d), json.dumps(payload, ensure_ascii=False).encode())
            self.stats.computed += 1
            for u in todo[d]:
                out[u.uid] = texts[d]
        return out

    def _lookup(self, digest: str) -> str | None:
        p = self._entry(digest)
        try:
            entry = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self.stats.corrupt += 1
            return None
        if (not isinstance(entry, dict) or entry.get("audio_sha256") != digest or not isinstance(entry.get("text"), str)
                or ("blake2b" in entry and entry["blake2b"] != content_checksum(entry))):  # no key: a legacy entry
            self.stats.corrupt += 1
            return None
        return entry["text"]


def content_checksum(entry: dict[str, Any]) -> str:
    """The blake2b of what an entry says (its source, audio hash and text), independent of JSON layout."""
    fields = {k: entry.get(k) for k in ("source", "audio_sha256", "text")}
    return checksum(json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8"))
