"""The validity panel: does a corpus with cue ground truth measure what it claims to measure?

Computed for every corpus x protocol x label map whose runs carry `diagnostics.by_cue_type` (the
runner writes it on synthetic corpora, from `SYNTHETIC_CUES.jsonl`; see benchmarks/run/cues.py),
from the gold-transcript runs (plus the runs of models that read no text), without ablation runs
and without cross-corpus runs. Four checks:

(a) each modality alone is well above chance on the cue type that only it can read: text models on
    `words` utterances, speech models on `prosody` ones. Per model: one-sided exact binomial test of
    k correct out of n against chance, where k = the seed-mean number correct rounded DOWN (seeds of
    one utterance are not independent draws, so they are averaged, never pooled) and chance = the
    share of the most frequent gold label among that cue type's test utterances (the best constant
    guess; stricter than 1/classes). The modality passes when one of its models has p < ALPHA after
    Bonferroni over that modality's models AND is at least MARGIN above chance ("well above").
(b) the oracle (a model whose results say `diagnostics.oracle`, e.g. `oracle-cue-pool`, which pools
    only the true cue span) beats its mean-pooling twin (named in its diagnostics) on the same
    utterances: paired permutation test on UA (significance.py), folds as strata; passes when the
    difference is positive with p < ALPHA.
(c) the best fusion model (reads text and speech; highest pooled UA) beats the best text-only and the
    best speech-only model (oracles excluded): two paired permutation tests on UA, Holm-corrected;
    passes when both differences are positive with adjusted p < ALPHA. Which model is "best" is
    read off these same test predictions: this is a check of the benchmark, not a claim about a model.
(d) every model's accuracy by cue type (seed-mean; n = utterances of that cue type over all folds).

A model counts only when its runs cover every fold seen in the group for each of its seeds (as in
the cells); a check whose models are absent says "not checked" and why, never "passed". Oracles are
kept out of the ranked cells by `board.compute_leaderboard`; they appear only here.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy import stats

from leaderboard.results import ResultError, Run
from leaderboard.significance import DEFAULT_RESAMPLES, compare, holm, metric_value, seed_mean_correct
from leaderboard.task_cells import TaskCell

ALPHA = 0.05
MARGIN = 0.10  # (a): "well above chance" = significant AND at least 10 points above the best constant guess
MODALITY_CUE = {"text": "words", "speech": "prosody"}  # the cue type only that modality can read
CUE_ORDER = ("words", "prosody", "both", "contradict", "none", "ambiguous")


def is_oracle(run: Run) -> bool:
    """A run of a validation oracle (it read ground truth): never ranked, shown in the validity panel only."""
    diag = run.record.diagnostics or {}
    return bool(diag.get("oracle"))


@dataclass
class ModelCues:
    """One model in a panel: its pooled predictions and per-cue-type counts."""

    model: str
    modalities: tuple[str, ...]
    oracle_twin: str | None  # set for oracles: the model they must beat
    seeds: list[int]
    pred: np.ndarray  # (seeds, n) codes in the panel's uid order
    by_cue: dict[str, tuple[int, float, dict[str, int]]]  # cue type -> (n, seed-mean correct, gold counts)
    ua: float = 0.0

    @property
    def is_oracle(self) -> bool:
        return self.oracle_twin is not None

    def accuracy(self, cue_type: str) -> float | None:
        if cue_type not in self.by_cue or self.by_cue[cue_type][0] == 0:
            return None
        n, correct, _ = self.by_cue[cue_type]
        return correct / n


@dataclass(frozen=True)
class ChanceTest:
    """(a) for one model: k of n right on its modality's cue type, against the best constant guess."""

    model: str
    modality: str
    cue_type: str
    n: int
    k: int
    accuracy: float
    chance: float
    p_value: float
    p_adjusted: float
    passed: bool


@dataclass(frozen=True)
class PairTest:
    """(b)/(c): model A against model B on the same utterances (UA, paired permutation test)."""

    model_a: str
    model_b: str
    ua_a: float
    ua_b: float
    diff: float
    ci: tuple[float, float]
    p_value: float
    p_adjusted: float
    passed: bool


@dataclass(frozen=True)
class Verdict:
    check: str  # "a-text", "a-speech", "b", "c"
    title: str
    passed: bool | None  # None: could not be checked (models or cue types absent)
    message: str


@dataclass
class ValidityPanel:
    corpus: str
    protocol: str
    label_map: str
    synthetic: bool
    labels: tuple[str, ...]
    folds: list[str]
    n: int
    cue_types: list[str]
    models: list[ModelCues]  # by pooled UA, oracles last
    incomplete: dict[str, str]  # model -> why it was left out
    chance_tests: list[ChanceTest] = field(default_factory=list)
    oracle_tests: list[PairTest] = field(default_factory=list)
    fusion_tests: list[PairTest] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.corpus} · {self.protocol} · {self.label_map}"

    @property
    def failed(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.passed is False]


def build_validity(runs: list[Run], *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> list[ValidityPanel]:
    """One panel per corpus x protocol x label map whose within-corpus gold runs carry by_cue_type."""
    groups: dict[tuple[str, str, str], list[Run]] = defaultdict(list)
    for r in runs:
        info = r.record.run
        diag = r.record.diagnostics or {}
        if "by_cue_type" not in diag or info.ablation is not None or info.cross_corpus:
            continue
        if info.task != "categorical" or not info.audio.is_clean or info.refit:  # the panel is about clean audio
            continue
        if not info.transcript.is_gold and not info.transcript_independent:
            continue
        groups[(info.corpus, info.protocol, info.label_map)].append(r)
    return [_panel(key, rs, n_resamples, seed) for key, rs in sorted(groups.items())]


def _panel(key: tuple[str, str, str], runs: list[Run], n_resamples: int, seed: int) -> ValidityPanel:
    corpus, protocol, label_map = key
    labels = runs[0].labels
    folds = sorted({r.record.run.fold for r in runs})
    # the group's utterances: each fold's test set, checked to be the same for every run of the fold
    fold_uids: dict[str, tuple[str, ...]] = {}
    gold_of: dict[str, int] = {}
    for r in runs:
        if r.labels != labels:
            raise ResultError(f"{r.result_path}: label set {list(r.labels)} differs from {list(labels)} in {corpus}")
        fold = r.record.run.fold
        seen = fold_uids.setdefault(fold, tuple(sorted(r.uids)))
        if seen != tuple(sorted(r.uids)):
            raise ResultError(f"{r.result_path}: fold {fold} has other test utterances than other runs of {corpus}")
        for u, g in zip(r.uids, r.gold.tolist()):
            if gold_of.setdefault(u, g) != g:
                raise ResultError(f"{r.result_path}: gold label of {u!r} differs from other runs")
    uids = [u for f in folds for u in fold_uids[f]]
    index = {u: i for i, u in enumerate(uids)}
    gold = np.array([gold_of[u] for u in uids], dtype=np.int64)
    strata = np.array([fi for fi, f in enumerate(folds) for _ in fold_uids[f]], dtype=np.int64)

    by_model: dict[str, dict[int, dict[str, Run]]] = defaultdict(lambda: defaultdict(dict))
    for r in runs:
        by_model[r.record.run.model][r.record.run.seed][r.record.run.fold] = r
    models: list[ModelCues] = []
    incomplete: dict[str, str] = {}
    for name, seeds in sorted(by_model.items()):
        full = sorted(s for s, fr in seeds.items() if set(fr) == set(folds))
        if not full:
            incomplete[name] = f"no seed covers all {len(folds)} folds"
            continue
        pred = np.full((len(full), len(uids)), -1, dtype=np.int64)
        n_seeds = len(full)
        cue_n: dict[str, list[int]] = defaultdict(lambda: [0] * n_seeds)  # noqa: B023 (used within this iteration)
        cue_ok: dict[str, list[int]] = defaultdict(lambda: [0] * n_seeds)  # noqa: B023
        cue_gold: dict[str, dict[str, int]] = {}
        diag0: dict[str, Any] = {}
        for si, s in enumerate(full):
            for f in folds:
                r = seeds[s][f]
                idx = np.fromiter((index[u] for u in r.uids), dtype=np.int64, count=len(r.uids))
                pred[si, idx] = r.pred
                diag0 = diag0 or (r.record.diagnostics or {})
                for t, b in _cue_blocks(r).items():
                    cue_n[t][si] += int(b["n"])
                    cue_ok[t][si] += int(b["correct"])
                    if si == 0:
                        for lab, c in (b.get("gold") or {}).items():
                            cue_gold.setdefault(t, {})[lab] = cue_gold.get(t, {}).get(lab, 0) + int(c)
        by_cue = {t: (cue_n[t][0], float(np.mean(cue_ok[t])), cue_gold.get(t, {})) for t in cue_n}
        oracle = diag0.get("oracle")
        twin = (str(oracle.get("twin") or "") if isinstance(oracle, dict) else "") if oracle else None
        m = ModelCues(model=name, modalities=tuple(sorted(diag0.get("modalities") or ())), oracle_twin=twin,
                      seeds=full, pred=pred, by_cue=by_cue)
        m.ua = metric_value(seed_mean_correct(pred, gold), gold, len(labels), "ua")
        models.append(m)
    models.sort(key=lambda m: (m.is_oracle, -m.ua, m.model))
    cue_types = [t for t in CUE_ORDER if any(t in m.by_cue for m in models)]
    cue_types += sorted({t for m in models for t in m.by_cue} - set(cue_types))
    panel = ValidityPanel(corpus=corpus, protocol=protocol, label_map=label_map,
                          synthetic=any(r.record.run.synthetic for r in runs), labels=labels, folds=folds, n=len(uids),
                          cue_types=cue_types, models=models, incomplete=incomplete)
    _check_modalities(panel)
    _check_oracle(panel, gold, strata, n_resamples, seed)
    _check_fusion(panel, gold, strata, n_resamples, seed)
    return panel


def _cue_blocks(run: Run) -> dict[str, dict[str, Any]]:
    """The run's by_cue_type block, validated (a malformed one is an error naming the file)."""
    block = (run.record.diagnostics or {}).get("by_cue_type")
    ok = isinstance(block, dict) and all(
        isinstance(b, dict) and all(isinstance(b.get(k), int) and not isinstance(b.get(k), bool) and b[k] >= 0
                                    for k in ("n", "correct")) and b["correct"] <= b["n"]
        and isinstance(b.get("gold", {}), dict) for b in block.values())
    if not ok:
        raise ResultError(f"{run.result_path}: diagnostics.by_cue_type must map cue types to "
                          "{\"n\": int, \"correct\": int <= n, \"gold\": {label: count}}")
    n_total = sum(b["n"] for b in block.values())
    uncovered = ((run.record.diagnostics or {}).get("cue_truth") or {}).get("uncovered", 0)
    if n_total + (uncovered if isinstance(uncovered, int) else 0) != len(run.uids):
        raise ResultError(f"{run.result_path}: by_cue_type counts {n_total} utterances (+{uncovered} uncovered) "
                          f"but the run has {len(run.uids)} predictions")
    return block


def _check_modalities(panel: ValidityPanel) -> None:
    for modality, cue in MODALITY_CUE.items():
        cands = [m for m in panel.models if m.modalities == (modality,) and not m.is_oracle and cue in m.by_cue
                 and m.by_cue[cue][0] > 0]
        title = f"(a) {modality} alone is well above chance on `{cue}` utterances"
        if not cands:
            why = (f"no `{cue}` utterances in this corpus" if not any(cue in m.by_cue for m in panel.models)
                   else f"no complete {modality}-only model")
            panel.verdicts.append(Verdict(f"a-{modality}", title, None, f"not checked: {why}"))
            continue
        tests = []
        for m in cands:
            n, correct, gold_counts = m.by_cue[cue]
            k = math.floor(correct + 1e-9)
            chance = max(gold_counts.values()) / n if gold_counts else 1.0 / len(panel.labels)
            p = float(stats.binom.sf(k - 1, n, chance))
            tests.append((m, n, k, chance, p))
        for m, n, k, chance, p in tests:
            p_adj = min(1.0, p * len(tests))
            ok = p_adj < ALPHA and k / n - chance >= MARGIN
            panel.chance_tests.append(ChanceTest(m.model, modality, cue, n, k, k / n, chance, p, p_adj, ok))
        mine = [t for t in panel.chance_tests if t.modality == modality]
        best = max(mine, key=lambda t: (t.passed, t.accuracy - t.chance))
        detail = (f"{best.model}: {best.k}/{best.n} = {100 * best.accuracy:.1f}% vs chance {100 * best.chance:.1f}%, "
                  f"p = {best.p_adjusted:.2g} (Bonferroni over {len(mine)})")
        if best.passed:
            panel.verdicts.append(Verdict(f"a-{modality}", title, True, f"passed: {detail}"))
        else:
            panel.verdicts.append(Verdict(f"a-{modality}", title, False,
                                          f"FAILED: no {modality}-only model is significantly and at least "
                                          f"{100 * MARGIN:.0f} points above chance on `{cue}` utterances (best: {detail}): either "
                                          f"the corpus's {modality} cue is not learnable as built or the models do not "
                                          "find it (an oracle's row in the table below tells which)"))


def _pair(a: ModelCues, b: ModelCues, gold: np.ndarray, strata: np.ndarray, n_classes: int,
          n_resamples: int, seed: int) -> tuple[float, float, float, tuple[float, float], float]:
    c = compare(a.pred, b.pred, gold, n_classes, test="permutation", metric="ua", strata=strata,
                n_resamples=n_resamples, seed=seed)
    return c.a, c.b, c.diff, c.ci, c.p_value


def _check_oracle(panel: ValidityPanel, gold: np.ndarray, strata: np.ndarray, n_resamples: int, seed: int) -> None:
    title = "(b) the cue-span oracle beats its mean-pooling twin"
    oracles = [m for m in panel.models if m.is_oracle]
    if not oracles:
        panel.verdicts.append(Verdict("b", title, None, "not checked: no oracle model was run on this corpus"))
        return
    by_name = {m.model: m for m in panel.models}
    for o in oracles:
        twin = by_name.get(o.oracle_twin or "")
        if twin is None:
            panel.verdicts.append(Verdict("b", title, None, f"not checked: {o.model}'s twin "
                                          f"{o.oracle_twin or '(unnamed)'} has no complete runs here"))
            continue
        ua_a, ua_b, diff, ci, p = _pair(o, twin, gold, strata, len(panel.labels), n_resamples, seed)
        ok = diff > 0 and p < ALPHA
        panel.oracle_tests.append(PairTest(o.model, twin.model, ua_a, ua_b, diff, ci, p, p, ok))
        detail = (f"{o.model} UA {100 * ua_a:.1f}% vs {twin.model} {100 * ua_b:.1f}% "
                  f"({100 * diff:+.1f} pts, 95% CI [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}], p = {p:.2g})")
        why = ("pooling only the true cue frames does not help: the cue spans do not line up with the features, "
               "or the cue phrase carries no more signal than the rest of the utterance" if diff <= 0 else
               f"the oracle is ahead but not significantly: {panel.n} test utterances cannot show that the cue "
               "phrase carries the signal")
        panel.verdicts.append(Verdict("b", title, ok, f"passed: {detail}" if ok else f"FAILED: {detail}; {why}"))


def _check_fusion(panel: ValidityPanel, gold: np.ndarray, strata: np.ndarray, n_resamples: int, seed: int) -> None:
    title = "(c) the best fusion model beats both unimodal ones"
    ranked = [m for m in panel.models if not m.is_oracle]  # already by UA
    fusion = next((m for m in ranked if m.modalities == ("speech", "text")), None)
    text = next((m for m in ranked if m.modalities == ("text",)), None)
    speech = next((m for m in ranked if m.modalities == ("speech",)), None)
    missing = [w for w, m in (("fusion", fusion), ("text-only", text), ("speech-only", speech)) if m is None]
    if missing:
        panel.verdicts.append(Verdict("c", title, None, f"not checked: no complete {' or '.join(missing)} model"))
        return
    assert fusion is not None and text is not None and speech is not None
    pairs = [_pair(fusion, other, gold, strata, len(panel.labels), n_resamples, seed) for other in (text, speech)]
    adjusted = holm([p[4] for p in pairs])
    for other, (ua_a, ua_b, diff, ci, p), p_adj in zip((text, speech), pairs, adjusted):
        panel.fusion_tests.append(PairTest(fusion.model, other.model, ua_a, ua_b, diff, ci, p, float(p_adj),
                                           diff > 0 and p_adj < ALPHA))
    ok = all(t.passed for t in panel.fusion_tests)
    detail = "; ".join(f"{t.model_a} {100 * t.ua_a:.1f}% vs {t.model_b} {100 * t.ua_b:.1f}% "
                       f"({100 * t.diff:+.1f} pts, Holm p = {t.p_adjusted:.2g})" for t in panel.fusion_tests)
    panel.verdicts.append(Verdict("c", title, ok, f"passed: {detail}" if ok else
                                  f"FAILED: {detail}; fusion is not significantly better than each modality alone "
                                  f"on these {panel.n} utterances, so this corpus cannot show what a fusion method adds"))


AROUSAL_MODEL = "speech-only"  # the speech branch's reference model; arousal is carried by prosody (issue 24)


def add_arousal_check(panel: ValidityPanel, tasks: Sequence[TaskCell]) -> None:
    """Check d (where the corpus has a dimensional cell on clean audio and gold text): speech-only's arousal CCC is
    above zero, its 95% CI for new speakers (this test set's where the cell has no speaker reading) excluding 0."""
    cell = next((t for t in tasks if t.key.task == "dimensional" and t.key.corpus == panel.corpus
                 and t.key.protocol == panel.protocol and t.key.label_map == panel.label_map
                 and t.key.audio.is_clean and not t.key.refit and t.key.transcript.is_gold), None)
    if cell is None:
        return
    title = "(d) speech carries arousal (dimensional task, CCC)"
    m = next((x for x in cell.ranked if x.model == AROUSAL_MODEL), None)
    if m is None or "ccc_aro" not in m.cis:
        panel.verdicts.append(Verdict("d", title, None, f"not checked: no complete {AROUSAL_MODEL} run on the "
                                                        "dimensional task"))
        return
    reading, ci = ("new speakers", m.cis_speaker["ccc_aro"]) if "ccc_aro" in m.cis_speaker else ("this test set",
                                                                                                  m.cis["ccc_aro"])
    detail = (f"{AROUSAL_MODEL} arousal CCC {m.scores['ccc_aro']:.2f}, 95% CI ({reading}) [{ci[0]:.2f}, {ci[1]:.2f}] "
              f"on {cell.n} utterances")
    ok = ci[0] > 0
    panel.verdicts.append(Verdict("d", title, ok, f"passed: {detail}" if ok else
                                  f"FAILED: {detail}; the speech branch does not carry arousal on this corpus"))
