"""The import graph of the project, built from the source with `ast`: no cycles, one-way layers, no hidden imports.

Rules (docs/architecture.md draws them):
- no import cycle among first-party modules (`from pkg import submodule` is an edge to the submodule; imports
  under `if TYPE_CHECKING:` are annotations, not edges);
- layers: `lemer.core` imports nothing of the project outside itself; `dataset_adapters` only the core and itself;
  LE-MER (`lemer.model`) and `baselines` only the core and themselves; the features, transcripts and audio
  packages only what sits below them; `leaderboard` reads result files: the core and itself;
- no first-party import inside a function (an import there hides a dependency, and a cycle behind it); a
  function-local import of an optional heavy dependency (ray, opensmile, transformers, ctranslate2) says so in
  a comment on its line.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("lemer", "dataset_adapters", "baselines", "benchmarks", "leaderboard")
HEAVY_OPTIONAL = ("ray", "opensmile", "transformers", "ctranslate2", "faster_whisper")
# module prefix -> the prefixes it may import (besides itself); the first matching rule applies
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("lemer.core", ()),
    ("lemer.model", ("lemer.core",)),
    ("lemer", ("lemer.core",)),
    ("dataset_adapters", ("lemer.core",)),
    ("baselines", ("lemer.core",)),
    ("leaderboard", ("lemer.core",)),
    ("benchmarks.audio", ("lemer.core", "dataset_adapters")),
    ("benchmarks.runtime", ("lemer.core",)),
    ("benchmarks.features", ("lemer.core", "dataset_adapters", "benchmarks.runtime")),
    ("benchmarks.transcripts", ("lemer.core", "dataset_adapters", "benchmarks.features", "benchmarks.runtime")),
]


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _target(module: str) -> str | None:
    """The first-party module an imported name lives in (longest existing prefix)."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in MODULES:
            return ".".join(parts[:i])
    return None


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids |= {id(n) for n in ast.walk(node)}
    return ids


def _imports(path: Path) -> tuple[list[tuple[str, int]], list[tuple[str, int, str]]]:
    """(module-level first-party imports as (module, line), function-local imports as (module, line, source line))."""
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    hidden = _type_checking_blocks(tree)
    in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for n in ast.walk(f)}
    top: list[tuple[str, int]] = []
    local: list[tuple[str, int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                     for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        if id(node) in hidden:
            continue
        for name in names:
            if id(node) in in_function:
                local.append((name, node.lineno, lines[node.lineno - 1]))
            elif name.split(".")[0] in PACKAGES:
                top.append((name, node.lineno))
    return top, local


GRAPH: dict[str, set[str]] = defaultdict(set)
LOCAL: dict[str, list[tuple[str, int, str]]] = {}
for _mod, _path in MODULES.items():
    _top, LOCAL[_mod] = _imports(_path)
    for _name, _ in _top:
        _t = _target(_name)
        if _t and _t != _mod:
            GRAPH[_mod].add(_t)


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in list(MODULES):
        if v not in index:
            visit(v)
    return out


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_graph_is_built_from_the_code() -> None:
    assert len(MODULES) > 100 and "benchmarks.run.execute" in GRAPH["benchmarks.run.runner"]
    assert "lemer.core.spec" in GRAPH["leaderboard.schema"]


def test_no_import_cycle() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_layer_rules(module: str) -> None:
    rule = next(((prefix, allowed) for prefix, allowed in LAYERS if _within(module, prefix)), None)
    if rule is None:
        return  # the rest of the harness (benchmarks.*) may import every layer
    prefix, allowed = rule
    bad = sorted(t for t in GRAPH[module] if not _within(t, prefix) and not any(_within(t, a) for a in allowed))
    assert not bad, f"{module} (layer {prefix}) imports {bad}; it may import only {prefix} and {list(allowed)}"


def test_no_first_party_import_inside_a_function() -> None:
    hidden = [f"{MODULES[m].relative_to(ROOT)}:{line}: {name}" for m, imports in LOCAL.items()
              for name, line, _ in imports if name.split(".")[0] in PACKAGES]
    assert not hidden, "function-local first-party imports hide dependencies:\n" + "\n".join(hidden)


def test_function_local_heavy_imports_say_why() -> None:
    silent = [f"{MODULES[m].relative_to(ROOT)}:{line}: {src.strip()}" for m, imports in LOCAL.items()
              for name, line, src in imports if name.split(".")[0] in HEAVY_OPTIONAL and "#" not in src]
    assert not silent, "a function-local import of a heavy optional dependency needs a comment:\n" + "\n".join(silent)
