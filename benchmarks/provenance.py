"""Which code produced a result: package version and git commit, computed once per process.

The commit is read from the `.git` directory rather than by running git, so it costs nothing
per run and works where git is not installed; `None` when the code is not a git checkout.
"""
from __future__ import annotations

import functools
import importlib.metadata
import re
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def package_version() -> str:
    pyproject = REPO_ROOT / "pyproject.toml"
    if pyproject.is_file():  # a source checkout: its pyproject is the truth, even if an older copy is installed
        try:
            return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
        except (KeyError, tomllib.TOMLDecodeError):
            pass
    try:
        return importlib.metadata.version("lemer-bench")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def git_hash() -> str | None:
    git = REPO_ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head if re.fullmatch(r"[0-9a-f]{40}", head) else None
        ref = head.partition(":")[2].strip()
        loose = git / ref
        if loose.is_file():
            return loose.read_text().strip()
        packed = git / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
    except OSError:
        return None
    return None
