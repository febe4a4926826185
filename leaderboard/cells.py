"""Group runs into leaderboard cells and compute each cell's metrics, CIs and significance tests.

A cell is corpus x protocol x label map x transcript condition (x training corpus, which only
differs in cross-corpus runs). Rules:
- A model is ranked only when its runs cover every fold x seed seen in the cell; otherwise it
  is shown as incomplete (with its count) and never averaged.
- Transcript-independent models (read no text) join every transcript cell of their
  corpus x protocol x label map: their runs under that transcript key if they have any, else
  their runs under `gold` (or the first transcript they were run with), on the folds the cell's
  other models were run on (a condition may be run on fewer folds than gold).
- Every run of a fold must have the same test utterances and gold labels (paired tests need it);
  a mismatch is an error naming both files and an example uid.
- Pooled metrics: per seed over all folds (each utterance once), then mean over seeds.
  `*_std` = sample std over folds x seeds of the per-run metrics.
- Tests: the best model (highest pooled UA) against every other ranked model, on the same
  bootstrap resamples / sign flips; Holm-Bonferroni across those comparisons, separately for
  each (metric, test). A model is marked significantly worse when the Holm-adjusted paired
  permutation p-value on UA is below `alpha` (UA is what the table ranks by; the permutation
  test's null distribution is exact up to Monte-Carlo error, unlike the bootstrap p-value).
  That one test decides every mark: † on the page, `significantly_worse` in the CSV, and the
  headline verdict; the other tests are listed for reference only.
- Ranks: competition ranking ("1, 2, 2, 4") on pooled UA; models whose UA differs by less than
  `TIE_TOL` share a rank and are flagged `tied` (the page marks them with "=").
- MDD: per comparison with the best, the minimum detectable UA difference at 80% power and
  α = 0.05 from the paired bootstrap SE (see `power.py`); the cell's MDD is their median.
"""
from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import numpy as np

from leaderboard.agreement import AgreementTable, agreement_table
from leaderboard.clusters import PairedInference
from leaderboard.inference import CellInference, ModelInference, cell_inference
from leaderboard.metrics import Scores, score_codes, scores_from_confusion
from leaderboard.power import mdd_from_bootstrap
from leaderboard.results import Failure, ResultError, Run
from leaderboard.significance import (
    DEFAULT_RESAMPLES,
    Comparison,
    bootstrap_counts,
    bootstrap_p,
    holm,
    majority_correct,
    mcnemar_exact,
    metric_weights,
    percentile_ci,
    permutation_p,
    random_signs,
    resampled_metric,
    seed_mean_correct,
)
from lemer.core.audio_condition import CLEAN, AudioCondition
from lemer.core.spec import GOLD, RunSpec, TranscriptCondition

ALPHA = 0.05
TIE_TOL = 1e-9  # pooled UA values closer than this are a tie (UA of a fixed test set takes discrete values)


@dataclass(frozen=True, order=True)
class CellKey:
    corpus: str
    kind: str  # "within" | "cross" (lemer.core.spec.RunKind)
    protocol: str  # the protocol whose folds the runs used (cross-corpus: the training corpus's)
    label_map: str
    train_corpus: str
    audio: AudioCondition  # the test audio (and, with audio_splits "all", the training audio)
    audio_splits: str  # "test" | "all" (lemer.core.spec.RunSpec.audio_splits)
    refit: bool  # retrained on train + valid with the validation's choice: never ranked beside runs that were not
    transcript: TranscriptCondition

    @property
    def cross(self) -> bool:
        return self.kind == "cross"

    @property
    def group(self) -> tuple[str, ...]:
        """Everything but the transcript: the cells a group's table shows side by side."""
        return (self.corpus, self.kind, self.protocol, self.label_map, self.train_corpus, self.audio.key,
                self.audio_splits, "refit" if self.refit else "")

    @property
    def audio_label(self) -> str:
        """`audio: snr=5,noise=babble (test only)` for a degraded condition, "" for clean audio."""
        if self.audio.is_clean:
            return ""
        return f"audio: {self.audio.key} ({'every split' if self.audio_splits == 'all' else 'test only'})"

    @property
    def clean_twin(self) -> "CellKey":
        """The same cell on clean audio: what a degraded cell's robustness is measured against."""
        return replace(self, audio=CLEAN, audio_splits="test")

    @property
    def protocol_name(self) -> str:
        """The protocol column of tables: `cross-corpus` for cross-corpus cells (the training corpus is its own column)."""
        return "cross-corpus" if self.cross else self.protocol

    @property
    def protocol_label(self) -> str:
        if self.cross:
            return f"cross-corpus (train: {self.train_corpus})"
        return self.protocol

    @property
    def title(self) -> str:
        extra = "".join(f" · {x}" for x in (self.audio_label, "refit on train + valid" if self.refit else "") if x)
        return f"{self.corpus} · {self.protocol_label} · {self.label_map}{extra} · transcript: {self.transcript}"


@dataclass
class ModelResult:
    """One model in one cell. Metric fields are None for incomplete models."""

    model: str
    transcript_independent: bool
    runs: list[Run]
    n_runs: int
    n_expected: int
    missing: list[tuple[str, int]]
    seeds: list[int] = field(default_factory=list)
    wa: float | None = None
    ua: float | None = None
    macro_f1: float | None = None
    wa_std: float | None = None
    ua_std: float | None = None
    f1_std: float | None = None
    ua_ci: tuple[float, float] | None = None
    wa_ci: tuple[float, float] | None = None
    confusion: np.ndarray | None = None  # summed over seeds
    per_class: dict[str, float | None] | None = None
    pred: np.ndarray | None = None  # (seeds, n) codes in cell uid order
    rank: int | None = None
    tied: bool = False  # shares its rank with another model (equal pooled UA)
    worse_than_best: bool = False
    p_worse: float | None = None  # Holm-adjusted permutation p on UA against the best (None for the best)
    mdd: float | None = None  # minimum detectable UA difference against the best (fraction), see power.py
    probs: np.ndarray | None = None  # (seeds, n, C) in cell uid order; None unless every run stored them
    # the "new speakers" reading (leaderboard/inference.py), None where the cell has no speaker facts
    inference: ModelInference | None = None
    vs_best: PairedInference | None = None  # best - this model in both readings (None for the best)
    p_worse_speaker: float | None = None  # speaker sign flip, Holm over the best-vs-rest comparisons
    worse_new_speakers: bool = False  # ‡: significantly worse than the best for new speakers
    letters: str = ""  # compact letter groups, this test set (all pairs, Holm)
    letters_speaker: str | None = None  # the same for new speakers (None: no speaker test possible)

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class ComparisonRow:
    model_a: str
    model_b: str
    comparison: Comparison
    p_adjusted: float


@dataclass
class Cell:
    key: CellKey
    labels: tuple[str, ...]
    folds: list[str]
    seeds: list[int]
    synthetic: bool
    wer: float | None
    uids: list[str]
    gold: np.ndarray
    strata: np.ndarray
    models: list[ModelResult]  # ranked complete models first (by UA), then incomplete ones
    comparisons: list[ComparisonRow]
    mdd: float | None = None  # median over the best model's comparisons of their MDD (fraction)
    inference: CellInference | None = None  # both readings, groups, variance, calibration, per speaker
    why_no_inference: str | None = None  # why the cell has no speaker-level inference
    failed: dict[str, list[str]] = field(default_factory=dict)  # model -> the reasons of its runs that raised
    speakers: list[str] = field(default_factory=list)  # per utterance in uid order ([] when unknown)
    agreement: AgreementTable | None = None  # scores by annotator agreement and the human ceiling (votes known)

    @property
    def ranked(self) -> list[ModelResult]:
        return [m for m in self.models if m.complete]

    @property
    def best(self) -> ModelResult | None:
        return self.ranked[0] if self.ranked else None


@dataclass(frozen=True)
class AblationPoint:
    corpus: str
    protocol: str
    label_map: str
    transcript: TranscriptCondition
    model: str
    param: str
    value: Any
    ua: float | None  # mean over seeds of pooled UA; None when the runs do not cover folds x seeds
    ua_std: float | None  # std over seeds
    n_runs: int
    n_expected: int
    audio: AudioCondition = CLEAN
    refit: bool = False

    @property
    def condition(self) -> str:
        """Corpus · protocol · labels · transcript (· audio, · refit where they are not the default)."""
        extra = ("" if self.audio.is_clean else f" · audio {self.audio.key}") + (" · refit" if self.refit else "")
        return f"{self.corpus} · {self.protocol} · {self.label_map} · {self.transcript}{extra}"


def corpus_order(corpus: str) -> int:
    """IEMOCAP (real, then synthetic) first: it is the corpus the LE-MER paper reports."""
    name = corpus.lower()
    return 0 if name == "iemocap" else 1 if "iemocap" in name else 2


def _std(values: list[float]) -> float | None:
    """Sample SD; None for a single value (one fold and one seed has no spread to show, not a spread of 0)."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def _group_order(group: tuple[Any, ...]) -> tuple[Any, ...]:
    """Groups sorted by their strings, clean audio first, runs without refit before refit runs."""
    *head, audio, splits, refit = group
    return (*head, not audio.is_clean, audio.key, splits, refit)


def _cell_rng(seed: int, key: CellKey) -> np.random.Generator:
    """Seeded per cell, so adding a cell does not change another cell's resamples."""
    return np.random.default_rng([seed, zlib.crc32(key.title.encode("utf-8"))])


def _dedupe(runs: Iterable[Run], what: str) -> dict[tuple[str, int], Run]:
    out: dict[tuple[str, int], Run] = {}
    for r in runs:
        k = (r.spec.fold, r.spec.seed)
        if k in out:
            raise ResultError(
                f"{r.result_path}: duplicate run for {what} fold={k[0]} seed={k[1]} (also {out[k].result_path})")
        out[k] = r
    return out


def build_cells(runs: list[Run], *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                alpha: float = ALPHA) -> list[Cell]:
    """All leaderboard cells of the main (non-ablation) runs, sorted by corpus, protocol, transcript."""
    groups: dict[tuple[Any, ...], list[Run]] = defaultdict(list)
    for r in runs:
        g = r.spec
        if g.ablation is None and g.task == "categorical":
            groups[(g.corpus, g.kind, g.protocol, g.label_map, g.train_corpus, g.audio, g.audio_splits,
                    g.refit)].append(r)
    cells: list[Cell] = []
    for group, group_runs in sorted(groups.items(), key=lambda kv: _group_order(kv[0])):
        by_model: dict[str, list[Run]] = defaultdict(list)
        for r in group_runs:
            by_model[r.spec.model].append(r)
        ti: dict[str, bool] = {}
        for model, mruns in by_model.items():
            flags = {r.spec.transcript_independent for r in mruns}
            if len(flags) > 1:
                ex = next(r for r in mruns if r.spec.transcript_independent)
                raise ResultError(f"{ex.result_path}: model {model!r} has runs both with and without "
                                  f"transcript_independent in {' · '.join(group)}")
            ti[model] = flags.pop()
        transcripts = sorted({r.spec.transcript for r in group_runs if not ti[r.spec.model]})
        if not transcripts:
            transcripts = sorted({r.spec.transcript for r in group_runs})
        for transcript in transcripts:
            members: dict[str, list[Run]] = {}
            # the folds the transcript's own runs cover (a condition may be run on fewer folds than gold)
            cell_folds = {r.spec.fold for r in group_runs if r.spec.transcript == transcript and not ti[r.spec.model]}
            for model, mruns in by_model.items():
                own = [r for r in mruns if r.spec.transcript == transcript]
                if ti[model] and not own:
                    have = sorted({r.spec.transcript for r in mruns})
                    canonical = GOLD if GOLD in have else have[0]
                    own = [r for r in mruns if r.spec.transcript == canonical
                           and (not cell_folds or r.spec.fold in cell_folds)]
                if own:
                    members[model] = own
            key = CellKey(*group, transcript=transcript)  # = cell_key(spec) of its runs
            cells.append(_evaluate_cell(key, members, ti, n_resamples=n_resamples, seed=seed, alpha=alpha))
    cells.sort(key=lambda c: (c.key.cross, corpus_order(c.key.corpus), c.key.group, c.key.transcript.sort_key(c.wer)))
    return cells


def _check_test_sets(key: CellKey, members: dict[str, list[Run]]) -> tuple[tuple[str, ...], list[str], dict[str, dict[str, int]]]:
    """Same labels everywhere; per fold the same uids with the same gold labels; folds disjoint."""
    all_runs = sorted((r for rs in members.values() for r in rs), key=lambda r: r.result_path)
    labels = all_runs[0].labels
    ref: dict[str, tuple[Run, dict[str, int]]] = {}
    for r in all_runs:
        if r.labels != labels:
            raise ResultError(f"{r.result_path}: labels {list(r.labels)} differ from {list(labels)} in "
                              f"{all_runs[0].result_path} (same cell {key.title})")
        fold = r.spec.fold
        mapping = dict(zip(r.uids, r.gold.tolist()))
        if fold not in ref:
            ref[fold] = (r, mapping)
            continue
        ref_run, ref_map = ref[fold]
        if mapping != ref_map:
            diff = sorted(set(mapping) ^ set(ref_map)) or sorted(u for u in mapping if mapping[u] != ref_map[u])
            uid = diff[0]
            why = "gold label differs" if uid in mapping and uid in ref_map else "uid in only one of them"
            raise ResultError(f"{r.result_path} and {ref_run.result_path}: different test sets for fold {fold!r} "
                              f"in cell {key.title} ({len(diff)} uid(s) differ, e.g. {uid!r}: {why})")
    folds = sorted(ref)
    owner: dict[str, str] = {}
    for fold in folds:
        for uid in ref[fold][1]:
            if uid in owner:
                raise ResultError(f"{ref[fold][0].result_path}: uid {uid!r} is in the test sets of folds "
                                  f"{owner[uid]!r} and {fold!r} (cell {key.title}); pooled metrics need disjoint folds")
            owner[uid] = fold
    return labels, folds, {f: ref[f][1] for f in folds}


def _evaluate_cell(key: CellKey, members: dict[str, list[Run]], ti: dict[str, bool], *,
                   n_resamples: int, seed: int, alpha: float) -> Cell:
    labels, folds, fold_maps = _check_test_sets(key, members)
    n_classes = len(labels)
    seeds = sorted({r.spec.seed for rs in members.values() for r in rs})
    uids = [u for f in folds for u in sorted(fold_maps[f])]
    position = {u: i for i, u in enumerate(uids)}
    gold = np.fromiter((fold_maps[f][u] for f in folds for u in sorted(fold_maps[f])), dtype=np.int64, count=len(uids))
    strata = np.fromiter((i for i, f in enumerate(folds) for _ in fold_maps[f]), dtype=np.int64, count=len(uids))
    expected = [(f, s) for s in seeds for f in folds]
    results: list[ModelResult] = []
    for model, mruns in sorted(members.items()):
        table = _dedupe(mruns, f"model {model!r} in cell {key.title}")
        missing = [k for k in expected if k not in table]
        mr = ModelResult(model=model, transcript_independent=ti[model], runs=mruns, n_runs=len(table),
                         n_expected=len(expected), missing=missing)
        if not missing:
            _score_model(mr, table, folds, seeds, labels, position, gold)
        results.append(mr)
    synthetic = any(r.spec.synthetic for rs in members.values() for r in rs)
    text_runs = [r for m, rs in members.items() if not ti[m] for r in rs] or [r for rs in members.values() for r in rs]
    wer_pairs = [(r.record.wer, len(r.uids)) for r in text_runs if r.record.wer is not None]
    wer = float(np.average([w for w, _ in wer_pairs], weights=[n for _, n in wer_pairs])) if wer_pairs else None
    ranked = sorted((m for m in results if m.complete), key=lambda m: (-m.ua, m.model))
    assign_ranks(ranked)
    incomplete = sorted((m for m in results if not m.complete), key=lambda m: m.model)
    comparisons = _significance(key, ranked, gold, strata, n_classes, n_resamples=n_resamples, seed=seed, alpha=alpha)
    mdds = [m.mdd for m in ranked if m.mdd is not None]
    cell = Cell(key=key, labels=labels, folds=folds, seeds=seeds, synthetic=synthetic, wer=wer, uids=uids,
                gold=gold, strata=strata, models=ranked + incomplete, comparisons=comparisons,
                mdd=float(np.median(mdds)) if mdds else None)
    _speaker_inference(cell, members, n_resamples=n_resamples, seed=seed, alpha=alpha)
    return cell


def cell_key(spec: RunSpec) -> CellKey:
    """The cell a categorical run belongs to."""
    return CellKey(spec.corpus, spec.kind, spec.protocol, spec.label_map, spec.train_corpus, spec.audio,
                   spec.audio_splits, spec.refit, spec.transcript)


def attach_failures(cells: list[Cell], failures: Iterable[Failure]) -> dict[str, dict[str, list[str]]]:
    """Record each failed run on its cell (`Cell.failed`); returns those with no cell (every run of a condition
    failed, or error.txt unreadable) as condition title -> model -> reasons, so they are shown, never dropped."""
    by_key = {c.key: c for c in cells}
    rest: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for f in failures:
        spec = f.spec
        if spec is None or spec.ablation is not None or spec.task != "categorical":
            title = f.path if spec is None else f"{cell_key(spec).title}" + (
                "" if spec.task == "categorical" else f" · task: {spec.task}")
            rest[title][spec.model if spec else "?"].append(f.reason)
            continue
        cell = by_key.get(cell_key(spec))
        if cell is None:
            rest[cell_key(spec).title][spec.model].append(f.reason)
        else:
            cell.failed.setdefault(spec.model, []).append(f.reason)
    return {k: dict(v) for k, v in rest.items()}


def failure_summary(failed: dict[str, list[str]]) -> str:
    """`lemer: 2 runs (ValueError: ...); tfidf-lr: 5 runs (...)` with each distinct reason once."""
    parts = []
    for model, reasons in sorted(failed.items()):
        distinct = sorted(set(reasons))
        parts.append(f"{model}: {len(reasons)} run{'s' if len(reasons) > 1 else ''} ({'; '.join(distinct)})")
    return "; ".join(parts)


def _utterance_facts(members: dict[str, list[Run]], uids: list[str]) -> tuple[list[str | None], list[str | None],
                                                                                  list[Mapping[str, float] | None]]:
    """Speaker, gender and annotators' votes of each of the cell's utterances, from any run that names them."""
    speaker: dict[str, str] = {}
    gender: dict[str, str] = {}
    votes: dict[str, Mapping[str, float]] = {}
    for rs in members.values():
        for r in rs:
            for u, s, g, v in zip(r.uids, r.speakers, r.genders, r.votes or (None,) * len(r.uids)):
                if s is not None:
                    speaker.setdefault(u, s)
                if g is not None:
                    gender.setdefault(u, g)
                if v is not None:
                    votes.setdefault(u, v)
    return [speaker.get(u) for u in uids], [gender.get(u) for u in uids], [votes.get(u) for u in uids]


def _speaker_inference(cell: Cell, members: dict[str, list[Run]], *, n_resamples: int, seed: int, alpha: float) -> None:
    """Fill in the "new speakers" reading (leaderboard/inference.py) of a cell's ranked models, or say why not."""
    ranked = cell.ranked
    if not ranked:
        return
    speakers, genders, votes = _utterance_facts(members, cell.uids)
    cell.agreement = agreement_table([m.model for m in ranked], [m.pred for m in ranked], cell.gold, cell.labels, votes)
    unknown = [u for u, s in zip(cell.uids, speakers) if s is None]
    if unknown:
        cell.why_no_inference = (f"no speaker known for {len(unknown)} of {len(cell.uids)} utterances (e.g. "
                                 f"{unknown[0]!r}): their prediction files name none and the uid does not say")
        return
    cell.speakers = [str(s) for s in speakers]
    sources = [f"the prediction files of {m.model!r}" for m in ranked]
    res = cell_inference([m.model for m in ranked], [m.pred for m in ranked], cell.gold, len(cell.labels), cell.strata,
                         cell.speakers, genders, [m.probs for m in ranked], n_resamples=n_resamples,
                         seed=(seed << 32) | zlib.crc32(cell.key.title.encode("utf-8")), alpha=alpha,
                         prob_sources=sources)
    cell.inference = res
    for j, m in enumerate(ranked):
        m.inference = res.models[j]
        m.letters = res.pairwise.letters_utterance[j]
        m.letters_speaker = None if res.pairwise.letters_speaker is None else res.pairwise.letters_speaker[j]
    best = ranked[0].model
    vs = {c.model_b: c for c in res.pairwise.comparisons if c.model_a == best}
    others = ranked[1:]
    for m in others:
        m.vs_best = vs[m.model]
    raw = [m.vs_best.p_speaker for m in others]  # type: ignore[union-attr]
    if others and all(p is not None for p in raw):
        for m, p in zip(others, holm(raw)):  # type: ignore[arg-type]
            m.p_worse_speaker = float(p)
            m.worse_new_speakers = bool(p < alpha and m.vs_best.diff > 0)  # type: ignore[union-attr]


def assign_ranks(ranked: list[ModelResult], tol: float = TIE_TOL) -> None:
    """Competition ranking ("1, 2, 2, 4") of models sorted by descending UA; ties flagged."""
    for i, m in enumerate(ranked):
        prev = ranked[i - 1] if i else None
        if prev is not None and abs(prev.ua - m.ua) < tol:
            m.rank = prev.rank
            m.tied = prev.tied = True
        else:
            m.rank = i + 1


def _score_model(mr: ModelResult, table: dict[tuple[str, int], Run], folds: list[str], seeds: list[int],
                 labels: tuple[str, ...], position: dict[str, int], gold: np.ndarray) -> None:
    per_run: list[Scores] = []
    pooled: list[Scores] = []
    pred = np.empty((len(seeds), gold.size), dtype=np.int64)
    with_probs = all(table[(f, s)].probs is not None for f in folds for s in seeds)
    probs = np.zeros((len(seeds), gold.size, len(labels))) if with_probs else None
    for si, s in enumerate(seeds):
        cm = np.zeros((len(labels), len(labels)), dtype=np.int64)
        for f in folds:
            r = table[(f, s)]
            sc = score_codes(r.gold, r.pred, labels)
            per_run.append(sc)
            cm += sc.confusion
            where = [position[u] for u in r.uids]
            pred[si, where] = r.pred
            if probs is not None:
                probs[si, where] = r.probs
        pooled.append(scores_from_confusion(cm, labels))
    mr.probs = probs
    mr.seeds = list(seeds)
    mr.pred = pred
    mr.wa = float(np.mean([p.wa for p in pooled]))
    mr.ua = float(np.mean([p.ua for p in pooled]))
    mr.macro_f1 = float(np.mean([p.macro_f1 for p in pooled]))
    mr.wa_std = _std([p.wa for p in per_run])
    mr.ua_std = _std([p.ua for p in per_run])
    mr.f1_std = _std([p.macro_f1 for p in per_run])
    mr.confusion = sum(p.confusion for p in pooled)
    summed = scores_from_confusion(mr.confusion, labels)
    mr.per_class = summed.per_class


def _significance(key: CellKey, ranked: list[ModelResult], gold: np.ndarray, strata: np.ndarray, n_classes: int,
                  *, n_resamples: int, seed: int, alpha: float) -> list[ComparisonRow]:
    """CIs for every ranked model; best-vs-rest tests with Holm correction per (metric, test)."""
    if not ranked:
        return []
    rng = _cell_rng(seed, key)
    acc = np.stack([seed_mean_correct(m.pred, gold) for m in ranked], axis=1)  # (n, M)
    counts = bootstrap_counts(strata, n_resamples, rng)
    res = {metric: resampled_metric(acc, gold, n_classes, metric, counts) for metric in ("wa", "ua")}
    for j, m in enumerate(ranked):
        m.ua_ci = percentile_ci(res["ua"][:, j])
        m.wa_ci = percentile_ci(res["wa"][:, j])
    if len(ranked) < 2:
        return []
    best = ranked[0]
    others = ranked[1:]
    signs = random_signs(n_resamples, gold.size, rng)
    w_ua = metric_weights(gold, n_classes, "ua")
    perm_p = permutation_p(w_ua[:, None] * (acc[:, :1] - acc[:, 1:]), signs)
    best_major = majority_correct(best.pred, gold)
    raw: dict[tuple[str, str], list[Comparison]] = defaultdict(list)
    for j, m in enumerate(others, 1):
        vals = {"wa": (best.wa, m.wa), "ua": (best.ua, m.ua)}
        m.mdd = mdd_from_bootstrap(res["ua"][:, 0] - res["ua"][:, j])
        for metric in ("wa", "ua"):
            diffs = res[metric][:, 0] - res[metric][:, j]
            a, b = vals[metric]
            ci = percentile_ci(diffs)
            raw[(metric, "bootstrap")].append(
                Comparison("bootstrap", metric, a, b, a - b, ci, bootstrap_p(a - b, diffs), int(gold.size)))
            if metric == "wa":
                p = mcnemar_exact(best_major, majority_correct(m.pred, gold))[2]
                raw[("wa", "mcnemar")].append(Comparison("mcnemar", "wa", a, b, a - b, ci, p, int(gold.size)))
            else:
                raw[("ua", "permutation")].append(
                    Comparison("permutation", "ua", a, b, a - b, ci, float(perm_p[j - 1]), int(gold.size)))
    rows: list[ComparisonRow] = []
    for (metric, test), comps in raw.items():
        adjusted = holm([c.p_value for c in comps])
        for m, c, p_adj in zip(others, comps, adjusted):
            rows.append(ComparisonRow(best.model, m.model, c, float(p_adj)))
            if metric == "ua" and test == "permutation":
                m.p_worse = float(p_adj)
                if p_adj < alpha and c.diff > 0:
                    m.worse_than_best = True
    order = {("wa", "mcnemar"): 0, ("wa", "bootstrap"): 1, ("ua", "bootstrap"): 2, ("ua", "permutation"): 3}
    rows.sort(key=lambda r: ([m.model for m in others].index(r.model_b), order[(r.comparison.metric, r.comparison.test)]))
    return rows


def build_ablations(runs: list[Run]) -> list[AblationPoint]:
    """UA per ablation value: runs with run.ablation = {param, value}, per model and condition."""
    groups: dict[tuple[Any, ...], list[Run]] = defaultdict(list)
    for r in runs:
        abl = r.spec.ablation
        g = r.spec
        if abl is not None and g.task == "categorical":
            groups[(g.corpus, g.protocol_label, g.label_map, g.transcript, g.model, abl.param, g.audio,
                    g.refit)].append(r)
    points: list[AblationPoint] = []
    for gkey, gruns in sorted(groups.items(), key=lambda kv: (*kv[0][:6], kv[0][6].key, kv[0][7])):
        folds = sorted({r.spec.fold for r in gruns})
        seeds = sorted({r.spec.seed for r in gruns})
        by_value: dict[str, list[Run]] = defaultdict(list)
        for r in gruns:
            by_value[repr(r.spec.ablation.value)].append(r)  # type: ignore[union-attr]
        for vruns in by_value.values():
            value = vruns[0].spec.ablation.value  # type: ignore[union-attr]
            table = _dedupe(vruns, f"ablation {gkey[5]}={value!r} of {gkey[4]!r}")
            expected = [(f, s) for s in seeds for f in folds]
            ua = ua_std = None
            if all(k in table for k in expected):
                labels = vruns[0].labels
                per_seed = []
                for s in seeds:
                    cm = sum(score_codes(table[(f, s)].gold, table[(f, s)].pred, labels).confusion for f in folds)
                    per_seed.append(scores_from_confusion(cm, labels).ua)
                ua, ua_std = float(np.mean(per_seed)), _std(per_seed)
            points.append(AblationPoint(*gkey[:6], value=value, ua=ua, ua_std=ua_std, n_runs=len(table),
                                        n_expected=len(expected), audio=gkey[6], refit=gkey[7]))
    return points
