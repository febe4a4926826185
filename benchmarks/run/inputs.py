"""Per-process access to everything runs read: corpora, folds, transcripts, cached features.

Each item is computed (or read from the on-disk caches) once per process and then served from
memory, so the per-run cost of the harness is a few dict lookups. The runner's parent process
calls `prepare` for the pending runs before any run starts; worker processes get the parent's
transcripts directly and read features from the shared cache, so they never recompute them.
"""
from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Mapping

import numpy as np

from benchmarks.audio.source import DegradedAudio, reader_for
from benchmarks.corpora import CorpusCache, CorpusRoot, LoadedCorpus
from benchmarks.features.store import FeatureStore
from benchmarks.run.cues import load_cues
from benchmarks.run.examples import context_texts
from benchmarks.transcripts import corpus_wer, source_for
from dataset_adapters.types import Utterance
from lemer.core.errors import InputError
from lemer.core.pretrained import cache_root
from lemer.core.spec import EncoderRef, RunSpec, TranscriptCondition

TranscriptKey = tuple[str, str, TranscriptCondition, str]  # (corpus, label_map, condition, task)


class PreparationError(RuntimeError):
    """Shared data a run needs could not be prepared; carries the original traceback text."""


class EncodersUnavailable(InputError):
    """Encoders the pending runs need cannot be reached; raised before any run starts."""


@dataclass(frozen=True)
class DataConfig:
    """Picklable recipe for a RunData, so worker processes can rebuild one."""

    roots: dict[str, CorpusRoot]
    cache_dir: str | None = None
    text_encoder: str | None = None  # None = the feature store's offline default
    speech_encoder: str | None = None
    verify_audio: bool = True
    progress: bool = True  # the feature store's own progress bars (off in workers)
    device: str = "cpu"  # encoders' and neural models' device: auto | cpu | cuda[:N] (lemer/core/devices.py)


@dataclass
class Split:
    train: list[Utterance]
    valid: list[Utterance]
    test: list[Utterance]
    manifest_hash: str


@dataclass
class RunInputs:
    """What one run's examples are built from: uid -> transcript and cached features, for every utterance of
    its corpora, with the degraded split's entries replaced under an audio condition."""

    transcripts: dict[str, str] | None
    text: dict[str, Any] | None
    speech: dict[str, np.ndarray] | None
    clip: dict[str, np.ndarray] | None


@dataclass
class RunData:
    config: DataConfig
    transcripts_cache: dict[TranscriptKey, dict[str, str]] = field(default_factory=dict)
    _corpora: CorpusCache = field(init=False)
    _text: dict[tuple[str, str, TranscriptCondition, int, str], dict[str, Any]] = field(default_factory=dict)
    _speech: dict[tuple[str, str, str], dict[str, np.ndarray]] = field(default_factory=dict)
    _clip: dict[tuple[str, str, str, str], dict[str, np.ndarray]] = field(default_factory=dict)
    failed: dict[tuple[Any, ...], str] = field(default_factory=dict)  # preparation errors, by item
    _cues: dict[str, Any] = field(default_factory=dict)  # corpus name -> uid -> CueTruth, or None (no sidecar)
    _store: FeatureStore | None = None
    _readers: dict[tuple[Any, ...], DegradedAudio] = field(default_factory=dict)
    transcripts_corrupt: int = 0  # ASR cache entries that failed their check and were recomputed, this process

    def __post_init__(self) -> None:
        self._corpora = CorpusCache(verify_audio=self.config.verify_audio)

    # ---------------------------------------------------------------- corpora and splits
    def loaded_corpora(self) -> list[LoadedCorpus]:
        """The corpus views this process has read (the plan logs what each says of its empty transcripts)."""
        return self._corpora.loaded()

    def corpus(self, name: str, label_map: str, task: str = "categorical") -> LoadedCorpus:
        """Corpus `name` under `label_map`, as task `task` reads it (`benchmarks.corpora.task_utterances`)."""
        return self._corpora.load(self.config.roots[name], label_map, task)

    def fold_names(self, name: str, label_map: str, protocol: str, task: str = "categorical") -> list[str]:
        return [f.name for f in self.corpus(name, label_map, task).folds(protocol)]

    def manifest_hash(self, spec: RunSpec) -> str:
        """What a run read, as the hash its result records: the corpus's manifest; cross-corpus, both corpora's.

        The runner compares it before skipping a run, because a run's id names the corpus, not its content:
        a regenerated or corrected corpus under the same root must redo every run, not only those whose
        encoders changed."""
        test = self.corpus(spec.adapter, spec.label_map, spec.task).manifest_hash
        if not spec.cross_corpus:
            return test
        train = self.corpus(spec.train_adapter, spec.label_map, spec.task).manifest_hash
        return hashlib.sha256(f"train={train};test={test}".encode()).hexdigest()

    def split(self, spec: RunSpec) -> Split:
        """Train/valid/test utterances of a run; cross-corpus: train on A minus A's first-fold validation speakers, test on all of B."""
        test_c = self.corpus(spec.adapter, spec.label_map, spec.task)
        if not spec.cross_corpus:
            fold = test_c.fold(spec.protocol, spec.fold)
            pick = test_c.by_uid
            return Split([pick[u] for u in fold.train], [pick[u] for u in fold.valid], [pick[u] for u in fold.test],
                         self.manifest_hash(spec))
        train_c = self.corpus(spec.train_adapter, spec.label_map, spec.task)
        valid_ids = set(train_c.folds(spec.protocol)[0].valid)
        train = [u for u in train_c.utterances if u.uid not in valid_ids]
        valid = [u for u in train_c.utterances if u.uid in valid_ids]
        return Split(train, valid, list(test_c.utterances), self.manifest_hash(spec))

    def cues(self, name: str) -> Any:
        """uid -> cue ground truth of corpus `name` (read once per process), None when it has none."""
        if name not in self._cues:
            self._cues[name] = load_cues(self.config.roots[name].root)
        return self._cues[name]

    # ---------------------------------------------------------------- transcripts
    def transcripts(self, name: str, label_map: str, condition: TranscriptCondition,
                    task: str = "categorical") -> dict[str, str]:
        key = (name, label_map, condition, task)
        self._raise_if_failed(("transcripts",) + key)
        if key not in self.transcripts_cache:
            utts = self.corpus(name, label_map, task).utterances
            source = source_for(condition, cache_dir=self.config.cache_dir, device=self.config.device)
            got = source.transcribe(utts, progress=self.config.progress)
            self._count_corrupt(source)
            missing = [u.uid for u in utts if u.uid not in got]
            if missing:
                raise KeyError(f"transcript source {condition.key!r} returned no text for {len(missing)} utterance(s) "
                               f"of {self.config.roots[name].display}, e.g. {missing[0]}")
            # Gold text missing (e.g. an MSP-Podcast release without Transcripts/): every text-reading
            # run fails here, before training, instead of fitting on None or "" (a constant "result").
            no_text = [u.uid for u in utts if got[u.uid] is None]
            if no_text:
                raise ValueError(
                    f"{self.config.roots[name].display} has no gold transcript for {len(no_text)} of {len(utts)} "
                    f"utterances ({', '.join(no_text[:5])}{', ...' if len(no_text) > 5 else ''}), so models that "
                    f"read text cannot use the {condition.key!r} condition on it; use an asr: transcript condition "
                    f"or a corpus release with transcripts (`data check` lists them)")
            self.transcripts_cache[key] = {u.uid: got[u.uid] for u in utts}
        return self.transcripts_cache[key]

    def wer(self, condition: TranscriptCondition, test: list[Utterance], transcripts: Mapping[str, str]) -> float | None:
        """corpus WER of `condition` on the test utterances; None for gold or when a gold text is missing."""
        if condition.is_gold:
            return None
        wer = corpus_wer(test, transcripts)
        return None if wer is None else float(wer)

    # ---------------------------------------------------------------- features
    @property
    def store(self) -> FeatureStore:
        if self._store is None:
            kwargs: dict[str, Any] = {"progress": self.config.progress, "device": self.config.device}
            if self.config.cache_dir is not None:
                kwargs["cache_dir"] = self.config.cache_dir
            if self.config.text_encoder is not None:
                kwargs["text_encoder"] = self.config.text_encoder
            if self.config.speech_encoder is not None:
                kwargs["speech_encoder"] = self.config.speech_encoder
            self._store = FeatureStore(**kwargs)
        return self._store

    def encoder_refs(self, roles: Collection[str]) -> dict[str, EncoderRef]:
        """The suite's encoders of `roles` as runs record them (canonical spec, weights hash); loads no model.

        A grid asks before any run starts, so unreachable encoders are one message up front (naming every
        missing folder), not the same failure in every run, and a changed checkpoint under the same name makes
        its runs new runs instead of being skipped as done."""
        problems = self.store.unreachable(text="text" in roles, speech="speech" in roles)
        if problems:
            raise EncodersUnavailable(
                f"{len(problems)} encoder(s) the suite's runs need cannot be reached (checked before any run):\n"
                + "".join(f"  {p}\n" for p in problems)
                + "Point at local copies (a folder with config.json and the weights, e.g. a downloaded "
                  "bert-base-uncased) with `run --text-encoder PATH` / `--speech-encoder PATH`, or set the "
                  "suite's [encoders] to them; set HF_HOME to a Hugging Face cache that holds them; or use "
                  "'default' for the offline encoders (all-MiniLM-L6-v2 text, Whisper tiny.en speech)")
        return {role: self.store.encoder_ref(role) for role in roles}

    def _count_corrupt(self, source: Any) -> None:
        stats = getattr(source, "stats", None)  # only cached (ASR) sources have one
        self.transcripts_corrupt += stats.corrupt if stats is not None else 0

    def corrupt_counts(self) -> tuple[int, int]:
        """(transcript, feature) cache entries found corrupt and recomputed by this process so far."""
        return self.transcripts_corrupt, 0 if self._store is None else int(self._store.corrupt)

    def counters(self) -> tuple[int, int]:
        """(features computed, features reused) by this process's store so far."""
        if self._store is None:
            return 0, 0
        return int(self._store.computed), int(self._store.reused)

    def text_features(self, name: str, label_map: str, condition: TranscriptCondition, window: int,
                      task: str = "categorical") -> dict[str, Any]:
        key = (name, label_map, condition, window, task)
        self._raise_if_failed(("text",) + key)
        if key not in self._text:
            trans = self.transcripts(name, label_map, condition, task)
            utts = self.corpus(name, label_map, task).utterances
            items = [(u.uid, trans[u.uid], list(context_texts(u, trans, window))) for u in utts]
            self._text[key] = dict(self.store.text(items, window))
        return self._text[key]

    def speech_features(self, name: str, label_map: str, task: str = "categorical") -> dict[str, np.ndarray]:
        key = (name, label_map, task)
        self._raise_if_failed(("speech",) + key)
        if key not in self._speech:
            self._speech[key] = dict(self.store.speech(self.corpus(name, label_map, task).utterances))
        return self._speech[key]

    def clip_features(self, name: str, label_map: str, spec: str, task: str = "categorical") -> dict[str, np.ndarray]:
        """uid -> clip vector of clip encoder `spec` (a canonical key from the run's encoders)."""
        key = (name, label_map, spec, task)
        self._raise_if_failed(("clip",) + key)
        if key not in self._clip:
            self._clip[key] = dict(self.store.clip(self.corpus(name, label_map, task).utterances, spec))
        return self._clip[key]

    def embed_words(self, words: Any) -> np.ndarray:
        return self.store.embed_words(words)

    # ---------------------------------------------------------------- one run's inputs
    def run_inputs(self, spec: RunSpec, split: Split) -> RunInputs:
        """Transcripts and features of a run (its training and test corpora), degraded splits included."""

        def both(get: Any) -> dict[str, Any]:
            out = dict(get(spec.train_adapter))
            if spec.cross_corpus:
                out.update(get(spec.adapter))
            return out

        lm, cond, task = spec.label_map, spec.transcript, spec.task
        transcripts = None if spec.transcript_independent else both(lambda n: self.transcripts(n, lm, cond, task))
        text = (both(lambda n: self.text_features(n, lm, cond, spec.text_context, task)) if spec.text_features
                else None)
        speech = both(lambda n: self.speech_features(n, lm, task)) if spec.speech_features else None
        clip_ref = spec.encoder("clip")
        clip = both(lambda n: self.clip_features(n, lm, clip_ref.spec, task)) if clip_ref is not None else None
        if spec.degrades:
            self._degraded_inputs(spec, split, RunInputs(transcripts, text, speech, clip))
        return RunInputs(transcripts, text, speech, clip)

    def _degraded_inputs(self, spec: RunSpec, split: Split, inputs: RunInputs) -> None:
        """Replace the degraded split's entries in `inputs` (in place): speech and clip features of the degraded
        audio, and under an ASR condition its transcripts, hence text features. Each part is computed once per
        (fold, condition) and kept: transcripts in `transcripts_cache` (so worker processes get them from the
        parent), features in the feature cache."""
        key = (spec.adapter, spec.train_adapter, spec.label_map, spec.fold, spec.audio.key, spec.audio_splits, spec.task)
        for failed in [k for k in self.failed if k[: len(key) + 1] == ("degraded", *key)]:
            self._raise_if_failed(failed)  # the parent could not degrade this fold: fail the run with its reason
        utts = [u for part in spec.degrades for u in getattr(split, part)]
        reader = self._reader(key, spec, split)
        if inputs.transcripts is not None and spec.transcript.kind == "asr":
            tkey = ("degraded", *key, spec.transcript)
            if tkey not in self.transcripts_cache:
                source = source_for(spec.transcript, cache_dir=self.config.cache_dir, device=self.config.device)
                self.transcripts_cache[tkey] = dict(source.transcribe(utts, progress=self.config.progress,
                                                                      reader=reader))
                self._count_corrupt(source)
            inputs.transcripts.update(self.transcripts_cache[tkey])
            if inputs.text is not None:
                items = [(u.uid, inputs.transcripts[u.uid], list(context_texts(u, inputs.transcripts,
                                                                               spec.text_context))) for u in utts]
                inputs.text.update(self.store.text(items, spec.text_context))
        if inputs.speech is not None:
            inputs.speech.update(self.store.speech(utts, reader))
        clip_ref = spec.encoder("clip")
        if inputs.clip is not None and clip_ref is not None:
            inputs.clip.update(self.store.clip(utts, clip_ref.spec, reader))

    def _reader(self, key: tuple[Any, ...], spec: RunSpec, split: Split) -> DegradedAudio:
        """The degraded split's clip reader of a fold: babble from the fold's training split, never a validation
        or test speaker."""
        if key not in self._readers:
            excluded = sorted({u.speaker or u.uid for u in split.valid + split.test})
            self._readers[key] = reader_for(spec.audio, cache_root(self.config.cache_dir), split.train, excluded)
        return self._readers[key]

    # ---------------------------------------------------------------- preparation (parent only)
    def prepare(self, specs: Iterable[RunSpec], log: Any = None) -> None:
        """Compute every shared item the pending runs need, once; a failure is kept and re-raised
        by each run that needs the item, so it fails that run, not the grid. (The ASR and encoder
        code parallelise themselves over the cores, so this runs one item at a time.)"""
        jobs = shared_items(specs)
        order = {"transcripts": 0, "speech": 1, "clip": 2, "text": 3, "degraded": 4}
        t0 = time.perf_counter()
        for i, key in enumerate(sorted(jobs, key=lambda k: (order[k[0]], [str(x) for x in k[1:]])), 1):
            if log:  # the stage line: which shared item, i of n, time so far (the grid bar starts after)
                log(f"preparing {i}/{len(jobs)} ({time.perf_counter() - t0:.0f} s so far): {key[0]} for "
                    f"{self.config.roots[key[1]].display} {_item_words(key)}")
            try:
                if key[0] == "degraded":
                    self._prepare_degraded(jobs[key][0])  # one run that reads these parts of this fold
                elif key[0] == "transcripts":
                    self.transcripts(*key[1:])
                elif key[0] == "text":
                    self.text_features(*key[1:])
                elif key[0] == "clip":
                    self.clip_features(*key[1:])
                else:
                    self.speech_features(*key[1:])
            except Exception:
                self.failed[key] = traceback.format_exc()

    def _prepare_degraded(self, spec: RunSpec) -> None:
        """Degrade, transcribe and encode a fold's degraded split for every run of the grid that needs it."""
        self.run_inputs(spec, self.split(spec))

    def _raise_if_failed(self, key: tuple[Any, ...]) -> None:
        if key in self.failed:
            tb = self.failed[key]
            cause = (tb.strip().splitlines() or ["?"])[-1]
            raise PreparationError(f"could not prepare {key[0]} for {' '.join(map(str, key[1:]))}: {cause}\n{tb}")


def _item_words(key: tuple[Any, ...]) -> str:
    """The rest of a shared item's log line in words (a degraded item's key is a long tuple of options)."""
    if key[0] != "degraded":
        return " ".join(str(x) for x in key[2:] if x != "categorical")
    _, _, _, label_map, fold, audio, splits, task, transcript, context, speech, clip = key
    parts = [p for p in (f"transcript {transcript}" if transcript else "",
                         f"text features (context {context})" if context is not None else "",
                         "speech features" if speech else "", f"{clip} clips" if clip else "") if p]
    where = "every split" if splits == "all" else "the test split"
    task_words = "" if task == "categorical" else f", {task} task"
    return f"{label_map} {fold}: {audio} on {where}{task_words} ({', '.join(parts) or 'audio only'})"


def shared_items(specs: Iterable[RunSpec]) -> dict[tuple[Any, ...], tuple[RunSpec, ...]]:
    """Every shared item the runs need, named as `RunData.prepare` computes them (kind first, task last but for
    `degraded`), each with the one run that stands for it where the item is per run (a degraded fold)."""
    jobs: dict[tuple[Any, ...], tuple[RunSpec, ...]] = {}
    for s in specs:
        for name in dict.fromkeys((s.train_adapter, s.adapter)):
            if not s.transcript_independent:
                jobs.setdefault(("transcripts", name, s.label_map, s.transcript, s.task), ())
            if s.text_features:
                jobs.setdefault(("text", name, s.label_map, s.transcript, s.text_context, s.task), ())
            if s.speech_features:
                jobs.setdefault(("speech", name, s.label_map, s.task), ())
            clip = s.encoder("clip")
            if clip is not None:
                jobs.setdefault(("clip", name, s.label_map, clip.spec, s.task), ())
        if s.degrades:  # per fold (the babble pool is the fold's training split) and per part a run reads
            clip = s.encoder("clip")
            jobs.setdefault(("degraded", s.adapter, s.train_adapter, s.label_map, s.fold, s.audio.key,
                             s.audio_splits, s.task, None if s.transcript_independent else s.transcript.key,
                             s.text_context if s.text_features else None, s.speech_features,
                             None if clip is None else clip.spec), (s,))
    return jobs
