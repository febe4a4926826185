"""UA per test speaker, the worst speaker, the gender gap, and models whose rank flips on the worst speaker.

- Per-speaker UA uses the seed-averaged correctness (= mean over seeds of the per-seed UA, as everywhere) over
  the classes present in that speaker's gold. Its 95% CI bootstraps that speaker's utterances (all seeds of an
  utterance together): the speaker's own test-sample uncertainty, nothing about other speakers.
- A per-speaker confusion matrix sums the seeds, like the pooled one in cells.py, so the speakers' matrices add
  up to the pooled matrix exactly.
- Worst speaker: the lowest per-speaker UA (ties: the first speaker in sorted order).
- Gender gap = UA on all women's utterances - UA on all men's (pooled within gender). Its CI is the speaker
  bootstrap of clusters.py (Rao-Wu rescaled, speakers drawn within each gender, the two genders independent):
  a gap meant for new speakers of each gender. Speakers of unknown gender are left out of it (and counted in the
  note); fewer than one speaker of a gender: no gap; fewer than two: no CI (a lone speaker cannot be resampled).
- Rank flips: each model ranked by pooled UA and by its worst-speaker UA (competition ranks, ties within 1e-9);
  a model is flagged when the two ranks differ.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from leaderboard.clusters import cluster_sums, cluster_weights, metrics_from_sums, percentile_cis
from leaderboard.significance import bootstrap_counts, metric_value, resampled_metric, seed_mean_correct

TIE_TOL = 1e-9


@dataclass(frozen=True)
class SpeakerScore:
    speaker: str
    gender: str | None
    n: int
    ua: float
    ci: tuple[float, float] | None  # None for a speaker with one utterance
    confusion: np.ndarray  # (C, C) counts summed over seeds; rows gold, columns predicted

    def to_json(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "gender": self.gender, "n": self.n, "ua": self.ua,
                "ci": None if self.ci is None else list(self.ci), "confusion": self.confusion.tolist()}


@dataclass(frozen=True)
class SpeakerBreakdown:
    """One model's per-speaker view of a cell."""

    model: str
    speakers: tuple[SpeakerScore, ...]  # sorted by speaker id
    worst_speaker: str
    worst_ua: float
    gender_gap: float | None  # UA(women) - UA(men)
    gender_gap_ci: tuple[float, float] | None
    gender_gap_note: str | None  # why there is no gap or no CI, or which speakers were left out
    pooled_confusion: np.ndarray

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "worst_speaker": self.worst_speaker, "worst_ua": self.worst_ua,
                "gender_gap": self.gender_gap,
                "gender_gap_ci": None if self.gender_gap_ci is None else list(self.gender_gap_ci),
                "gender_gap_note": self.gender_gap_note, "speakers": [s.to_json() for s in self.speakers]}


@dataclass(frozen=True)
class RankFlip:
    model: str
    rank_pooled: int
    rank_worst: int

    @property
    def flipped(self) -> bool:
        return self.rank_pooled != self.rank_worst

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "rank_pooled": self.rank_pooled, "rank_worst_speaker": self.rank_worst,
                "flipped": self.flipped}


def speaker_genders(speakers: np.ndarray, genders: Sequence[str | None] | np.ndarray | None) -> dict[str, str | None]:
    """speaker -> gender; a speaker given two genders is a ValueError."""
    out: dict[str, str | None] = {}
    if genders is None:
        return {str(s): None for s in np.unique(speakers)}
    for s, g in zip(np.asarray(speakers).tolist(), list(genders)):
        g = None if g is None or g == "" else str(g)
        if s in out and out[s] != g:
            raise ValueError(f"speaker {s!r} has utterances marked gender {out[s]!r} and {g!r}")
        out[s] = g
    return {str(k): v for k, v in out.items()}


def _gender_gap(acc: np.ndarray, gold: np.ndarray, n_classes: int, speakers: np.ndarray, gender_of: dict[str, str | None],
                n_resamples: int, rng: np.random.Generator) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    """(gap (M,), CI (M, 2) or None, reason) for acc (n, M)."""
    g = np.array([gender_of[str(s)] for s in speakers.tolist()], dtype=object)
    unknown = sorted({str(s) for s, x in zip(speakers.tolist(), g) if x is None})
    note = f" ({len(unknown)} speaker(s) of unknown gender left out)" if unknown else ""
    sets = {x: g == x for x in ("F", "M")}
    n_spk = {x: len(np.unique(speakers[m])) for x, m in sets.items()}
    if min(n_spk.values()) < 1:
        return None, None, f"{n_spk['F']} women and {n_spk['M']} men among the test speakers: no gender gap{note}"
    value = {x: np.array([metric_value(acc[m, j], gold[m], n_classes, "ua") for j in range(acc.shape[1])])
             for x, m in sets.items()}
    gap = value["F"] - value["M"]
    if min(n_spk.values()) < 2:
        return gap, None, (f"{n_spk['F']} women and {n_spk['M']} men: a lone speaker of a gender cannot be "
                           f"resampled, so no CI for the gender gap{note}")
    res = {}
    for x, m in sets.items():
        sums = cluster_sums(acc[m], gold[m], n_classes, speakers[m])
        res[x] = metrics_from_sums(cluster_weights(sums.stratum, n_resamples, rng), sums).ua
    return gap, percentile_cis(res["F"] - res["M"]), (note.strip(" ()") or None)


def per_speaker(names: Sequence[str], preds: Sequence[np.ndarray], gold: np.ndarray, n_classes: int,
                speakers: Sequence[str] | np.ndarray, genders: Sequence[str | None] | np.ndarray | None,
                n_resamples: int, rng: np.random.Generator) -> list[SpeakerBreakdown]:
    """Per-speaker scores of each model (`preds[m]`: (seeds, n) codes) on one test set; deterministic in rng."""
    gold = np.asarray(gold, dtype=np.int64)
    speakers = np.asarray(speakers).astype(str)
    spk_names, k_of = np.unique(speakers, return_inverse=True)
    k_of = k_of.reshape(-1)
    n_k, n_c = len(spk_names), n_classes
    gender_of = speaker_genders(speakers, genders)
    preds = [np.atleast_2d(np.asarray(p, dtype=np.int64)) for p in preds]
    acc = np.stack([seed_mean_correct(p, gold) for p in preds], axis=1)  # (n, M)
    counts = bootstrap_counts(k_of, n_resamples, rng)  # utterances resampled within each speaker
    ua = np.zeros((n_k, acc.shape[1]))
    ci = np.full((n_k, acc.shape[1], 2), np.nan)
    sizes = np.bincount(k_of, minlength=n_k)
    for k in range(n_k):
        idx = np.flatnonzero(k_of == k)
        ua[k] = [metric_value(acc[idx, j], gold[idx], n_c, "ua") for j in range(acc.shape[1])]
        if idx.size > 1:
            ci[k] = percentile_cis(resampled_metric(acc[idx], gold[idx], n_c, "ua", counts[:, idx]))
    gap, gap_ci, why_gap = _gender_gap(acc, gold, n_c, speakers, gender_of, n_resamples, rng)
    out = []
    for j, (name, p) in enumerate(zip(names, preds)):
        flat = (k_of[None, :] * n_c + gold[None, :]) * n_c + p
        conf = np.bincount(flat.ravel(), minlength=n_k * n_c * n_c).reshape(n_k, n_c, n_c)
        scores = tuple(SpeakerScore(speaker=str(spk_names[k]), gender=gender_of[str(spk_names[k])], n=int(sizes[k]),
                                    ua=float(ua[k, j]), ci=None if sizes[k] < 2 else (float(ci[k, j, 0]), float(ci[k, j, 1])),
                                    confusion=conf[k]) for k in range(n_k))
        worst = int(np.argmin(ua[:, j]))
        out.append(SpeakerBreakdown(
            model=name, speakers=scores, worst_speaker=str(spk_names[worst]), worst_ua=float(ua[worst, j]),
            gender_gap=None if gap is None else float(gap[j]),
            gender_gap_ci=None if gap_ci is None else (float(gap_ci[j, 0]), float(gap_ci[j, 1])),
            gender_gap_note=why_gap, pooled_confusion=conf.sum(axis=0)))
    return out


def competition_ranks(values: Sequence[float], tol: float = TIE_TOL) -> list[int]:
    """Ranks "1, 2, 2, 4" by descending value; values within tol of the previous one share its rank."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for pos, i in enumerate(order):
        prev = order[pos - 1] if pos else None
        ranks[i] = ranks[prev] if prev is not None and abs(values[prev] - values[i]) < tol else pos + 1
    return ranks


def ranking_flips(names: Sequence[str], pooled_ua: Sequence[float], worst_ua: Sequence[float]) -> list[RankFlip]:
    """Each model's rank by pooled UA and by worst-speaker UA; `flipped` where they differ."""
    rp, rw = competition_ranks(pooled_ua), competition_ranks(worst_ua)
    return [RankFlip(model=n, rank_pooled=a, rank_worst=b) for n, a, b in zip(names, rp, rw)]
