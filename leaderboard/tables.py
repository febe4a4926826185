"""Markdown, LaTeX and CSV renderings of a computed leaderboard (pure functions returning text)."""
from __future__ import annotations

import csv
import io
from typing import Any

from leaderboard.board import SYNTHETIC_NOTICE, Group, Leaderboard
from leaderboard.cells import ALPHA, Cell, ModelResult

WORSE = "†"
TI = "◇"
LEADERBOARD_COLUMNS = (
    "corpus", "protocol", "label_map", "transcript", "wer", "model", "wa", "ua", "macro_f1", "wa_std", "ua_std",
    "ua_ci_low", "ua_ci_high", "n", "folds", "seeds",
    # added beyond the list: needed to read a row without the other files
    "train_corpus", "rank", "macro_f1_std", "transcript_independent", "complete", "runs", "runs_expected",
    "significantly_worse", "synthetic",
)
SIGNIFICANCE_COLUMNS = (
    "corpus", "protocol", "transcript", "model_a", "model_b", "metric", "test", "diff", "ci_low", "ci_high",
    "p_value", "p_adjusted", "label_map", "train_corpus",
)


def legend(lb: Leaderboard) -> str:
    return (f"Metrics in %. WA/UA/macro-F1 pooled over the folds of a seed (each utterance once), then averaged "
            f"over seeds; ± = std over folds × seeds of per-run metrics; UA 95% CI = paired bootstrap over "
            f"utterances stratified by fold, seeds kept together ({lb.n_resamples} resamples, seed {lb.seed}). "
            f"{WORSE} = significantly worse than the best model of the cell (paired permutation test on UA, "
            f"Holm-corrected over the cell's comparisons, α = {ALPHA}). {TI} = transcript-independent model "
            f"(reads no text; the same runs appear under every transcript condition). Incomplete models (runs "
            f"missing for some fold × seed) are listed but never averaged or ranked.")


def pct(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{100 * x:.{digits}f}"


def wer_label(cell: Cell) -> str:
    if cell.wer is None:
        return "WER 0%" if cell.key.transcript == "gold" else "WER n/a"
    return f"WER {pct(cell.wer)}%"


def model_label(m: ModelResult) -> str:
    marks = (WORSE if m.worse_than_best else "") + (TI if m.transcript_independent else "")
    return m.model + (f" {marks}" if marks else "")


def incomplete_label(m: ModelResult) -> str:
    return f"incomplete ({m.n_runs}/{m.n_expected} fold×seed runs)"


def cell_rows(cell: Cell) -> list[dict[str, str]]:
    """Display strings for the rows of one cell's table (shared by Markdown, LaTeX and HTML)."""
    rows = []
    for m in cell.models:
        if m.complete:
            rows.append({
                "rank": str(m.rank), "model": model_label(m),
                "wa": f"{pct(m.wa)} ± {pct(m.wa_std)}", "ua": f"{pct(m.ua)} ± {pct(m.ua_std)}",
                "macro_f1": f"{pct(m.macro_f1)} ± {pct(m.f1_std)}",
                "ua_ci": f"[{pct(m.ua_ci[0])}, {pct(m.ua_ci[1])}]" if m.ua_ci else "",
                "n": str(len(cell.uids)), "runs": f"{len(cell.folds)}×{len(m.seeds)}",
            })
        else:
            rows.append({"rank": "–", "model": model_label(m), "ua": incomplete_label(m), "wa": "", "macro_f1": "",
                         "ua_ci": "", "n": "", "runs": f"{m.n_runs}/{m.n_expected}"})
    return rows


CELL_HEADERS = (("rank", "Rank"), ("model", "Model"), ("ua", "UA"), ("wa", "WA"), ("macro_f1", "macro-F1"),
                ("ua_ci", "UA 95% CI"), ("n", "n"), ("runs", "folds×seeds"))


def summary_rows(group: Group) -> tuple[list[str], list[list[str]]]:
    """UA per model (rows) × transcript condition (columns); blank = no runs, 'incomplete' = not all runs."""
    headers = [f"{c.key.transcript} ({wer_label(c)})" for c in group.cells]
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
    out += [legend(lb), ""]
    for g in lb.groups:
        out += [f"## {g.title}" + (" [synthetic]" if g.synthetic else ""), ""]
        headers, rows = summary_rows(g)
        out += ["UA (%) by transcript condition (blank: not run):", "", _md_table(["Model", *headers], rows), ""]
        for c in g.cells:
            out += [f"### transcript: {c.key.transcript} ({wer_label(c)})", ""]
            out += [_md_table([h for _, h in CELL_HEADERS], [[r[k] for k, _ in CELL_HEADERS] for r in cell_rows(c)]), ""]
    if lb.references:
        out += ["## Published reference points (not ranked; protocols differ)", ""]
        for corpus, refs in sorted(lb.references.items()):
            out += [f"### {corpus}", "", _md_table(["Model", "WA", "UA", "macro-F1", "Protocol", "Source"], [
                [r.model, _num(r.wa), _num(r.ua), _num(r.macro_f1), r.protocol + (f" ({r.note})" if r.note else ""), r.source]
                for r in refs]), ""]
    return "\n".join(out)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.1f}"


def _tex(s: str) -> str:
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "±": r"$\pm$", "×": r"$\times$",
            "†": r"$^\dagger$", "◇": r"$^\diamond$", "–": "--", "·": r"$\cdot$", "α": r"$\alpha$", "—": "---"}
    return "".join(repl.get(ch, ch) for ch in s)


def latex(lb: Leaderboard) -> str:
    """One booktabs table per cell plus the reference tables (needs \\usepackage{booktabs})."""
    out = ["% lemer-bench leaderboard; requires \\usepackage{booktabs}", f"% {_tex(legend(lb))}"]
    if lb.synthetic:
        out.append(f"% NOTE: {SYNTHETIC_NOTICE}")
    for c in lb.cells:
        cap = f"{c.key.title} ({wer_label(c)})" + (" [synthetic corpus]" if c.synthetic else "")
        out += ["\\begin{table}[t]", "\\centering", f"\\caption{{{_tex(cap)}}}", "\\begin{tabular}{rlllllrl}",
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


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def leaderboard_csv(lb: Leaderboard) -> str:
    """One row per model × cell; metrics as fractions; blanks for incomplete models."""
    rows = []
    for c in lb.cells:
        for m in c.models:
            rows.append({
                "corpus": c.key.corpus, "protocol": c.key.protocol, "label_map": c.key.label_map,
                "transcript": c.key.transcript, "wer": _f(c.wer), "model": m.model, "wa": _f(m.wa), "ua": _f(m.ua),
                "macro_f1": _f(m.macro_f1), "wa_std": _f(m.wa_std), "ua_std": _f(m.ua_std),
                "ua_ci_low": _f(m.ua_ci[0] if m.ua_ci else None), "ua_ci_high": _f(m.ua_ci[1] if m.ua_ci else None),
                "n": len(c.uids) if m.complete else "", "folds": len(c.folds), "seeds": len(c.seeds),
                "train_corpus": c.key.train_corpus, "rank": m.rank or "", "macro_f1_std": _f(m.f1_std),
                "transcript_independent": str(m.transcript_independent).lower(), "complete": str(m.complete).lower(),
                "runs": m.n_runs, "runs_expected": m.n_expected, "significantly_worse": str(m.worse_than_best).lower(),
                "synthetic": str(c.synthetic).lower(),
            })
    return _csv(LEADERBOARD_COLUMNS, rows)


def significance_csv(lb: Leaderboard) -> str:
    rows = []
    for c in lb.cells:
        for r in c.comparisons:
            k = r.comparison
            rows.append({
                "corpus": c.key.corpus, "protocol": c.key.protocol, "transcript": c.key.transcript,
                "model_a": r.model_a, "model_b": r.model_b, "metric": k.metric, "test": k.test, "diff": _f(k.diff),
                "ci_low": _f(k.ci[0]), "ci_high": _f(k.ci[1]), "p_value": _f(k.p_value), "p_adjusted": _f(r.p_adjusted),
                "label_map": c.key.label_map, "train_corpus": c.key.train_corpus,
            })
    return _csv(SIGNIFICANCE_COLUMNS, rows)
