"""A suite's grid: every run it names, as typed `RunSpec`s in a stable order.

Rules: models that read no text run once per cell, under `gold` (their result holds under every transcript
condition); an oracle that reads cue ground truth runs only on generated corpora; `[transcript_models]`
limits which text-reading models run under a condition; ablation sweeps add one run per value; the
cross-corpus block trains on each listed corpus and tests on every other one. Audio conditions multiply the
within-corpus grid for the models that hear them (a model that reads neither the speech nor ASR text runs once,
on clean audio); `[audio_models]` limits which models run under a condition, `[audio_transcripts]` which
transcript conditions (degraded audio heard through ASR only, say). Each corpus entry's tasks multiply
its grid too, each task on its own utterances and folds (`benchmarks.corpora.task_utterances`); a model that cannot
learn a task (`Model.tasks`) is left out of it when `"*"` picked it (an explicitly named one is refused when the
suite is parsed).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks.corpora import CorpusRoot
from benchmarks.features.spec import EncoderSpec
from benchmarks.models import ModelFacts, describe, model_names
from benchmarks.suite.schema import CorpusEntry, Suite, SuiteError
from dataset_adapters.base import corpus_info
from lemer.core.audio_condition import CLEAN, AudioCondition
from lemer.core.spec import GOLD, Ablation, EncoderRef, RunSpec, TranscriptCondition

FoldNames = Callable[[str, str, str, str], Sequence[str]]  # (corpus, label_map, protocol, task) -> fold names
Describe = Callable[[str, dict[str, Any]], ModelFacts]
# role -> the suite's encoder of that role; or a callable given the roles the grid needs (so all are checked at once)
EncoderRefs = Mapping[str, EncoderRef] | Callable[[Collection[str]], Mapping[str, EncoderRef]]


def expand(suite: Suite, roots: Mapping[str, CorpusRoot], fold_names: FoldNames, encoders: EncoderRefs | None = None,
           describe_model: Describe = describe, only_models: Sequence[str] | None = None) -> list[RunSpec]:
    """Every run of the suite, in a stable order.

    `encoders` (role -> EncoderRef of the suite's text / speech encoder) may be a callable: it is then asked once,
    for the roles some model of the grid reads (a grid of feature-free models never loads the feature store, a
    speech-only grid never resolves the text encoder), so every unreachable encoder is named in one error.
    `only_models` restricts the grid (the CLI's --models); each must occur in the suite.
    """
    def facts(model: str, extra: dict[str, Any] | None = None) -> ModelFacts:
        return describe_model(model, {**suite.model_config.get(model, {}), **(extra or {})})

    def picked(requested: Sequence[str]) -> list[str]:
        return [m for m in model_names(requested) if only_models is None or m in only_models]

    everyone = [facts(m) for m in picked([*(m for c in suite.corpora for m in c.models),
                                          *(suite.cross_corpus.models if suite.cross_corpus else ())])]
    everyone += [facts(s.model, {s.param: v}) for s in suite.ablations if picked([s.model]) for v in s.values]
    roles = sorted({r for f in everyone for r, used in (("text", f.text_features), ("speech", f.speech_features))
                    if used})
    refs: Mapping[str, EncoderRef] = {}
    if roles:
        if encoders is None:
            raise ValueError(f"expand: models read {' and '.join(roles)} features but no encoders were given")
        refs = encoders(roles) if callable(encoders) else encoders

    runs: list[RunSpec] = []
    seen: set[Path] = set()

    def add(f: ModelFacts, ablation: Ablation | None, corpus: str, train: str, kind: str, protocol: str,
            label_map: str, fold: str, transcript: TranscriptCondition, seed: int,
            audio: AudioCondition = CLEAN, task: str = "categorical", refit: bool = False) -> None:
        if f.cue_spans and not (roots[corpus].synthetic and roots[train].synthetic):
            return  # an oracle reading cue ground truth: only generated corpora have it (`models = ["*"]` on real data)
        independent = not f.reads_text
        if not f.reads_speech and (independent or transcript.kind != "asr"):
            audio = CLEAN  # the model hears nothing of the audio: its clean run holds under every audio condition
        roles = [r for r, used in (("text", f.text_features), ("speech", f.speech_features)) if used]
        clip = [EncoderRef("clip", EncoderSpec.parse(f.clip_features, "clip").key)] if f.clip_features else []
        spec = RunSpec(
            suite=suite.name, model=f.name, model_config=dict(f.config), ablation=ablation,
            adapter=corpus, corpus=roots[corpus].display, train_adapter=train,
            train_corpus=roots[train].display, synthetic=roots[corpus].synthetic or roots[train].synthetic,
            kind=kind, protocol=protocol, label_map=label_map, fold=fold,  # type: ignore[arg-type]
            transcript=GOLD if independent else transcript, transcript_independent=independent, seed=seed,
            # decided by what this configuration consumes, not the class: speech-only LE-MER reads no text
            encoders=tuple(sorted([*(refs[r] for r in roles), *clip])), text_context=f.text_context,
            audio=audio, audio_splits=suite.audio_splits, task=task, refit=refit, main_score=suite.main_score(task),
            model_target=f.target,
        )
        path = spec.relpath()
        if path in seen:
            return  # a model that does not read what a condition changes already ran under another one
        seen.add(path)
        runs.append(spec)

    def allowed(model: str, transcript: TranscriptCondition) -> bool:
        only = suite.transcript_models.get(transcript)
        return only is None or model in model_names(only)

    def allowed_audio(f: ModelFacts, audio: AudioCondition) -> bool:
        only = suite.audio_models.get(audio)
        return only is None or f.name in model_names(only)

    def within(entry: CorpusEntry, model_facts: list[tuple[ModelFacts, Ablation | None]],
               transcripts: Sequence[TranscriptCondition], seeds: Sequence[int]) -> None:
        for task in entry.tasks:
            folds = list(fold_names(entry.name, entry.label_map, entry.protocol, task))
            if entry.max_folds:
                folds = folds[: entry.max_folds]
            for audio in entry.audio:
                heard = suite.audio_transcripts.get(audio)
                for transcript in transcripts:
                    if heard is not None and transcript not in heard:
                        continue
                    for f, abl in model_facts:
                        if task not in f.tasks:
                            continue
                        if (not allowed(f.name, transcript) and f.reads_text) or not allowed_audio(f, audio):
                            continue
                        for seed in seeds:
                            for fold in folds:
                                add(f, abl, entry.name, entry.name, "within", entry.protocol, entry.label_map, fold,
                                    transcript, seed, audio, task, entry.refit)

    for entry in suite.corpora:
        within(entry, [(facts(m), None) for m in picked(entry.models)], entry.transcripts, entry.seeds)
    for sweep in suite.ablations:
        for entry in suite.corpora:
            if entry.name not in sweep.corpora or not picked([sweep.model]):
                continue
            mf = [(facts(sweep.model, {sweep.param: v}), Ablation(sweep.param, v)) for v in sweep.values]
            within(entry, mf, sweep.transcripts or entry.transcripts, sweep.seeds or entry.seeds)
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
                            add(facts(m), None, test, train, "cross",
                                protocols.get(train, corpus_info(train).default_protocol), x.label_map,
                                f"train={roots[train].display}", transcript, seed)
    if only_models is not None:
        present = {r.model for r in runs}
        absent = [m for m in only_models if m not in present]
        if absent:
            raise SuiteError(f"--models: {', '.join(absent)} not part of suite {suite.name!r} ({suite.path})")
    return runs
