"""The demo suite tests every utterance once on its main cells: every fold of each corpus on clean audio and the
categorical task with gold text, with the oracle and its twin; the noisy-text, babble and soft/dimensional entries run
their first 2 folds."""
from __future__ import annotations

from collections import defaultdict

from benchmarks.corpora import CorpusRoot
from benchmarks.run.grid import expand
from benchmarks.suite import load_suite
from lemer.core.spec import EncoderRef

ENCODERS = {"text": EncoderRef("text", "t"), "speech": EncoderRef("speech", "s")}

FOLDS = {"iemocap": [f"test=Session{k}" for k in range(1, 6)], "msp-podcast": ["test=Test1", "test=Test2"],
         "crema-d": [f"test=actors-{k}" for k in range(1, 6)]}


def test_demo_suite_expands_to_every_fold_of_every_corpus() -> None:
    suite = load_suite("demo")
    main = [c for c in suite.corpora if c.tasks == ("categorical",) and all(a.is_clean for a in c.audio)
            and all(t.is_gold for t in c.transcripts)]
    assert {c.name for c in main} == set(FOLDS) and all(c.max_folds == 0 for c in main)
    assert all(c.max_folds == 2 for c in suite.corpora if c not in main)
    roots = {n: CorpusRoot(n, f"/nonexistent/{n}", f"synthetic-{n}", True) for n in FOLDS}
    grid = expand(suite, roots, lambda corpus, label_map, protocol, task: FOLDS[corpus], encoders=ENCODERS)
    folds: dict[tuple[str, str, str, int], set[str]] = defaultdict(set)
    side: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for s in grid:
        if not s.cross_corpus and s.audio.is_clean and s.task == "categorical" and s.transcript.is_gold:
            folds[(s.adapter, s.model, s.transcript.key, s.seed)].add(s.fold)
        elif not s.cross_corpus:
            side[(s.model, s.audio.key, s.task, s.transcript.key)].add(s.fold)
    assert side and all(got == set(FOLDS["iemocap"][:2]) for got in side.values()), side
    assert {c for c, *_ in folds} == set(FOLDS)
    for (corpus, model, transcript, seed), got in folds.items():
        assert got == set(FOLDS[corpus]), (corpus, model, transcript, seed)
    # the validity panel's models run on gold on every corpus: the oracle, its twin, text-only, speech-only, a fusion
    for corpus in FOLDS:
        gold = {m for (c, m, t, _) in folds if c == corpus and t == "gold"}
        assert {"oracle-cue-pool", "speech-only-meanpool", "speech-only", "late-fusion"} <= gold, corpus


def test_the_oracle_is_skipped_on_real_corpora() -> None:
    suite = load_suite("demo")
    roots = {n: CorpusRoot(n, f"/nonexistent/{n}", n, False) for n in FOLDS}
    grid = expand(suite, roots, lambda corpus, label_map, protocol, task: FOLDS[corpus], encoders=ENCODERS)
    assert grid and not any(s.model == "oracle-cue-pool" for s in grid)
