"""Checks before a grid starts: the requested device exists and every pretrained model that the pending
runs' models load themselves (LE-MER with `finetune=true`: `Requirements.pretrained`) is on this machine.

Why up front: a fine-tuning grid that finds `bert-base-uncased` missing would otherwise fail run after
run, each after loading its corpus; here it stops before anything is computed, naming each missing
model, the models that need it and how to point at a local copy (`lemer.encoders.how_to_provide`).
"""
from __future__ import annotations

import json
from typing import Sequence

from benchmarks.models import load_target
from benchmarks.suite import RunSpec


class PreflightError(ValueError):
    """The grid cannot start on this machine (missing weights, a GPU that is not there)."""


def check_device(device: str) -> None:
    """A malformed spec or a GPU torch cannot see is an error now (torch is imported only for cuda specs)."""
    from lemer.devices import DEVICE_PATTERN, DeviceError

    if not DEVICE_PATTERN.match(device):
        raise PreflightError(f"--device must be auto, cpu, cuda or cuda:N, got {device!r}")
    if device.startswith("cuda"):
        from lemer.devices import resolve_device

        try:
            resolve_device(device)
        except DeviceError as e:
            raise PreflightError(str(e)) from None


def pretrained_needed(specs: Sequence[RunSpec]) -> dict[str, list[str]]:
    """{pretrained model name or path: [registry models of the grid that load it]}."""
    needed: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for s in specs:
        key = (s.model_target, json.dumps(s.model_config, sort_keys=True, default=str))
        if key in seen:
            continue
        seen.add(key)
        req = load_target(s.model_target).from_config(dict(s.model_config)).requirements
        for name in getattr(req, "pretrained", ()):
            models = needed.setdefault(name, [])
            if s.model not in models:
                models.append(s.model)
    return needed


def check_pretrained(specs: Sequence[RunSpec]) -> None:
    """Every pretrained model of the pending runs resolves offline, or one error lists all that do not."""
    needed = pretrained_needed(specs)
    if not needed:
        return
    from lemer.encoders import PretrainedUnavailable, resolve_pretrained

    problems = []
    for name, models in needed.items():
        try:
            resolve_pretrained(name)
        except PretrainedUnavailable as e:
            problems.append(f"  - {name} (needed by {', '.join(models)}): {e}")
    if problems:
        raise PreflightError("pretrained weights missing, nothing was run:\n" + "\n".join(problems))
