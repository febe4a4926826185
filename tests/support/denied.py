"""`chmod 000` for tests, also where they run as root (as in CI), where chmod does not stop reads.

Not root: the real `chmod 000`, undone at teardown. Root: the errno the kernel would give is injected in this
process for that path only (`os.open` of a file; `os.listdir` / `os.scandir` of a folder and `os.stat` /
`os.open` of anything under it raise EACCES), so the same test checks the same code path either way.
"""
from __future__ import annotations

import builtins
import errno
import os
from pathlib import Path
from typing import Any, Callable

import pytest


def _denial(target: str, under: bool) -> Callable[[Any], bool]:
    def hit(p: Any) -> bool:
        if not isinstance(p, (str, bytes, os.PathLike)):
            return False  # a file descriptor
        a = os.path.abspath(os.fsdecode(p))
        return a == target if not under else a.startswith(target + os.sep)
    return hit


def _refusing(real: Callable[..., Any], hit: Callable[[Any], bool]) -> Callable[..., Any]:
    def call(p: Any, *a: Any, **k: Any) -> Any:
        if hit(p):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(p))
        return real(p, *a, **k)
    return call


def deny(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, path: Path) -> None:
    """Make `path` (a file or a folder) unreadable as `chmod 000` does, until the test ends."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0)
        request.addfinalizer(lambda: path.chmod(mode))
        return
    target = os.path.abspath(path)
    itself, below = _denial(target, False), _denial(target, True)
    if path.is_dir():
        for name in ("listdir", "scandir"):
            monkeypatch.setattr(os, name, _refusing(getattr(os, name), itself))
        monkeypatch.setattr(os, "stat", _refusing(os.stat, below))
        monkeypatch.setattr(os, "lstat", _refusing(os.lstat, below))
        opened = below
    else:
        opened = itself
    monkeypatch.setattr(os, "open", _refusing(os.open, opened))
    monkeypatch.setattr(builtins, "open", _refusing(builtins.open, opened))
