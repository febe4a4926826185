"""Markdown, LaTeX and CSV renderings of a computed leaderboard (pure functions returning text)."""
from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np

from leaderboard.agreement import LEVELS
from leaderboard.attention import ATTENTION_NOTE, attention_table
from leaderboard.board import SYNTHETIC_NOTICE, Group, Leaderboard
from leaderboard.cells import ALPHA, Cell, ModelResult, corpus_order, failure_summary
from leaderboard.metrics import ClassScores, class_scores
from leaderboard.power import POWER
from leaderboard.robustness import RobustnessTable
from leaderboard.task_cells import TaskCell, task_note
from leaderboard.validity import ALPHA as VALIDITY_ALPHA
from leaderboard.validity import MARGIN, ValidityPanel
from leaderboard.variance import seed_spread_exceeds_gap
from lemer.core.metrics import Metric

WORSE = "†"
WORSE_SPEAKERS = "‡"
TI = "◇"
TIE = "="
# Units are in the names: *_pct = percent (0-100), *_pts = percentage points; rounded to 2 decimals
# (the page shows 1), p-values to 4 significant digits; blank = not applicable.
LEADERBOARD_COLUMNS = (
    "corpus", "protocol", "label_map", "transcript", "wer_pct", "model", "wa_pct", "ua_pct", "macro_f1_pct",
    "wa_std_pct", "ua_std_pct", "ua_ci_low_pct", "ua_ci_high_pct", "n", "folds", "seeds",
    # added beyond the list: needed to read a row without the other files
    "train_corpus", "rank", "tied", "macro_f1_std_pct", "transcript_independent", "complete", "runs", "runs_expected",
    "significantly_worse", "p_holm_vs_best", "mdd_vs_best_pts", "cell_mdd_pts", "synthetic",
    # the condition beyond the transcript (issues 22, 23)
    "audio", "audio_splits", "refit",
    # the "new speakers" reading and the rest of issue 21 (blank where the cell has no speaker facts)
    "ua_ci_speaker_low_pct", "ua_ci_speaker_high_pct", "diff_vs_best_ci_low_pts", "diff_vs_best_ci_high_pts",
    "diff_vs_best_ci_speaker_low_pts", "diff_vs_best_ci_speaker_high_pts", "significantly_worse_new_speakers",
    "p_holm_vs_best_speakers", "mdd_vs_best_speakers_pts", "groups_test_set", "groups_new_speakers", "n_speakers",
    "sd_fold_pts", "sd_test_sample_pts", "sd_seed_pts", "seed_sd_exceeds_gap_to_best", "worst_speaker",
    "worst_speaker_ua_pct", "rank_flips_on_worst_speaker", "gender_gap_pts", "gender_gap_ci_low_pts",
    "gender_gap_ci_high_pts", "ece_pct", "brier", "nll", "calibration_note",
)
SIGNIFICANCE_COLUMNS = (
    "corpus", "protocol", "transcript", "model_a", "model_b", "metric", "test", "diff_pts", "ci_low_pts",
    "ci_high_pts", "p_value", "p_adjusted", "label_map", "train_corpus", "decides_mark", "reading", "audio",
    "audio_splits", "refit", "decides_speaker_mark",
)


def legend(lb: Leaderboard) -> str:
    return (f"Metrics in %. WA/UA/macro-F1 pooled over the folds of a seed (each utterance once), then averaged "
            f"over seeds; ± = std over folds × seeds of per-run metrics; UA 95% CI = paired bootstrap over "
            f"utterances stratified by fold, seeds kept together ({lb.n_resamples} resamples, seed {lb.seed}). "
            f"Ranks by pooled UA, competition ranking (equal UA shares a rank: 1, 2, 2, 4). "
            f"MDD = minimum detectable UA difference (percentage points) at {POWER:.0%} power, α = {ALPHA}: "
            f"(z₀.₉₇₅ + z₀.₈₀) × the paired-bootstrap SE of the UA difference with the best model; smaller gaps are "
            f"ones the data would usually not show. Incomplete models (runs missing for some fold × seed) are listed "
            f"but never averaged or ranked.")


def marks_legend() -> str:
    """One line that explains every mark the tables use."""
    return (f"Marks: {WORSE} significantly worse than the cell's best model on THIS TEST SET — paired permutation "
            f"test on UA over utterances, Holm-corrected over the cell's comparisons with the best, p < {ALPHA} (the "
            f"test that sets {WORSE}; the other tests are listed for reference); {WORSE_SPEAKERS} significantly worse "
            f"for NEW SPEAKERS — the same comparison with speakers as the unit (speaker sign flip, exact up to 16 "
            f"speakers, Holm over the same family); {TI} transcript-independent (reads no text: the same runs under "
            f"every transcript condition); {TIE} tied rank (equal pooled UA); groups: models sharing a letter are "
            f"not separated by the all-pairs tests (Holm over all pairs, one family per reading; test set / new "
            f"speakers); incomplete = runs missing, not ranked; blank = not run.")


def readings_note() -> str:
    """Why two readings, and which one the marks use."""
    return ("Two readings of every comparison. 'This test set': utterances resampled within folds, as if each were "
            "an independent draw; it answers whether the models differ on these recordings. 'New speakers': "
            "speakers resampled within folds with all their utterances and seeds together; it answers whether the "
            "difference should be expected for speakers not in the corpus, and is the wider one whenever models "
            "differ more on some speakers than on others. † uses the first (it is what the field reports and what "
            "earlier boards marked), ‡ the second; where they disagree the headline shows both. An IEMOCAP fold is "
            "two speakers: with 10 speakers an exact sign flip can reach p = 0.002 at best.")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def pct(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{100 * x:.{digits}f}"


def wer_label(cell: Cell) -> str:
    if cell.wer is None:
        return "WER 0%" if cell.key.transcript.is_gold else "WER n/a"
    return f"WER {pct(cell.wer)}%"


def model_label(m: ModelResult) -> str:
    marks = ((WORSE if m.worse_than_best else "") + (WORSE_SPEAKERS if m.worse_new_speakers else "")
             + (TI if m.transcript_independent else ""))
    return m.model + (f" {marks}" if marks else "")


def spread(value: float | None, sd: float | None) -> str:
    """`52.3 ± 4.1`; `52.3 ± —` where there is one run (no spread to show)."""
    return f"{pct(value)} ± {'—' if sd is None else pct(sd)}"


def ci_label(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"[{pct(ci[0])}, {pct(ci[1])}]"


def groups_label(m: ModelResult) -> str:
    """`ab / a`: the model's letters on this test set / for new speakers ("–" where no speaker test exists)."""
    if not m.letters:
        return ""
    return f"{m.letters} / {m.letters_speaker if m.letters_speaker is not None else '–'}"


def worst_speaker_label(m: ModelResult) -> str:
    inf = m.inference
    if inf is None:
        return ""
    return f"{pct(inf.speakers.worst_ua)} ({inf.speakers.worst_speaker})"


def ece_label(m: ModelResult) -> str:
    inf = m.inference
    return "" if inf is None or inf.calibration.ece is None else pct(inf.calibration.ece)


def rank_label(m: ModelResult) -> str:
    return "–" if m.rank is None else f"{m.rank}{TIE if m.tied else ''}"


def mdd_label(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}"


def incomplete_label(m: ModelResult) -> str:
    return f"incomplete ({m.n_runs}/{m.n_expected} fold×seed runs)"


def cell_rows(cell: Cell) -> list[dict[str, str]]:
    """Display strings for the rows of one cell's table (shared by Markdown, LaTeX and HTML)."""
    rows = []
    for m in cell.models:
        if m.complete:
            rows.append({
                "rank": rank_label(m), "model": model_label(m),
                "wa": spread(m.wa, m.wa_std), "ua": spread(m.ua, m.ua_std),
                "macro_f1": spread(m.macro_f1, m.f1_std), "ua_ci": ci_label(m.ua_ci),
                "ua_ci_speaker": ci_label(m.inference.ci_speaker) if m.inference else "",
                "groups": groups_label(m), "mdd": mdd_label(m.mdd), "worst": worst_speaker_label(m),
                "ece": ece_label(m), "n": str(len(cell.uids)), "runs": f"{len(cell.folds)}×{len(m.seeds)}",
            })
        else:
            rows.append({"rank": "–", "model": model_label(m), "ua": incomplete_label(m), "wa": "", "macro_f1": "",
                         "ua_ci": "", "ua_ci_speaker": "", "groups": "", "mdd": "", "worst": "", "ece": "", "n": "",
                         "runs": f"{m.n_runs}/{m.n_expected}"})
    return rows


PER_CLASS_NOTE = ("Precision / recall / F1 (%) per class, from each model's confusion matrix summed over folds and "
                  "seeds (the test set read once per seed); '–' = undefined (precision: never predicted; recall: "
                  "not in gold). The mean of a row's defined F1 values is the macro-F1 of that summed matrix: with one "
                  "seed the cell table's macro-F1, with several close to (not equal to) the cell table's mean over "
                  "seeds.")


def _prf(c: ClassScores) -> str:
    return " / ".join("–" if x is None else f"{100 * x:.1f}" for x in (c.precision, c.recall, c.f1))


def model_class_scores(m: ModelResult, labels: tuple[str, ...]) -> list[ClassScores]:
    """The model's per-class scores from its summed confusion matrix (complete models only)."""
    return class_scores(m.confusion, labels) if m.complete and m.confusion is not None else []


def per_class_rows(cell: Cell) -> tuple[list[str], list[list[str]]]:
    """Rows of the cell's per-class table: one per complete model in rank order, one column per class."""
    support = np.bincount(cell.gold, minlength=len(cell.labels))
    headers = ["Model"] + [f"{lab} (n={n})" for lab, n in zip(cell.labels, support)]
    rows = [[m.model] + [_prf(c) for c in model_class_scores(m, cell.labels)] for m in cell.ranked
            if m.confusion is not None]
    return headers, rows


CELL_HEADERS = (("rank", "Rank"), ("model", "Model"), ("ua", "UA"), ("wa", "WA"), ("macro_f1", "macro-F1"),
                ("ua_ci", "UA 95% CI (test set)"), ("ua_ci_speaker", "UA 95% CI (new speakers)"),
                ("groups", "groups (test set / new speakers)"), ("mdd", "MDD vs #1"), ("worst", "worst speaker UA"),
                ("ece", "ECE"), ("n", "n"), ("runs", "folds×seeds"))


HEADLINE_HEADERS = ("Corpus", "Protocol · labels", "Transcript", "WER %", "Best model", "UA %", "Runner-up", "UA %",
                    "Gap (pts)", "MDD (pts)", "Significant? (test set)", "p (Holm)", "New speakers?", "p (Holm, speakers)")
HEADLINE_RUNNER_UP = 6
HEADLINE_VERDICT = 10


def verdict(cell: Cell) -> tuple[str, str]:
    """(is the best model significantly better than the runner-up?, Holm p), from the test that sets †.

    "yes" / "no", "tied" when they have the same UA, "one model" when nothing else is ranked."""
    ranked = cell.ranked
    if len(ranked) < 2:
        return "one model", ""
    best, second = ranked[0], ranked[1]
    p = "" if second.p_worse is None else f"{second.p_worse:.2g}"
    if second.tied and second.rank == best.rank:
        return "tied", p
    return ("yes" if second.worse_than_best else "no"), p


def verdict_speakers(cell: Cell) -> tuple[str, str]:
    """The same question for new speakers (‡'s test): "yes" / "no" / "tied" / "one model", or "n/a" with no test."""
    ranked = cell.ranked
    if len(ranked) < 2:
        return "one model", ""
    best, second = ranked[0], ranked[1]
    if second.tied and second.rank == best.rank:
        return "tied", ""
    if second.p_worse_speaker is None:
        return "n/a", ""
    return ("yes" if second.worse_new_speakers else "no"), f"{second.p_worse_speaker:.2g}"


def condition_label(cell: Cell) -> str:
    """The transcript condition, plus the audio condition and refit where they are not the default."""
    k = cell.key
    return k.transcript.key + ("" if k.audio.is_clean else f" · audio {k.audio.key}") + (" · refit" if k.refit else "")


def headline_cells(lb: Leaderboard) -> list[Cell]:
    """IEMOCAP first, then the other corpora; in-corpus protocols before cross-corpus; gold transcript first."""
    return sorted((c for c in lb.cells if c.ranked), key=lambda c: (
        corpus_order(c.key.corpus), c.key.corpus, c.key.cross, c.key.group, c.key.transcript.sort_key(c.wer)))


def competitors_label(cell: Cell, reference: Cell | None) -> str:
    """`of 6 models` and, where the reference cell's (clean audio, gold text) winner was not run here, which."""
    text = f"of {plural(len(cell.ranked), 'model')}"
    if reference is None or reference is cell or not reference.ranked:
        return text
    here = {m.model for m in cell.ranked}
    missing = [m.model for m in reference.ranked if m.rank == reference.ranked[0].rank and m.model not in here]
    return text + (f"; {', '.join(missing)} (best on gold text, clean audio) not run here" if missing else "")


def headline_rows(lb: Leaderboard) -> list[list[str]]:
    """One row per cell with a ranked model: the best model, the runner-up and the verdict between them."""
    rows = []
    gold = {(c.key.corpus, c.key.kind, c.key.protocol, c.key.label_map, c.key.train_corpus): c for c in lb.cells
            if c.key.transcript.is_gold and c.key.audio.is_clean and not c.key.refit}
    for c in headline_cells(lb):
        ranked = c.ranked
        best = ranked[0]
        top = [m.model for m in ranked if m.rank == best.rank]
        second = ranked[1] if len(ranked) > 1 else None
        protocol = c.key.protocol_label + " · " + c.key.label_map
        reference = gold.get((c.key.corpus, c.key.kind, c.key.protocol, c.key.label_map, c.key.train_corpus))
        tied = f"tied with {plural(len(top) - 1, 'other')}, " if len(top) > 1 else ""
        rows.append([
            c.key.corpus + (" [synthetic]" if c.synthetic else ""), protocol, condition_label(c),
            "0.0" if c.wer is None and c.key.transcript.is_gold else pct(c.wer),
            model_label(best) + f" ({tied}{competitors_label(c, reference)})", pct(best.ua),
            "" if second is None else model_label(second), "" if second is None else pct(second.ua),
            "" if second is None else f"{100 * (best.ua - second.ua):.1f}",
            "" if second is None else mdd_label(second.mdd), *verdict(c), *verdict_speakers(c),
        ])
    return rows


def headline_text(lb: Leaderboard) -> str:
    """The headline table for a terminal (`lemer-bench leaderboard --print`)."""
    from tabulate import tabulate

    rows = [list(r) for r in headline_rows(lb)]
    for r in rows:  # "synthetic-*" names say it already; keep the tag for other synthetic corpora
        if r[0].startswith("synthetic-") and r[0].endswith(" [synthetic]"):
            r[0] = r[0][:-len(" [synthetic]")]
    headers = ["Corpus", "Protocol · labels", "Transcript", "WER%", "Best", "UA%", "Runner-up", "UA%", "Gap", "MDD",
               "Significant?", "p (Holm)", "New speakers?", "p (spk)"]
    table = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True,
                     colalign=("left",) * 3 + ("right", "left", "right", "left") + ("right",) * 3
                     + ("left", "right", "left", "right"))
    notes = [f"Best model per corpus × condition (UA, %). Gap and MDD in percentage points; MDD = minimum detectable "
             f"UA difference at {POWER:.0%} power for best vs runner-up. Significant? = best better than runner-up on this "
             f"test set (paired permutation test on UA over utterances, Holm-corrected, α = {ALPHA}); New speakers? = "
             f"the same with "
             f"speakers as the unit (speaker sign flip; n/a: too few speakers or none known). {TI} = reads no text."]
    if lb.synthetic:
        notes.insert(0, f"NOTE: {SYNTHETIC_NOTICE}.")
    import textwrap

    return "\n".join([*(textwrap.fill(n, 110) for n in notes), "", table])


def summary_rows(group: Group) -> tuple[list[str], list[list[str]]]:
    """UA per model (rows) × transcript condition (columns); blank = no runs, 'incomplete' = not all runs."""
    most = max(len(c.folds) for c in group.cells)
    headers = [f"{c.key.transcript} ({wer_label(c)}" + (f"; {plural(len(c.folds), 'fold')}" if len(c.folds) < most else "")
               + ")" for c in group.cells]
    rows = []
    for model in group.models:
        row = [model]
        for c in group.cells:
            m = next((x for x in c.models if x.model == model), None)
            if m is None:
                row.append("")
            elif not m.complete:
                row.append("incomplete")
            else:
                row.append(pct(m.ua) + (f" {WORSE}" if m.worse_than_best else "") + (f" {TI}" if m.transcript_independent else ""))
        rows.append(row)
    return headers, rows


FAILED_NOTE = "Failed runs (error.txt in the run folder, no result; never ranked, rerun resumes them):"


def _num3(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def _task_value(metric: Metric, x: float | None) -> str:
    return "" if x is None else (pct(x) if metric.percent else _num3(x))


def _task_ci(metric: Metric, ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"[{_task_value(metric, ci[0])}, {_task_value(metric, ci[1])}]"


def task_table(cell: TaskCell) -> tuple[list[str], list[list[str]]]:
    """A soft or dimensional cell: every metric (mean ± SD over seeds) and both readings of best vs each."""
    main = cell.main
    headers = ["Rank", "Model", *(m.display + (" %" if m.percent else "") for m in cell.metrics),
               f"{main.display} 95% CI (test set)", "(new speakers)", "best − model, 95% CI (test set)",
               "(new speakers)", "p Holm (test set)", "(new speakers)"]
    rows = []
    for m in cell.models:
        if m.rank is None:
            rows.append(["–", m.model, f"incomplete ({m.n_runs}/{m.n_expected} fold×seed runs)",
                         *[""] * (len(headers) - 3)])
            continue
        marks = ("†" if m.worse else "") + ("‡" if m.worse_speakers else "")
        vals = [_task_value(x, m.scores.get(x.name)) + ("" if m.std.get(x.name) is None
                                                         else f" ± {_task_value(x, m.std[x.name])}")
                for x in cell.metrics]
        rows.append([str(m.rank), m.model + (f" {marks}" if marks else ""), *vals, _task_ci(main, m.ci),
                     _task_ci(main, m.ci_speaker), _task_ci(main, m.diff_ci), _task_ci(main, m.diff_ci_speaker),
                     _p(m.p_holm), _p(m.p_holm_speaker)])
    return headers, rows


def robustness_rows(t: RobustnessTable) -> tuple[list[str], list[list[str]]]:
    """Degraded vs clean audio per model: both UAs, the paired difference in both readings."""
    headers = ["Model", "UA % clean", "UA % degraded", "diff (pts)", "95% CI (test set)", "p Holm (test set)",
               "95% CI (new speakers)", "p Holm (new speakers)"]
    rows = []
    for r in t.rows:
        k = r.test
        rows.append([r.model + (f" {TI}" if r.transcript_independent else ""), pct(r.ua_clean), pct(r.ua_degraded),
                     f"{100 * k.diff:+.1f}", f"[{100 * k.ci_utterance[0]:+.1f}, {100 * k.ci_utterance[1]:+.1f}]",
                     f"{r.p_holm:.3g}" + (" *" if r.significant else ""),
                     "" if k.ci_speaker is None else f"[{100 * k.ci_speaker[0]:+.1f}, {100 * k.ci_speaker[1]:+.1f}]",
                     "" if r.p_holm_speaker is None else f"{r.p_holm_speaker:.3g}" + (" *" if r.significant_speaker else "")])
    return headers, rows


def robustness_intro(t: RobustnessTable) -> str:
    wer = lambda c: "" if c is None or c.wer is None else f" (WER {pct(c.wer)}%)"  # noqa: E731
    base = (f"Against clean audio{wer(t.clean)}; degraded{wer(t.degraded)}. diff = UA degraded − UA clean on the "
            f"same utterances, paired; * = Holm p < {ALPHA} over this table's models, per reading.")
    return base + (f" {t.note}." if t.note else "")


def agreement_rows(cell: Cell) -> tuple[list[str], list[list[str]]] | None:
    """UA per annotator-agreement level for each ranked model, and the human ceiling (leaderboard/agreement.py)."""
    a = cell.agreement
    if a is None:
        return None
    headers = ["Model", *(f"{lv} (n={n})" for lv, n in zip(LEVELS, a.counts)), "all"]
    by = {m.model: m for m in cell.ranked}
    rows = [[name, *(pct(s.ua) for s in scores), pct(by[name].ua)] for name, scores in a.models]
    if a.ceiling is not None:
        rows.append(["human ceiling (leave one annotator out)", *(pct(s.ua) for s in a.ceiling.levels),
                     pct(a.ceiling.ua)])
    return headers, rows


AGREEMENT_NOTE = ("UA (%) by annotator agreement on the consensus class: unanimous, majority (> half the votes), "
                  "plurality only; mean over seeds. Human ceiling: each annotator against the others' plurality "
                  "(against the others, not the full consensus the models are scored on: close, not identical).")


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    esc = lambda s: s.replace("|", "\\|")
    lines = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(lb: Leaderboard) -> str:
    out = ["# lemer-bench leaderboard", ""]
    if lb.synthetic:
        out += [f"> **{SYNTHETIC_NOTICE[0].upper() + SYNTHETIC_NOTICE[1:]}.** Corpora marked [synthetic] are generated "
                "by the project; their numbers say nothing about the real corpora.", ""]
    out += [legend(lb), "", marks_legend(), "", readings_note(), ""]
    out += ["## Headline: best model per corpus and condition", "",
            _md_table(list(HEADLINE_HEADERS), headline_rows(lb)), ""]
    for g in lb.groups:
        out += [f"## {g.title}" + (" [synthetic]" if g.synthetic else ""), ""]
        headers, rows = summary_rows(g)
        out += ["UA (%) by transcript condition (blank: not run):", "", _md_table(["Model", *headers], rows), ""]
        for c in g.cells:
            out += [f"### transcript: {c.key.transcript} ({wer_label(c)})", ""]
            out += [_md_table([h for _, h in CELL_HEADERS], [[r[k] for k, _ in CELL_HEADERS] for r in cell_rows(c)]), ""]
            if c.failed:
                out += [f"{FAILED_NOTE} {failure_summary(c.failed)}", ""]
        for c in g.cells:
            agree = agreement_rows(c)
            if agree is not None and c.key.transcript.is_gold:
                out += [f"### Annotator agreement, transcript {c.key.transcript}", "", AGREEMENT_NOTE, "",
                        _md_table(*agree), ""]
    if lb.unplaced_failures:
        out += ["## Conditions whose runs failed", "", FAILED_NOTE, ""]
        out += [f"- {title}: {failure_summary(models)}" for title, models in sorted(lb.unplaced_failures.items())]
        out += [""]
    if lb.robustness:
        out += ["## Robustness: degraded audio against clean", ""]
        for t in lb.robustness:
            out += [f"### {t.title}" + (" [synthetic]" if t.degraded.synthetic else ""), "", robustness_intro(t), ""]
            if t.rows:
                out += [_md_table(*robustness_rows(t)), ""]
    for tc in lb.tasks:
        out += [f"## {tc.key.title}" + (" [synthetic]" if tc.synthetic else ""), "", task_note(tc), "",
                _md_table(*task_table(tc)), ""]
    out += validity_markdown(lb.validity)
    if lb.ablations:
        out += ["## Ablations", "", _md_table(
            ["Model", "param", "value", "UA % (± std over seeds)", "condition"],
            [[a.model, a.param, str(a.value),
              spread(a.ua, a.ua_std) if a.ua is not None else f"incomplete {a.n_runs}/{a.n_expected}",
              a.condition] for a in lb.ablations]), ""]
    if lb.attention:
        headers, rows = attention_table(lb.attention)
        out += ["## LE-MER attention diagnostics", "", ATTENTION_NOTE, "", _md_table(headers, rows), ""]
    if lb.references:
        out += ["## Published reference points (not ranked; protocols differ)", ""]
        for corpus, refs in sorted(lb.references.items()):
            out += [f"### {corpus}", "", _md_table(["Model", "WA", "UA", "macro-F1", "Protocol", "Source"], [
                [r.model, _num(r.wa), _num(r.ua), _num(r.macro_f1), r.protocol + (f" ({r.note})" if r.note else ""), r.source]
                for r in refs]), ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- validity panel
VERDICT_MARK = {True: "✔ passed", False: "✘ FAILED", None: "– not checked"}


def validity_heading(panel: ValidityPanel) -> str:
    return f"Validity panel: {panel.title}" + (" [synthetic]" if panel.synthetic else "")


def validity_intro(panel: ValidityPanel) -> str:
    where = ("Every number here comes from a SYNTHETIC corpus generated by the project (cue ground truth in "
             "SYNTHETIC_CUES.jsonl); it checks the benchmark's construction, not emotion recognition on real speech. "
             if panel.synthetic else "")
    return (f"{where}Gold transcripts, {plural(len(panel.folds), 'fold')}, {panel.n} test utterances (seed means). "
            f"Checks: (a) one-sided exact binomial test against the best constant guess on that cue type, Bonferroni over "
            f"the modality's models, passed when p < {VALIDITY_ALPHA} and at least {100 * MARGIN:.0f} points above chance; "
            f"(b), (c) paired permutation tests on UA over the same utterances (folds as strata; (c) Holm over its two "
            f"tests); (d), where the corpus has a dimensional cell, the speech-only model's arousal CCC, passed when its "
            f"95% bootstrap CI (speakers resampled) lies above 0. Oracles read ground truth and are never ranked.")


def validity_failure_text(panel: ValidityPanel) -> str | None:
    """The sentence a failing benchmark must show in words (None when no check failed)."""
    failed = panel.failed
    if not failed:
        return None
    names = ", ".join({"a-text": "(a) text", "a-speech": "(a) speech"}.get(v.check, f"({v.check})") for v in failed)
    return (f"This benchmark FAILS validity check{'s' if len(failed) > 1 else ''} {names} on {panel.title}"
            f"{' (synthetic)' if panel.synthetic else ''}: its comparisons on this corpus do not measure what they claim.")


def validity_verdict_rows(panel: ValidityPanel) -> list[list[str]]:
    return [[v.title, VERDICT_MARK[v.passed], v.message] for v in panel.verdicts]


def validity_cue_headers(panel: ValidityPanel) -> list[str]:
    return ["Model", "reads", "UA %", *(f"{t} %" for t in panel.cue_types)]


def validity_cue_rows(panel: ValidityPanel) -> list[list[str]]:
    """(d): seed-mean accuracy by cue type, with the number of utterances of each type."""
    rows = []
    for m in panel.models:
        name = m.model + (" (ORACLE: reads ground truth)" if m.is_oracle else "")
        cells = []
        for t in panel.cue_types:
            acc = m.accuracy(t)
            cells.append("" if acc is None else f"{pct(acc)} (n={m.by_cue[t][0]})")
        rows.append([name, "+".join(m.modalities) or "nothing", pct(m.ua), *cells])
    for name, why in sorted(panel.incomplete.items()):
        rows.append([name, "", f"left out: {why}", *([""] * len(panel.cue_types))])
    return rows


def validity_test_rows(panel: ValidityPanel) -> list[list[str]]:
    rows = [[f"(a) {t.modality} on `{t.cue_type}`", t.model, "chance", f"{t.k}/{t.n} = {pct(t.accuracy)}",
             pct(t.chance), f"{100 * (t.accuracy - t.chance):+.1f}", "", f"{t.p_value:.3g}", f"{t.p_adjusted:.3g}",
             "yes" if t.passed else "no"] for t in panel.chance_tests]
    for label, tests in (("(b) oracle vs twin", panel.oracle_tests), ("(c) fusion vs unimodal", panel.fusion_tests)):
        rows += [[label, t.model_a, t.model_b, pct(t.ua_a), pct(t.ua_b), f"{100 * t.diff:+.1f}",
                  f"[{100 * t.ci[0]:+.1f}, {100 * t.ci[1]:+.1f}]", f"{t.p_value:.3g}", f"{t.p_adjusted:.3g}",
                  "yes" if t.passed else "no"] for t in tests]
    return rows


VALIDITY_TEST_HEADERS = ["check", "model A", "model B / chance", "A %", "B / chance %", "diff (pts)", "95% CI",
                         "p", "p (adjusted)", "passes"]


def validity_markdown(panels: list[ValidityPanel]) -> list[str]:
    out: list[str] = []
    for panel in panels:
        out += [f"## {validity_heading(panel)}", "", validity_intro(panel), ""]
        failure = validity_failure_text(panel)
        if failure:
            out += [f"> **{failure}**", ""]
        out += [_md_table(["check", "verdict", "detail"], validity_verdict_rows(panel)), ""]
        out += ["Accuracy by cue type (seed mean):", "", _md_table(validity_cue_headers(panel), validity_cue_rows(panel)), ""]
        if validity_test_rows(panel):
            out += [_md_table(VALIDITY_TEST_HEADERS, validity_test_rows(panel)), ""]
    return out


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.1f}"


def _tex(s: str) -> str:
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "±": r"$\pm$", "×": r"$\times$",
            "†": r"$^\dagger$", "◇": r"$^\diamond$", "–": "--", "·": r"$\cdot$", "α": r"$\alpha$", "—": "---"}
    return "".join(repl.get(ch, ch) for ch in s)


def latex(lb: Leaderboard) -> str:
    """One booktabs table per cell plus the reference tables (needs \\usepackage{booktabs})."""
    out = ["% lemer-bench leaderboard; requires \\usepackage{booktabs}", f"% {_tex(legend(lb))}",
           f"% {_tex(marks_legend())}"]
    if lb.synthetic:
        out.append(f"% NOTE: {SYNTHETIC_NOTICE}")
    for c in lb.cells:
        cap = f"{c.key.title} ({wer_label(c)})" + (" [synthetic corpus]" if c.synthetic else "")
        out += ["\\begin{table}[t]", "\\centering", f"\\caption{{{_tex(cap)}}}", "\\begin{tabular}{rl" + "l" * (len(CELL_HEADERS) - 4) + "rl}",
                "\\toprule", " & ".join(_tex(h) for _, h in CELL_HEADERS) + " \\\\", "\\midrule"]
        for r in cell_rows(c):
            out.append(" & ".join(_tex(r[k]) for k, _ in CELL_HEADERS) + " \\\\")
        out += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    for corpus, refs in sorted(lb.references.items()):
        out += ["\\begin{table}[t]", "\\centering",
                f"\\caption{{Published reference points, {_tex(corpus)} (not ranked; protocols differ)}}",
                "\\begin{tabular}{lrrrll}", "\\toprule", "Model & WA & UA & macro-F1 & Protocol & Source \\\\", "\\midrule"]
        for r in refs:
            out.append(" & ".join(_tex(v) for v in (r.model, _num(r.wa), _num(r.ua), _num(r.macro_f1), r.protocol, r.source)) + " \\\\")
        out += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    return "\n".join(out)


def _f(x: float | None) -> str:
    return "" if x is None else f"{x:.6g}"


def _pct(x: float | None) -> str:
    """A fraction as percent with 2 decimals; -0.00 and float noise (6.8e-17) come out as 0.00."""
    if x is None:
        return ""
    v = round(100 * x, 2)
    return f"{v + 0.0:.2f}" if v != 0 else "0.00"


def _p(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def _bool(x: bool) -> str:
    return str(bool(x)).lower()


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def leaderboard_csv(lb: Leaderboard) -> str:
    """One row per model × cell; metrics in percent (units in the column names); blanks for incomplete models."""
    rows = []
    for c in lb.cells:
        for m in c.models:
            rows.append({
                "corpus": c.key.corpus, "protocol": c.key.protocol_name, "label_map": c.key.label_map,
                "transcript": c.key.transcript.key, "wer_pct": _pct(c.wer), "model": m.model, "wa_pct": _pct(m.wa),
                "ua_pct": _pct(m.ua), "macro_f1_pct": _pct(m.macro_f1), "wa_std_pct": _pct(m.wa_std),
                "ua_std_pct": _pct(m.ua_std), "ua_ci_low_pct": _pct(m.ua_ci[0] if m.ua_ci else None),
                "ua_ci_high_pct": _pct(m.ua_ci[1] if m.ua_ci else None),
                "n": len(c.uids) if m.complete else "", "folds": len(c.folds), "seeds": len(c.seeds),
                "train_corpus": c.key.train_corpus, "rank": m.rank or "", "tied": _bool(m.tied),
                "macro_f1_std_pct": _pct(m.f1_std), "transcript_independent": _bool(m.transcript_independent),
                "complete": _bool(m.complete), "runs": m.n_runs, "runs_expected": m.n_expected,
                "significantly_worse": _bool(m.worse_than_best), "p_holm_vs_best": _p(m.p_worse),
                "mdd_vs_best_pts": _pct(m.mdd), "cell_mdd_pts": _pct(c.mdd), "synthetic": _bool(c.synthetic),
                **_condition_columns(c), **_inference_columns(c, m),
            })
    return _csv(LEADERBOARD_COLUMNS, rows)


def _condition_columns(c: Cell) -> dict[str, str]:
    return {"audio": c.key.audio.key, "audio_splits": c.key.audio_splits, "refit": _bool(c.key.refit)}


def _sd_pts(var: float | None) -> str:
    return "" if var is None else _pct(float(var) ** 0.5)


def _inference_columns(c: Cell, m: ModelResult) -> dict[str, Any]:
    """The issue-21 columns of one model row (blank where the cell or the model has no such statistic)."""
    inf = m.inference
    if inf is None:
        return {"calibration_note": c.why_no_inference or ""} if m.complete else {}
    vs, var, spk, cal = m.vs_best, inf.variance, inf.speakers, inf.calibration
    best = c.ranked[0]
    gap = None if m is best else best.ua - m.ua  # type: ignore[operator]
    flips = [f.model for f in (c.inference.rank_flips if c.inference else ()) if f.flipped]
    out: dict[str, Any] = {
        "ua_ci_speaker_low_pct": _pct(inf.ci_speaker[0] if inf.ci_speaker else None),
        "ua_ci_speaker_high_pct": _pct(inf.ci_speaker[1] if inf.ci_speaker else None),
        "significantly_worse_new_speakers": _bool(m.worse_new_speakers),
        "p_holm_vs_best_speakers": _p(m.p_worse_speaker), "groups_test_set": m.letters,
        "groups_new_speakers": m.letters_speaker or "", "n_speakers": c.inference.n_speakers if c.inference else "",
        "sd_fold_pts": _sd_pts(var.fold), "sd_test_sample_pts": _sd_pts(var.test_sample), "sd_seed_pts": _sd_pts(var.seed),
        "seed_sd_exceeds_gap_to_best": "" if gap is None or var.seed_sd is None
        else _bool(seed_spread_exceeds_gap(var.seed_sd, gap)),
        "worst_speaker": spk.worst_speaker, "worst_speaker_ua_pct": _pct(spk.worst_ua),
        "rank_flips_on_worst_speaker": _bool(m.model in flips), "gender_gap_pts": _pct(spk.gender_gap),
        "gender_gap_ci_low_pts": _pct(spk.gender_gap_ci[0] if spk.gender_gap_ci else None),
        "gender_gap_ci_high_pts": _pct(spk.gender_gap_ci[1] if spk.gender_gap_ci else None),
        "ece_pct": _pct(cal.ece), "brier": _f(cal.brier), "nll": _f(cal.nll), "calibration_note": cal.reason or "",
    }
    if vs is not None:
        out.update({
            "diff_vs_best_ci_low_pts": _pct(vs.ci_utterance[0]), "diff_vs_best_ci_high_pts": _pct(vs.ci_utterance[1]),
            "diff_vs_best_ci_speaker_low_pts": _pct(vs.ci_speaker[0] if vs.ci_speaker else None),
            "diff_vs_best_ci_speaker_high_pts": _pct(vs.ci_speaker[1] if vs.ci_speaker else None),
            "mdd_vs_best_speakers_pts": _pct(vs.mdd_speaker),
        })
    return out


def decides_mark(r: object) -> bool:
    """True for the comparison rows whose Holm-adjusted p sets † (permutation test on UA)."""
    k = r.comparison  # type: ignore[attr-defined]
    return k.metric == "ua" and k.test == "permutation"


def significance_csv(lb: Leaderboard) -> str:
    rows = []
    for c in lb.cells:
        for r in c.comparisons:
            k = r.comparison
            rows.append({
                "corpus": c.key.corpus, "protocol": c.key.protocol_name, "transcript": c.key.transcript.key,
                "model_a": r.model_a, "model_b": r.model_b, "metric": k.metric, "test": k.test,
                "diff_pts": _pct(k.diff), "ci_low_pts": _pct(k.ci[0]), "ci_high_pts": _pct(k.ci[1]),
                "p_value": _p(k.p_value), "p_adjusted": _p(r.p_adjusted),
                "label_map": c.key.label_map, "train_corpus": c.key.train_corpus,
                "decides_mark": _bool(decides_mark(r)), "reading": "this test set", **_condition_columns(c),
                "decides_speaker_mark": "false",
            })
        for m in c.ranked[1:]:  # the new-speakers reading of the same best-vs-rest comparisons
            vs = m.vs_best
            if vs is None:
                continue
            rows.append({
                "corpus": c.key.corpus, "protocol": c.key.protocol_name, "transcript": c.key.transcript.key,
                "model_a": vs.model_a, "model_b": vs.model_b, "metric": "ua", "test": "speaker sign flip",
                "diff_pts": _pct(vs.diff), "ci_low_pts": _pct(vs.ci_speaker[0] if vs.ci_speaker else None),
                "ci_high_pts": _pct(vs.ci_speaker[1] if vs.ci_speaker else None), "p_value": _p(vs.p_speaker),
                "p_adjusted": _p(m.p_worse_speaker), "label_map": c.key.label_map, "train_corpus": c.key.train_corpus,
                "decides_mark": "false", "reading": "new speakers", **_condition_columns(c),
                "decides_speaker_mark": _bool(m.p_worse_speaker is not None),
            })
    return _csv(SIGNIFICANCE_COLUMNS, rows)


PER_CLASS_COLUMNS = ("corpus", "protocol", "label_map", "transcript", "audio", "audio_splits", "refit",
                     "train_corpus", "synthetic", "model", "rank", "class", "n_gold", "precision_pct", "recall_pct",
                     "f1_pct", "folds", "seeds")


def per_class_csv(lb: Leaderboard) -> str:
    """One row per complete model x class x categorical cell: precision, recall and F1 from the confusion matrix
    summed over folds and seeds (blank where undefined); `n_gold` counts the class's test utterances once."""
    rows = []
    for c in lb.cells:
        support = np.bincount(c.gold, minlength=len(c.labels))
        head = {"corpus": c.key.corpus, "protocol": c.key.protocol_name, "label_map": c.key.label_map,
                "transcript": c.key.transcript.key, **_condition_columns(c), "train_corpus": c.key.train_corpus,
                "synthetic": _bool(c.synthetic), "folds": len(c.folds), "seeds": len(c.seeds)}
        for m in c.ranked:
            for cs, n in zip(model_class_scores(m, c.labels), support):
                rows.append({**head, "model": m.model, "rank": m.rank or "", "class": cs.label, "n_gold": int(n),
                             "precision_pct": _pct(cs.precision), "recall_pct": _pct(cs.recall), "f1_pct": _pct(cs.f1)})
    return _csv(PER_CLASS_COLUMNS, rows)


TASK_COLUMNS_HEAD = ("corpus", "protocol", "label_map", "task", "transcript", "audio", "refit", "train_corpus",
                     "synthetic", "n", "folds", "seeds", "n_speakers", "main_score")


def tasks_csv(lb: Leaderboard) -> str:
    """One row per model x soft/dimensional cell: every metric of the task (raw values, not percent) and both
    readings of the main score against the best (`*_speakers` = new speakers)."""
    names: list[str] = []
    for tc in lb.tasks:
        for m in tc.metrics:
            names += [x for x in (m.name, f"{m.name}_std") if x not in names]
    columns = (*TASK_COLUMNS_HEAD, "model", "rank", "complete", "runs", "runs_expected", *names, "ci_low", "ci_high",
               "ci_low_speakers", "ci_high_speakers", "diff_vs_best", "diff_ci_low", "diff_ci_high",
               "diff_ci_low_speakers", "diff_ci_high_speakers", "p_holm_vs_best", "p_holm_vs_best_speakers",
               "mdd_vs_best", "significantly_worse", "significantly_worse_new_speakers")
    rows = []
    for tc in lb.tasks:
        k = tc.key
        head = {"corpus": k.corpus, "protocol": k.protocol, "label_map": k.label_map, "task": k.task,
                "transcript": k.transcript.key, "audio": k.audio.key, "refit": _bool(k.refit), "train_corpus": k.train_corpus,
                "synthetic": _bool(tc.synthetic), "n": tc.n, "folds": len(tc.folds), "seeds": len(tc.seeds),
                "n_speakers": tc.n_speakers if tc.n_speakers is not None else "", "main_score": tc.main.name}
        for m in tc.models:
            pair = lambda ci, i: "" if ci is None else _f(ci[i])  # noqa: E731
            rows.append({**head, "model": m.model, "rank": m.rank or "", "complete": _bool(m.complete), "runs": m.n_runs,
                         "runs_expected": m.n_expected, **{x: _f(m.scores.get(x)) for x in names if x in m.scores},
                         **{f"{x}_std": _f(m.std.get(x)) for x in m.std},
                         "ci_low": pair(m.ci, 0), "ci_high": pair(m.ci, 1), "ci_low_speakers": pair(m.ci_speaker, 0),
                         "ci_high_speakers": pair(m.ci_speaker, 1), "diff_vs_best": _f(m.diff),
                         "diff_ci_low": pair(m.diff_ci, 0), "diff_ci_high": pair(m.diff_ci, 1),
                         "diff_ci_low_speakers": pair(m.diff_ci_speaker, 0),
                         "diff_ci_high_speakers": pair(m.diff_ci_speaker, 1), "p_holm_vs_best": _p(m.p_holm),
                         "p_holm_vs_best_speakers": _p(m.p_holm_speaker), "mdd_vs_best": _f(m.mdd),
                         "significantly_worse": _bool(m.worse), "significantly_worse_new_speakers": _bool(m.worse_speakers)})
    return _csv(columns, rows)


ROBUSTNESS_COLUMNS = ("corpus", "protocol", "label_map", "transcript", "audio", "audio_splits", "refit", "model",
                      "transcript_independent", "ua_clean_pct", "ua_degraded_pct", "diff_pts", "ci_low_pts",
                      "ci_high_pts", "p_holm", "ci_low_speakers_pts", "ci_high_speakers_pts", "p_holm_speakers",
                      "wer_clean_pct", "wer_degraded_pct", "note")


def robustness_csv(lb: Leaderboard) -> str:
    """One row per model x degraded-audio cell: UA against its clean twin, paired, both readings."""
    rows = []
    for t in lb.robustness:
        k = t.degraded.key
        head = {"corpus": k.corpus, "protocol": k.protocol_name, "label_map": k.label_map,
                "transcript": k.transcript.key, "audio": k.audio.key, "audio_splits": k.audio_splits,
                "refit": _bool(k.refit), "wer_clean_pct": _pct(t.clean.wer if t.clean else None),
                "wer_degraded_pct": _pct(t.degraded.wer), "note": t.note or ""}
        if not t.rows:
            rows.append(head)
        for r in t.rows:
            c = r.test
            rows.append({**head, "model": r.model, "transcript_independent": _bool(r.transcript_independent),
                         "ua_clean_pct": _pct(r.ua_clean), "ua_degraded_pct": _pct(r.ua_degraded),
                         "diff_pts": _pct(c.diff), "ci_low_pts": _pct(c.ci_utterance[0]),
                         "ci_high_pts": _pct(c.ci_utterance[1]), "p_holm": _p(r.p_holm),
                         "ci_low_speakers_pts": _pct(c.ci_speaker[0] if c.ci_speaker else None),
                         "ci_high_speakers_pts": _pct(c.ci_speaker[1] if c.ci_speaker else None),
                         "p_holm_speakers": _p(r.p_holm_speaker)})
    return _csv(ROBUSTNESS_COLUMNS, rows)
