"""The unified label vocabulary and the named label maps.

Each corpus's raw codes are first translated to the unified three-letter vocabulary
(`unify`), then a named label map keeps, merges or drops them. A code that is neither in the
corpus's raw table nor a known "no agreement" code is an error, never a silent drop.
"""
from __future__ import annotations

from dataclasses import dataclass

VOCAB: tuple[str, ...] = ("neu", "hap", "ang", "sad", "exc", "fru", "sur", "fea", "dis", "con", "oth")

# Raw code -> unified code. None = "no agreement" (always dropped, counted as filtered).
RAW_CODES: dict[str, dict[str, str | None]] = {
    "iemocap": {
        "neu": "neu", "hap": "hap", "exc": "exc", "sad": "sad", "ang": "ang", "fru": "fru",
        "fea": "fea", "sur": "sur", "dis": "dis", "oth": "oth", "xxx": None,
    },
    "msp-podcast": {
        "A": "ang", "S": "sad", "H": "hap", "U": "sur", "F": "fea", "D": "dis", "C": "con",
        "N": "neu", "O": "oth", "X": None,
    },
    "crema-d": {"ANG": "ang", "DIS": "dis", "FEA": "fea", "HAP": "hap", "NEU": "neu", "SAD": "sad"},
}


class UnknownLabel(ValueError):
    """A raw label code that the corpus's table does not know."""


def unify(corpus: str, raw: str) -> str | None:
    """Translate a corpus's raw label code to the unified vocabulary (None = no agreement)."""
    table = RAW_CODES[corpus]
    if raw not in table:
        raise UnknownLabel(f"unknown {corpus} label code {raw!r} (known: {', '.join(sorted(table))})")
    return table[raw]


@dataclass(frozen=True)
class LabelMap:
    """A named choice of classes: which unified codes are kept, which merged, in what order."""

    name: str
    classes: tuple[str, ...]
    merge: tuple[tuple[str, str], ...] = ()  # (from, to) pairs, e.g. ("exc", "hap")
    corpora: tuple[str, ...] = ("iemocap", "msp-podcast", "crema-d")

    def apply(self, unified: str | None) -> str | None:
        """Map a unified code to a class of this map, or None when the map drops it."""
        if unified is None:
            return None
        unified = dict(self.merge).get(unified, unified)
        return unified if unified in self.classes else None


LABEL_MAPS: dict[str, LabelMap] = {
    m.name: m
    for m in (
        LabelMap("iemocap-4", ("neu", "hap", "ang", "sad"), (("exc", "hap"),), ("iemocap",)),
        LabelMap("iemocap-6", ("neu", "hap", "ang", "sad", "exc", "fru"), (), ("iemocap",)),
        LabelMap("msp-4", ("neu", "hap", "ang", "sad"), (), ("msp-podcast",)),
        LabelMap("msp-8", ("ang", "sad", "hap", "sur", "fea", "dis", "con", "neu"), (), ("msp-podcast",)),
        LabelMap("crema-6", ("ang", "dis", "fea", "hap", "neu", "sad"), (), ("crema-d",)),
        LabelMap("shared-4", ("neu", "hap", "ang", "sad"), (("exc", "hap"),)),
    )
}

DEFAULT_LABEL_MAP: dict[str, str] = {"iemocap": "iemocap-4", "msp-podcast": "msp-8", "crema-d": "crema-6"}


def get_label_map(name: str, corpus: str | None = None) -> LabelMap:
    """Look up a label map by name, refusing one that does not apply to `corpus`."""
    if name not in LABEL_MAPS:
        raise KeyError(f"unknown label map {name!r}; known: {', '.join(LABEL_MAPS)}")
    m = LABEL_MAPS[name]
    if corpus is not None and corpus not in m.corpora:
        raise ValueError(f"label map {name!r} does not apply to corpus {corpus!r} (it applies to {', '.join(m.corpora)})")
    return m
