"""The unified label vocabulary and the named label maps.

Each corpus's raw codes are first translated to the unified three-letter vocabulary
(`unify`), then a named label map keeps, merges or drops them. A code that is neither in the
corpus's raw table nor a known "no agreement" code is an error, never a silent drop.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from dataset_adapters.registry import Registry

VOCAB: tuple[str, ...] = ("neu", "hap", "ang", "sad", "exc", "fru", "sur", "fea", "dis", "con", "oth")

class UnknownLabel(ValueError):
    """A raw label code that the corpus's table does not know."""


def unify(corpus: str, raw: str) -> str | None:
    """Translate a corpus's raw label code to the unified vocabulary (None = no agreement)."""
    from dataset_adapters.base import corpus_info

    table = corpus_info(corpus).raw_codes
    if raw not in table:
        raise UnknownLabel(f"unknown {corpus} label code {raw!r} (known: {', '.join(sorted(table))})")
    return table[raw]


@dataclass(frozen=True)
class LabelMap:
    """A named choice of classes: which unified codes are kept, which merged, in what order."""

    name: str
    classes: tuple[str, ...]
    merge: tuple[tuple[str, str], ...] = ()  # (from, to) pairs, e.g. ("exc", "hap")
    corpora: tuple[str, ...] = ()  # the corpora it applies to; () = every corpus (cross-corpus maps)

    def applies_to(self, corpus: str) -> bool:
        return not self.corpora or corpus in self.corpora

    def apply(self, unified: str | None) -> str | None:
        """Map a unified code to a class of this map, or None when the map drops it."""
        if unified is None:
            return None
        unified = dict(self.merge).get(unified, unified)
        return unified if unified in self.classes else None


# Maps that apply to every corpus (cross-corpus comparisons); each corpus's own maps are declared
# by its adapter (`CorpusInfo.label_maps`).
SHARED_LABEL_MAPS: tuple[LabelMap, ...] = (LabelMap("shared-4", ("neu", "hap", "ang", "sad"), (("exc", "hap"),)),)


@lru_cache(maxsize=1)
def label_maps() -> Registry[LabelMap]:
    """Every label map by name: the shared ones and those each registered corpus declares."""
    from dataset_adapters.base import CORPORA, corpus_info

    reg: Registry[LabelMap] = Registry("label map")
    for m in SHARED_LABEL_MAPS:
        reg.register(m.name, m)
    for corpus in CORPORA:
        for m in corpus_info(corpus).label_maps:
            reg.register(m.name, m)
    return reg


def get_label_map(name: str, corpus: str | None = None) -> LabelMap:
    """Look up a label map by name (did-you-mean on typos), refusing one that does not apply to `corpus`."""
    m = label_maps().get(name)
    if corpus is not None and not m.applies_to(corpus):
        raise ValueError(f"label map {name!r} does not apply to corpus {corpus!r} (it applies to {', '.join(m.corpora)})")
    return m
