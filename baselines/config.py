"""The switches of every baseline, one frozen dataclass per model, validated like `lemer.model.config.LEMERConfig`.

Switches that LE-MER has too (`context_window`, `max_tokens`, `speech_pool`, `max_frames`, the training
switches) are declared with `lemer.core.switches.shared`, so they have the same names, meanings and checks
in every model; only their defaults may differ. Neural-baseline defaults are chosen so one fit on
~250 utterances takes a couple of seconds on a shared 2-core CPU (the demo fits each baseline dozens of
times). A bad or unknown switch raises `lemer.core.switches.ConfigError`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from lemer.core.switches import (
    ConfigError,
    Switches,
    TrainingSwitches,
    check_bool,
    check_choice,
    check_fraction,
    check_int,
    check_number,
    shared,
    switch,
)

POOLINGS = ("attentive", "mean")
CLASS_WEIGHTS = (None, "balanced")


def check_c_grid(owner: str, name: str, value: Any) -> None:
    """A non-empty list of positive, finite inverse regularisation strengths."""

    def positive(c: Any) -> bool:
        return isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) and c > 0

    if not (isinstance(value, (list, tuple)) and value and all(positive(c) for c in value)):
        raise ConfigError(f"{owner} config: {name} must be a non-empty list of positive numbers, got {value!r}")


def check_min_df(owner: str, name: str, value: Any) -> None:
    """scikit-learn's meaning: a positive document count, or a fraction of documents in (0, 1]."""
    if isinstance(value, float):
        check_number(owner, name, value, 0.0, 1.0)
        if value == 0:
            raise ConfigError(f"{owner} config: {name} must be a positive count or a fraction in (0, 1], got {value!r}")
    else:
        check_int(owner, name, value)


def check_regex(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ConfigError(f"{owner} config: {name} must be a regular expression string, got {value!r}")
    try:
        re.compile(value)
    except re.error as err:
        raise ConfigError(f"{owner} config: {name} is not a valid regular expression ({err}): {value!r}") from err


@dataclass(frozen=True)
class MajorityConfig(Switches):
    """The majority baseline has no switches; any key is unknown."""

    OWNER = "majority"


@dataclass(frozen=True)
class LogisticConfig(Switches):
    """What both logistic-regression baselines share: the C grid (chosen on valid UA) and class weighting."""

    c_grid: tuple[float, ...] = switch((0.1, 1.0, 10.0, 100.0), check_c_grid)
    class_weight: str | None = switch(None, partial(check_choice, choices=CLASS_WEIGHTS))  # or "balanced"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "c_grid", tuple(self.c_grid))  # a TOML list arrives as a list


@dataclass(frozen=True)
class TfidfConfig(LogisticConfig):
    OWNER = "tfidf-lr"

    ngram_max: int = switch(2, check_int)  # word n-grams 1..ngram_max
    min_df: int | float = switch(1, check_min_df)  # training transcripts are few; keep every term
    sublinear_tf: bool = switch(True, check_bool)  # 1 + log(tf): repeated words count, but not linearly
    # Words (apostrophes kept: "don't") plus "!" and "?", which carry emotion in transcripts.
    token_pattern: str = switch(r"(?u)\b\w[\w']*\b|[!?]", check_regex)


@dataclass(frozen=True)
class ClipLRConfig(LogisticConfig):
    """The per-clip-vector LR baselines (`baselines/clip_lr.py`): features are already standardised
    per clip statistic, so the C grid sits one decade lower than TF-IDF's."""

    c_grid: tuple[float, ...] = switch((0.01, 0.1, 1.0, 10.0), check_c_grid)


@dataclass(frozen=True)
class EgemapsConfig(ClipLRConfig):
    OWNER = "egemaps-lr"


@dataclass(frozen=True)
class AcousticConfig(ClipLRConfig):
    OWNER = "acoustic-lr"

    n_mfcc: int = switch(20, check_int)
    n_mels: int = switch(40, check_int)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.n_mfcc > self.n_mels:
            raise ConfigError(f"{self.OWNER} config: n_mfcc ({self.n_mfcc}) cannot exceed n_mels ({self.n_mels})")


@dataclass(frozen=True)
class NeuralConfig(TrainingSwitches):
    """The switches of every neural baseline (on cached encoder features, trained with `fit_module`).

    With `context_window` 0 a baseline reads the target utterance's tokens only; with context it reads
    the whole `[context] [SEP] target` sequence (LE-MER's `text_scope="all"`). A model ignores the
    input switches of a modality it does not read.
    """

    d_model: int = switch(128, check_int)  # width of the shared projection space
    dropout: float = switch(0.1, check_fraction)  # inside the projections / attention
    head_dropout: float = switch(0.2, check_fraction)  # in the MLP head
    # "attentive" (learned query) or "mean" (masked average)
    pooling: str = switch("attentive", partial(check_choice, choices=POOLINGS))
    context_window: int = shared("context_window", 0)
    max_tokens: int = shared("max_tokens", 256)
    speech_pool: int = shared("speech_pool", 1)
    max_frames: int = shared("max_frames", 1500)  # 30 s at 50 frames/s before longer clips are pooled harder


@dataclass(frozen=True)
class TextOnlyConfig(NeuralConfig):
    OWNER = "text-only"


@dataclass(frozen=True)
class SpeechOnlyConfig(NeuralConfig):
    OWNER = "speech-only"


@dataclass(frozen=True)
class EarlyFusionConfig(NeuralConfig):
    OWNER = "early-fusion"


@dataclass(frozen=True)
class LateFusionConfig(NeuralConfig):
    """The neural switches go to both unimodal models; p = w * p_text + (1 - w) * p_speech."""

    OWNER = "late-fusion"

    text_weight: float = switch(0.5, partial(check_number, lo=0.0, hi=1.0))
    tune_weight: bool = switch(False, check_bool)  # True: pick w on the validation split (ties nearest 0.5)


@dataclass(frozen=True)
class CrossAttentionConfig(NeuralConfig):
    OWNER = "cross-attention"

    heads: int = switch(4, check_int)
    # Frames averaged in fours (50 -> 12.5 frames/s, 80 ms: still finer than a word) because attention and
    # its projections over every 20 ms frame made one fit ~10x slower than the other baselines.
    speech_pool: int = shared("speech_pool", 4)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.d_model % self.heads:
            raise ConfigError(f"{self.OWNER} config: d_model={self.d_model} is not divisible by heads={self.heads}")
