"""Issue 13 (page) and issue 12 item 4 (MDD): ties, marks, headline, CSV units, plots, minimum detectable difference."""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from leaderboard import plots
from leaderboard.board import compute_leaderboard
from leaderboard.build import build_leaderboard, load_runs_excluding_outputs
from leaderboard.cells import ALPHA, ModelResult, assign_ranks
from leaderboard.power import bootstrap_se, mdd, mdd_from_bootstrap, z_sum
from leaderboard.significance import bootstrap_counts, resampled_metric
from leaderboard.tables import headline_rows, headline_text
from lemer.core.spec import TranscriptCondition
from tests.support.leaderboard import fold_data, make_demo_like_runs_dir, write_run


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("page")
    runs = make_demo_like_runs_dir(root / "runs", per_fold=20)
    out = root / "runs" / "leaderboard"
    build_leaderboard(runs, out, n_resamples=300)
    return runs, out


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- minimum detectable difference ------------------------------------------------------------

def test_mdd_formula_by_hand() -> None:
    # z_0.975 = 1.959964, z_0.80 = 0.841621 (normal table) -> 2.801585
    assert z_sum() == pytest.approx(1.959964 + 0.841621, abs=1e-6)
    assert mdd(0.01) == pytest.approx(0.02801585, abs=1e-7)
    # replicates -1, +1: sample std (ddof 1) = sqrt(2); MDD = 2.801585 * 1.414214 = 3.962040
    assert bootstrap_se(np.array([-1.0, 1.0])) == pytest.approx(np.sqrt(2))
    assert mdd_from_bootstrap(np.array([-1.0, 1.0])) == pytest.approx(3.962040, abs=1e-5)
    # a stricter test or more power needs a larger gap
    assert mdd(1.0, alpha=0.01) > mdd(1.0) and mdd(1.0, power=0.9) > mdd(1.0)
    with pytest.raises(ValueError):
        z_sum(alpha=0.0)


def test_mdd_of_a_paired_bootstrap_matches_the_binomial_se() -> None:
    """One class (UA = accuracy), B right everywhere A is, plus d extra utterances: the paired difference
    is a mean of n values in {0, 1} with d ones, so SE = sqrt(p(1-p)/n) with p = d/n (by hand)."""
    n, d = 400, 40
    gold = np.zeros(n, dtype=np.int64)
    acc = np.stack([np.r_[np.ones(d), np.zeros(n - d)], np.zeros(n)], axis=1)
    counts = bootstrap_counts(np.zeros(n, dtype=np.int64), 4000, np.random.default_rng(0))
    ua = resampled_metric(acc, gold, 1, "ua", counts)
    p = d / n
    expected = z_sum() * np.sqrt(p * (1 - p) / n)  # 2.801585 * 0.015 = 0.042024
    assert expected == pytest.approx(0.042024, abs=1e-6)
    assert mdd_from_bootstrap(ua[:, 0] - ua[:, 1]) == pytest.approx(expected, rel=0.05)


def test_mdd_on_page_and_in_csv(built: tuple[Path, Path]) -> None:
    _, out = built
    rows = _csv(out / "leaderboard.csv")
    gold = [r for r in rows if (r["corpus"], r["protocol"], r["transcript"]) == ("synthetic-iemocap", "loso", "gold")]
    ranked = [r for r in gold if r["rank"]]
    best = [r for r in ranked if r["rank"] == "1"]
    assert len(best) == 1 and best[0]["mdd_vs_best_pts"] == ""
    others = [float(r["mdd_vs_best_pts"]) for r in ranked if r["rank"] != "1"]
    assert all(0 < x < 50 for x in others)
    cell_mdd = {r["cell_mdd_pts"] for r in gold}
    assert len(cell_mdd) == 1 and float(cell_mdd.pop()) == pytest.approx(np.median(others), abs=0.011)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "MDD vs #1 (pts)" in html and re.search(r"MDD \d+\.\d pts", html)
    assert "minimum detectable UA difference" in html


# --- ranks and ties -----------------------------------------------------------------------------

def _m(name: str, ua: float) -> ModelResult:
    return ModelResult(model=name, transcript_independent=False, runs=[], n_runs=1, n_expected=1, missing=[], ua=ua)


def test_competition_ranking_with_ties() -> None:
    ms = [_m("a", 0.6), _m("b", 0.5), _m("c", 0.5), _m("d", 0.4), _m("e", 1 / 6), _m("f", 1 / 6), _m("g", 1 / 6)]
    assign_ranks(ms)
    assert [m.rank for m in ms] == [1, 2, 2, 4, 5, 5, 5]
    assert [m.tied for m in ms] == [False, True, True, False, True, True, True]


def test_tied_models_share_a_marked_rank_everywhere(built: tuple[Path, Path]) -> None:
    _, out = built
    rows = _csv(out / "leaderboard.csv")
    gold = {r["model"]: r for r in rows if (r["corpus"], r["protocol"], r["transcript"]) == ("synthetic-iemocap", "loso", "gold")}
    # majority and constant-neu predict 'neu' everywhere: exactly the same UA, so the same rank
    assert gold["majority"]["ua_pct"] == gold["constant-neu"]["ua_pct"] == "25.00"
    assert gold["majority"]["rank"] == gold["constant-neu"]["rank"] and gold["majority"]["tied"] == "true"
    n_ranked = sum(1 for r in gold.values() if r["rank"])
    assert int(gold["majority"]["rank"]) == n_ranked - 1  # competition ranking: 11, 11 — not 11, 12
    html = (out / "index.html").read_text(encoding="utf-8")
    assert f'<td data-v="{n_ranked - 1}">{n_ranked - 1}=</td>' in html
    md = (out / "leaderboard.md").read_text(encoding="utf-8")
    assert f"| {n_ranked - 1}= | majority" in md and "tied rank" in md


# --- marks, legend, headline ------------------------------------------------------------------

def test_dagger_follows_the_holm_corrected_permutation_test_and_is_explained(built: tuple[Path, Path]) -> None:
    _, out = built
    lb_rows = _csv(out / "leaderboard.csv")
    sig = _csv(out / "significance.csv")
    decided = {(r["corpus"], r["protocol"], r["train_corpus"], r["transcript"], r["model_b"]): r
               for r in sig if r["decides_mark"] == "true"}
    assert decided and all(r["metric"] == "ua" and r["test"] == "permutation" for r in decided.values())
    checked = 0
    for r in lb_rows:
        k = (r["corpus"], r["protocol"], r["train_corpus"], r["transcript"], r["model"])
        if k in decided:
            s = decided[k]
            expect = float(s["p_adjusted"]) < ALPHA and float(s["diff_pts"]) > 0
            assert (r["significantly_worse"] == "true") == expect, (k, s)
            assert r["p_holm_vs_best"] == s["p_adjusted"]
            checked += 1
    assert checked > 20
    html = (out / "index.html").read_text(encoding="utf-8")
    legend = re.search(r'<p class="legend marks">(.*?)</p>', html).group(1)
    for mark in ("†", "◇", "="):
        assert mark in legend
    assert "Holm" in legend and "permutation" in legend


def test_headline_iemocap_first_with_verdicts(built: tuple[Path, Path]) -> None:
    runs, _ = built
    lb = compute_leaderboard(load_runs_excluding_outputs(runs), n_resamples=200)
    rows = headline_rows(lb)
    assert len(rows) == len([c for c in lb.cells if c.ranked])
    corpora = [r[0] for r in rows]
    assert corpora[0].startswith("synthetic-iemocap") and corpora.index("synthetic-msp-podcast [synthetic]") > 0
    first_non_iemocap = next(i for i, c in enumerate(corpora) if "iemocap" not in c)
    assert all("iemocap" not in c for c in corpora[first_non_iemocap:])
    assert [r[2] for r in rows[:5]] == ["gold", "noise:wer=0.1", "asr:whisper-tiny.en", "noise:wer=0.3", "asr:pocketsphinx"]
    for r in rows:
        assert r[10] in ("yes", "no", "tied") and float(r[11]) <= 1
    text = headline_text(lb)
    assert "NOTE: synthetic corpora" in text and "Significant?" in text


def test_headline_is_first_on_the_page_and_folds_are_pluralised(built: tuple[Path, Path]) -> None:
    _, out = built
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.index('id="headline"') < html.index("<nav>") < html.index("UA (%) by transcript condition")
    assert html.index('id="headline"') < html.index('class="legend marks"')  # the headline above the method prose
    assert "1 folds" not in html and "1 fold × 2 seeds" in html and "5 folds × 2 seeds" in html


# --- CSV units and rounding ---------------------------------------------------------------------

def test_csv_is_percent_rounded_without_float_noise(built: tuple[Path, Path]) -> None:
    _, out = built
    for name in ("leaderboard.csv", "significance.csv"):
        rows = _csv(out / name)
        for col in rows[0]:
            if not col.startswith("p_"):  # a p-value may be tiny (McNemar: 1e-12) and is written as such
                assert not any(re.search(r"\de-\d", r[col]) for r in rows), f"float noise in {name}:{col}"
            if col.endswith(("_pct", "_pts")):
                for r in rows:
                    assert r[col] == "" or re.fullmatch(r"-?\d+\.\d\d", r[col]), (name, col, r[col])
    rows = _csv(out / "leaderboard.csv")
    const = [r for r in rows if r["model"] == "majority" and r["transcript"] == "gold"]
    assert const and all(r["ua_std_pct"] == "0.00" for r in const)  # std of equal values: was 6.8e-17
    assert all(0 <= float(r["ua_pct"]) <= 100 for r in rows if r["ua_pct"])


# --- plots ------------------------------------------------------------------------------------

@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    kept: list[Any] = []

    def keep(fig: Any) -> bytes:
        fig.canvas.draw()
        kept.append(fig)
        return b""

    monkeypatch.setattr(plots, "_png", keep)
    return kept


def test_robustness_plot_legend_outside_and_unique_styles(built: tuple[Path, Path], figures: list[Any]) -> None:
    runs, _ = built
    lb = compute_leaderboard(load_runs_excluding_outputs(runs), n_resamples=50)
    styles = plots.model_styles([m.model for c in lb.cells for m in c.models])
    assert len(set(styles.values())) == len(styles)
    many = plots.model_styles([f"m{i:03d}" for i in range(60)])
    assert len(set(many.values())) == 60 and len({c for c, _ in list(many.values())[:20]}) == 20
    group = next(g for g in lb.groups if g.key[0] == "synthetic-iemocap" and g.key[2] == "loso")
    plots.robustness_plot(group, styles)
    fig = figures[-1]
    ax = fig.axes[0]
    legend = ax.get_legend()
    renderer = fig.canvas.get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1  # right of the axes
    lines = [(line.get_color(), line.get_marker(), line.get_linestyle()) for line in ax.get_lines() if line.get_label()[0] != "_"]
    assert len(lines) == len(set(lines))
    assert ax.get_title().startswith("Robustness to ASR errors and simulated transcript noise")
    msp = next(g for g in lb.groups if g.key[0] == "synthetic-msp-podcast")
    plots.robustness_plot(msp, styles)
    assert figures[-1].axes[0].get_title().startswith("Robustness to simulated transcript noise")  # no ASR there
    assert plots.robustness_title([TranscriptCondition.parse(k) for k in ("gold", "asr:whisper-tiny.en")]) == "Robustness to ASR errors"


def test_cross_corpus_heatmap_diagonal_is_in_the_rows_label_space(tmp_path: Path, figures: list[Any]) -> None:
    """The diagonal takes in-corpus cells of the heatmap's own label map only: synthetic-b's in-corpus run under
    another label map (another chance level) is not drawn on the same colour scale; its diagonal is n/a."""
    root = tmp_path / "runs"
    rng = np.random.default_rng(1)
    data = {c: fold_data(c, 1, 30, seed=i) for i, c in enumerate(("synthetic-a", "synthetic-b"))}
    for model in ("m1", "m2"):
        for test_c, train_c in (("synthetic-a", "synthetic-b"), ("synthetic-b", "synthetic-a")):
            for fold, (uids, gold) in data[test_c].items():
                write_run(root, model=model, corpus=test_c, train_corpus=train_c, protocol="cross-corpus",
                          label_map="shared-4", fold=fold, seed=0, uids=uids, gold=gold, pred=list(rng.permutation(gold)))
        for fold, (uids, gold) in data["synthetic-a"].items():  # in-corpus, same label map: the diagonal
            write_run(root, model=model, corpus="synthetic-a", protocol="speaker-5fold", label_map="shared-4",
                      fold=fold, seed=0, uids=uids, gold=gold, pred=gold)
        for fold, (uids, gold) in data["synthetic-b"].items():  # in-corpus under another label map: not the diagonal
            write_run(root, model=model, corpus="synthetic-b", protocol="speaker-5fold", label_map="other-4",
                      fold=fold, seed=0, uids=uids, gold=gold, pred=gold)
    lb = compute_leaderboard(load_runs_excluding_outputs(root), n_resamples=50)
    out = plots.cross_corpus_plots(lb)
    assert len(out) == 2 and "diagonal" in out[0].title
    fig = figures[0]
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "UA (%)"  # the colour bar
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "100.0" in texts  # synthetic-a in-corpus, perfect predictions, on the diagonal
    assert texts.count("100.0") == 1  # synthetic-b's other-label-map run is not on the diagonal
    assert "n/a" in texts and "no in-corpus run of synthetic-b under shared-4" in out[0].title


def test_robustness_plot_draws_transcript_independent_models_as_bands(built: tuple[Path, Path],
                                                                      figures: list[Any]) -> None:
    """A model that reads no text is one dashed line across the whole WER range with its CI shaded, not a point
    per condition; text models keep one marker per condition."""
    runs, _ = built
    lb = compute_leaderboard(load_runs_excluding_outputs(runs), n_resamples=50)
    group = next(g for g in lb.groups if g.key[0] == "synthetic-iemocap" and g.key[2] == "loso")
    independent = {m.model for c in group.cells for m in c.models if m.transcript_independent and m.complete}
    readers = {m.model for c in group.cells for m in c.models if not m.transcript_independent and m.complete}
    assert independent and readers
    plots.robustness_plot(group, plots.model_styles(group.models))
    ax = figures[-1].axes[0]
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    bands = [name for name in lines if "(no text" in name]
    assert sorted(b.split(" (no text")[0] for b in bands) == sorted(independent)
    for name in bands:
        xs = list(lines[name].get_xdata())
        assert len(xs) == 2 and tuple(xs) == pytest.approx(ax.get_xlim())  # spans the axis
        assert lines[name].get_marker() in ("None", "", None)
    assert len(ax.collections) >= len(independent)  # the shaded CIs (plus the text models' error bars)
    n_cells = len([c for c in group.cells if plots.cell_wer(c) is not None])
    containers = {c.get_label(): c for c in ax.containers}  # errorbar: the label sits on its container
    assert set(containers) == readers
    for model in readers:
        assert len(containers[model].lines[0].get_xdata()) == n_cells


def test_confusion_matrices_for_every_model_row_normalised_with_a_colour_bar(built: tuple[Path, Path],
                                                                           figures: list[Any]) -> None:
    runs, _ = built
    lb = compute_leaderboard(load_runs_excluding_outputs(runs), n_resamples=50)
    cell = next(c for c in lb.cells if c.key.corpus == "synthetic-iemocap" and c.key.transcript.is_gold)
    p = plots.confusion_plot(cell)
    assert p is not None and "every model" in p.title and "row-normalised" in p.title
    fig = figures[-1]
    drawn = [ax for ax in fig.axes if ax.get_images()]
    bar = [ax for ax in fig.axes if "row-normalised" in ax.get_ylabel()]
    assert len(bar) == 1  # one colour bar for all matrices (one scale, 0-100%)
    panels = [ax for ax in drawn if ax not in bar]
    assert [ax.get_title().split(". ", 1)[1].split(" (UA")[0] for ax in panels] == [m.model for m in cell.ranked]
    for ax, m in zip(panels, cell.ranked):
        k = len(cell.labels)
        values = np.array([float(t.get_text()) for t in ax.texts]).reshape(k, k)
        assert values.sum(axis=1) == pytest.approx(np.full(k, 100.0), abs=k * 0.5 + 0.01)  # rows sum to 100%
        gold_n = m.confusion.sum(axis=1)
        assert values[0, 0] == pytest.approx(100 * m.confusion[0, 0] / gold_n[0], abs=0.5)


def test_per_class_precision_recall_f1_on_the_page_and_in_csv(built: tuple[Path, Path]) -> None:
    from sklearn.metrics import precision_recall_fscore_support

    runs, out = built
    lb = compute_leaderboard(load_runs_excluding_outputs(runs), n_resamples=50)
    cell = next(c for c in lb.cells if c.key.corpus == "synthetic-iemocap" and c.key.transcript.is_gold)
    rows = [r for r in _csv(out / "per_class.csv")
            if (r["corpus"], r["protocol"], r["transcript"]) == ("synthetic-iemocap", "loso", "gold")]
    assert {r["model"] for r in rows} == {m.model for m in cell.ranked}
    best = cell.ranked[0]
    gold = np.tile(cell.gold, len(best.seeds))
    pred = best.pred.reshape(-1)
    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=range(len(cell.labels)), zero_division=0)
    mine = {x["class"]: x for x in rows if x["model"] == best.model}
    for i, lab in enumerate(cell.labels):
        assert float(mine[lab]["precision_pct"]) == pytest.approx(100 * p[i], abs=0.006)
        assert float(mine[lab]["recall_pct"]) == pytest.approx(100 * r[i], abs=0.006)
        assert float(mine[lab]["f1_pct"]) == pytest.approx(100 * f[i], abs=0.006)
        assert int(mine[lab]["n_gold"]) == n[i] // len(best.seeds)  # each test utterance counted once
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Per-class precision / recall / F1 of every model" in html
    assert "Confusion matrices of every model (row-normalised)" in html
