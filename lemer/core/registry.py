"""The one registry mechanism for every named kind: corpora, label maps, protocols, models,
transcript engines, encoders, suites.

Why one: a name typed in a suite, on the command line or in Python is looked up the same way
everywhere: lazily (a `"module:attribute"` target is imported on first use, so listing names costs
nothing), refusing duplicates, and answering a typo with the closest names. It lives in the lowest
layer that needs it (`dataset_adapters/` imports nothing of ours but its own modules), so every
other layer can use it without breaking the one-way imports.
"""
from __future__ import annotations

import contextlib
import difflib
import importlib
from typing import Any, Generic, Iterator, TypeVar

from lemer.core.errors import InputError

T = TypeVar("T")


class UnknownName(InputError, KeyError):
    """A name no registry entry has; the message names the kind and the closest known names.

    Both a KeyError (look-up failed) and a ValueError (bad user input), so callers that catch
    either keep working; `str()` is the plain message, without KeyError's quotes.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def did_you_mean(kind: str, name: str, known: list[str], where: str = "") -> UnknownName:
    """The error for an unknown `name` of `kind` (`where`: e.g. " for iemocap"), suggesting close names."""
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(known) or '(none)'}"
    return UnknownName(f"unknown {kind} {name!r}{where}{hint}")


class Registry(Generic[T]):
    """Names -> objects, each given directly or as a lazy `"module:attribute"` target.

    An entry may carry default keyword arguments (model variants such as `lemer-no-constraint`
    are LE-MER with `use_constraint=False`) and a one-line description for `lemer-bench ls`.
    `scoped()` gives a copy that tests (or plugins) may extend without touching this one.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, tuple[Any, dict[str, Any], str]] = {}
        self._loaded: dict[str, T] = {}

    def register(self, name: str, target: T | str, description: str = "", **defaults: Any) -> None:
        if name in self._entries:
            raise ValueError(f"duplicate {self.kind} name {name!r}")
        self._entries[name] = (target, defaults, description)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)

    def check(self, name: str) -> str:
        """`name` itself when registered; UnknownName with a did-you-mean otherwise."""
        if name not in self._entries:
            raise did_you_mean(self.kind, name, self.names())
        return name

    def defaults(self, name: str) -> dict[str, Any]:
        return dict(self._entries[self.check(name)][1])

    def description(self, name: str) -> str:
        return self._entries[self.check(name)][2]

    def get(self, name: str) -> T:
        """The registered object itself (a class, a factory or a value), imported on first use."""
        target = self._entries[self.check(name)][0]
        if not isinstance(target, str):
            return target
        if name not in self._loaded:
            self._loaded[name] = import_target(target)
        return self._loaded[name]

    def target(self, name: str) -> str | None:
        """The `module:attribute` path of a lazily registered entry (None for direct objects)."""
        target = self._entries[self.check(name)][0]
        return target if isinstance(target, str) else None

    @contextlib.contextmanager
    def overlay(self, entries: dict[str, T | str]) -> Iterator["Registry[T]"]:
        """Add `entries` for the duration of a block, then remove exactly them (tests, plugins).

        Other modules hold this registry object itself, so an overlay is seen everywhere while it
        lasts; names already registered are refused, so nothing shipped can be shadowed.
        """
        for name, target in entries.items():
            self.register(name, target)
        try:
            yield self
        finally:
            for name in entries:
                self._entries.pop(name, None)
                self._loaded.pop(name, None)

    def scoped(self) -> "Registry[T]":
        """A copy with the same entries; registering into it leaves this registry untouched."""
        copy: Registry[T] = Registry(self.kind)
        copy._entries = dict(self._entries)
        copy._loaded = dict(self._loaded)
        return copy


def import_target(target: str) -> Any:
    """Import `module:Qualified.name`."""
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise ValueError(f"registry target must be 'module:attribute', got {target!r}")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj
