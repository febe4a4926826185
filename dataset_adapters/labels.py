"""The unified label vocabulary and the named label maps.

Each corpus's raw codes are first translated to the unified three-letter vocabulary
(`unify`), then a named label map keeps, merges or drops them. A code that is neither in the
corpus's raw table nor a known "no agreement" code is an error, never a silent drop.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lemer.core.errors import InputError

VOCAB: tuple[str, ...] = ("neu", "hap", "ang", "sad", "exc", "fru", "sur", "fea", "dis", "con", "oth")

class UnknownLabel(InputError):
    """A raw label code that the corpus's table does not know."""


def unify(corpus: str, table: Mapping[str, str | None], raw: str) -> str | None:
    """Translate a raw label code of `corpus` through its table (`CorpusInfo.raw_codes`) to the unified
    vocabulary (None = no agreement)."""
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
