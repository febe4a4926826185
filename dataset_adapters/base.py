"""The corpus-adapter protocol and the corpus registry.

Other parts look adapters up by corpus name (`get_adapter("iemocap")`, `corpus_info("iemocap")`)
and rely only on the `CorpusAdapter` protocol below, never on an adapter's module. Adding a corpus
is one adapter module (declaring its `CorpusInfo`) plus one `CORPORA.register` line here.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

from dataset_adapters.labels import SHARED_LABEL_MAPS, LabelMap
from dataset_adapters.types import CorpusInfo, Fold, InvalidArgument, LoadReport, OnError, Utterance, type_name
from lemer.core.registry import Registry, did_you_mean


@runtime_checkable
class CorpusAdapter(Protocol):
    """Reads one corpus from its distributed layout and splits it by the corpus's protocols.

    `load` returns utterances sorted by uid with absolute audio paths; bad input raises
    `CorpusError` (naming file and line) or, with `on_error="skip"`, lands in `LoadReport.skipped`.
    `verify_audio=False` skips opening every clip (fast re-loads of a tree already checked);
    `verify_samples=True` also refuses clips the encoders cannot use (NaN/Inf samples, shorter than
    `audio.MIN_SECONDS`), as `data check` does: off by default because text-only runs can use them.
    """

    info: CorpusInfo

    def load(self, root: str | Path, label_map: str | None = None, on_error: OnError = "raise",
             verify_audio: bool = True, verify_samples: bool = False) -> LoadReport: ...

    def folds(self, utterances: Sequence[Utterance], protocol: str) -> list[Fold]: ...


CORPORA: Registry[Any] = Registry("corpus")
CORPORA.register("iemocap", "dataset_adapters.iemocap:IemocapAdapter", "IEMOCAP (IEMOCAP_full_release layout)")
CORPORA.register("msp-podcast", "dataset_adapters.msp_podcast:MspPodcastAdapter", "MSP-Podcast (Audios/, Labels/, Transcripts/)")
CORPORA.register("crema-d", "dataset_adapters.crema_d:CremaDAdapter", "CREMA-D (AudioWAV/)")


def check_name(kind: str, value: object, example: str) -> str:
    """`value` when it is a string; InvalidArgument saying what is expected otherwise (before any look-up)."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{kind} must be a name (str) such as {example!r}, got {type_name(value)} {value!r}")
    return value


def get_adapter(name: str) -> CorpusAdapter:
    """The adapter for a corpus name (one instance per process); UnknownName with close names on a typo,
    InvalidArgument for something that is not a name."""
    return _adapter(check_name("corpus", name, "iemocap"))


@lru_cache(maxsize=None)
def _adapter(name: str) -> CorpusAdapter:
    return CORPORA.get(name)()


def corpus_info(name: str) -> CorpusInfo:
    """The facts a corpus's adapter declares (protocols, label maps, env var, raw label codes)."""
    return get_adapter(name).info


def check_protocol(corpus: str, protocol: str) -> str:
    """`protocol` when the corpus has it; UnknownName with a did-you-mean otherwise."""
    check_name("protocol", protocol, corpus_info(corpus).default_protocol)
    protocols = list(corpus_info(corpus).protocols)
    if protocol not in protocols:
        raise did_you_mean("protocol", protocol, protocols, f" for {corpus}")
    return protocol


@lru_cache(maxsize=1)
def label_maps() -> Registry[LabelMap]:
    """Every label map by name: the shared ones and those each registered corpus declares."""
    reg: Registry[LabelMap] = Registry("label map")
    for m in SHARED_LABEL_MAPS:
        reg.register(m.name, m)
    for corpus in CORPORA:
        for m in corpus_info(corpus).label_maps:
            reg.register(m.name, m)
    return reg


def get_label_map(name: str, corpus: str | None = None) -> LabelMap:
    """Look up a label map by name (did-you-mean on typos), refusing one that does not apply to `corpus`."""
    m = label_maps().get(check_name("label map", name, "iemocap-4"))
    if corpus is not None and not m.applies_to(corpus):
        raise ValueError(f"label map {name!r} does not apply to corpus {corpus!r} (it applies to {', '.join(m.corpora)})")
    return m
