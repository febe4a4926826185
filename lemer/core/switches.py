"""Model switches shared by LE-MER and every baseline: one error type, one set of checks, one definition
of each switch that more than one model has.

Why one place: the same name must mean the same thing in every model, or an ablation that varies
`context_window` or `max_tokens` across models compares different things. So the switches below are
defined (name, meaning, check) once here; each model's frozen config dataclass declares them with
`shared(name, default)` and only the default may differ per model:

- `context_window`: preceding utterances the harness puts before the target in the text features, 0..10
  (DATASETS.md: LE-MER uses up to 10).
- `max_tokens`: a longer token sequence keeps its LAST `max_tokens` tokens: the target utterance sits
  at the end of `[context] [SEP] target`, so cutting from the front only drops the oldest context.
- `speech_pool`: average-pool speech frames by this factor (2: 50 -> 25 frames/s); 1 = as encoded.
- `max_frames`: a clip that would still have more frames is pooled by a larger factor until it fits;
  no frame is dropped (`lemer.core.inputs.pool_frames`).
- the optimisation switches of `lemer.core.training.TrainConfig` (same names, same defaults) and
  `torch_threads` (intra-op threads while fitting/predicting, restored afterwards).

A model's config is a frozen dataclass deriving from `Switches`: construction validates every field
that carries a check, and `from_dict` names an unknown key together with the known ones. Every
violation raises `ConfigError`, a `ValueError`, whichever model it concerns.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from functools import partial
from typing import Any, Callable, Mapping, TypeVar

from lemer.core.errors import InputError
from lemer.core.training import TrainConfig

MAX_CONTEXT_WINDOW = 10

# check(owner, name, value) raises ConfigError when `value` is not acceptable for switch `name`.
Check = Callable[[str, str, Any], None]


class ConfigError(InputError):
    """A bad model switch: an unknown name, a value of the wrong type, or one out of range."""


def _fail(owner: str, name: str, value: Any, what: str) -> None:
    raise ConfigError(f"{owner} config: {name} must be {what}, got {value!r}")


def check_int(owner: str, name: str, value: Any, lo: int = 1, hi: int | None = None) -> None:
    """An int (not a bool) in lo..hi; lo=1 (the default) means a positive integer."""
    in_range = isinstance(value, int) and not isinstance(value, bool) and value >= lo and (hi is None or value <= hi)
    if not in_range:
        what = f"an integer in {lo}..{hi}" if hi is not None else ("a positive integer" if lo == 1 else f"an integer >= {lo}")
        _fail(owner, name, value, what)


def check_number(owner: str, name: str, value: Any, lo: float = 0.0, hi: float | None = None,
                 hi_inclusive: bool = True) -> None:
    """A finite int or float (not a bool) >= lo, and <= hi (or < hi when not `hi_inclusive`)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= lo
    if ok and hi is not None:
        ok = value <= hi if hi_inclusive else value < hi
    if not ok:
        if hi is None:
            what = "a non-negative number" if lo == 0 else f"a number >= {lo}"
        else:
            what = f"a number in [{lo}, {hi}{']' if hi_inclusive else ')'}"
        _fail(owner, name, value, what)


def check_fraction(owner: str, name: str, value: Any) -> None:
    """A dropout probability: 0 <= p < 1."""
    check_number(owner, name, value, 0.0, 1.0, hi_inclusive=False)


def check_bool(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(owner, name, value, "true or false")


def check_choice(owner: str, name: str, value: Any, choices: tuple[Any, ...]) -> None:
    """One of `choices` (compared by type too, so 1 never passes for True or "1")."""
    if not any(type(value) is type(c) and value == c for c in choices):
        _fail(owner, name, value, f"one of {list(choices)}")


def check_name(owner: str, name: str, value: Any) -> None:
    """A non-empty string without surrounding spaces (a model name or a path)."""
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        _fail(owner, name, value, "a non-empty name or path")


def switch(default: Any, check: Check) -> Any:
    """A dataclass field whose value `Switches` validates with `check` on construction."""
    return field(default=default, metadata={"check": check})


# -- the switches more than one model has: name -> (default, check) ---------------------------------------
_positive_int = partial(check_int, lo=1)


def _train_check(default: Any) -> Check:
    if isinstance(default, bool):
        return check_bool
    if isinstance(default, int):
        return _positive_int
    return check_number


SHARED: dict[str, tuple[Any, Check]] = {
    "context_window": (0, partial(check_int, lo=0, hi=MAX_CONTEXT_WINDOW)),
    "max_tokens": (256, _positive_int),
    "speech_pool": (1, _positive_int),
    "max_frames": (256, _positive_int),
    **{f.name: (f.default, _train_check(f.default)) for f in fields(TrainConfig)},
    "torch_threads": (1, _positive_int),
}
TRAINING_SWITCHES = tuple(f.name for f in fields(TrainConfig)) + ("torch_threads",)


def shared(name: str, default: Any = MISSING) -> Any:
    """The field of shared switch `name` (see the module docstring), with this model's `default`."""
    spec_default, check = SHARED[name]
    return field(default=spec_default if default is MISSING else default, metadata={"check": check, "shared": name})


S = TypeVar("S", bound="Switches")


@dataclass(frozen=True)
class Switches:
    """Base of every model config: validated on construction; `from_dict` rejects unknown keys.

    Subclasses set `OWNER` (the model name used in messages) and declare fields with `switch(...)` or
    `shared(...)`; a subclass with checks that span fields overrides `__post_init__` and calls super's.
    """

    OWNER = "model"  # not annotated, so it is no dataclass (pseudo-)field

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.metadata.get("shared", f.name) != f.name:
                raise TypeError(f"{type(self).__name__}.{f.name} is declared as shared switch {f.metadata['shared']!r}")
            check = f.metadata.get("check")
            if check is not None:
                check(self.OWNER, f.name, getattr(self, f.name))

    @classmethod
    def from_dict(cls: type[S], config: Mapping[str, Any]) -> S:
        """Build from a flat mapping (TOML suite entry, registry defaults), naming any unknown key."""
        known = sorted(f.name for f in fields(cls))
        unknown = sorted(set(config) - set(known), key=str)
        if unknown:
            raise ConfigError(f"unknown {cls.OWNER} switch(es) {unknown}; known: {known}")
        return cls(**config)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainingSwitches(Switches):
    """The optimisation switches of every neural model (LE-MER and the neural baselines), forwarded to
    `lemer.core.training.TrainConfig`: declared once here, with the same defaults and checks everywhere.

    One intra-op thread by default: these models are small, and on a shared 2-core machine 2 threads
    made a fit 5-10x SLOWER (spinning OpenMP workers competing with other processes)."""

    lr: float = shared("lr")
    weight_decay: float = shared("weight_decay")
    max_epochs: int = shared("max_epochs")
    patience: int = shared("patience")
    batch_size: int = shared("batch_size")
    class_weights: bool = shared("class_weights")
    grad_clip: float = shared("grad_clip")
    torch_threads: int = shared("torch_threads", 1)


def train_config(cfg: Switches) -> TrainConfig:
    """The `TrainConfig` for the shared training loop, from a config that declares the training switches."""
    return TrainConfig(**{f.name: getattr(cfg, f.name) for f in fields(TrainConfig)})
