"""Scores by annotator agreement, and the human ceiling: how well one annotator matches the others.

Both read the `votes` of the prediction rows (the annotators' class counts under the run's label map, plus
`oth` for a vote outside it; `dataset_adapters.types.Votes`), categorical task only.

Agreement level of a test utterance with consensus class g (our definitions; the corpora publish none):
- `unanimous`: every vote is for g;
- `majority`: more than half of the votes are for g (not unanimous);
- `plurality`: g has the most votes but at most half of them (IEMOCAP's consensus rule can give a class this).
An utterance without votes (a corpus or copy without annotator files) has no level and is left out, counted.

Human ceiling (leave one annotator out): each annotator's vote is scored against the plurality of the OTHER
annotators' votes of that utterance. Only counts are known, not which annotator said what, so every vote of
class c is one annotator (an IEMOCAP annotator who named k classes split one vote into k shares of 1/k, each
share then taken out alone: ours, an approximation for those lines). A vote scores 1 when c is the others'
plurality class, 1/k when c is one of k tied plurality classes, 0 otherwise; `oth` is a class like any other,
so an annotator who said Frustration under iemocap-4 scores 0 where the others said Angry. Per utterance the
score is the vote-weighted mean over its annotators; WA is the mean over utterances, UA the mean over
consensus classes of their utterances' mean (as the models' UA averages recall over gold classes). Utterances
with fewer than two annotators have no ceiling. The ceiling is against the others' plurality while the models
are scored against the consensus of all: close, not identical (said where it is shown).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

LEVELS: tuple[str, ...] = ("unanimous", "majority", "plurality")


def agreement_level(votes: Mapping[str, float] | None, gold: str | None) -> str | None:
    """The utterance's level (`LEVELS`), None without votes, a gold class, or a vote for it."""
    if not votes or gold is None:
        return None
    total = float(sum(votes.values()))
    mine = float(votes.get(gold, 0.0))
    if total <= 0 or mine <= 0:
        return None
    if np.isclose(mine, total):
        return "unanimous"
    return "majority" if mine > total / 2 + 1e-9 else "plurality"


@dataclass(frozen=True)
class LevelScore:
    """A model's WA and UA on the test utterances of one agreement level (pooled over the cell's folds)."""

    level: str
    n: int
    wa: float | None
    ua: float | None


def by_agreement(rows: Sequence[Mapping[str, Any]]) -> tuple[list[LevelScore], int]:
    """(WA/UA per level, utterances without a level) of rows with `gold`, `pred` and `votes`."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    unlevelled = 0
    for r in rows:
        level = agreement_level(r.get("votes"), r.get("gold"))
        if level is None:
            unlevelled += 1
        else:
            groups[level].append((r["gold"], r["pred"]))
    out = []
    for level in LEVELS:
        pairs = groups.get(level, [])
        out.append(LevelScore(level, len(pairs), *_wa_ua(pairs)))
    return out, unlevelled


def _wa_ua(pairs: Sequence[tuple[str, float | str]]) -> tuple[float | None, float | None]:
    """WA and UA of (gold, pred) pairs, or of (gold, score in [0, 1]) pairs (the ceiling's credit)."""
    if not pairs:
        return None, None
    credit = [float(p == g) if isinstance(p, str) else float(p) for g, p in pairs]
    per_class: dict[str, list[float]] = defaultdict(list)
    for (g, _), c in zip(pairs, credit):
        per_class[g].append(c)
    return float(np.mean(credit)), float(np.mean([np.mean(v) for v in per_class.values()]))


def leave_one_out_score(votes: Mapping[str, float]) -> float | None:
    """The vote-weighted mean credit of an utterance's annotators against the others' plurality (None when fewer
    than two annotators voted)."""
    counts = {c: float(v) for c, v in votes.items() if v > 0}
    total = sum(counts.values())
    if total < 2 - 1e-9:
        return None
    earned = 0.0
    for c, n in counts.items():
        share = min(1.0, n)  # one annotator's vote (or one share of a split vote)
        others = dict(counts)
        others[c] -= share
        top = max(others.values())
        if top <= 0:
            continue
        tied = [k for k, v in others.items() if np.isclose(v, top)]
        credit = 1.0 / len(tied) if c in tied else 0.0
        earned += n * credit  # every vote of class c is in the same position
    return earned / total


@dataclass(frozen=True)
class HumanCeiling:
    """Annotators scored against the others' plurality: overall and per agreement level."""

    n: int  # utterances with at least two annotators
    wa: float | None
    ua: float | None
    levels: tuple[LevelScore, ...]


def human_ceiling(rows: Sequence[Mapping[str, Any]]) -> HumanCeiling | None:
    """The ceiling on a cell's test utterances (one seed's rows, every fold); None when no row has two votes."""
    scored: list[tuple[str, float]] = []
    by_level: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for r in rows:
        votes, gold = r.get("votes"), r.get("gold")
        if not votes or gold is None:
            continue
        s = leave_one_out_score(votes)
        if s is None:
            continue
        scored.append((gold, s))
        level = agreement_level(votes, gold)
        if level is not None:
            by_level[level].append((gold, s))
    if not scored:
        return None
    levels = tuple(LevelScore(lv, len(by_level.get(lv, [])), *_wa_ua(by_level.get(lv, []))) for lv in LEVELS)
    return HumanCeiling(len(scored), *_wa_ua(scored), levels)


@dataclass(frozen=True)
class AgreementTable:
    """A cell's models scored per agreement level (mean over seeds), with the human ceiling beside them."""

    counts: tuple[int, ...]  # utterances per level (LEVELS order)
    unlevelled: int  # utterances without votes (or without a vote for their consensus class)
    models: tuple[tuple[str, tuple[LevelScore, ...]], ...]
    ceiling: HumanCeiling | None


def agreement_table(names: Sequence[str], preds: Sequence[np.ndarray], gold: np.ndarray, labels: Sequence[str],
                    votes: Sequence[Mapping[str, float] | None]) -> AgreementTable | None:
    """`preds[m]`: (seeds, n) codes on the cell's utterances; None when no utterance has votes."""
    if not any(votes):
        return None
    gold_names = [labels[g] for g in gold]
    models = []
    counts: tuple[int, ...] = ()
    unlevelled = 0
    for name, p in zip(names, preds):
        per_seed = []
        for seed_pred in np.atleast_2d(p):
            rows = [{"gold": g, "pred": labels[q], "votes": v} for g, q, v in zip(gold_names, seed_pred, votes)]
            scores, unlevelled = by_agreement(rows)
            per_seed.append(scores)
        counts = tuple(s.n for s in per_seed[0])
        models.append((name, tuple(LevelScore(lv, per_seed[0][i].n, _mean([s[i].wa for s in per_seed]),
                                              _mean([s[i].ua for s in per_seed])) for i, lv in enumerate(LEVELS))))
    ceiling = human_ceiling([{"gold": g, "votes": v} for g, v in zip(gold_names, votes)])
    return AgreementTable(counts=counts, unlevelled=unlevelled, models=tuple(models), ceiling=ceiling)


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None
