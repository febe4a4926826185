"""Groups of models the data cannot separate: all-pairs paired tests, Holm per reading, compact letter display.

- `pairwise_tests` runs every pair of a cell's models in both readings (clusters.paired_inference) and applies
  Holm-Bonferroni over all pairs, ONE family per reading ("this test set" and "new speakers"). It notes when a
  family cannot reject anything whatever the data: Holm's first step tests at alpha / m, and a Monte Carlo
  p-value cannot go below 1 / (R + 1), an exact speaker sign-flip p below 2 / 2^K (20 models = 190 pairs need
  p <= 0.00026; 10 speakers give at best 0.00195, 1000 resamples 0.001).
- `compact_letters`: Piepho's (2004) insert-absorb algorithm, then his sweep that drops redundant letters.
  Models sharing a letter are not significantly different (Holm-adjusted p >= alpha); two models without a
  common letter are. Letters are handed out in the order of the models' UA, so the best model's groups come
  first ("a"). A pair with no p-value (NaN) counts as not separated.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Sequence

import numpy as np

from leaderboard.clusters import ALPHA, EXACT_LIMIT, PairedInference, paired_inference
from leaderboard.significance import holm, metric_value

_LETTERS = string.ascii_lowercase + string.ascii_uppercase


def _absorb(cols: list[frozenset[int]]) -> list[frozenset[int]]:
    """Drop columns contained in another one, and repeated columns (first occurrence kept)."""
    return [c for i, c in enumerate(cols) if not any(c < d for d in cols) and c not in cols[:i]]


def _sweep(cols: list[set[int]]) -> list[set[int]]:
    """Piepho's sweep: remove a model from a letter when every pair the letter gives it is given by another letter."""
    for c in cols:
        for j in sorted(c):
            others = c - {j}
            elsewhere = [d for d in cols if d is not c and j in d]
            if elsewhere and all(any(o in d for d in elsewhere) for o in others):
                c.discard(j)
    return [c for c in cols if c]


def letter_name(i: int) -> str:
    """a..z, A..Z, then a2, b2, ... (a model's letters stay separable when joined)."""
    base = _LETTERS[i % len(_LETTERS)]
    return base if i < len(_LETTERS) else f"{base}{i // len(_LETTERS) + 1}"


def letter_groups(p_adjusted: np.ndarray, ua: Sequence[float], alpha: float = ALPHA) -> list[tuple[str, ...]]:
    """Each model's letters (input order) from a symmetric (M, M) matrix of adjusted p-values."""
    p = np.asarray(p_adjusted, dtype=float)
    m = p.shape[0]
    if p.shape != (m, m) or len(ua) != m:
        raise ValueError(f"p-value matrix {p.shape} and {len(ua)} UA values do not describe the same models")
    if not np.allclose(np.nan_to_num(p, nan=-1.0), np.nan_to_num(p.T, nan=-1.0)):
        raise ValueError("the p-value matrix is not symmetric")
    order = sorted(range(m), key=lambda i: (-ua[i], i))
    rank = {model: r for r, model in enumerate(order)}
    significant = (p < alpha) & ~np.isnan(p)
    cols: list[frozenset[int]] = [frozenset(range(m))]
    for a, b in combinations(order, 2):
        if not significant[a, b]:
            continue
        split: list[frozenset[int]] = []
        for c in cols:
            if a in c and b in c:
                split += [c - {a}, c - {b}]
            else:
                split.append(c)
        cols = _absorb(split)
    swept = _sweep([set(c) for c in sorted(cols, key=lambda c: sorted(rank[x] for x in c))])
    swept.sort(key=lambda c: sorted(rank[x] for x in c))
    return [tuple(letter_name(i) for i, c in enumerate(swept) if model in c) for model in range(m)]


def compact_letters(p_adjusted: np.ndarray, ua: Sequence[float], alpha: float = ALPHA) -> list[str]:
    """Compact letter display: each model's letters as one string ("a", "ab", ...), in input order."""
    return ["".join(x) for x in letter_groups(p_adjusted, ua, alpha)]


def p_matrix(comparisons: Sequence[PairedInference], names: Sequence[str], field: str) -> np.ndarray:
    """Symmetric (M, M) matrix of one p-value field of the comparisons (NaN where absent, 1 on the diagonal)."""
    index = {n: i for i, n in enumerate(names)}
    out = np.full((len(names), len(names)), np.nan)
    np.fill_diagonal(out, 1.0)
    for c in comparisons:
        v = getattr(c, field)
        if v is not None:
            out[index[c.model_a], index[c.model_b]] = out[index[c.model_b], index[c.model_a]] = v
    return out


@dataclass(frozen=True)
class PairwiseTests:
    """All pairs of a cell in both readings, Holm-adjusted per reading, with the letters each reading gives."""

    models: tuple[str, ...]
    comparisons: tuple[PairedInference, ...]
    letters_utterance: tuple[str, ...]
    letters_speaker: tuple[str, ...] | None
    why_no_letters_speaker: str | None
    notes: tuple[str, ...]  # families that cannot reject anything whatever the data
    alpha: float

    def to_json(self) -> dict[str, Any]:
        return {"models": list(self.models), "alpha": self.alpha,
                "letters_utterance": dict(zip(self.models, self.letters_utterance)),
                "letters_speaker": None if self.letters_speaker is None else dict(zip(self.models, self.letters_speaker)),
                "why_no_letters_speaker": self.why_no_letters_speaker, "notes": list(self.notes),
                "comparisons": [c.to_json() for c in self.comparisons]}


def _floor_note(reading: str, floor: float, how: str, m: int, alpha: float) -> str | None:
    if m == 0 or floor <= alpha / m:
        return None
    return (f"{reading}: Holm over {m} pairs needs p <= {alpha / m:.2g} at its first step, but {how} gives no p "
            f"below {floor:.2g}, so no pair can be separated")


def pairwise_tests(names: Sequence[str], acc: np.ndarray, gold: np.ndarray, n_classes: int,
                   strata: np.ndarray | None, clusters: np.ndarray, n_resamples: int, rng: np.random.Generator, *,
                   ua: Sequence[float] | None = None, alpha: float = ALPHA, metric: str = "ua",
                   exact_limit: int = EXACT_LIMIT) -> PairwiseTests:
    """Every pair of the columns of seed-averaged correctness `acc` (n, M), both readings, Holm per reading."""
    gold = np.asarray(gold, dtype=np.int64)
    names = list(names)
    if len(set(names)) != len(names):
        raise ValueError(f"model names are not unique: {names}")
    if ua is None:
        ua = [metric_value(acc[:, j], gold, n_classes, metric) for j in range(acc.shape[1])]
    pairs = list(combinations(range(len(names)), 2))
    comps = paired_inference(names, acc, gold, n_classes, strata, clusters, pairs, n_resamples, rng,
                             metric=metric, alpha=alpha, exact_limit=exact_limit) if pairs else []
    adj_u = holm([c.p_utterance for c in comps])
    have_s = bool(comps) and comps[0].p_speaker is not None
    adj_s = holm([c.p_speaker for c in comps]) if have_s else [None] * len(comps)
    comps = [c.with_holm(float(u), None if s is None else float(s)) for c, u, s in zip(comps, adj_u, adj_s)]
    notes = [n for n in (_floor_note("this test set (utterance sign flip)", 1 / (n_resamples + 1),
                                     f"Monte Carlo with {n_resamples} resamples", len(comps), alpha),) if n]
    why_letters = None
    if comps and not have_s:
        why_letters = comps[0].why_no_p_speaker
    elif have_s:
        n_k = comps[0].n_speakers
        floor = 2 / 2 ** n_k if comps[0].p_speaker_method == "exact" else max(2 / 2 ** n_k, 1 / (n_resamples + 1))
        how = (f"the exact sign flip over {n_k} speakers" if comps[0].p_speaker_method == "exact"
               else f"Monte Carlo with {n_resamples} resamples")
        note = _floor_note("new speakers (speaker sign flip)", floor, how, len(comps), alpha)
        if note:
            notes.append(note)
    letters_u = compact_letters(p_matrix(comps, names, "p_utterance_holm"), ua, alpha)
    letters_s = compact_letters(p_matrix(comps, names, "p_speaker_holm"), ua, alpha) if have_s or not comps else None
    return PairwiseTests(models=tuple(names), comparisons=tuple(comps), letters_utterance=tuple(letters_u),
                         letters_speaker=None if letters_s is None else tuple(letters_s),
                         why_no_letters_speaker=why_letters, notes=tuple(notes), alpha=alpha)
