"""Parsing a suite file into a `Suite`: every name resolved, every value type-checked, every problem reported.

A suite is a small TOML file naming a grid (models x corpora with protocol and label map x transcript
conditions x seeds, switches, ablation sweeps, an optional cross-corpus block). Nothing in it is executed:
names are looked up in registries, so a suite file cannot run code. The parser is the one gate: it resolves
every model, corpus, protocol, label map, transcript condition and encoder spec, builds the merged config of
every model and of every ablation value (so a bad switch fails here, not in run 57), and takes the CLI's
overrides (`--text-encoder`, `--speech-encoder`) through the same checks. It collects every problem of a file
before failing, each as `file:line: what`, which is what `lemer-bench suite check FILE` prints.
See benchmarks/suite/builtin/demo.toml for an annotated example, docs/suites.md for every key.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.audio.noise import DegradeError, load_noise_folder
from benchmarks.features.spec import EncoderSpec
from benchmarks.models import MODELS, describe, model_names
from benchmarks.suite.schema import (
    ALL_MODELS,
    SCALES,
    AblationSweep,
    CorpusEntry,
    CrossCorpus,
    Suite,
    SuiteError,
)
from benchmarks.transcripts.condition import parse_condition
from dataset_adapters.base import CORPORA, check_protocol, corpus_info, get_label_map
from lemer.core.audio_condition import CLEAN, AudioCondition, AudioConditionError
from lemer.core.metrics import DEFAULT_MAIN_SCORE, METRICS, metrics_for
from lemer.core.registry import Registry, UnknownName, did_you_mean
from lemer.core.spec import AUDIO_SPLITS, TranscriptCondition
from lemer.core.tasks import TASKS
from lemer.core.user_files import UnreadableFile, file_problem, read_utf8

SUITES_DIR = Path(__file__).with_name("builtin")
T = TypeVar("T")


def _builtin_suites() -> Registry[Path]:
    reg: Registry[Path] = Registry("suite")
    for p in sorted(SUITES_DIR.glob("*.toml")):
        reg.register(p.stem, p)
    return reg


SUITES = _builtin_suites()


def list_suites() -> list[str]:
    return SUITES.names()


def suite_path(name_or_path: str) -> Path:
    """A bundled suite name (`demo`) or a path to a TOML file."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or p.is_symlink():
        why = file_problem(p)
        if why:
            raise SuiteError(f"{p}: suite file not found" if why == "missing" else f"{p}: {why}")
        return p
    try:
        return SUITES.get(name_or_path)
    except UnknownName as e:
        raise SuiteError(f"{e} (or pass a path to a .toml file)") from None


def load_suite(name_or_path: str, overrides: Mapping[str, Any] | None = None) -> Suite:
    """Parse a bundled suite or a suite file; `overrides` are TOML-shaped values laid over the file's (the CLI's
    `--text-encoder X` is `{"encoders": {"text": X}}`), checked like the file's own. SuiteError lists every problem."""
    path = suite_path(name_or_path)
    try:
        text = read_utf8(path)
    except UnreadableFile as e:
        raise SuiteError(f"{e}: cannot read the suite file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SuiteError(f"{path}: invalid TOML: {e}") from None
    return _Parser(path, text).suite(_overlay(data, overrides or {}))


def check_suite(name_or_path: str) -> tuple[Suite | None, list[str]]:
    """(the suite, []) when it parses, else (None, every problem as `file:line: what`): `lemer-bench suite check`."""
    try:
        return load_suite(name_or_path), []
    except SuiteError as e:
        return None, list(getattr(e, "problems", [str(e)]))


def _overlay(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for k, v in overrides.items():
        out[k] = _overlay(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


@dataclass(frozen=True)
class _Top:
    """The suite-wide values that each [[corpora]] entry inherits unless it overrides them."""

    seeds: tuple[int, ...]
    models: tuple[str, ...]
    transcripts: tuple[TranscriptCondition, ...]
    max_folds: int
    audio: tuple[AudioCondition, ...] = (CLEAN,)
    tasks: tuple[str, ...] = ("categorical",)
    refit: bool = False


class _Problem(Exception):
    """One located problem; collected by `_Parser.attempt`, raised together at the end."""


class _Parser:
    """Turns the TOML dict into a Suite, collecting every mistake as `file:line: what`."""

    TOP = {"name", "description", "seeds", "models", "transcripts", "max_folds", "leaderboard", "synthetic_scale", "main_score",
           "transcript_models", "encoders", "model_defaults", "model_config", "corpora", "cross_corpus", "ablations",
           "audio", "audio_models", "audio_transcripts", "audio_splits", "tasks", "refit"}
    CORPUS = {"name", "protocol", "label_map", "synthetic", "transcripts", "models", "seeds", "max_folds", "audio",
              "tasks", "refit"}
    CROSS = {"corpora", "label_map", "synthetic", "transcripts", "models", "seeds"}
    ABLATION = {"model", "param", "values", "corpora", "transcripts", "seeds"}

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.problems: list[str] = []

    # -- primitives ---------------------------------------------------------------------------
    def fail(self, msg: str, key: str | None = None, value: Any = None) -> _Problem:
        """A located problem: the first line that sets `key` (to `value`, when given and found)."""
        where = str(self.path)
        if key:
            pat = re.compile(rf"^\s*\[*\s*\"?{re.escape(key)}\b")
            lines = [i for i, line in enumerate(self.lines, 1) if pat.search(line)]
            if value is not None:
                lines = [i for i in lines if str(value) in self.lines[i - 1]] or lines
            if lines:
                where = f"{where}:{lines[0]}"
        return _Problem(f"{where}: {msg}")

    def attempt(self, fn: Callable[..., T], *args: Any, default: Any = None) -> T:
        """`fn(*args)`, or `default` with the problem recorded: one mistake does not hide the next."""
        try:
            return fn(*args)
        except _Problem as e:
            self.problems.append(str(e))
            return default

    def keys(self, table: Mapping[str, Any], allowed: set[str], what: str) -> None:
        for k in table:
            if k not in allowed:
                self.problems.append(str(self.fail(f"unknown key {k!r} in {what} (allowed: {', '.join(sorted(allowed))})", k)))

    def table(self, d: Mapping[str, Any], key: str, what: str) -> dict[str, Any]:
        value = d.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a table", key)
        return value

    def tables(self, d: Mapping[str, Any], key: str, what: str) -> list[dict[str, Any]]:
        raw = d.get(key, [])
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            raise self.fail(f"{key} must be an array of tables ({what})", key)
        return raw

    def boolean(self, d: Mapping[str, Any], key: str, default: bool) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{key} must be true or false (a TOML boolean, not {type(value).__name__} {value!r})",
                            key, value)
        return value

    def string(self, d: Mapping[str, Any], key: str, default: str) -> str:
        value = d.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"{key} must be a string, got {type(value).__name__} {value!r}", key)
        return value

    def str_list(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{key} must be a list of strings", key)
        if len(set(value)) != len(value):
            raise self.fail(f"{key} lists an item twice", key)
        return tuple(value)

    def seeds(self, value: Any, key: str = "seeds") -> tuple[int, ...]:
        if not isinstance(value, list) or not value or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
            raise self.fail(f"{key} must be a non-empty list of non-negative integers", key)
        if len(set(value)) != len(value):
            raise self.fail(f"{key} lists a seed twice", key)
        return tuple(value)

    def transcripts(self, value: Any, key: str = "transcripts") -> tuple[TranscriptCondition, ...]:
        keys = self.str_list(value, key)
        if not keys:
            raise self.fail(f"{key} must not be empty", key)
        try:
            conds = tuple(parse_condition(k) for k in keys)
        except UnknownName as e:
            raise self.fail(str(e), key) from None
        if len(set(conds)) != len(conds):
            raise self.fail(f"{key} names one condition twice (spellings differ: {list(keys)})", key)
        return conds

    def audio(self, value: Any, key: str = "audio") -> tuple[AudioCondition, ...]:
        """Audio conditions (`clean`, `snr=5,noise=babble`, `reverb=rt60:0.5`, `telephone`, combined with `+`);
        a folder of noise files is checked here (exists, holds readable audio), before any corpus is read."""
        keys = self.str_list(value, key)
        if not keys:
            raise self.fail(f"{key} must not be empty", key)
        out = []
        for k in keys:
            try:
                cond = AudioCondition.parse(k)
                if cond.noise_folder is not None:
                    load_noise_folder(cond.noise_folder)
            except (AudioConditionError, DegradeError) as e:
                raise self.fail(str(e), key, k) from None
            out.append(cond)
        if len(set(out)) != len(out):
            raise self.fail(f"{key} names one audio condition twice (spellings differ: {list(keys)})", key)
        return tuple(out)

    def audio_models(self, d: Mapping[str, Any]) -> dict[AudioCondition, tuple[str, ...]]:
        am = self.table(d, "audio_models", "[audio_models] (audio condition = [models])")
        return {self.audio([k], "audio_models")[0]: self.models(v, "audio_models") for k, v in am.items()}

    def audio_transcripts(self, d: Mapping[str, Any]) -> dict[AudioCondition, tuple[TranscriptCondition, ...]]:
        at = self.table(d, "audio_transcripts", "[audio_transcripts] (audio condition = [transcript conditions])")
        return {self.audio([k], "audio_transcripts")[0]: self.transcripts(v, "audio_transcripts")
                for k, v in at.items()}

    def audio_splits(self, d: Mapping[str, Any]) -> str:
        value = d.get("audio_splits", "test")
        if value not in AUDIO_SPLITS:
            raise self.fail(f"audio_splits must be one of {', '.join(AUDIO_SPLITS)} (test: train and validate on "
                            f"clean audio, test degraded; all: every split degraded), got {value!r}", "audio_splits")
        return str(value)

    def models(self, value: Any, key: str = "models") -> tuple[str, ...]:
        names = self.str_list(value, key)
        for n in names:
            if n != ALL_MODELS:
                self.named(MODELS.check, n, key)
        return names

    def named(self, check: Callable[[str], Any], value: Any, key: str) -> Any:
        """Run a registry check, turning its UnknownName into a located problem."""
        try:
            return check(value)
        except (UnknownName, ValueError) as e:
            raise self.fail(str(e), key, value) from None

    def corpus_name(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{key} must be a corpus name (a string), got {value!r}", key)
        return str(self.named(CORPORA.check, value, key))

    def label_map(self, name: Any, corpus: str, key: str = "label_map") -> str:
        if not isinstance(name, str):
            raise self.fail(f"{key} must be a label map name (a string), got {name!r}", key)
        return self.named(lambda n: get_label_map(n, corpus).name, name, key)

    def protocol(self, name: Any, corpus: str, key: str = "protocol") -> str:
        if not isinstance(name, str):
            raise self.fail(f"{key} must be a protocol name (a string), got {name!r}", key)
        return str(self.named(lambda n: check_protocol(corpus, n), name, key))

    def scale(self, value: Any) -> str:
        if value not in SCALES:
            raise self.fail(f"synthetic_scale must be one of {', '.join(SCALES)}, got {value!r}", "synthetic_scale")
        return str(value)

    def main_scores(self, d: Mapping[str, Any]) -> dict[str, str]:
        """The metric each task's cells are ranked by: `main_score = "macro_f1"` (a metric names its own task; the
        other tasks keep their defaults) or a table `main_score = {categorical = "ua", dimensional = "ccc_val"}`;
        defaults `DEFAULT_MAIN_SCORE` (UA, soft CE, mean CCC)."""
        value = d.get("main_score")
        out = dict(DEFAULT_MAIN_SCORE)
        if value is None:
            return out
        every = [m.name for t in TASKS for m in metrics_for(t)]
        if isinstance(value, str):
            if value not in every:
                raise self.fail(str(did_you_mean("main_score", value, every)), "main_score")
            out[METRICS.get(value).task] = value
            return out
        if not isinstance(value, dict):
            raise self.fail("main_score must be a metric name or a table {task = metric}", "main_score")
        for task, name in value.items():
            if task not in TASKS:
                raise self.fail(str(did_you_mean("main_score task", str(task), TASKS)), "main_score")
            choices = [m.name for m in metrics_for(task)]
            if name not in choices:
                raise self.fail(str(did_you_mean(f"main_score for the {task} task", str(name), choices)), "main_score")
            out[task] = str(name)
        return out

    def tasks(self, value: Any, corpus: str | None = None, key: str = "tasks") -> tuple[str, ...]:
        """A list of tasks (`lemer.core.tasks.TASKS`); for a corpus entry, only those its annotations support."""
        names = self.str_list(value, key)
        if not names:
            raise self.fail(f"{key} must list at least one task ({', '.join(TASKS)})", key)
        for t in names:
            if t not in TASKS:
                raise self.fail(str(did_you_mean("task", t, TASKS)), key)
        if corpus is not None:
            supported = corpus_info(corpus).tasks
            lacking = [t for t in names if t not in supported]
            if lacking:
                raise self.fail(f"corpus {corpus!r} has no annotations for the {', '.join(lacking)} task(s) "
                                f"(it supports {', '.join(supported)})", key)
        return names

    def max_folds(self, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail("max_folds must be a non-negative integer (0 = every fold)", "max_folds")
        return value

    # -- sections -----------------------------------------------------------------------------
    def suite(self, d: dict[str, Any]) -> Suite:
        self.keys(d, self.TOP, "the suite")
        name = self.attempt(self.suite_name, d, default=self.path.stem)
        top = _Top(
            seeds=self.attempt(self.seeds, d.get("seeds", [0]), default=(0,)),
            models=self.attempt(self.models, d.get("models", [ALL_MODELS]), default=()),
            transcripts=self.attempt(self.transcripts, d.get("transcripts", ["gold"]), default=(parse_condition("gold"),)),
            max_folds=self.attempt(self.max_folds, d.get("max_folds", 0), default=0),
            audio=self.attempt(self.audio, d.get("audio", ["clean"]), default=(CLEAN,)),
            tasks=self.attempt(self.tasks, d.get("tasks", ["categorical"]), default=("categorical",)),
            refit=self.attempt(self.boolean, d, "refit", False, default=False),
        )
        text_enc, speech_enc = self.attempt(self.encoders, d, default=(None, None))
        transcript_models = self.attempt(self.transcript_models, d, default={})
        audio_models = self.attempt(self.audio_models, d, default={})
        audio_transcripts = self.attempt(self.audio_transcripts, d, default={})
        corpora = self.attempt(self.corpora, d, top, default=[])
        cross = self.attempt(self.cross_corpus, d["cross_corpus"], corpora, top) if "cross_corpus" in d else None
        sweeps = self.attempt(self.ablation_entries, d, corpora, default=[])
        model_config = self.attempt(self.model_config, d, corpora, cross, sweeps, default={})
        self.attempt(self.check_ablation_values, sweeps, model_config)
        self.attempt(self.check_model_tasks, corpora, sweeps, model_config)
        if not corpora and cross is None and not self.problems:
            self.problems.append(str(self.fail("the suite runs nothing: add [[corpora]] entries or a [cross_corpus] table")))
        suite = Suite(
            name=name, path=str(self.path),
            description=self.attempt(self.string, d, "description", "", default=""),
            corpora=tuple(corpora), cross_corpus=cross, ablations=tuple(sweeps), model_config=model_config,
            text_encoder=text_enc, speech_encoder=speech_enc,
            leaderboard=self.attempt(self.boolean, d, "leaderboard", False, default=False),
            main_scores=self.attempt(self.main_scores, d, default=dict(DEFAULT_MAIN_SCORE)),
            synthetic_scale=self.attempt(self.scale, d.get("synthetic_scale", "small"), default="small"),
            transcript_models=transcript_models, audio_models=audio_models, audio_transcripts=audio_transcripts,
            audio_splits=self.attempt(self.audio_splits, d, default="test"),
        )
        if self.problems:
            raise _suite_error(self.path, self.problems)
        return suite

    def suite_name(self, d: Mapping[str, Any]) -> str:
        name = d.get("name", self.path.stem)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            raise self.fail("name must be a plain word (letters, digits, - _ .)", "name")
        return name

    def encoders(self, d: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """`[encoders] text = ..., speech = ...`: names, local paths or specs; 'default' = the offline defaults."""
        enc = self.table(d, "encoders", "[encoders]")
        self.keys(enc, {"text", "speech"}, "[encoders]")
        out: list[str | None] = []
        for role in ("text", "speech"):
            value = enc.get(role)
            if value is None or value == "default":
                out.append(None)
                continue
            if not isinstance(value, str) or not value.strip() or value != value.strip():
                raise self.fail(f"[encoders] {role} must be a non-empty name, path or spec, got {value!r}", role)
            self.named(lambda v, r=role: EncoderSpec.parse(v, r), value, role)
            out.append(value)
        return out[0], out[1]

    def transcript_models(self, d: Mapping[str, Any]) -> dict[TranscriptCondition, tuple[str, ...]]:
        tm = self.table(d, "transcript_models", "[transcript_models] (condition = [models])")
        return {self.transcripts([k], "transcript_models")[0]: self.models(v, "transcript_models")
                for k, v in tm.items()}

    def model_config(self, d: Mapping[str, Any], corpora: Sequence[CorpusEntry], cross: CrossCorpus | None,
                     sweeps: Sequence[AblationSweep]) -> dict[str, dict[str, Any]]:
        """Per-model switches: `[model_defaults]` (each switch given to every model of the suite that has it, so
        shared values are stated once) under `[model_config.<model>]`; checked by building each model."""
        mc = self.table(d, "model_config", "[model_config]")
        if not all(isinstance(v, dict) for v in mc.values()):
            raise self.fail("[model_config.<model>] entries must be tables", "model_config")
        for m in mc:
            self.attempt(self.models, [m], "model_config")
        defaults = self.table(d, "model_defaults", "[model_defaults]")
        used = [c.models for c in corpora] + ([cross.models] if cross else []) + [(a.model,) for a in sweeps]
        in_suite = model_names([m for ms in used for m in ms])
        out: dict[str, dict[str, Any]] = {}
        known_anywhere: set[str] = set()
        for m in in_suite:
            switches = set(describe(m).config)
            known_anywhere |= switches
            merged = {k: v for k, v in defaults.items() if k in switches}
            merged.update(mc.get(m, {}))
            if merged:
                out[m] = merged
        for k in defaults:
            if k not in known_anywhere:
                self.problems.append(str(self.fail(f"[model_defaults] switch {k!r} belongs to no model of this suite", k)))
        for m, cfg in {**mc, **out}.items():
            if m not in MODELS:
                continue
            try:
                describe(m, cfg)
            except (ValueError, TypeError, KeyError) as e:
                where = "model_config" if m in mc else next((k for k in defaults if k in cfg), "model_defaults")
                self.problems.append(str(self.fail(f"model {m!r}: {e}", where)))
        return {m: out.get(m, dict(mc.get(m, {}))) for m in dict.fromkeys([*out, *mc]) if m in MODELS}

    def corpora(self, d: Mapping[str, Any], top: _Top) -> list[CorpusEntry]:
        """The [[corpora]] entries; one corpus may have several (e.g. the soft and dimensional tasks with fewer
        models, with and without refit, or a degraded condition on fewer folds), but each (corpus, protocol, label
        map, task, refit, audio condition, transcript condition) once."""
        out: list[CorpusEntry] = []
        seen: set[tuple[str, str, str, str, bool, str, str]] = set()
        for c in self.tables(d, "corpora", "[[corpora]]"):
            entry = self.attempt(self.corpus_entry, c, top)
            if entry is None:
                continue
            keys = {(entry.name, entry.protocol, entry.label_map, t, entry.refit, a.key, tr.key)
                    for t in entry.tasks for a in entry.audio for tr in entry.transcripts}
            if keys & seen:
                twice = sorted(keys & seen)
                tasks = ", ".join(sorted({k[3] for k in twice}))
                audio = ", ".join(sorted({k[5] for k in twice}))
                transcripts = ", ".join(sorted({k[6] for k in twice}))
                self.problems.append(str(self.fail(f"corpus {entry.name!r} is listed twice with protocol "
                                                   f"{entry.protocol!r}, label map {entry.label_map!r}, task "
                                                   f"{tasks}, refit = {str(entry.refit).lower()}, audio {audio} "
                                                   f"and transcript {transcripts}", "corpora")))
                continue
            seen |= keys
            out.append(entry)
        return out

    def corpus_entry(self, c: Mapping[str, Any], top: _Top) -> CorpusEntry | None:
        """One [[corpora]] entry; each of its fields is checked on its own, so every mistake in it is reported."""
        self.keys(c, self.CORPUS, "[[corpora]]")
        if "name" not in c:
            raise self.fail("every [[corpora]] entry needs a name", "corpora")
        cname = self.corpus_name(c["name"], "name")
        info = corpus_info(cname)
        before = len(self.problems)
        entry = CorpusEntry(
            name=cname,
            protocol=self.attempt(self.protocol, c.get("protocol", info.default_protocol), cname, default=""),
            label_map=self.attempt(self.label_map, c.get("label_map", info.default_label_map), cname, default=""),
            synthetic=self.attempt(self.boolean, c, "synthetic", False, default=False),
            transcripts=self.attempt(self.transcripts, c["transcripts"], default=()) if "transcripts" in c else top.transcripts,
            models=self.attempt(self.models, c["models"], default=()) if "models" in c else top.models,
            seeds=self.attempt(self.seeds, c["seeds"], default=()) if "seeds" in c else top.seeds,
            max_folds=self.attempt(self.max_folds, c["max_folds"], default=0) if "max_folds" in c else top.max_folds,
            audio=self.attempt(self.audio, c["audio"], default=()) if "audio" in c else top.audio,
            tasks=self.attempt(self.tasks, c.get("tasks", list(top.tasks)), cname, default=()),
            refit=self.attempt(self.boolean, c, "refit", top.refit, default=False),
        )
        return entry if len(self.problems) == before else None

    def cross_corpus(self, x: Any, corpora: Sequence[CorpusEntry], top: _Top) -> CrossCorpus:
        if not isinstance(x, dict):
            raise self.fail("[cross_corpus] must be a table", "cross_corpus")
        self.keys(x, self.CROSS, "[cross_corpus]")
        names = self.str_list(x.get("corpora", []), "corpora")
        if len(names) < 2:
            raise self.fail("[cross_corpus] needs at least two corpora", "cross_corpus")
        for n in names:
            self.corpus_name(n, "corpora")
        lm = self.string(x, "label_map", "shared-4")
        for n in names:
            self.label_map(lm, n)
        return CrossCorpus(
            corpora=names,
            label_map=lm,
            synthetic=self.boolean(x, "synthetic", any(c.synthetic for c in corpora)),
            transcripts=self.transcripts(x["transcripts"]) if "transcripts" in x else (parse_condition("gold"),),
            models=self.models(x["models"]) if "models" in x else top.models,
            seeds=self.seeds(x["seeds"]) if "seeds" in x else top.seeds,
        )

    def ablation_entries(self, d: Mapping[str, Any], corpora: Sequence[CorpusEntry]) -> list[AblationSweep]:
        return [s for a in self.tables(d, "ablations", "[[ablations]]")
                if (s := self.attempt(self.ablation_entry, a, corpora)) is not None]

    def ablation_entry(self, a: Mapping[str, Any], corpora: Sequence[CorpusEntry]) -> AblationSweep:
        self.keys(a, self.ABLATION, "[[ablations]]")
        for k in ("model", "param", "values"):
            if k not in a:
                raise self.fail(f"every [[ablations]] entry needs {k}", "ablations")
        self.models([a["model"]], "model")
        if not isinstance(a["param"], str):
            raise self.fail(f"ablation param must be a switch name (a string), got {a['param']!r}", "param")
        if not isinstance(a["values"], list) or not a["values"]:
            raise self.fail("ablation values must be a non-empty list", "values")
        names = {c.name for c in corpora}
        acorp = self.str_list(a["corpora"], "corpora") if "corpora" in a else tuple(dict.fromkeys(c.name for c in corpora))
        for n in acorp:
            if n not in names:
                raise self.fail(f"ablation corpus {n!r} is not one of the suite's [[corpora]]", "corpora")
        return AblationSweep(
            model=a["model"], param=a["param"], values=tuple(a["values"]), corpora=acorp,
            transcripts=self.transcripts(a["transcripts"]) if "transcripts" in a else None,
            seeds=self.seeds(a["seeds"]) if "seeds" in a else None,
        )

    def check_ablation_values(self, sweeps: Sequence[AblationSweep], model_config: Mapping[str, dict[str, Any]]) -> None:
        """Each swept value on top of the model's MERGED config (the config the runs will have)."""
        for s in sweeps:
            for v in s.values:
                try:
                    describe(s.model, {**model_config.get(s.model, {}), s.param: v})
                except (ValueError, TypeError, KeyError) as e:
                    self.problems.append(str(self.fail(f"ablation {s.model} {s.param}={v!r}: {e}", "param")))


    def check_model_tasks(self, corpora: Sequence[CorpusEntry], sweeps: Sequence[AblationSweep],
                          model_config: Mapping[str, dict[str, Any]]) -> None:
        """A model the suite names explicitly must be able to learn every task of its corpus entry, under its merged
        config (LE-MER with `finetune = true` is categorical only); `"*"` picks, per task, the models that can."""
        asked: dict[tuple[str, tuple[Any, ...]], set[str]] = {}
        for c in corpora:
            for m in c.models:
                if m != ALL_MODELS and m in MODELS:
                    asked.setdefault((m, ()), set()).update(c.tasks)
        for s in sweeps:
            for v in s.values:
                tasks = {t for c in corpora if c.name in s.corpora for t in c.tasks}
                asked.setdefault((s.model, (s.param, v)), set()).update(tasks)
        for (m, extra), tasks in asked.items():
            try:
                can = describe(m, {**model_config.get(m, {}), **dict([extra] if extra else [])}).tasks
            except (ValueError, TypeError, KeyError):
                continue  # already reported by the config checks
            lacking = [t for t in TASKS if t in tasks and t not in can]
            if lacking:
                where = f" with {extra[0]} = {extra[1]!r}" if extra else ""
                self.problems.append(str(self.fail(
                    f"model {m!r}{where} cannot be trained for the {', '.join(lacking)} task(s) (it can: "
                    f"{', '.join(can)}; `lemer-bench ls` lists each model's tasks)", "tasks" if not extra else "param")))


def _suite_error(path: Path, problems: list[str]) -> SuiteError:
    text = problems[0] if len(problems) == 1 else f"{len(problems)} problems in suite {path}:\n" + "\n".join(
        f"  {p}" for p in problems)
    err = SuiteError(text)
    err.problems = list(problems)  # type: ignore[attr-defined]
    return err
