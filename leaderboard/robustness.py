"""Degraded audio against clean audio, per model: the drop in UA with a paired test in both readings.

A degraded cell (categorical, audio condition not clean) is compared with its clean twin: the cell that differs only
in the audio (`CellKey.clean_twin`: same corpus, protocol, label map, transcript condition, refit). Both cells test
the same utterances (or, where the degraded condition ran on fewer folds, the clean cell's utterances of those folds),
so every model run in both is compared paired, utterance by utterance: diff = UA(degraded) -
UA(clean), its 95% CI and p in the two readings of `clusters.compare_readings` (this test set: utterances resampled
within folds, sign flip over utterances; new speakers: speakers resampled, sign flip over speakers), Holm over the
models of one degraded cell, per reading. The WER of both cells' transcripts is shown beside it: under an audio
condition heard through ASR the transcript degrades with the audio. A degraded cell heard through ASR whose ASR was
not run on clean audio is compared with the clean GOLD-text cell instead, and the table says so (for text-reading
models the difference is then the audio and the ASR together).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np

from leaderboard.cells import Cell
from leaderboard.clusters import ALPHA, PairedInference, compare_readings
from leaderboard.significance import DEFAULT_RESAMPLES, holm, seed_mean_correct
from lemer.core.spec import GOLD


@dataclass(frozen=True)
class RobustnessRow:
    model: str
    transcript_independent: bool
    ua_clean: float
    ua_degraded: float
    test: PairedInference  # degraded - clean
    p_holm: float
    p_holm_speaker: float | None

    @property
    def significant(self) -> bool:
        return self.p_holm < ALPHA

    @property
    def significant_speaker(self) -> bool | None:
        return None if self.p_holm_speaker is None else self.p_holm_speaker < ALPHA


@dataclass(frozen=True)
class RobustnessTable:
    degraded: Cell
    clean: Cell | None
    rows: tuple[RobustnessRow, ...]
    note: str | None  # why there is no comparison, or no speaker reading

    @property
    def title(self) -> str:
        return self.degraded.key.title


def robustness_tables(cells: list[Cell], *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> list[RobustnessTable]:
    """One table per degraded-audio cell, in the cells' order."""
    by_key = {c.key: c for c in cells}
    out = []
    for c in cells:
        if c.key.audio.is_clean:
            continue
        clean = by_key.get(c.key.clean_twin)
        if clean is not None or c.key.transcript.is_gold:
            out.append(_table(c, clean, n_resamples=n_resamples, seed=seed))
            continue
        # heard through ASR, with no clean-audio cell of that ASR: against clean audio with gold text, said so
        gold = by_key.get(replace(c.key.clean_twin, transcript=GOLD))
        t = _table(c, gold, n_resamples=n_resamples, seed=seed)
        if gold is not None:
            t = replace(t, note="; ".join(x for x in (
                f"no clean-audio cell under {c.key.transcript} was run, so this compares with clean audio and GOLD "
                f"text: for models that read text the difference is the audio and the ASR together; for "
                f"transcript-independent ones (◇) it is the audio alone", t.note) if x))
        out.append(t)
    return out


def _table(degraded: Cell, clean: Cell | None, *, n_resamples: int, seed: int) -> RobustnessTable:
    if clean is None:
        return RobustnessTable(degraded, None, (), "no clean-audio cell with the same corpus, protocol, labels and "
                                                    "transcript condition was run")
    where = {u: i for i, u in enumerate(clean.uids)}
    if any(u not in where for u in degraded.uids):
        return RobustnessTable(degraded, clean, (), "the degraded cell tests utterances the clean cell does not")
    pos = np.array([where[u] for u in degraded.uids], dtype=np.int64)  # the clean cell's utterances, degraded order
    if not np.array_equal(degraded.gold, clean.gold[pos]):
        return RobustnessTable(degraded, clean, (), "the clean and degraded cells disagree on gold labels")
    speakers = degraded.speakers or ([clean.speakers[i] for i in pos] if clean.speakers else [])
    note = None if speakers else (degraded.why_no_inference or "no speaker known for the cell's utterances")
    if len(pos) < len(clean.uids):
        note = "; ".join(x for x in (note, f"compared on the {len(degraded.folds)} fold(s) the degraded condition "
                                           f"was run on ({len(pos)} of the clean cell's {len(clean.uids)} utterances)")
                         if x)
    clusters = np.asarray(speakers) if speakers else np.arange(len(degraded.uids)).astype(str)
    base = {m.model: m for m in clean.ranked}
    tests: list[tuple[str, bool, float, float, PairedInference]] = []
    for m in degraded.ranked:
        c = base.get(m.model)
        if c is None or c.pred is None:
            continue
        rng_seed = (seed << 32) | zlib.crc32(f"{degraded.key.title}|{m.model}".encode("utf-8"))
        test = compare_readings(seed_mean_correct(m.pred, degraded.gold), seed_mean_correct(c.pred[:, pos], degraded.gold),
                                degraded.gold, len(degraded.labels), degraded.strata, clusters,
                                n_resamples=n_resamples, seed=rng_seed, names=(m.model, m.model))
        if not speakers:  # utterances as their own clusters are no speaker reading: drop it
            test = replace(test, ci_speaker=None, se_speaker=None, mdd_speaker=None, p_speaker=None,
                           p_speaker_method=None, why_no_ci_speaker=note, why_no_p_speaker=note)
        tests.append((m.model, m.transcript_independent, test.b, test.a, test))  # UA clean, degraded on these
    if not tests:
        return RobustnessTable(degraded, clean, (), "no model was run on both clean and degraded audio")
    p_u = holm([t[4].p_utterance for t in tests])
    raw_s = [t[4].p_speaker for t in tests]
    p_s = holm(raw_s) if all(p is not None for p in raw_s) else [None] * len(tests)  # type: ignore[arg-type]
    if note is None and p_s[0] is None:
        note = tests[0][4].why_no_p_speaker
    rows = tuple(RobustnessRow(model, ti, ua_c, ua_d, test, float(pu), None if ps is None else float(ps))
                 for (model, ti, ua_c, ua_d, test), pu, ps in zip(tests, p_u, p_s))
    return RobustnessTable(degraded, clean, rows, note)
