"""The typed values a run is made of, and the run spec itself: parsed once, compared as values, never as strings.

Why here, in the bottom layer: the suite parser builds these values, the runner executes them, the result file
stores them (`RunSpec.to_json` is the `run` record of result.json) and the leaderboard reads them back
(`condition.is_gold`, `condition.sort_key()`), so every layer must be able to import them. Nothing here knows
which ASR engines or encoders exist: the grammar is here, the registries that check names are where the
things are (`benchmarks.transcripts.condition.ASR_ENGINES`), passed to `parse` by the parsers of user input.

- `TranscriptCondition`: `gold` | `asr:<engine>` | `noise:wer=<x>[,seed=<n>]`, with one canonical key.
- `AudioCondition` (lemer/core/audio_condition.py): `clean` | noise at an SNR | reverberation | telephone.
- `EncoderRef`: an encoder as a run recorded it: role, canonical spec and the hash of its weights.
- `RunSpec`: one run (model x corpus x fold x conditions x seed x encoders). Its identity (`run_id`) is the
  hash of everything that decides its predictions; where it executes (device, threads) is not part of it.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from lemer.core.audio_condition import CLEAN, AudioCondition
from lemer.core.registry import UnknownName, did_you_mean
from lemer.core.tasks import TASKS

# ----------------------------------------------------------------------------------------------- transcripts
_NOISE = re.compile(r"^noise:wer=(?P<wer>\d*\.?\d+)(?:,seed=(?P<seed>\d+))?$")
TranscriptKind = Literal["gold", "asr", "noise"]
NOISE_PATTERN = "noise:wer=<x>[,seed=<n>]"


@dataclass(frozen=True, order=True)
class TranscriptCondition:
    """The text a run's models read: the corpus's own (`gold`), an ASR engine's, or gold with words corrupted
    to a target WER (`noise`). `key` is the canonical spelling (`noise:wer=.50` is `noise:wer=0.5`)."""

    kind: TranscriptKind
    engine: str | None = None  # asr only
    wer: float | None = None  # noise only: the target word error rate
    seed: int = 0  # noise only

    @property
    def key(self) -> str:
        if self.kind == "gold":
            return "gold"
        if self.kind == "asr":
            return f"asr:{self.engine}"
        return f"noise:wer={self.wer:g}" + (f",seed={self.seed}" if self.seed else "")

    def __str__(self) -> str:
        return self.key

    @property
    def is_gold(self) -> bool:
        return self.kind == "gold"

    def sort_key(self, measured_wer: float | None = None) -> tuple[int, float, str]:
        """Gold first, then by WER (measured if known, else a noise condition's target; unknown last), then by key."""
        if self.is_gold:
            return (0, 0.0, self.key)
        wer = measured_wer if measured_wer is not None else self.wer
        return (1, wer if wer is not None else float("inf"), self.key)

    @classmethod
    def parse(cls, key: Any, engines: Collection[str] | None = None) -> "TranscriptCondition":
        """The condition `key` names. `engines`: the ASR engine names to accept (the suite parser and the CLI pass
        the registry, so a typo gets a did-you-mean); None accepts any engine name (reading a stored result must
        not depend on which engines are installed). UnknownName (a KeyError and a ValueError) on any mistake."""
        if not isinstance(key, str):
            raise UnknownName(f"transcript condition must be a string, got {key!r}")
        if key == "gold":
            return cls("gold")
        if key.startswith("asr:") and key[4:]:
            engine = key[4:]
            if engines is not None and engine not in engines:
                raise did_you_mean("transcript condition", key, [f"asr:{e}" for e in engines], " (no such ASR engine)")
            return cls("asr", engine=engine)
        m = _NOISE.match(key)
        if m:
            wer = float(m["wer"])
            if not 0.0 <= wer <= 1.0:
                raise UnknownName(f"bad transcript condition {key!r}: the noise WER must lie within [0, 1]")
            return cls("noise", wer=wer, seed=int(m["seed"] or 0))
        candidates = ["gold", *(f"asr:{e}" for e in (engines or ())), NOISE_PATTERN]
        if ":" in key:  # a misspelt kind with a well-formed rest: suggest each kind with that rest
            rest = key.split(":", 1)[1]
            candidates += [f"noise:{rest}", f"asr:{rest}"]
        hint = str(did_you_mean("transcript condition", key, candidates)).split(";", 1)[1]
        raise UnknownName(f"bad transcript condition {key!r} (expected gold, asr:<engine> or "
                          f"noise:wer=<0..1>[,seed=<n>]);{hint}")


GOLD = TranscriptCondition("gold")

# ------------------------------------------------------------------------------------------------ encoders
EncoderRole = Literal["text", "speech", "clip"]
ENCODER_ROLES: tuple[str, ...] = ("text", "speech", "clip")


@dataclass(frozen=True, order=True)
class EncoderRef:
    """An encoder as a run used it: `role` (text tokens, speech frames, or one vector per clip), the canonical
    `spec` (`default` already resolved) and `weights`, the sha256 of its weight files (None for encoders without
    weights, such as openSMILE, or when a result written before version 3 did not record it). Part of a run's
    identity: another encoder, or another checkpoint under the same name, is another run."""

    role: str
    spec: str
    weights: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "spec": self.spec, "weights": self.weights}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "EncoderRef":
        return cls(role=str(d["role"]), spec=str(d["spec"]), weights=d.get("weights"))

    @property
    def label(self) -> str:
        """How tables name it: the spec, with the first 8 hex digits of the weights where they are known."""
        return self.spec + (f" [{self.weights[:8]}]" if self.weights else "")


# ----------------------------------------------------------------------------------------------- run spec
RunKind = Literal["within", "cross"]
NOT_IDENTITY = ("main_score",)
AUDIO_SPLITS: tuple[str, ...] = ("test", "all")  # which splits an audio condition degrades


@dataclass(frozen=True)
class Ablation:
    """One value of a swept model switch (`[[ablations]]` in a suite)."""

    param: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"param": self.param, "value": self.value}


@dataclass(frozen=True)
class RunSpec:
    """One run: model x corpus x fold x transcript condition x seed x encoders (picklable, no live objects).

    `corpus` / `train_corpus` are what results show (`synthetic-iemocap` for a generated stand-in), `adapter` /
    `train_adapter` the corpus adapters that read them (`iemocap`), which the harness uses to find the data. `kind` is `within` (train and test on folds of one corpus,
    `protocol` the corpus's protocol) or `cross` (train on all of `train_corpus` minus the validation speakers of
    the first fold of its `protocol`, test on all of `corpus`; `fold` is then `train=<train display>`).
    `model_target` (the class's import path, so worker processes can rebuild a model registered at run time) is
    carried along but is not part of the record or the identity; `main_score` (the suite's ranking metric,
    `lemer.core.metrics.METRICS`) is recorded but not part of the identity (it changes no prediction).
    """

    suite: str
    model: str
    model_config: Mapping[str, Any]
    ablation: Ablation | None
    adapter: str
    corpus: str
    train_adapter: str
    train_corpus: str
    synthetic: bool
    kind: RunKind
    protocol: str
    label_map: str
    fold: str
    transcript: TranscriptCondition
    transcript_independent: bool
    seed: int
    encoders: tuple[EncoderRef, ...] = ()
    audio: AudioCondition = CLEAN
    audio_splits: str = "test"  # "test": train and validate on clean audio, test degraded; "all": matched
    text_context: int = 0
    task: str = "categorical"
    # protocol option (issue 22): after choosing epochs / C on the validation split, retrain on train + valid with
    # that choice and score the test split once; never ranked with runs that did not (the leaderboard's cells)
    refit: bool = False
    main_score: str = field(default="ua", compare=False)  # what the suite ranks by (recorded, not identity)
    model_target: str = field(default="", compare=False)

    @property
    def cross_corpus(self) -> bool:
        return self.kind == "cross"

    def encoder(self, role: str) -> EncoderRef | None:
        """The run's encoder of `role` ("text", "speech", "clip"), None when its model reads none."""
        return next((e for e in self.encoders if e.role == role), None)

    @property
    def text_features(self) -> bool:
        return self.encoder("text") is not None

    @property
    def speech_features(self) -> bool:
        return self.encoder("speech") is not None

    @property
    def protocol_label(self) -> str:
        """The protocol as tables show it: the corpus's protocol, or `cross-corpus` for cross-corpus runs."""
        return "cross-corpus" if self.cross_corpus else self.protocol

    # ------------------------------------------------------------------------------------ serialisation
    def to_json(self) -> dict[str, Any]:
        """The `run` record of result.json (schema version 3): every field but `model_target`, typed values as
        their canonical JSON (a condition by its key, encoders as objects)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "model_target":
                continue
            v = getattr(self, f.name)
            if f.name == "model_config":
                v = dict(v)
            elif f.name == "ablation":
                v = None if v is None else v.to_json()
            elif f.name in ("transcript", "audio"):
                v = v.key
            elif f.name == "encoders":
                v = [e.to_json() for e in v]
            out[f.name] = v
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any], model_target: str = "") -> "RunSpec":
        """The spec of a stored `run` record (schema version 3). KeyError / ValueError / TypeError on a malformed
        record: the result reader turns them into an error naming the file."""
        known = {f.name for f in fields(cls)} - {"model_target"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown run key(s): {', '.join(unknown)}")
        optional = ("encoders", "text_context", "task", "main_score", "audio", "audio_splits", "refit")
        missing = sorted(k for k in known if k not in d and k not in optional)
        if missing:
            raise ValueError(f"run is missing key(s): {', '.join(missing)}")
        abl = d["ablation"]
        if abl is not None and not (isinstance(abl, Mapping) and set(abl) == {"param", "value"}):
            raise ValueError('run.ablation must be null or {"param": ..., "value": ...}')
        if d["kind"] not in ("within", "cross"):
            raise ValueError(f"run.kind must be 'within' or 'cross', got {d['kind']!r}")
        return cls(
            suite=str(d["suite"]), model=str(d["model"]), model_config=dict(d["model_config"] or {}),
            ablation=None if abl is None else Ablation(str(abl["param"]), abl["value"]),
            adapter=str(d["adapter"]), corpus=str(d["corpus"]), train_adapter=str(d["train_adapter"]),
            train_corpus=str(d["train_corpus"]), synthetic=bool(d["synthetic"]), kind=d["kind"],
            protocol=str(d["protocol"]), label_map=str(d["label_map"]), fold=str(d["fold"]),
            transcript=TranscriptCondition.parse(d["transcript"]),
            transcript_independent=bool(d["transcript_independent"]), seed=_int(d["seed"], "seed"),
            encoders=tuple(sorted(EncoderRef.from_json(e) for e in d.get("encoders") or ())),
            text_context=_int(d.get("text_context", 0), "text_context"),
            task=_choice(d.get("task", "categorical"), TASKS, "task"),
            main_score=str(d.get("main_score", "ua")), audio=AudioCondition.parse(d.get("audio", "clean")),
            audio_splits=_choice(d.get("audio_splits", "test"), AUDIO_SPLITS, "audio_splits"),
            refit=_bool(d.get("refit", False), "refit"), model_target=model_target,
        )

    def identity(self) -> dict[str, Any]:
        """The record without what changes no prediction (`main_score`): what `run_id` hashes. `refit` joins it
        only when on, so the ids of every run without it are those it had before the option existed."""
        return {k: v for k, v in self.to_json().items()
                if k not in NOT_IDENTITY and not (k == "refit" and not v)}

    @property
    def run_id(self) -> str:
        """sha256 (first 16 hex digits) of the canonical identity: equal ids mean equal predictions are due."""
        blob = json.dumps(self.identity(), sort_keys=True, default=str).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    @property
    def encoders_id(self) -> str:
        """First 8 hex digits of the sha256 of the encoder refs: the path segment that keeps runs of one model with
        different encoders (or weights) side by side."""
        blob = json.dumps([e.to_json() for e in self.encoders], sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:8]

    @property
    def degrades(self) -> tuple[str, ...]:
        """The splits whose audio the run's condition degrades: () for clean audio, ("test",) or all three."""
        if self.audio.is_clean:
            return ()
        return ("test",) if self.audio_splits == "test" else ("train", "valid", "test")

    def relpath(self) -> Path:
        """`<suite>/<corpus>/<protocol>/<label_map>[/task=<task>]/<transcript>[/audio=<key>[,<splits>]]/<model>
        [+<param>=<value>][/enc-<id>]/seed=<s>/<fold>` (a `refit` segment after the transcript for refit runs),
        ':' and '/' written as '-'; the `task=` segment only for
        the soft and dimensional tasks, the `audio=` segment only for a degraded audio condition (`,all` when every
        split is degraded), the `enc-` segment (see `encoders_id`) only for models that read encoders."""
        model = self.model
        if self.ablation:
            model += f"+{self.ablation.param}={_value_str(self.ablation.value)}"
        parts = [self.suite, self.corpus, self.protocol_label, self.label_map]
        if self.task != "categorical":
            parts.append(f"task={self.task}")
        parts.append(self.transcript.key)
        if self.refit:
            parts.append("refit")
        if not self.audio.is_clean:
            parts.append(f"audio={self.audio.key}" + (",all" if self.audio_splits == "all" else ""))
        parts.append(model)
        if self.encoders:
            parts.append(f"enc-{self.encoders_id}")
        parts += [f"seed={self.seed}", self.fold]
        return Path(*(_path_part(p) for p in parts))


def _choice(value: Any, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise ValueError(f"run.{name} must be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"run.{name} must be true or false, got {value!r}")
    return value


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"run.{name} must be an integer, got {value!r}")
    return value


def _value_str(v: Any) -> str:
    return json.dumps(v) if not isinstance(v, str) else v


def _path_part(s: str) -> str:
    out = re.sub(r"[:/\\\s]+", "-", s)
    if out in ("", ".", ".."):
        raise ValueError(f"cannot use {s!r} as a path component")
    return out
