"""The corpus-adapter protocol and the table of the three real-layout adapters.

Other parts look adapters up by corpus name (`get_adapter("iemocap")`) and rely only on the
`CorpusAdapter` protocol below, never on an adapter's module.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

from dataset_adapters.crema_d import CremaDAdapter
from dataset_adapters.iemocap import IemocapAdapter
from dataset_adapters.msp_podcast import MspPodcastAdapter
from dataset_adapters.types import Fold, LoadReport, OnError, Utterance


@runtime_checkable
class CorpusAdapter(Protocol):
    """Reads one corpus from its distributed layout and splits it by the corpus's protocols.

    `load` returns utterances sorted by uid with absolute audio paths; bad input raises
    `CorpusError` (naming file and line) or, with `on_error="skip"`, lands in `LoadReport.skipped`.
    `verify_audio=False` skips opening every clip (fast re-loads of a tree already checked);
    `verify_samples=True` also refuses clips the encoders cannot use (NaN/Inf samples, shorter than
    `audio.MIN_SECONDS`), as `data check` does: off by default because text-only runs can use them.
    """

    name: str
    version: str
    protocols: tuple[str, ...]
    default_label_map: str

    def load(self, root: str | Path, label_map: str | None = None, on_error: OnError = "raise",
             verify_audio: bool = True, verify_samples: bool = False) -> LoadReport: ...

    def folds(self, utterances: Sequence[Utterance], protocol: str) -> list[Fold]: ...


ADAPTERS: dict[str, CorpusAdapter] = {a.name: a for a in (IemocapAdapter(), MspPodcastAdapter(), CremaDAdapter())}


def get_adapter(name: str) -> CorpusAdapter:
    """The adapter for a corpus name; KeyError with the closest names on a typo."""
    if name not in ADAPTERS:
        close = difflib.get_close_matches(name, ADAPTERS, n=2)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(ADAPTERS)}"
        raise KeyError(f"unknown corpus {name!r}; {hint}")
    return ADAPTERS[name]
