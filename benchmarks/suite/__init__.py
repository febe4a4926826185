"""Suites: small declarative TOML files naming a grid, and its expansion into individual runs.

A suite says which models run on which corpora (protocol, label map), under which transcript
conditions and seeds, with per-corpus overrides (CREMA-D's text is constant, so fewer transcript
conditions make sense there), model switches, ablation sweeps and an optional cross-corpus block.
Nothing in a suite is executed: names are looked up in registries, so a suite file cannot run
code. See benchmarks/suite/builtin/demo.toml for an annotated example.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import tomllib

from benchmarks.corpora import CorpusRoot
from benchmarks.models import MODELS, ModelFacts, describe
from benchmarks.transcripts.condition import Condition
from dataset_adapters.base import CORPORA, check_protocol, corpus_info, get_label_map
from lemer.core.registry import Registry, UnknownName

SUITES_DIR = Path(__file__).with_name("builtin")
ALL_MODELS = "*"


def _builtin_suites() -> Registry[Path]:
    reg: Registry[Path] = Registry("suite")
    for p in sorted(SUITES_DIR.glob("*.toml")):
        reg.register(p.stem, p)
    return reg


SUITES = _builtin_suites()


class SuiteError(ValueError):
    """A suite file is malformed; the message names the file (and the line where it can be found)."""


# ----------------------------------------------------------------------------------------------
# Parsed suite
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusEntry:
    """One within-corpus block: the corpus's own protocol and label map, with optional overrides."""

    name: str
    protocol: str
    label_map: str
    synthetic: bool
    transcripts: tuple[str, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]
    max_folds: int  # 0 = every fold


@dataclass(frozen=True)
class CrossCorpus:
    """Train on each listed corpus, test on all of each other one, in a shared label space."""

    corpora: tuple[str, ...]
    label_map: str
    synthetic: bool
    transcripts: tuple[str, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class Ablation:
    """Sweep one switch of one model; each value is its own run with `ablation = {param, value}`."""

    model: str
    param: str
    values: tuple[Any, ...]
    corpora: tuple[str, ...]
    transcripts: tuple[str, ...] | None  # None = each corpus's own conditions
    seeds: tuple[int, ...] | None


@dataclass(frozen=True)
class Suite:
    name: str
    path: str
    description: str
    corpora: tuple[CorpusEntry, ...]
    cross_corpus: CrossCorpus | None
    ablations: tuple[Ablation, ...]
    model_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    text_encoder: str | None = None  # None = the feature store's offline default
    speech_encoder: str | None = None
    leaderboard: bool = False
    synthetic_scale: str = "small"  # scale of generated stand-ins for corpora marked synthetic
    # condition -> the only models run under it (e.g. run the ASR conditions for a few text models only)
    transcript_models: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def needed_corpora(self) -> dict[str, bool]:
        """{corpus name: may be a generated synthetic stand-in} for every corpus the suite touches."""
        out: dict[str, bool] = {}
        for c in self.corpora:
            out[c.name] = out.get(c.name, False) or c.synthetic
        if self.cross_corpus:
            for name in self.cross_corpus.corpora:
                out[name] = out.get(name, False) or self.cross_corpus.synthetic
        return out


# ----------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------


def list_suites() -> list[str]:
    return SUITES.names()


def suite_path(name_or_path: str) -> Path:
    """A bundled suite name (`demo`) or a path to a TOML file."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise SuiteError(f"{p}: suite file not found")
        return p
    try:
        return SUITES.get(name_or_path)
    except UnknownName as e:
        raise SuiteError(f"{e} (or pass a path to a .toml file)") from None


def load_suite(name_or_path: str) -> Suite:
    path = suite_path(name_or_path)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SuiteError(f"{path}: invalid TOML: {e}") from None
    return _Parser(path, text).suite(data)


class _Parser:
    """Turns the TOML dict into a Suite, reporting every mistake as `file:line: what`.

    Every name is checked against its registry here (models, corpora, protocols, label maps,
    transcript conditions, model switches), so a typo fails before any corpus is generated or
    any feature computed.
    """

    TOP = {"name", "description", "seeds", "models", "transcripts", "max_folds", "leaderboard", "synthetic_scale",
           "transcript_models", "encoders", "model_defaults", "model_config", "corpora", "cross_corpus", "ablations"}
    CORPUS = {"name", "protocol", "label_map", "synthetic", "transcripts", "models", "seeds", "max_folds"}
    CROSS = {"corpora", "label_map", "synthetic", "transcripts", "models", "seeds"}
    ABLATION = {"model", "param", "values", "corpora", "transcripts", "seeds"}

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    # -- primitives ---------------------------------------------------------------------------
    def fail(self, msg: str, key: str | None = None) -> SuiteError:
        where = str(self.path)
        if key:
            pat = re.compile(rf"^\s*\[*\s*{re.escape(key)}\b")
            for i, line in enumerate(self.lines, 1):
                if pat.search(line):
                    where = f"{where}:{i}"
                    break
        return SuiteError(f"{where}: {msg}")

    def keys(self, table: Mapping[str, Any], allowed: set[str], what: str) -> None:
        for k in table:
            if k not in allowed:
                raise self.fail(f"unknown key {k!r} in {what} (allowed: {', '.join(sorted(allowed))})", k)

    def table(self, d: Mapping[str, Any], key: str, what: str) -> dict[str, Any]:
        value = d.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a table", key)
        return value

    def str_list(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{key} must be a list of strings", key)
        if len(set(value)) != len(value):
            raise self.fail(f"{key} lists an item twice", key)
        return tuple(value)

    def seeds(self, value: Any, key: str = "seeds") -> tuple[int, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
            raise self.fail(f"{key} must be a non-empty list of non-negative integers", key)
        if len(set(value)) != len(value):
            raise self.fail(f"{key} lists a seed twice", key)
        return tuple(value)

    def transcripts(self, value: Any, key: str = "transcripts") -> tuple[str, ...]:
        keys = self.str_list(value, key)
        if not keys:
            raise self.fail(f"{key} must not be empty", key)
        try:
            canon = tuple(Condition.parse(k).key for k in keys)
        except UnknownName as e:
            raise self.fail(str(e), key) from None
        if len(set(canon)) != len(canon):
            raise self.fail(f"{key} names one condition twice (spellings differ: {list(keys)})", key)
        return canon

    def models(self, value: Any, key: str = "models") -> tuple[str, ...]:
        names = self.str_list(value, key)
        for n in names:
            if n != ALL_MODELS:
                self.named(MODELS.check, n, key)
        return names

    def named(self, check: Callable[[str], Any], value: Any, key: str) -> Any:
        """Run a registry check, turning its UnknownName into a located SuiteError."""
        try:
            return check(value)
        except (UnknownName, ValueError) as e:
            raise self.fail(str(e), key) from None

    def corpus_name(self, value: Any, key: str) -> str:
        return str(self.named(CORPORA.check, str(value), key))

    def label_map(self, name: Any, corpus: str, key: str = "label_map") -> str:
        return self.named(lambda n: get_label_map(str(n), corpus).name, name, key)

    def protocol(self, name: Any, corpus: str, key: str = "protocol") -> str:
        return str(self.named(lambda n: check_protocol(corpus, str(n)), name, key))

    def scale(self, value: Any) -> str:
        if value not in ("tiny", "small", "full"):
            raise self.fail(f"synthetic_scale must be tiny, small or full, got {value!r}", "synthetic_scale")
        return str(value)

    def max_folds(self, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail("max_folds must be a non-negative integer (0 = every fold)", "max_folds")
        return value

    # -- sections -----------------------------------------------------------------------------
    def suite(self, d: dict[str, Any]) -> Suite:
        self.keys(d, self.TOP, "the suite")
        name = d.get("name", self.path.stem)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            raise self.fail("name must be a plain word (letters, digits, - _ .)", "name")
        top = _Top(
            seeds=self.seeds(d.get("seeds", [0])),
            models=self.models(d.get("models", [ALL_MODELS])),
            transcripts=self.transcripts(d.get("transcripts", ["gold"])),
            max_folds=self.max_folds(d.get("max_folds", 0)),
        )
        text_enc, speech_enc = self.encoders(d)
        tm = self.table(d, "transcript_models", "[transcript_models] (condition = [models])")
        transcript_models = {self.transcripts([k], "transcript_models")[0]: self.models(v, "transcript_models")
                             for k, v in tm.items()}
        corpora = self.corpora(d, top)
        cross = self.cross_corpus(d["cross_corpus"], corpora, top) if "cross_corpus" in d else None
        ablations = self.ablations(d, corpora)
        if not corpora and cross is None:
            raise self.fail("the suite runs nothing: add [[corpora]] entries or a [cross_corpus] table")
        model_config = self.model_config(d, corpora, cross, ablations)
        return Suite(
            name=name, path=str(self.path), description=str(d.get("description", "")),
            corpora=tuple(corpora), cross_corpus=cross, ablations=tuple(ablations), model_config=model_config,
            text_encoder=text_enc, speech_encoder=speech_enc, leaderboard=bool(d.get("leaderboard", False)),
            synthetic_scale=self.scale(d.get("synthetic_scale", "small")), transcript_models=transcript_models,
        )

    def encoders(self, d: Mapping[str, Any]) -> tuple[str | None, str | None]:
        enc = self.table(d, "encoders", "[encoders]")
        self.keys(enc, {"text", "speech"}, "[encoders]")
        return (enc.get("text") if enc.get("text") not in (None, "default") else None,
                enc.get("speech") if enc.get("speech") not in (None, "default") else None)

    def model_config(self, d: Mapping[str, Any], corpora: Sequence[CorpusEntry], cross: CrossCorpus | None,
                     ablations: Sequence[Ablation]) -> dict[str, dict[str, Any]]:
        """Per-model switches: `[model_defaults]` (each switch given to every model of the suite that has
        it, so shared values are stated once) under `[model_config.<model>]`; checked by building each model."""
        mc = self.table(d, "model_config", "[model_config]")
        if not all(isinstance(v, dict) for v in mc.values()):
            raise self.fail("[model_config.<model>] entries must be tables", "model_config")
        for m in mc:
            self.models([m], "model_config")
        defaults = self.table(d, "model_defaults", "[model_defaults]")
        used = [c.models for c in corpora] + ([cross.models] if cross else []) + [(a.model,) for a in ablations]
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
                raise self.fail(f"[model_defaults] switch {k!r} belongs to no model of this suite", k)
        for m, cfg in {**mc, **out}.items():
            try:
                describe(m, cfg)
            except (ValueError, TypeError, KeyError) as e:
                raise self.fail(f"model {m!r}: {e}", "model_config" if m in mc else "model_defaults") from None
        return {m: out.get(m, dict(mc.get(m, {}))) for m in dict.fromkeys([*out, *mc])}

    def corpora(self, d: Mapping[str, Any], top: "_Top") -> list[CorpusEntry]:
        raw = d.get("corpora", [])
        if not isinstance(raw, list):
            raise self.fail("corpora must be an array of tables ([[corpora]])", "corpora")
        out: list[CorpusEntry] = []
        seen: set[tuple[str, str, str]] = set()
        for c in raw:
            self.keys(c, self.CORPUS, "[[corpora]]")
            if "name" not in c:
                raise self.fail("every [[corpora]] entry needs a name", "corpora")
            cname = self.corpus_name(c["name"], "name")
            info = corpus_info(cname)
            entry = CorpusEntry(
                name=cname,
                protocol=self.protocol(c.get("protocol", info.default_protocol), cname),
                label_map=self.label_map(c.get("label_map", info.default_label_map), cname),
                synthetic=bool(c.get("synthetic", False)),
                transcripts=self.transcripts(c["transcripts"]) if "transcripts" in c else top.transcripts,
                models=self.models(c["models"]) if "models" in c else top.models,
                seeds=self.seeds(c["seeds"]) if "seeds" in c else top.seeds,
                max_folds=self.max_folds(c["max_folds"]) if "max_folds" in c else top.max_folds,
            )
            key = (entry.name, entry.protocol, entry.label_map)
            if key in seen:
                raise self.fail(f"corpus {cname!r} is listed twice with protocol {entry.protocol!r} and label map {entry.label_map!r}", "corpora")
            seen.add(key)
            out.append(entry)
        return out

    def cross_corpus(self, x: Any, corpora: Sequence[CorpusEntry], top: "_Top") -> CrossCorpus:
        if not isinstance(x, dict):
            raise self.fail("[cross_corpus] must be a table", "cross_corpus")
        self.keys(x, self.CROSS, "[cross_corpus]")
        names = self.str_list(x.get("corpora", []), "corpora")
        if len(names) < 2:
            raise self.fail("[cross_corpus] needs at least two corpora", "cross_corpus")
        for n in names:
            self.corpus_name(n, "corpora")
        lm = str(x.get("label_map", "shared-4"))
        for n in names:
            self.label_map(lm, n)
        return CrossCorpus(
            corpora=names,
            label_map=lm,
            synthetic=bool(x.get("synthetic", any(c.synthetic for c in corpora))),
            transcripts=self.transcripts(x["transcripts"]) if "transcripts" in x else ("gold",),
            models=self.models(x["models"]) if "models" in x else top.models,
            seeds=self.seeds(x["seeds"]) if "seeds" in x else top.seeds,
        )

    def ablations(self, d: Mapping[str, Any], corpora: Sequence[CorpusEntry]) -> list[Ablation]:
        raw = d.get("ablations", [])
        if not isinstance(raw, list):
            raise self.fail("ablations must be an array of tables ([[ablations]])", "ablations")
        out: list[Ablation] = []
        for a in raw:
            self.keys(a, self.ABLATION, "[[ablations]]")
            for k in ("model", "param", "values"):
                if k not in a:
                    raise self.fail(f"every [[ablations]] entry needs {k}", "ablations")
            self.models([a["model"]], "model")
            if not isinstance(a["values"], list) or not a["values"]:
                raise self.fail("ablation values must be a non-empty list", "values")
            for v in a["values"]:
                try:
                    describe(a["model"], {str(a["param"]): v})
                except (ValueError, TypeError, KeyError) as e:
                    raise self.fail(f"ablation {a['model']} {a['param']}={v!r}: {e}", "param") from None
            acorp = self.str_list(a["corpora"], "corpora") if "corpora" in a else tuple(dict.fromkeys(c.name for c in corpora))
            for n in acorp:
                if n not in {c.name for c in corpora}:
                    raise self.fail(f"ablation corpus {n!r} is not one of the suite's [[corpora]]", "corpora")
            out.append(Ablation(
                model=a["model"], param=str(a["param"]), values=tuple(a["values"]), corpora=acorp,
                transcripts=self.transcripts(a["transcripts"]) if "transcripts" in a else None,
                seeds=self.seeds(a["seeds"]) if "seeds" in a else None,
            ))
        return out


@dataclass(frozen=True)
class _Top:
    """The suite-wide values that each [[corpora]] entry inherits unless it overrides them."""

    seeds: tuple[int, ...]
    models: tuple[str, ...]
    transcripts: tuple[str, ...]
    max_folds: int


# ----------------------------------------------------------------------------------------------
# One run, and the grid
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One run: model × corpus × protocol × fold × transcript condition × seed (picklable, no live objects).

    `corpus`/`train_corpus` are adapter names (used to find the data); the `*_display` names are
    what results show. For cross-corpus runs `fold` is `train=<train display>` and the test set is
    all of `corpus` under `label_map`.
    """

    suite: str
    model: str
    model_target: str
    model_config: dict[str, Any]
    ablation: dict[str, Any] | None
    corpus: str
    corpus_display: str
    train_corpus: str
    train_display: str
    synthetic: bool
    protocol: str  # the test corpus's protocol, or "cross-corpus"
    train_protocol: str  # protocol whose first fold gives the training corpus's validation speakers
    label_map: str
    fold: str
    transcript: str
    transcript_independent: bool
    seed: int
    text_encoder: str | None
    speech_encoder: str | None
    text_features: bool
    speech_features: bool
    text_context: int

    @property
    def cross_corpus(self) -> bool:
        return self.protocol == "cross-corpus"

    def run_dict(self) -> dict[str, Any]:
        """The `run` block of result.json (leaderboard/schema.py RUN_KEYS, in that order)."""
        return {
            "suite": self.suite, "model": self.model, "model_config": dict(self.model_config),
            "ablation": dict(self.ablation) if self.ablation else None,
            "corpus": self.corpus_display, "train_corpus": self.train_display, "synthetic": self.synthetic,
            "protocol": self.protocol, "label_map": self.label_map, "fold": self.fold,
            "transcript": self.transcript, "transcript_independent": self.transcript_independent,
            "seed": self.seed, "text_encoder": self.text_encoder, "speech_encoder": self.speech_encoder,
        }

    @property
    def run_id(self) -> str:
        blob = json.dumps(self.run_dict(), sort_keys=True, default=str).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def relpath(self) -> Path:
        """<suite>/<corpus>/<protocol>/<label_map>/<transcript>/<model>/seed=<s>/<fold>, ':' written as '-'."""
        model = self.model
        if self.ablation:
            model += f"+{self.ablation['param']}={_value_str(self.ablation['value'])}"
        parts = [self.suite, self.corpus_display, self.protocol, self.label_map, self.transcript, model,
                 f"seed={self.seed}", self.fold]
        return Path(*(_path_part(p) for p in parts))


def _value_str(v: Any) -> str:
    return json.dumps(v) if not isinstance(v, str) else v


def _path_part(s: str) -> str:
    out = re.sub(r"[:/\\\s]+", "-", s)
    if out in ("", ".", ".."):
        raise ValueError(f"cannot use {s!r} as a path component")
    return out


FoldNames = Callable[[str, str, str], Sequence[str]]  # (corpus, label_map, protocol) -> fold names
Describe = Callable[[str, dict[str, Any]], ModelFacts]


def model_names(requested: Sequence[str]) -> list[str]:
    """Expand `*` to every registered model, keeping the suite's order."""
    out: list[str] = []
    for n in requested:
        for m in (MODELS.names() if n == ALL_MODELS else [n]):
            if m not in out:
                out.append(m)
    return out


def expand(
    suite: Suite,
    roots: Mapping[str, CorpusRoot],
    fold_names: FoldNames,
    encoder_names: tuple[str | None, str | None] | Callable[[], tuple[str | None, str | None]] = (None, None),
    describe_model: Describe = describe,
    only_models: Sequence[str] | None = None,
) -> list[RunSpec]:
    """Every run of the suite, in a stable order; models that read no text run once under `gold`.

    `only_models` restricts the grid (the CLI's --models); each must occur in the suite.
    `encoder_names` may be a callable: it is then asked only if some model consumes encoder features
    (so a grid of feature-free models never loads the feature store).
    """
    names: list[tuple[str | None, str | None]] = []

    def encoders() -> tuple[str | None, str | None]:
        if not names:
            names.append(encoder_names() if callable(encoder_names) else encoder_names)
        return names[0]
    runs: list[RunSpec] = []
    seen: set[Path] = set()

    def facts(model: str, extra: dict[str, Any] | None = None) -> ModelFacts:
        return describe_model(model, {**suite.model_config.get(model, {}), **(extra or {})})

    def add(f: ModelFacts, ablation: dict[str, Any] | None, corpus: str, train: str, protocol: str,
            train_protocol: str, label_map: str, fold: str, transcript: str, seed: int) -> None:
        if f.cue_spans and not (roots[corpus].synthetic and roots[train].synthetic):
            return  # an oracle reading cue ground truth: only generated corpora have it (`models = ["*"]` on real data)
        independent = not f.reads_text
        spec = RunSpec(
            suite=suite.name, model=f.name, model_target=f.target, model_config=dict(f.config), ablation=ablation,
            corpus=corpus, corpus_display=roots[corpus].display, train_corpus=train,
            train_display=roots[train].display, synthetic=roots[corpus].synthetic or roots[train].synthetic,
            protocol=protocol, train_protocol=train_protocol, label_map=label_map, fold=fold,
            transcript="gold" if independent else transcript, transcript_independent=independent, seed=seed,
            # decided by what this configuration consumes, not the class: speech-only LE-MER reads no text
            text_encoder=encoders()[0] if f.text_features else None,
            speech_encoder=encoders()[1] if f.speech_features else None,
            text_features=f.text_features, speech_features=f.speech_features, text_context=f.text_context,
        )
        path = spec.relpath()
        if path in seen:
            return  # a transcript-independent model already ran under another condition of this cell
        seen.add(path)
        runs.append(spec)

    def allowed(model: str, transcript: str) -> bool:
        only = suite.transcript_models.get(transcript)
        return only is None or model in model_names(only)

    def within(entry: CorpusEntry, model_facts: list[tuple[ModelFacts, dict[str, Any] | None]],
               transcripts: Sequence[str], seeds: Sequence[int]) -> None:
        folds = list(fold_names(entry.name, entry.label_map, entry.protocol))
        if entry.max_folds:
            folds = folds[: entry.max_folds]
        for transcript in transcripts:
            for f, abl in model_facts:
                if not allowed(f.name, transcript) and f.reads_text:
                    continue
                for seed in seeds:
                    for fold in folds:
                        add(f, abl, entry.name, entry.name, entry.protocol, entry.protocol, entry.label_map, fold, transcript, seed)

    def picked(requested: Sequence[str]) -> list[str]:
        return [m for m in model_names(requested) if only_models is None or m in only_models]

    for entry in suite.corpora:
        within(entry, [(facts(m), None) for m in picked(entry.models)], entry.transcripts, entry.seeds)
    for abl in suite.ablations:
        for entry in suite.corpora:
            if entry.name not in abl.corpora or not picked([abl.model]):
                continue
            mf = [(facts(abl.model, {abl.param: v}), {"param": abl.param, "value": v}) for v in abl.values]
            within(entry, mf, abl.transcripts or entry.transcripts, abl.seeds or entry.seeds)
    if suite.cross_corpus:
        x = suite.cross_corpus
        protocols = {c.name: c.protocol for c in suite.corpora}
        for train in x.corpora:
            for test in x.corpora:
                if train == test:
                    continue
                for transcript in x.transcripts:
                    for m in picked(x.models):
                        if not allowed(m, transcript) and facts(m).reads_text:
                            continue
                        for seed in x.seeds:
                            add(facts(m), None, test, train, "cross-corpus", protocols.get(train, corpus_info(train).default_protocol),
                                x.label_map, f"train={roots[train].display}", transcript, seed)
    if only_models is not None:
        present = {r.model for r in runs}
        absent = [m for m in only_models if m not in present]
        if absent:
            raise SuiteError(f"--models: {', '.join(absent)} not part of suite {suite.name!r} ({suite.path})")
    return runs
