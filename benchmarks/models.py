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
# LE-MER: `lemer` is the most literal reading of the paper's abstract and the seed summary (lemer/model/fusion.py,
# lemer/model/config.py). Every variant below is `lemer` with the named switches changed, so each pairs with `lemer`
# on the same utterances; `lemer-v1` is the earlier model (bit-identical predictions), kept so earlier results stay
# comparable.
_LEMER = "lemer.model:LEMER"
# = lemer.model.config.V1_SWITCHES (written out: importing lemer.model here would load torch for every process that
# only names models; tests/test_lemer_v1_parity.py checks the two agree)
V1_SWITCHES = {"fusion_input": "plain", "fusion_directions": "text_to_speech", "classifier_branches": True,
               "constraint_norm": "frame_scaled", "detach_al": False, "mu2": 0.5, "mu3": 0.5}
MODELS.register("lemer", _LEMER, "LE-MER, literal reading: label-aware guided fusion, CE + MSE(Ar, Al), Al the target")
MODELS.register("lemer-v1", _LEMER, "LE-MER before label-aware fusion: fusion on plain sequences, R_t/R_s in the "
                "classifier, frame-scaled two-way constraint, auxiliary heads", **V1_SWITCHES)
# ablations of the literal model
MODELS.register("lemer-no-constraint", _LEMER, "lemer without the attention constraint", use_constraint=False)
MODELS.register("lemer-no-labels", _LEMER, "lemer without label embeddings (no Gt, Gs, Al; fusion through Ar)",
                use_label_embeddings=False)
MODELS.register("lemer-fusion-ar", _LEMER, "lemer with the fusion through Ar only", fusion_attention="ar")
MODELS.register("lemer-fusion-al", _LEMER, "lemer with the fusion through Al only", fusion_attention="al")
MODELS.register("lemer-plain-fusion", _LEMER, "lemer with the fusion on the plain (not label-enhanced) sequences",
                fusion_input="plain")
MODELS.register("lemer-one-way-fusion", _LEMER, "lemer with the text side of the fusion only (no frames-read-tokens side)",
                fusion_directions="text_to_speech")
# the project's extensions, each alone on top of the literal model (all on, with the plain fusion, is lemer-v1)
MODELS.register("lemer-aux-heads", _LEMER, "lemer + label-specific auxiliary CE on R_t, R_s (mu2 = mu3 = 0.5)",
                mu2=0.5, mu3=0.5)
MODELS.register("lemer-scaled-constraint", _LEMER, "lemer with the constraint scaled by S per token (frame_scaled)",
                constraint_norm="frame_scaled")
# replaces `lemer-detach-al` (Al detached is now the default): the constraint moves both maps
MODELS.register("lemer-two-way-constraint", _LEMER, "lemer with the constraint also training Al (detach_al = false)",
                detach_al=False)
MODELS.register("lemer-branch-classifier", _LEMER, "lemer + the label-pooled R_t, R_s as classifier inputs",
                classifier_branches=True)
LEMER_VARIANTS = tuple(n for n in MODELS.names() if MODELS.target(n) == _LEMER)

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
    cue_spans: bool = False  # a validation oracle reading cue ground truth (synthetic corpora only)
    clip_features: str | None = None  # the clip encoder spec whose vectors the model reads (LR baselines)
    tasks: tuple[str, ...] = ("categorical",)  # what this configuration can be trained for (lemer/core/tasks.py)

    @property
    def reads_text(self) -> bool:
        return "text" in self.modalities

    @property
    def reads_speech(self) -> bool:
        """Whether an audio condition changes what the model sees (its speech features, clip vectors or audio)."""
        return "speech" in self.modalities


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
            tasks=tuple(model.tasks),
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
