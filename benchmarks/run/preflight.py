"""Checks before a grid starts: the requested device exists and every pretrained model the suite needs is on this
machine: the weights models load themselves (LE-MER with `finetune=true`: `Requirements.pretrained`) and the
weights of the encoders whose cached features the other models read (the suite's [encoders]), each listed once
with every model that needs it, in one wording.

Why up front: a fine-tuning grid that finds `bert-base-uncased` missing would otherwise fail run after
run, each after loading its corpus; here it stops before anything is computed, naming each missing
model, the models that need it and how to point at a local copy (`lemer.model.encoders.how_to_provide`).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.features.spec import EncoderSpec
from benchmarks.models import MODELS, describe, model_names
from benchmarks.suite import Suite
from lemer.core.devices import DEVICE_PATTERN, DeviceError, resolve_device
from lemer.core.errors import InputError
from lemer.core.pretrained import PretrainedUnavailable, resolve_pretrained


class PreflightError(InputError):
    """The grid cannot start on this machine (missing weights, a GPU that is not there)."""


def check_device(device: str) -> None:
    """A malformed spec or a GPU torch cannot see is an error now (torch is imported only for cuda specs)."""
    if not DEVICE_PATTERN.match(device):
        raise PreflightError(f"--device must be auto, cpu, cuda or cuda:N, got {device!r}")
    if device.startswith("cuda"):
        try:
            resolve_device(device)
        except DeviceError as e:
            raise PreflightError(str(e)) from None


def pretrained_needed(suite: Suite, only_models: Sequence[str] | None = None) -> dict[str, list[str]]:
    """{pretrained model name or path: [models of the suite that need it]}: the weights models load
    themselves (`Requirements.pretrained`, ablation values included) and those of the suite's text and speech
    encoders, needed by every model that reads their features (named `<model> (<role> features)`)."""
    needed: dict[str, list[str]] = {}

    def add(name: str, who: str) -> None:
        models = needed.setdefault(name, [])
        if who not in models:
            models.append(who)

    configs: list[tuple[str, dict[str, Any]]] = []
    requested = [m for c in suite.corpora for m in c.models] + list(suite.cross_corpus.models if suite.cross_corpus else ())
    for m in model_names(requested):
        configs.append((m, dict(suite.model_config.get(m, {}))))
    for abl in suite.ablations:
        configs += [(abl.model, {**suite.model_config.get(abl.model, {}), abl.param: v}) for v in abl.values]
    for m, config in configs:
        if only_models is not None and m not in only_models:
            continue
        for name in MODELS.get(m).from_config({**MODELS.defaults(m), **config}).requirements.pretrained:
            add(name, m)
        facts = describe(m, config)
        for role, reads, given in (("text", facts.text_features, suite.text_encoder),
                                   ("speech", facts.speech_features, suite.speech_encoder)):
            if reads:
                for name in EncoderSpec.parse(given or "default", role).weight_sources():
                    add(name, f"{m} ({role} features)")
    return needed


def check_pretrained(suite: Suite, only_models: Sequence[str] | None = None) -> None:
    """Every pretrained model the suite needs resolves offline, or one error lists all that do not."""
    needed = pretrained_needed(suite, only_models)
    if not needed:
        return
    problems = []
    for name, models in needed.items():
        try:
            resolve_pretrained(name)
        except PretrainedUnavailable as e:
            problems.append(f"  - {name} (needed by {', '.join(models)}): {e}")
    if problems:
        features = any("features)" in m for models in needed.values() for m in models)
        hint = ("\nFor the encoders of cached features: `run --text-encoder PATH` / `--speech-encoder PATH` (or the "
                "suite's [encoders]) point at local copies; 'default' picks the offline encoders (all-MiniLM-L6-v2 "
                "text, Whisper tiny.en speech)." if features else "")
        raise PreflightError(f"suite {suite.name!r}: {len(problems)} pretrained model(s) missing on this machine "
                             "(checked before any run), nothing was run:\n" + "\n".join(problems) + hint)
