"""A small lazy name -> factory registry: refuses duplicates and suggests close names on typos."""
from __future__ import annotations

import difflib
import importlib
from typing import Any, Generic, Iterator, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to `"module:attribute"` targets, imported only when first asked for.

    An entry may carry default keyword arguments (used for model variants such as
    `lemer-no-constraint` = LE-MER with `use_constraint=False`).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._targets: dict[str, tuple[str, dict[str, Any]]] = {}

    def register(self, name: str, target: str, **defaults: Any) -> None:
        if name in self._targets:
            raise ValueError(f"duplicate {self.kind} name {name!r}")
        self._targets[name] = (target, defaults)

    def __contains__(self, name: str) -> bool:
        return name in self._targets

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def names(self) -> list[str]:
        return list(self._targets)

    def defaults(self, name: str) -> dict[str, Any]:
        return dict(self._entry(name)[1])

    def load(self, name: str) -> T:
        """The registered object itself (a class or a factory function)."""
        module, _, attr = self._entry(name)[0].partition(":")
        return getattr(importlib.import_module(module), attr)

    def _entry(self, name: str) -> tuple[str, dict[str, Any]]:
        if name not in self._targets:
            close = difflib.get_close_matches(name, self._targets, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(self._targets)}"
            raise KeyError(f"unknown {self.kind} {name!r}{hint}")
        return self._targets[name]
