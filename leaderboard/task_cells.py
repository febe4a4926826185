"""Leaderboard cells of the soft-label and dimensional tasks: every metric of the task, both readings of the ranking.

A task cell is corpus x protocol x label map x task x transcript x audio condition (x refit): the runs of one
`task` (`lemer.core.spec.RunSpec.task`, "soft" or "dimensional"; the categorical task is `cells.py`'s). Rules:
- A model is ranked only when its runs cover every fold x seed of the cell; every run of a fold must have the
  same test utterances (paired tests need it), else an error naming both files.
- Scores: every registered metric of the task (`lemer.core.metrics.metrics_for`: CCC per dimension, mean CCC,
  Pearson, MAE; soft cross-entropy, KL, plurality accuracy) on the predictions of one seed pooled over the folds
  (each utterance once: CCC over a pooled test set, not a mean of per-fold CCCs), then the mean over seeds;
  ± = SD over seeds.
- Ranking: by the cell's main score (the suite's `main_score` of the task, recorded on every run; higher or lower
  is better as the metric says). The best model against every other on the same resamples, in two readings:
  "this test set" (utterances resampled within folds) and "new speakers" (speakers resampled with all their
  utterances, pooled over folds: with IEMOCAP's two speakers per fold a within-fold n-out-of-n draw would halve the
  variance; with fewer than 6 speakers, where not even an exact sign flip could reach p < 0.05, there is no
  speaker reading and the cell says so); per resample the score is recomputed on the resampled set, for every seed,
  and averaged over seeds. p = two-sided bootstrap p of the difference (the resampled differences shifted to the
  null), Holm over the best-vs-rest comparisons, one family per reading: † / ‡ as in the categorical cells.
  Unlike UA, CCC and cross-entropy are not sums over utterances, so there is no sign-flip test here: the
  bootstrap is the test (ours, said on the page).
"""
from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from leaderboard.clusters import ALPHA, signflip_reason
from leaderboard.power import mdd_from_bootstrap
from leaderboard.results import ResultError, Run
from leaderboard.significance import DEFAULT_RESAMPLES, bootstrap_p, holm, percentile_ci
from lemer.core.audio_condition import AudioCondition
from lemer.core.metrics import DEFAULT_MAIN_SCORE, METRICS, Metric, MetricInputs, metrics_for
from lemer.core.spec import TranscriptCondition


@dataclass(frozen=True)
class TaskKey:
    corpus: str
    protocol: str  # as tables show it (`cross-corpus` for cross-corpus runs)
    label_map: str
    train_corpus: str
    task: str
    audio: AudioCondition
    refit: bool
    transcript: TranscriptCondition

    @property
    def title(self) -> str:
        extra = ("" if self.audio.is_clean else f" · audio: {self.audio.key}") + (" · refit" if self.refit else "")
        return (f"{self.corpus} · {self.protocol} · {self.label_map} · task: {self.task}{extra} · "
                f"transcript: {self.transcript}")


@dataclass
class TaskModel:
    model: str
    n_runs: int
    n_expected: int
    scores: dict[str, float | None] = field(default_factory=dict)  # mean over seeds, every metric of the task
    std: dict[str, float | None] = field(default_factory=dict)  # SD over seeds
    ci: tuple[float, float] | None = None  # main score, this test set
    ci_speaker: tuple[float, float] | None = None  # main score, new speakers
    cis: dict[str, tuple[float, float]] = field(default_factory=dict)  # every metric, this test set
    cis_speaker: dict[str, tuple[float, float]] = field(default_factory=dict)  # every metric, new speakers
    diff: float | None = None  # best - this model on the main score (None for the best)
    diff_ci: tuple[float, float] | None = None
    diff_ci_speaker: tuple[float, float] | None = None
    p_holm: float | None = None
    p_holm_speaker: float | None = None
    mdd: float | None = None  # minimum detectable difference of the main score against the best (this test set)
    worse: bool = False  # †
    worse_speakers: bool = False  # ‡
    rank: int | None = None

    @property
    def complete(self) -> bool:
        return self.n_runs == self.n_expected


@dataclass
class TaskCell:
    key: TaskKey
    main: Metric
    metrics: list[Metric]
    folds: list[str]
    seeds: list[int]
    n: int
    n_speakers: int | None
    synthetic: bool
    models: list[TaskModel]  # ranked complete models first, then incomplete ones
    why_no_speaker: str | None = None

    @property
    def ranked(self) -> list[TaskModel]:
        return [m for m in self.models if m.rank is not None]


def _inputs(task: str, runs: list[Run], order: np.ndarray, n_classes: int) -> Callable[[np.ndarray], MetricInputs]:
    """The metric inputs of one seed's runs (pooled over folds, in cell order) restricted to an index array."""
    if task == "dimensional":
        gold = np.concatenate([r.gold_dims for r in runs])[order]  # type: ignore[misc]
        pred = np.concatenate([r.pred_dims for r in runs])[order]  # type: ignore[misc]
        return lambda idx: MetricInputs(n_classes=n_classes, gold_dims=gold[idx], pred_dims=pred[idx])
    probs = np.concatenate([r.probs if r.probs is not None else np.full((len(r.uids), n_classes), np.nan)
                            for r in runs])[order]
    dist = np.concatenate([r.gold_dist for r in runs])[order]  # type: ignore[misc]
    codes = np.concatenate([r.pred for r in runs])[order]
    return lambda idx: MetricInputs(n_classes=n_classes, pred=codes[idx], probs=probs[idx], gold_dist=dist[idx])


def _resamples(strata: np.ndarray, units: np.ndarray | None, n_resamples: int,
               rng: np.random.Generator) -> list[np.ndarray]:
    """Index arrays: utterances (units None) or units (speakers) drawn with replacement within each stratum."""
    out = []
    groups = {s: np.flatnonzero(strata == s) for s in np.unique(strata)}
    if units is not None:
        members = {s: [idx[units[idx] == u] for u in np.unique(units[idx])] for s, idx in groups.items()}
    for _ in range(n_resamples):
        parts = []
        for s, idx in groups.items():
            if units is None:
                parts.append(idx[rng.integers(0, idx.size, idx.size)])
            else:
                ms = members[s]
                parts += [ms[k] for k in rng.integers(0, len(ms), len(ms))]
        out.append(np.concatenate(parts))
    return out


def build_task_cells(runs: list[Run], *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                     alpha: float = ALPHA) -> list[TaskCell]:
    """Every soft-label and dimensional cell of the main (non-ablation) runs, sorted by title."""
    groups: dict[TaskKey, list[Run]] = defaultdict(list)
    for r in runs:
        g = r.spec
        if g.ablation is None and g.task != "categorical":
            groups[TaskKey(g.corpus, g.protocol_label, g.label_map, g.train_corpus, g.task, g.audio, g.refit,
                           g.transcript)].append(r)
    return [_evaluate(key, rs, n_resamples=n_resamples, seed=seed, alpha=alpha)
            for key, rs in sorted(groups.items(), key=lambda kv: kv[0].title)]


def _check_folds(key: TaskKey, runs: list[Run]) -> dict[str, tuple[str, ...]]:
    ref: dict[str, Run] = {}
    for r in sorted(runs, key=lambda r: r.result_path):
        first = ref.setdefault(r.spec.fold, r)
        if set(first.uids) != set(r.uids):
            raise ResultError(f"{r.result_path} and {first.result_path}: different test sets for fold "
                              f"{r.spec.fold!r} in cell {key.title}")
    return {f: tuple(sorted(r.uids)) for f, r in sorted(ref.items())}


def _evaluate(key: TaskKey, runs: list[Run], *, n_resamples: int, seed: int, alpha: float) -> TaskCell:
    fold_uids = _check_folds(key, runs)
    folds = list(fold_uids)
    uids = [u for f in folds for u in fold_uids[f]]
    strata = np.array([i for i, f in enumerate(folds) for _ in fold_uids[f]])
    seeds = sorted({r.spec.seed for r in runs})
    main_names = {r.spec.main_score for r in runs}
    main_name = main_names.pop() if len(main_names) == 1 else DEFAULT_MAIN_SCORE[key.task]
    main = METRICS.get(main_name) if main_name in METRICS and METRICS.get(main_name).task == key.task \
        else METRICS.get(DEFAULT_MAIN_SCORE[key.task])
    metrics = metrics_for(key.task)
    labels = runs[0].labels
    by_model: dict[str, dict[tuple[str, int], Run]] = defaultdict(dict)
    for r in runs:
        table = by_model[r.spec.model]
        k = (r.spec.fold, r.spec.seed)
        if k in table:
            raise ResultError(f"{r.result_path}: duplicate run for model {r.spec.model!r} fold={k[0]} seed={k[1]} "
                              f"in cell {key.title} (also {table[k].result_path})")
        table[k] = r
    speakers: dict[str, str] = {}
    for r in runs:
        for u, s in zip(r.uids, r.speakers):
            if s is not None:
                speakers.setdefault(u, s)
    units = np.array([speakers.get(u, "") for u in uids])
    why_speaker = None
    if any(not s for s in units):
        why_speaker = "the prediction files do not name every utterance's speaker"
    else:  # speakers pooled over folds (IEMOCAP has two per fold: a within-fold draw would halve the variance)
        why_speaker = signflip_reason(len(np.unique(units)), alpha)
    rng = np.random.default_rng([seed, zlib.crc32(key.title.encode("utf-8"))])
    draws_u = _resamples(strata, None, n_resamples, rng)
    draws_s = _resamples(np.zeros(len(uids)), units, n_resamples, rng) if why_speaker is None else None
    models: list[TaskModel] = []
    score_fns: dict[str, list[Callable[[np.ndarray], MetricInputs]]] = {}
    position = {u: i for i, u in enumerate(uids)}
    everything = np.arange(len(uids))
    for model, table in sorted(by_model.items()):
        expected = [(f, s) for s in seeds for f in folds]
        tm = TaskModel(model=model, n_runs=sum(k in table for k in expected), n_expected=len(expected))
        models.append(tm)
        if not tm.complete:
            continue
        fns = []
        for s in seeds:
            seed_runs = [table[(f, s)] for f in folds]
            order = np.argsort([position[u] for r in seed_runs for u in r.uids], kind="stable")
            fns.append(_inputs(key.task, seed_runs, order, len(labels)))
        score_fns[model] = fns
        per_seed = [{m.name: m.score(fn(everything)) for m in metrics} for fn in fns]
        for m in metrics:
            vals = [d[m.name] for d in per_seed if d[m.name] is not None]
            tm.scores[m.name] = float(np.mean(vals)) if vals else None
            tm.std[m.name] = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    sign = 1.0 if main.higher_is_better else -1.0
    ranked = sorted((m for m in models if m.complete and m.scores.get(main.name) is not None),
                    key=lambda m: (-sign * m.scores[main.name], m.model))  # type: ignore[operator]

    def resampled(model: str, draws: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Every metric of the task on every resample (mean over seeds): one MetricInputs per resample and seed."""
        per = [[{x.name: x.score(inp) for x in metrics} for inp in (fn(idx) for fn in score_fns[model])]
               for idx in draws]
        return {x.name: np.array([np.mean([d[x.name] for d in seeds]) for seeds in per])
                for x in metrics if all(d[x.name] is not None for seeds in per for d in seeds)}

    all_u = {m.model: resampled(m.model, draws_u) for m in ranked}
    all_s = {m.model: resampled(m.model, draws_s) for m in ranked} if draws_s is not None else None
    res_u = {k: v[main.name] for k, v in all_u.items()}
    res_s = {k: v[main.name] for k, v in all_s.items()} if all_s is not None else None
    for i, m in enumerate(ranked):
        m.rank = i + 1
        m.cis = {name: percentile_ci(v) for name, v in all_u[m.model].items()}
        m.ci = m.cis[main.name]
        if all_s is not None:
            m.cis_speaker = {name: percentile_ci(v) for name, v in all_s[m.model].items()}
            m.ci_speaker = m.cis_speaker[main.name]
    if len(ranked) > 1:
        best, others = ranked[0], ranked[1:]
        p_u, p_s = [], []
        for m in others:
            m.diff = sign * (best.scores[main.name] - m.scores[main.name])  # type: ignore[operator]
            d_u = sign * (res_u[best.model] - res_u[m.model])
            m.diff_ci, m.mdd = percentile_ci(d_u), mdd_from_bootstrap(d_u)
            p_u.append(bootstrap_p(m.diff, d_u))
            if res_s is not None:
                d_s = sign * (res_s[best.model] - res_s[m.model])
                m.diff_ci_speaker = percentile_ci(d_s)
                p_s.append(bootstrap_p(m.diff, d_s))
        for m, p in zip(others, holm(p_u)):
            m.p_holm, m.worse = float(p), bool(p < alpha and m.diff > 0)  # type: ignore[operator]
        if p_s:
            for m, p in zip(others, holm(p_s)):
                m.p_holm_speaker, m.worse_speakers = float(p), bool(p < alpha and m.diff > 0)  # type: ignore[operator]
    incomplete = [m for m in models if m.rank is None]
    n_speakers = None if why_speaker else len(np.unique(units))
    return TaskCell(key=key, main=main, metrics=metrics, folds=folds, seeds=seeds, n=len(uids), n_speakers=n_speakers,
                    synthetic=any(r.spec.synthetic for r in runs), models=ranked + incomplete,
                    why_no_speaker=why_speaker)


def task_note(cell: TaskCell) -> str:
    direction = "higher" if cell.main.higher_is_better else "lower"
    speakers = (f"{cell.n_speakers} speakers" if cell.n_speakers is not None
                else f"no new-speakers reading: {cell.why_no_speaker}")
    return (f"Ranked by {cell.main.display} ({direction} is better); every metric pooled over the "
            f"{len(cell.folds)} folds of a seed, mean ± SD over {len(cell.seeds)} seed(s). 95% CIs and p from the "
            f"bootstrap ({speakers}); † / ‡ worse than the best on this test set / for new speakers (Holm, "
            f"p < {ALPHA}).")
