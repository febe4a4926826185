"""Where each corpus lives, what it is called in results, and a once-per-process manifest cache.

A corpus root comes from `--corpus NAME=ROOT`, else from `LEMER_DATA_<NAME>` (real corpora), else,
for corpora a suite marks `synthetic`, from `$LEMER_DATA/synthetic/<name>` (default
`./data/synthetic/<name>`), generated on first use. A root holding the synthetic generator's
marker is displayed as `synthetic-<layout>` everywhere, so a synthetic tree can never be
reported as the real corpus. A suite that needs a real corpus nobody pointed at fails up front,
naming every missing corpus and how to point at it.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from dataset_adapters.base import CORPORA, corpus_info, get_adapter
from dataset_adapters.hf_dataset import format_hf_root, is_hf_root, parse_hf_root, read_provenance
from dataset_adapters.load import load_report
from dataset_adapters.synth import GENERATOR_VERSION, generate, read_marker
from dataset_adapters.types import EMPTY_TEXT_POLICY, SOFT_MIN_IN_MAP, Fold, LoadReport, Utterance
from lemer.core.errors import LemerError


class MissingCorpus(LemerError, RuntimeError):
    """A suite needs a corpus whose root was not given or does not exist."""


@dataclass(frozen=True)
class CorpusRoot:
    """A resolved corpus: adapter name, absolute root, display name used in every result."""

    name: str
    root: str
    display: str
    synthetic: bool


def synthetic_root(name: str) -> Path:
    """Default home of the generated stand-in for `name`: `$LEMER_DATA/synthetic/<name>` or `./data/...`."""
    return Path(os.environ.get("LEMER_DATA", "data")) / "synthetic" / name


def parse_corpus_args(items: Iterable[str]) -> dict[str, str]:
    """Parse `--corpus NAME=ROOT` values, refusing unknown names and malformed items."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, root = item.partition("=")
        name = name.strip().lower()
        if not sep or not name or not root:
            raise ValueError(f"--corpus expects NAME=ROOT (e.g. iemocap=/data/IEMOCAP_full_release), got {item!r}")
        out[CORPORA.check(name)] = root
    return out


def _marker(root: Path) -> dict[str, Any] | None:
    return read_marker(str(root))


def describe_root(name: str, root: str | os.PathLike[str]) -> CorpusRoot:
    """Name a root honestly: `synthetic-<layout>` when the generator's marker is there, else the corpus name."""
    path = Path(root).resolve()
    marker = _marker(path)
    if marker is not None:
        layout = str(marker.get("layout") or name)
        return CorpusRoot(name=name, root=str(path), display=f"synthetic-{layout}", synthetic=True)
    return CorpusRoot(name=name, root=str(path), display=name, synthetic=False)


def describe_hf_root(name: str, given: str) -> CorpusRoot:
    """CorpusRoot for `hf:DIR?...` (canonical absolute root string); ValueError when DIR is not a folder."""
    path, mapping = parse_hf_root(given)
    path = path.resolve()
    if not path.is_dir():
        raise ValueError(f"{given!r}: {path} is not a folder (expected one written by Dataset.save_to_disk)")
    prov = read_provenance(path) or {}
    synthetic = bool(prov.get("synthetic"))
    display = str(prov.get("display") or name) if synthetic else name
    if synthetic and not display.startswith("synthetic-"):
        display = f"synthetic-{prov.get('synthetic_layout') or name}"
    return CorpusRoot(name=name, root=format_hf_root(path, mapping), display=display, synthetic=synthetic)


def describe_any_root(name: str, root: str | os.PathLike[str]) -> CorpusRoot:
    """Name a root honestly whichever form it takes (corpus tree or saved dataset)."""
    if is_hf_root(root):
        return describe_hf_root(name, str(root))
    return describe_root(name, root)


def _how_to_point(name: str) -> str:
    info = corpus_info(name)
    return (f"  {name}: pass --corpus {name}=/path/to/{name} or set {info.env_var}=/path/to/{name} "
            f"({info.expected_root}; or hf:DIR for a saved Hugging Face dataset)")


def generate_synthetic(name: str, root: Path, scale: str = "small", seed: int = 0) -> None:
    """Generate the synthetic stand-in for `name` at `root` (the generator builds it aside and moves it in)."""
    generate(name, root, scale=scale, seed=seed)


def resolve_roots(
    needed: dict[str, bool],
    overrides: dict[str, str] | None = None,
    generate: bool = True,
    log: Any = None,
    scale: str = "small",
) -> dict[str, CorpusRoot]:
    """Resolve every corpus a suite needs (`{name: may_be_synthetic}`); raise one MissingCorpus for all gaps.

    For corpora marked synthetic only `--corpus` overrides the generated stand-in (the
    `LEMER_DATA_<NAME>` variables point at real corpora and must not turn a demo into a
    multi-hour real run).
    """
    overrides = dict(overrides or {})
    for name in overrides:
        if name not in needed:
            raise ValueError(f"--corpus {name}=...: this suite does not use {name!r} (it uses {', '.join(needed)})")
    resolved: dict[str, CorpusRoot] = {}
    missing: list[str] = []
    for name, synthetic in needed.items():
        env_var = corpus_info(CORPORA.check(name)).env_var
        given = overrides.get(name) or (None if synthetic else os.environ.get(env_var))
        if given and given.startswith("hf:"):  # a saved Hugging Face dataset
            try:
                resolved[name] = describe_hf_root(name, given)
            except ValueError as e:
                missing.append(f"{_how_to_point(name)}\n    ({e})")
            continue
        if given:
            path = Path(given).expanduser()
            if not path.is_dir():
                origin = "--corpus" if name in overrides else env_var
                missing.append(f"{_how_to_point(name)}\n    ({origin} points at {str(path)!r}, which is not a directory)")
                continue
            resolved[name] = describe_root(name, path)
        elif synthetic:
            path = synthetic_root(name)
            marker = _marker(path.resolve()) if path.is_dir() else None
            found = str(marker.get("generator_version")) if marker is not None else None
            stale = found is not None and found != GENERATOR_VERSION
            if marker is None or marker.get("scale") != scale or stale:
                if not generate:
                    missing.append(f"  {name}: no synthetic corpus at scale {scale!r} from generator "
                                   f"v{GENERATOR_VERSION} in {path}")
                    continue
                if log:  # a stale tree is the generator's own (its marker says so): replaced, never edited
                    why = f" (replacing generator v{found}'s)" if stale else ""
                    log(f"generating synthetic {name} corpus (scale {scale}) at {path}{why} ...")
                generate_synthetic(name, path, scale=scale)
            resolved[name] = describe_root(name, path)
        else:
            missing.append(_how_to_point(name))
    if missing:
        raise MissingCorpus("this suite needs corpora that were not found:\n" + "\n".join(missing))
    return resolved


def manifest_hash(utterances: Iterable[Utterance]) -> str:
    """sha256 of the canonical JSON manifest (sorted by uid): identifies exactly what was read."""
    h = hashlib.sha256()
    for u in sorted(utterances, key=lambda u: u.uid):
        h.update(json.dumps(u.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@dataclass
class LoadedCorpus:
    """One corpus read under one label map for one task: utterances, uid index, manifest hash, folds per protocol.

    The categorical task reads the utterances with a consensus class inside the map; the soft and dimensional
    tasks (`task_utterances`) also keep those without one, and `notes` says how many were kept and skipped."""

    root: CorpusRoot
    label_map: str
    utterances: list[Utterance]
    by_uid: dict[str, Utterance]
    manifest_hash: str
    task: str = "categorical"
    notes: tuple[str, ...] = ()
    empty_text: int = 0  # utterances whose gold transcript is empty or whitespace-only (EMPTY_TEXT_POLICY)
    _folds: dict[str, list[Fold]] = field(default_factory=dict)

    def folds(self, protocol: str) -> list[Fold]:
        if protocol not in self._folds:
            self._folds[protocol] = list(get_adapter(self.root.name).folds(self.utterances, protocol))
        return self._folds[protocol]

    def fold(self, protocol: str, name: str) -> Fold:
        for f in self.folds(protocol):
            if f.name == name:
                return f
        raise KeyError(f"{self.root.display}: protocol {protocol!r} has no fold {name!r}")


def task_utterances(report: LoadReport, task: str) -> tuple[list[Utterance], tuple[str, ...]]:
    """The utterances a task learns from and is scored on, and what it kept and skipped (said, not silent):
    - categorical: those with a consensus class inside the label map (today's set);
    - dimensional: every read utterance with arousal/valence/dominance, consensus class or not;
    - soft: every read utterance whose votes give a soft target (`Votes.soft_target`), consensus class or not."""
    if task == "categorical":
        return list(report.utterances), ()
    if task == "dimensional":
        def has(u: Utterance) -> bool:
            return u.dims is not None
        without = "no arousal/valence/dominance"
    else:
        def has(u: Utterance) -> bool:
            return u.votes is not None and u.votes.soft_target() is not None
        without = f"no annotator votes, or under {SOFT_MIN_IN_MAP:.0%} of them inside the label map"
    every = report.all_utterances()
    kept = [u for u in every if has(u)]
    no_class = sum(1 for u in kept if u.label is None)
    notes = (f"task {task}: {len(kept)} of {len(every)} utterances, {no_class} of them without a consensus class "
             f"inside the label map (kept); {len(every) - len(kept)} skipped ({without})",)
    return kept, notes


class CorpusCache:
    """Reads each (corpus root, label map) once per process and serves each task's view of it; every run after
    that is a dict lookup."""

    def __init__(self, verify_audio: bool = True) -> None:
        self.verify_audio = verify_audio  # workers skip re-opening every clip the parent already checked
        self._reports: dict[tuple[str, str], LoadReport] = {}
        self._loaded: dict[tuple[str, str, str], LoadedCorpus] = {}

    def load(self, root: CorpusRoot, label_map: str, task: str = "categorical") -> LoadedCorpus:
        key = (root.root, label_map, task)
        if key not in self._loaded:
            if key[:2] not in self._reports:
                self._reports[key[:2]] = load_report(root.name, root.root, label_map=label_map,
                                                     verify_audio=self.verify_audio)
            utts, notes = task_utterances(self._reports[key[:2]], task)
            if not utts:
                raise ValueError(f"{root.display} at {root.root}: no utterances under label map {label_map!r} "
                                 f"for the {task} task" + (f" ({notes[0]})" if notes else ""))
            by_uid = {u.uid: u for u in utts}
            if len(by_uid) != len(utts):
                raise ValueError(f"{root.display} at {root.root}: duplicate utterance ids in the manifest")
            empty = empty_text_note(root, utts)
            self._loaded[key] = LoadedCorpus(root, label_map, utts, by_uid, manifest_hash(utts), task,
                                             notes + ((empty[1],) if empty[0] else ()), empty[0])
        return self._loaded[key]

    def loaded(self) -> list[LoadedCorpus]:
        """Every corpus view read so far, in the order it was first read."""
        return list(self._loaded.values())


def empty_text_note(root: CorpusRoot, utts: list[Utterance]) -> tuple[int, str]:
    """(how many of `utts` have an empty or whitespace-only gold transcript, the line that says so and the policy)."""
    empty = [u.uid for u in utts if u.transcript is not None and not u.transcript.strip()]
    return len(empty), (f"{root.display}: {len(empty)} of {len(utts)} utterances have an empty or whitespace-only "
                        f"gold transcript (e.g. {', '.join(empty[:3])}), {EMPTY_TEXT_POLICY}")
