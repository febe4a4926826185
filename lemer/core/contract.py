"""The model interface shared by LE-MER and every baseline.

The harness turns each utterance into an `Example` (transcript under the active transcript
condition, audio path, and cached encoder features), calls `fit(train, valid, env)` and then
`predict(test)`. Examples passed to `predict` carry `label=None`, so a model cannot peek at
the gold label of what it predicts. Nothing here imports the harness.
"""
from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence

import numpy as np

MODALITIES = ("text", "speech")


@dataclass(frozen=True)
class Features:
    """Cached encoder outputs for one utterance; arrays may be read-only memory maps (float16 or float32).

    `text` holds the token embeddings of `[context utterances] [SEP] target` (context truncated from
    the oldest side), `text_span` the half-open token range of the target utterance inside it,
    `speech` the frame embeddings of the clip cut to its real length, `clip` the clip-level vector a model asked
    for (eGeMAPS functionals, MFCC statistics).
    """

    text: np.ndarray | None = None  # (n_tokens, d_text)
    text_span: tuple[int, int] | None = None
    speech: np.ndarray | None = None  # (n_frames, d_speech)
    clip: np.ndarray | None = None  # (d_clip,): one vector per clip (`Requirements.clip_features`)


@dataclass(frozen=True)
class Example:
    uid: str
    label: str | None  # gold label for training examples; None for examples given to predict()
    text: str  # transcript under the run's transcript condition ("" when ASR heard nothing)
    audio: str  # path to the clip
    speaker: str | None = None
    context_text: tuple[str, ...] = ()  # preceding utterances' transcripts (same condition), oldest first
    features: Features | None = None
    # the other tasks' targets (`lemer/core/tasks.py`), for training examples only (None in predict()):
    soft: Mapping[str, float] | None = None  # the annotators' distribution over the classes (task "soft")
    dims: tuple[float, float, float] | None = None  # arousal, valence, dominance in [-1, 1] ("dimensional")


@dataclass(frozen=True)
class Prediction:
    """A model's output for one utterance: the class and class probabilities (categorical, soft), or the
    predicted arousal, valence and dominance in [-1, 1] (`dims`, dimensional; `label` is then "" and `probs` {})."""

    uid: str
    label: str
    probs: dict[str, float]
    dims: dict[str, float] | None = None


@dataclass(frozen=True)
class Requirements:
    """What the harness must prepare for a model; `text_context` = preceding utterances in text features
    (or, for a model reading raw text, in `Example.context_text`). Models never compute features themselves:
    `clip_features` names the clip encoder whose vectors the harness puts in `Features.clip`.

    `pretrained`: names or local paths of pretrained weights the model loads itself (LE-MER with
    `finetune=true` reads raw text and audio and trains its own encoders); the harness checks they are
    reachable offline before a grid starts.
    """

    text_features: bool = False
    speech_features: bool = False
    clip_features: str | None = None  # a clip encoder spec (`benchmarks/features/spec.py`), e.g. "mfcc-stats"
    text_context: int = 0
    pretrained: tuple[str, ...] = ()
    # Ground truth of where each utterance carries its emotion, for validation ORACLES only (a real
    # model never asks): the harness fills `FitEnv.cue_spans` when this is True and refuses the run
    # on a corpus without cue ground truth.
    cue_spans: bool = False


@dataclass(frozen=True)
class CueSpan:
    """Where one utterance's emotion cue sits: word indices [start, end) of `transcript.split()` of the
    gold transcript, and seconds [start, end) from the start of the clip, whose length is `duration`."""

    tokens: tuple[int, int]
    seconds: tuple[float, float]
    duration: float


@dataclass
class FitEnv:
    """Everything a model may use besides its training data.

    `embed_words` embeds short strings (e.g. TF-IDF keywords) with the run's text encoder, mean-pooled,
    returning (n, d_text); it is None when the run has no text encoder.
    `load_audio(path)` decodes a clip to float32 mono at 16 kHz (the harness's one audio reader), for models
    that read raw audio; a model keeps it for `predict`. `device`/`precision` say where neural models
    compute (`lemer/core/devices.py`: "cpu", "cuda:0"; "fp32" or "bf16" autocast); the harness resolves them.
    """

    classes: tuple[str, ...]
    seed: int
    embed_words: Callable[[Sequence[str]], np.ndarray] | None = None
    progress: bool = False
    log: Callable[[str], None] = field(default=lambda msg: None)
    load_audio: Callable[[str], np.ndarray] | None = None
    device: str = "cpu"
    precision: str = "fp32"
    # uid -> cue span for every train, valid AND test utterance; set only for models whose
    # `Requirements.cue_spans` is True (oracles that read ground truth), None otherwise.
    cue_spans: Mapping[str, CueSpan] | None = None
    task: str = "categorical"  # what the model is trained for (lemer/core/tasks.py)
    # where a model caches what it derives from its training data (a pre-trained encoder): the harness's cache
    # folder (--cache); None: `lemer.core.pretrained.cache_root()`
    cache_dir: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    name: str
    modalities: tuple[str, ...]
    description: str
    encoders: tuple[str, ...] = ()  # "text", "speech" encoders whose cached features it consumes
    citation: str | None = None
    tasks: tuple[str, ...] = ("categorical",)  # the tasks it can be trained for (lemer/core/tasks.py)


class Model(ABC):
    """Base class: subclasses set `info`, accept their switches as keyword arguments, and implement fit/predict."""

    info: ClassVar[ModelInfo]

    def __init__(self, **config: Any) -> None:
        self.config = dict(config)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Model":
        return cls(**config)

    @property
    def requirements(self) -> Requirements:
        return Requirements()

    @property
    def resolved_config(self) -> dict[str, Any]:
        """Every switch this instance runs with, defaults included (a subclass's `cfg`, dict or dataclass).

        The harness makes this part of a run's identity, so a changed default redoes the run instead of
        silently reusing a result produced under the old one.
        """
        cfg = getattr(self, "cfg", None)
        if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
            return dataclasses.asdict(cfg)
        if isinstance(cfg, Mapping):
            return dict(cfg)
        return dict(self.config)

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities this instance reads; override when a switch changes them (a speech-only
        instance reads no transcript, so its results hold under every transcript condition)."""
        return self.info.modalities

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks this instance can be trained for (`lemer.core.tasks`); override when a switch narrows them.
        A suite asking a model for another task is refused when it is parsed."""
        return self.info.tasks

    @abstractmethod
    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None: ...

    @abstractmethod
    def predict(self, examples: Sequence[Example]) -> list[Prediction]: ...

    def refit(self, train_valid: Sequence[Example], env: FitEnv) -> None:
        """Retrain on train + valid repeating every choice `fit` made on the validation split (the number of
        epochs, C, a fusion weight), with no validation split left: the `refit` protocol (`RunSpec.refit`), called
        after `fit`. Every registered model implements it; a model that does not is refused when a refit run starts."""
        raise NotImplementedError(f"model {self.info.name!r} cannot refit on train + valid (it has no `refit`)")
