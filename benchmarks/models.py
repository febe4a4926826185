"""The model registry: every reference model and LE-MER (with its variants) by name, imported lazily.

Suites, the CLI and the runner refer to models only by these names; a variant is a registered
name whose default switches differ (e.g. `lemer-no-constraint`), so it gets its own rows in the
leaderboard. `describe` instantiates a model once to read what the harness must prepare for it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from lemer.core.registry import Registry, import_target

MODELS: Registry[Any] = Registry("model")

MODELS.register("majority", "baselines.majority:Majority")
MODELS.register("tfidf-lr", "baselines.tfidf_lr:TfidfLR")
MODELS.register("acoustic-lr", "baselines.acoustic_lr:AcousticLR")
MODELS.register("egemaps-lr", "baselines.egemaps_lr:EgemapsLR")
MODELS.register("text-only", "baselines.unimodal:TextOnly")
MODELS.register("speech-only", "baselines.unimodal:SpeechOnly")
MODELS.register("speech-only-meanpool", "baselines.unimodal:SpeechOnly", pooling="mean")  # the oracle's twin
# An ORACLE reading ground-truth cue spans, to validate synthetic corpora only; never ranked (baselines/oracle.py).
MODELS.register("oracle-cue-pool", "baselines.oracle:OracleCuePool")
MODELS.register("early-fusion", "baselines.fusion:EarlyFusion")
MODELS.register("late-fusion", "baselines.fusion:LateFusion")
MODELS.register("cross-attention", "baselines.cross_attention:CrossAttention")
MODELS.register("lemer", "lemer.model:LEMER")
MODELS.register("lemer-no-constraint", "lemer.model:LEMER", use_constraint=False)
MODELS.register("lemer-no-labels", "lemer.model:LEMER", use_label_embeddings=False)
MODELS.register("lemer-fusion-ar", "lemer.model:LEMER", fusion_attention="ar")  # fusion through Ar only
MODELS.register("lemer-fusion-al", "lemer.model:LEMER", fusion_attention="al")  # fusion through Al only
MODELS.register("lemer-detach-al", "lemer.model:LEMER", detach_al=True)  # Al a fixed teacher in the constraint


@dataclass(frozen=True)
class ModelFacts:
    """What the grid and the runner need to know about a model under a given config.

    `target` is the class's import path, so worker processes can rebuild the model even when it
    was registered at run time (tests, plugins) and is absent from their own registry.
    """

    name: str
    target: str
    config: dict[str, Any]
    modalities: tuple[str, ...]
    encoders: tuple[str, ...]
    text_features: bool
    speech_features: bool
    text_context: int
    cue_spans: bool = False
    clip_features: str | None = None  # the clip encoder spec whose vectors the model reads (LR baselines)  # a validation oracle reading cue ground truth (synthetic corpora only)

    @property
    def reads_text(self) -> bool:
        return "text" in self.modalities


_FACTS: dict[tuple[str, str], ModelFacts] = {}


def describe(name: str, overrides: dict[str, Any] | None = None) -> ModelFacts:
    """Facts for registry model `name` with `overrides` on top of its registered defaults (cached)."""
    config = {**MODELS.defaults(name), **(overrides or {})}
    key = (name, json.dumps(config, sort_keys=True, default=str))
    if key not in _FACTS:
        cls = MODELS.get(name)
        info = cls.info
        model = cls.from_config(dict(config))
        req = model.requirements
        _FACTS[key] = ModelFacts(
            name=name,
            target=f"{cls.__module__}:{cls.__qualname__}",
            # defaults included, JSON-normalised: the run id changes when a model default does
            config=json.loads(json.dumps(model.resolved_config, sort_keys=True, default=str)),
            modalities=tuple(getattr(model, "modalities", info.modalities)),
            encoders=tuple(info.encoders),
            text_features=bool(req.text_features),
            speech_features=bool(req.speech_features),
            text_context=int(req.text_context),
            cue_spans=bool(req.cue_spans),
            clip_features=req.clip_features,
        )
    return _FACTS[key]


def load_target(target: str) -> Any:
    """Import `module:Qualified.name` (the form recorded in `ModelFacts.target`)."""
    return import_target(target)


ALL_MODELS = "*"


def model_names(requested: Sequence[str]) -> list[str]:
    """Expand `*` to every registered model, keeping the requested order and dropping repeats."""
    out: list[str] = []
    for n in requested:
        for m in (MODELS.names() if n == ALL_MODELS else [n]):
            if m not in out:
                out.append(m)
    return out
