"""The `SYNTHETIC.json` marker at the root of every generated corpus.

Why: a synthetic tree has the real corpus's layout on purpose, so nothing in the files themselves
tells it apart. The harness reads this marker and labels results `synthetic-<layout>`, so a number
measured on espeak speech is never mistaken for one on the real corpus.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

MARKER_NAME = "SYNTHETIC.json"
REQUIRED = ("synthetic", "layout", "scale", "seed", "generator_version")


def write_marker(root: Path, content: dict[str, Any]) -> Path:
    """Write the marker atomically (temp file + os.replace); keys sorted so the bytes are reproducible."""
    missing = [k for k in REQUIRED if k not in content]
    if missing:
        raise ValueError(f"marker content lacks {', '.join(missing)}")
    path = Path(root) / MARKER_NAME
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_marker(root: str | Path) -> dict[str, Any] | None:
    """The marker of a generated corpus, or None when `root` has none (a real corpus).

    A marker that exists but is not a JSON object with the required keys and `"synthetic": true`
    raises ValueError naming the file, rather than letting the tree pass as real.
    """
    path = Path(root) / MARKER_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        line = getattr(e, "lineno", None)
        where = f"{path}:{line}" if line else str(path)
        raise ValueError(f"{where}: unreadable synthetic-corpus marker ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: marker must be a JSON object")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ValueError(f"{path}: marker lacks {', '.join(missing)}")
    if data["synthetic"] is not True:
        raise ValueError(f"{path}: marker says synthetic={data['synthetic']!r}; expected true")
    return data
