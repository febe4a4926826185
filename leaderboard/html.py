"""The self-contained `index.html`: inline CSS and JS, plots as base64 PNG, no network access.

Tables are sortable by clicking a header (numbers sort by the value in `data-v`, text by its
content). When the script has run to its end it sets `<body data-js="ok">`, which the headless
browser test uses to detect a JavaScript error.
"""
from __future__ import annotations

import base64
import html
from collections import defaultdict

from leaderboard.attention import ATTENTION_NOTE, attention_table
from leaderboard.board import SYNTHETIC_NOTICE, Group, Leaderboard
from leaderboard.cells import Cell, failure_summary
from leaderboard.plots import Plot, slug
from leaderboard.tables import (
    AGREEMENT_NOTE,
    FAILED_NOTE,
    HEADLINE_HEADERS,
    HEADLINE_RUNNER_UP,
    HEADLINE_VERDICT,
    PER_CLASS_NOTE,
    VALIDITY_TEST_HEADERS,
    agreement_rows,
    ci_label,
    decides_mark,
    ece_label,
    groups_label,
    headline_rows,
    legend,
    marks_legend,
    mdd_label,
    model_label,
    pct,
    per_class_rows,
    plural,
    rank_label,
    readings_note,
    robustness_intro,
    robustness_rows,
    spread,
    summary_rows,
    task_table,
    validity_cue_headers,
    validity_cue_rows,
    validity_failure_text,
    validity_heading,
    validity_intro,
    validity_test_rows,
    validity_verdict_rows,
    wer_label,
    worst_speaker_label,
)
from leaderboard.task_cells import task_note
from leaderboard.validity import ValidityPanel
from leaderboard.variance import seed_spread_exceeds_gap

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:0 24px 48px}
header{background:#1d2433;color:#fff;padding:18px 24px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;color:#c5cbd6;font-size:13px}
.banner{background:#fff3cd;border-bottom:2px solid #e0a800;color:#5c4500;padding:10px 24px;font-weight:600}
.badge{display:inline-block;white-space:nowrap;font-size:11px;font-weight:600;padding:2px 7px;border-radius:10px;vertical-align:middle;margin-left:8px}
.badge.synthetic{background:#e0a800;color:#1d2433}.badge.real{background:#2e7d32;color:#fff}
.legend{font-size:13px;color:#4a5366;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:10px 14px}
.legend.marks{margin-top:8px}
nav ul{columns:2;font-size:13px;padding-left:18px}
.note{font-size:12px;color:#4a5366;margin:2px 0 8px}
section.group{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:4px 18px 14px;margin:22px 0}
@media (max-width:900px){main{padding:0 8px 32px} section.group,.legend,nav{overflow-x:auto}
 table.cell,table.headline{min-width:0} nav ul{columns:1}}
h2{font-size:19px;margin:16px 0 8px} h3{font-size:15px;margin:18px 0 6px;color:#33415c}
table{border-collapse:collapse;font-size:13px;margin:6px 0 10px;background:#fff}
th,td{border-bottom:1px solid #e4e7ec;padding:4px 10px;text-align:right;white-space:nowrap}
th:first-child,td:first-child,table.cell th:nth-child(2),table.cell td:nth-child(2){text-align:left}
th{background:#eef1f5;position:sticky;top:0;vertical-align:bottom}
table.summary th,table.headline th{white-space:normal;max-width:9em} table.summary th small{display:block;font-weight:400;color:#4a5366}
table.headline{width:100%;font-size:12.5px}
table.headline td{white-space:nowrap} table.headline td:nth-child(2){white-space:normal;min-width:9em}
table.headline td,table.headline th{padding:4px 5px} table.headline td:nth-child(11){white-space:normal}
section.validity table td,section.validity table th,#attention table td,#attention table th{white-space:normal}
section.validity table td:last-child{min-width:16em}
table.headline td:nth-child(-n+3),table.headline th:nth-child(-n+3),table.headline td:nth-child(5),table.headline th:nth-child(5){text-align:left}
table.headline td:nth-child(7),table.headline th:nth-child(7),table.headline td:nth-child(11),table.headline th:nth-child(11){text-align:left}
section.headline{border-left:4px solid #1d2433}
table.sortable th{cursor:pointer;user-select:none} table.sortable th:after{content:' \\2195';color:#9aa3b2;font-size:11px}
table.sortable th[aria-sort=ascending]:after{content:' \\2191';color:#1d2433}
table.sortable th[aria-sort=descending]:after{content:' \\2193';color:#1d2433}
tr.incomplete td{color:#8a93a3;font-style:italic} tr.best td{font-weight:600}
table.cell{min-width:780px}
table.cell{font-size:12.5px} table.cell th{white-space:normal;max-width:7.5em} table.cell td,table.cell th{padding:4px 6px}
table.cell td:last-child{white-space:normal}
table.headline td:nth-child(3),table.headline td:nth-child(5),table.headline td:nth-child(7){white-space:normal}
td.worse,p.worse{color:#b3261e}
.plots{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
figure{margin:0;background:#fff;border:1px solid #e4e7ec;border-radius:6px;padding:6px}
figure img{display:block;max-width:100%} figcaption{font-size:12px;color:#4a5366;width:0;min-width:100%}
details{margin:6px 0} summary{cursor:pointer;font-size:13px;color:#33415c}
.refs{border-left:4px solid #2e7d32}
footer{font-size:12px;color:#6b7385;margin-top:30px}
"""

JS = """
(function(){
  function key(td){
    var v = td.getAttribute('data-v');
    if (v !== null && v !== '') return parseFloat(v);
    return td.textContent.trim().toLowerCase();
  }
  var heads = document.querySelectorAll('table.sortable th');
  Array.prototype.forEach.call(heads, function(th){
    th.addEventListener('click', function(){
      var table = th.closest('table'), tbody = table.tBodies[0];
      var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(table.querySelectorAll('th'), function(h){ h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function(a, b){
        var x = key(a.cells[idx]), y = key(b.cells[idx]);
        if (x === '' && y !== '') return 1;
        if (y === '' && x !== '') return -1;
        if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
        if (x === y) return 0;
        return (x < y ? -1 : 1) * (asc ? 1 : -1);
      });
      rows.forEach(function(r){ tbody.appendChild(r); });
    });
  });
  document.body.setAttribute('data-js', 'ok');
})();
"""

e = html.escape


def _td(text: str, value: float | None = None, cls: str = "") -> str:
    v = "" if value is None else f' data-v="{value:.6g}"'
    c = f' class="{cls}"' if cls else ""
    return f"<td{v}{c}>{e(text)}</td>"


def _table(headers: list[str], body: list[str], cls: str = "sortable") -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _text_table(headers: list[str], rows: list[list[str]], cls: str = "sortable") -> str:
    """A table of plain text cells (the rows tables.py builds for Markdown and HTML alike)."""
    return _table(headers, ["<tr>" + "".join(_td(v) for v in r) + "</tr>" for r in rows], cls)


def _figure(p: Plot) -> str:
    data = base64.b64encode(p.png).decode("ascii")
    return (f'<figure><img alt="{e(p.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{e(p.title)}</figcaption></figure>")


def _cell_table(cell: Cell) -> str:
    body = []
    for m in cell.models:
        if m.complete:
            cls = "best" if m.rank == 1 else ""
            inf = m.inference
            body.append(
                f'<tr class="{cls}">' + _td(rank_label(m), m.rank)
                + _td(model_label(m), cls="worse" if m.worse_than_best or m.worse_new_speakers else "")
                + _td(spread(m.ua, m.ua_std), m.ua) + _td(spread(m.wa, m.wa_std), m.wa)
                + _td(spread(m.macro_f1, m.f1_std), m.macro_f1)
                + _td(ci_label(m.ua_ci), m.ua_ci[0] if m.ua_ci else None)
                + _td(ci_label(inf.ci_speaker) if inf else "", inf.ci_speaker[0] if inf and inf.ci_speaker else None)
                + _td(groups_label(m)) + _td(mdd_label(m.mdd), m.mdd)
                + _td(worst_speaker_label(m), inf.speakers.worst_ua if inf else None)
                + _td(ece_label(m), inf.calibration.ece if inf else None)
                + _td(str(len(cell.uids)), len(cell.uids)) + _td(f"{len(cell.folds)}×{len(m.seeds)}") + "</tr>")
        else:
            body.append('<tr class="incomplete">' + _td("–") + _td(model_label(m))
                        + _td(f"incomplete: {m.n_runs}/{m.n_expected} fold×seed runs") + _td("") * 9
                        + _td(f"{m.n_runs}/{m.n_expected}") + "</tr>")
    return _table(["Rank", "Model", "UA %", "WA %", "macro-F1 %", "UA 95% CI (test set)", "UA 95% CI (new speakers)",
                   "groups (test set / new speakers)", "MDD vs #1 (pts)", "worst speaker UA %", "ECE %", "n",
                   "folds×seeds"], body, "sortable cell")


def _inference_details(cell: Cell) -> str:
    """Per cell, folded: both readings of best vs each, where the variance comes from, per speaker, calibration."""
    if cell.inference is None:
        return f'<p class="note">No speaker-level reading: {e(cell.why_no_inference)}.</p>' if cell.why_no_inference else ""
    parts = []
    notes = " ".join(cell.inference.pairwise.notes)
    rows = []
    for m in cell.ranked[1:]:
        vs = m.vs_best
        if vs is None:
            continue
        rows.append("<tr>" + _td(vs.model_a) + _td(vs.model_b) + _td(f"{100 * vs.diff:+.1f}", vs.diff)
                    + _td(f"[{100 * vs.ci_utterance[0]:+.1f}, {100 * vs.ci_utterance[1]:+.1f}]", vs.ci_utterance[0])
                    + _td("" if m.p_worse is None else f"{m.p_worse:.3g}", m.p_worse)
                    + _td("" if vs.ci_speaker is None else f"[{100 * vs.ci_speaker[0]:+.1f}, {100 * vs.ci_speaker[1]:+.1f}]",
                          vs.ci_speaker[0] if vs.ci_speaker else None)
                    + _td("" if m.p_worse_speaker is None else f"{m.p_worse_speaker:.3g}", m.p_worse_speaker)
                    + _td(vs.p_speaker_method or (vs.why_no_p_speaker or "")) + "</tr>")
    if rows:
        parts.append(_table(["best", "model", "diff (pts)", "95% CI, test set", "p (Holm), test set",
                             "95% CI, new speakers", "p (Holm), new speakers", "speaker test"], rows, "sortable cell"))
    if notes:
        parts.append(f'<p class="note">{e(notes)}</p>')
    var_rows, spk_rows, cal_rows = [], [], []
    speakers = sorted({s.speaker for m in cell.ranked if m.inference for s in m.inference.speakers.speakers})
    best = cell.ranked[0]
    for m in cell.ranked:
        inf = m.inference
        if inf is None:
            continue
        v = inf.variance
        sd = lambda x: "" if x is None else f"{100 * x ** 0.5:.1f}"  # noqa: E731
        gap = best.ua - m.ua  # type: ignore[operator]
        flag = "" if m is best or not seed_spread_exceeds_gap(v.seed_sd, gap) else "seed SD > gap"
        var_rows.append("<tr>" + _td(m.model) + _td(sd(v.fold)) + _td(sd(v.test_sample)) + _td(sd(v.seed))
                        + _td(flag, cls="worse" if flag else "") + _td("; ".join(v.notes)) + "</tr>")
        by = {s.speaker: s for s in inf.speakers.speakers}
        gg = inf.speakers
        spk_rows.append("<tr>" + _td(m.model) + "".join(_td(pct(by[k].ua) if k in by else "", by[k].ua if k in by else None)
                                                        for k in speakers)
                        + _td(f"{pct(gg.worst_ua)} ({gg.worst_speaker})", gg.worst_ua)
                        + _td("" if gg.gender_gap is None else f"{100 * gg.gender_gap:+.1f} {ci_label(gg.gender_gap_ci)}",
                              gg.gender_gap) + "</tr>")
        c = inf.calibration
        cal_rows.append("<tr>" + _td(m.model) + _td(pct(c.ece), c.ece) + _td("" if c.brier is None else f"{c.brier:.3f}", c.brier)
                        + _td("" if c.nll is None else f"{c.nll:.3f}", c.nll) + _td(c.reason or "") + "</tr>")
    parts.append("<h4>Where the variance comes from (SD of per-run UA, pts)</h4>" + _table(
        ["model", "fold", "test sample", "seed", "flag", "notes"], var_rows, "sortable cell"))
    flips = [f for f in cell.inference.rank_flips if f.flipped]
    parts.append("<h4>Per speaker (UA %)</h4>" + _table(["model", *speakers, "worst", "women − men (pts, 95% CI)"],
                                                       spk_rows, "sortable cell"))
    if flips:
        parts.append('<p class="note">Rank flips on the worst speaker: ' + e(", ".join(
            f"{f.model} (pooled #{f.rank_pooled}, worst-speaker #{f.rank_worst})" for f in flips)) + ".</p>")
    parts.append("<h4>Calibration (ECE: 15 equal-width bins on the top probability)</h4>"
                 + _table(["model", "ECE %", "Brier", "NLL", "note"], cal_rows, "sortable cell"))
    return (f"<details><summary>Both readings, variance, per speaker, calibration ({cell.inference.n_speakers} "
            f"speakers)</summary>{''.join(parts)}</details>")


def _significance_table(cell: Cell) -> str:
    if not cell.comparisons:
        return ""
    body = []
    for r in cell.comparisons:
        k = r.comparison
        body.append(f'<tr class="{"best" if decides_mark(r) else ""}">' + _td(r.model_a) + _td(r.model_b) + _td(k.metric.upper()) + _td(k.test)
                    + _td(f"{100 * k.diff:+.1f}", k.diff) + _td(f"[{100 * k.ci[0]:+.1f}, {100 * k.ci[1]:+.1f}]", k.ci[0])
                    + _td(f"{k.p_value:.3g}", k.p_value) + _td(f"{r.p_adjusted:.3g}", r.p_adjusted) + "</tr>")
    table = _table(["Model A (best)", "Model B", "metric", "test", "diff (pts)", "95% CI", "p", "p (Holm)"], body, "sortable cell")
    note = ('<p class="note">Bold rows (permutation test on UA) set † (Holm p &lt; 0.05); the other tests are shown '
            "for reference. p (Holm) is adjusted over this cell's comparisons with the best, separately per test.</p>")
    return f"<details><summary>Significance tests ({len(cell.comparisons)} rows)</summary>{note}{table}</details>"


def _headline(lb: Leaderboard) -> str:
    """The summary card at the top: the best model of every corpus × condition against its runner-up."""
    body = []
    for row in headline_rows(lb):
        worse = row[HEADLINE_VERDICT] == "yes"
        tds = [_td(v, cls="worse" if worse and i == HEADLINE_RUNNER_UP else "") for i, v in enumerate(row)]
        if row[0].endswith(" [synthetic]"):  # "synthetic-*" names say it already; others get the badge
            name = row[0][:-len(" [synthetic]")]
            badge = "" if name.startswith("synthetic-") else ' <span class="badge synthetic">synthetic</span>'
            tds[0] = f"<td>{e(name)}{badge}</td>"
        body.append("<tr>" + "".join(tds) + "</tr>")
    table = (f'<table class="sortable headline"><thead><tr>{"".join(f"<th>{e(h)}</th>" for h in HEADLINE_HEADERS)}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table>')
    return ('<section class="group headline" id="headline"><h2>Headline: best model per corpus and condition</h2>'
            '<p class="note">IEMOCAP first. Significant? (test set) = is the best model better than the runner-up on these '
            "recordings: paired permutation test on UA over utterances, Holm-corrected over the cell's comparisons (the "
            "test that sets †). New speakers? = the same question with speakers as the unit (speaker sign flip, the test "
            "that sets ‡; n/a: too few speakers). MDD = minimum detectable UA difference at 80% power for that pair: a "
            "gap below it is one the data would usually not show.</p>"
            f"{table}</section>")


def _validity_section(panel: ValidityPanel, plots: list[Plot]) -> str:
    """The validity panel of one corpus (validity.py): verdicts in words, tests, accuracy by cue type."""
    sid = slug("validity", panel.corpus, panel.protocol, panel.label_map)
    parts = [f'<section class="group validity" id="{sid}"><h2>{e(validity_heading(panel).removesuffix(" [synthetic]"))}'
             f"{_badge(panel.synthetic)}</h2>", f'<p class="note">{e(validity_intro(panel))}</p>']
    failure = validity_failure_text(panel)
    if failure:
        parts.append(f'<div class="banner" role="alert">✘ {e(failure)}</div>')
    body = [f'<tr class="{"worse" if r[1].startswith("✘") else ""}">' + "".join(_td(v) for v in r) + "</tr>"
            for r in validity_verdict_rows(panel)]
    parts.append(_table(["check", "verdict", "detail"], body, "cell"))
    tests = validity_test_rows(panel)
    if tests:
        parts.append(_table(VALIDITY_TEST_HEADERS, ["<tr>" + "".join(_td(v) for v in r) + "</tr>" for r in tests], "cell"))
    parts.append("<h3>Accuracy by cue type (seed mean)</h3>")
    parts.append(_table(validity_cue_headers(panel), ["<tr>" + "".join(_td(v) for v in r) + "</tr>"
                                                      for r in validity_cue_rows(panel)], "sortable cell"))
    mine = [p for p in plots if p.section == "validity" and p.group == panel.title]
    if mine:
        parts.append('<div class="plots">' + "".join(_figure(p) for p in mine) + "</div>")
    parts.append("</section>")
    return "".join(parts)


def _badge(synthetic: bool) -> str:
    return ('<span class="badge synthetic">synthetic</span>' if synthetic
            else '<span class="badge real">real corpus</span>')


def _robustness_and_task_sections(lb: Leaderboard) -> list[str]:
    """Conditions whose runs all failed, the robustness tables (degraded against clean audio) and one section per
    soft/dimensional cell."""
    parts: list[str] = []
    if lb.unplaced_failures:
        items = "".join(f"<li>{e(t)}: {e(failure_summary(m))}</li>" for t, m in sorted(lb.unplaced_failures.items()))
        parts.append(f'<section class="group" id="failed"><h2>Conditions whose runs failed</h2>'
                     f'<p class="note">{e(FAILED_NOTE)}</p><ul class="note">{items}</ul></section>')
    if lb.robustness:
        parts.append('<section class="group" id="robustness"><h2>Robustness: degraded audio against clean</h2>')
        for t in lb.robustness:
            parts.append(f"<h3>{e(t.title)}{_badge(t.degraded.synthetic)}</h3>"
                         f'<p class="note">{e(robustness_intro(t))}</p>')
            if t.rows:
                headers, rows = robustness_rows(t)
                parts.append(_text_table(headers, rows, "sortable cell"))
        parts.append("</section>")
    for tc in lb.tasks:
        headers, rows = task_table(tc)
        parts.append(f'<section class="group" id="{slug("task", tc.key.title)}"><h2>{e(tc.key.title)}'
                     f"{_badge(tc.synthetic)}</h2><p class=\"note\">{e(task_note(tc))}</p>"
                     + _text_table(headers, rows, "sortable cell")
                     + "</section>")
    return parts


def _nav(lb: Leaderboard, groups: list[Group], plots: list[Plot]) -> str:
    """The table of contents: the headline, every group, then the sections after the groups."""
    toc = "".join(f'<li><a href="#{slug(*g.key)}">{e(g.title)}</a>{" (synthetic)" if g.synthetic else ""}</li>' for g in groups)
    extra = ['<li><a href="#failed">Conditions whose runs failed</a></li>'] if lb.unplaced_failures else []
    if lb.robustness:
        extra.append('<li><a href="#robustness">Robustness: degraded audio against clean</a></li>')
    for tc in lb.tasks:
        extra.append(f'<li><a href="#{slug("task", tc.key.title)}">{e(tc.key.title)}</a></li>')
    if any(p.section == "cross-corpus" for p in plots):
        extra.append('<li><a href="#cross-corpus">Cross-corpus heatmaps</a></li>')
    if lb.ablations:
        extra.append('<li><a href="#ablations">Ablations</a></li>')
    for panel in lb.validity:
        extra.append(f'<li><a href="#{slug("validity", panel.corpus, panel.protocol, panel.label_map)}">'
                     f'{e(validity_heading(panel))}</a>{" — FAILS a check" if panel.failed else ""}</li>')
    if lb.attention:
        extra.append('<li><a href="#attention">LE-MER attention diagnostics</a></li>')
    if lb.references:
        extra.append('<li><a href="#references">Published reference points</a></li>')
    return (f"<nav><ul><li><a href=\"#headline\">Headline: best model per corpus and condition</a></li>"
            f"{toc}{''.join(extra)}</ul></nav>")


def render(lb: Leaderboard, plots: list[Plot]) -> str:
    by_group: dict[str, list[Plot]] = defaultdict(list)
    for p in plots:
        by_group[p.group].append(p)
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>lemer-bench leaderboard</title><style>{CSS}</style></head><body>",
             "<header><h1>lemer-bench leaderboard</h1>"
             f"<p>{lb.n_runs} runs{f' · {len(lb.failures)} failed' if lb.failures else ''} · {len(lb.cells)} cells · "
             f"bootstrap/permutation: {lb.n_resamples} resamples, seed {lb.seed}</p></header>"]
    if lb.synthetic:
        parts.append(f'<div class="banner" role="alert">⚠ {e(SYNTHETIC_NOTICE[0].upper() + SYNTHETIC_NOTICE[1:])}. '
                     "Rows marked <em>synthetic</em> come from corpora the project generates; they test the pipeline, "
                     "not emotion recognition on real speech.</div>")
    # the headline first (what won, by how much, whether it holds), then the method prose that explains its marks
    parts.append("<main>" + _headline(lb))
    parts.append(f'<p class="legend">{e(legend(lb))}</p><p class="legend marks">{e(marks_legend())}</p>'
                 f'<p class="legend">{e(readings_note())}</p>')
    groups = lb.groups
    parts.append(_nav(lb, groups, plots))
    for g in groups:
        parts.append(f'<section class="group" id="{slug(*g.key)}"><h2>{e(g.title)}{_badge(g.synthetic)}</h2>')
        headers, rows = summary_rows(g)
        head = "".join(f"<th>{e(h.split(' (', 1)[0])} <small>({e(h.split(' (', 1)[1])}</small></th>"
                       if " (" in h else f"<th>{e(h)}</th>" for h in headers)
        body = []
        for row in rows:
            tds = [_td(row[0])]
            for c, val in zip(g.cells, row[1:]):
                m = next((x for x in c.models if x.model == row[0]), None)
                tds.append(_td(val, m.ua if m is not None and m.complete else None,
                               cls="worse" if m is not None and m.worse_than_best else ""))
            body.append("<tr>" + "".join(tds) + "</tr>")
        parts.append("<h3>UA (%) by transcript condition</h3>"
                     f'<table class="sortable summary"><thead><tr><th>Model</th>{head}</tr></thead>'
                     f'<tbody>{"".join(body)}</tbody></table>')
        robust = [p for p in by_group.get(g.title, []) if p.section == "robustness"]
        if robust:
            parts.append('<div class="plots">' + "".join(_figure(p) for p in robust) + "</div>")
        for c in g.cells:
            mdd = f"; MDD {mdd_label(c.mdd)} pts" if c.mdd is not None else ""
            parts.append(f"<h3>transcript: {e(c.key.transcript.key)} <small>({e(wer_label(c))}; "
                         f"{plural(len(c.folds), 'fold')} × {plural(len(c.seeds), 'seed')}{mdd}; "
                         f"labels {e(', '.join(c.labels))})</small></h3>")
            parts.append(_cell_table(c))
            if c.failed:
                parts.append(f'<p class="note worse">{e(FAILED_NOTE)} {e(failure_summary(c.failed))}</p>')
            parts.append(_inference_details(c))
            parts.append(_significance_table(c))
            agree = agreement_rows(c)
            if agree is not None:
                headers, rows = agree
                parts.append(f"<details><summary>By annotator agreement, with the human ceiling</summary>"
                             f'<p class="note">{e(AGREEMENT_NOTE)}</p>'
                             + _text_table(headers, rows, "cell")
                             + "</details>")
            headers, rows = per_class_rows(c)
            if rows:
                parts.append("<details><summary>Per-class precision / recall / F1 of every model</summary>"
                             f'<p class="note">{e(PER_CLASS_NOTE)}</p>' + _text_table(headers, rows)
                             + "</details>")
            conf = [p for p in by_group.get(c.key.title, []) if p.section == "confusion"]
            if conf:
                parts.append("<details><summary>Confusion matrices of every model (row-normalised)</summary>"
                             f'<div class="plots">{"".join(_figure(p) for p in conf)}</div></details>')
        parts.append("</section>")
    parts += _robustness_and_task_sections(lb)
    cross = [p for p in plots if p.section == "cross-corpus"]
    if cross:
        parts.append('<section class="group" id="cross-corpus"><h2>Cross-corpus heatmaps</h2>'
                     f'<div class="plots">{"".join(_figure(p) for p in cross)}</div></section>')
    if lb.ablations:
        body = []
        for a in lb.ablations:
            status = "" if a.ua is not None else f"incomplete {a.n_runs}/{a.n_expected}"
            body.append("<tr>" + _td(a.model) + _td(a.param) + _td(str(a.value), a.value if isinstance(a.value, (int, float)) else None)
                        + _td(spread(a.ua, a.ua_std) if a.ua is not None else status, a.ua)
                        + _td(a.condition) + "</tr>")
        abl = [p for p in plots if p.section == "ablation"]
        parts.append('<section class="group" id="ablations"><h2>Ablations</h2>'
                     f'<div class="plots">{"".join(_figure(p) for p in abl)}</div>'
                     + _table(["Model", "param", "value", "UA % (± std over seeds)", "condition"], body) + "</section>")
    parts += [_validity_section(panel, plots) for panel in lb.validity]
    if lb.attention:
        headers, rows = attention_table(lb.attention)
        body = ["<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in rows]
        figs = [p for p in plots if p.section == "attention"]
        parts.append('<section class="group" id="attention"><h2>LE-MER attention diagnostics</h2>'
                     f'<p class="legend">{e(ATTENTION_NOTE)}</p>' + _table(headers, body)
                     + (f'<div class="plots">{"".join(_figure(p) for p in figs)}</div>' if figs else "") + "</section>")
    if lb.references:
        parts.append('<section class="group refs" id="references"><h2>Published reference points'
                     '<span class="badge real">real corpora only</span></h2><p class="legend">As reported by their '
                     "authors, under their protocols and encoders: shown for orientation, never ranked with our runs.</p>")
        for corpus, refs in sorted(lb.references.items()):
            body = ["<tr>" + _td(r.model) + _td(r.protocol + (f" ({r.note})" if r.note else "")) + _td(
                "" if r.wa is None else f"{r.wa:.1f}", r.wa) + _td("" if r.ua is None else f"{r.ua:.1f}", r.ua)
                    + _td("" if r.macro_f1 is None else f"{r.macro_f1:.1f}", r.macro_f1) + _td(r.source) + "</tr>" for r in refs]
            parts.append(f"<h3>{e(corpus)}</h3>" + _table(["Model", "Protocol", "WA %", "UA %", "macro-F1 %", "Source"], body))
        parts.append("</section>")
    parts.append(f"<footer>{e(marks_legend())} "
                 "Generated by <code>lemer-bench leaderboard</code>; self-contained, no network access.</footer>")
    parts.append(f"</main><script>{JS}</script></body></html>")
    return "\n".join(parts)
