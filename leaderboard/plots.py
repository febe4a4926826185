"""PNG plots (matplotlib, Agg backend): robustness curves, confusion matrices, cross-corpus heatmaps, ablations.

Each function returns `Plot` objects holding the PNG bytes, so the HTML page can embed them as
base64 and the writer can also save them as files; nothing touches a display or the network.
"""
from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from leaderboard.attention import AttentionRow
from leaderboard.board import Group, Leaderboard
from leaderboard.cells import AblationPoint, Cell, corpus_order
from leaderboard.validity import ValidityPanel
from lemer.core.spec import TranscriptCondition


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (files, no screen), imported on first use: every `lemer-bench`
    command loads this module, only the leaderboard draws."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt

DPI = 100
# matplotlib's tab10, then ten darker hues (tab20b/c): 20 distinct colours before any repeats
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
          "#393b79", "#e6550d", "#637939", "#843c39", "#7b4173", "#3182bd", "#8c6d31", "#31a354", "#756bb1", "#636363")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">")


def model_styles(models: list[str]) -> dict[str, tuple[str, str]]:
    """model -> (colour, marker): a colour of its own for up to 20 models, and (11 markers, coprime
    with 20 colours) a distinct colour+marker pair for up to 220. Over the sorted names of all
    models of the leaderboard, so a model looks the same in every plot; line style (dashed =
    transcript-independent) comes on top."""
    return {m: (COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]) for i, m in enumerate(sorted(set(models)))}


def robustness_title(transcripts: list[TranscriptCondition]) -> str:
    """Name only the kinds of transcript degradation the group has (ASR output, simulated noise)."""
    asr = any(t.kind == "asr" for t in transcripts)
    noise = any(t.kind == "noise" for t in transcripts)
    if asr and noise:
        return "Robustness to ASR errors and simulated transcript noise"
    if asr:
        return "Robustness to ASR errors"
    if noise:
        return "Robustness to simulated transcript noise"
    return "UA by transcript WER"


@dataclass(frozen=True)
class Plot:
    name: str  # file name, e.g. "robustness-synthetic-iemocap-loso-iemocap-4.png"
    title: str
    section: str  # "robustness" | "confusion" | "cross-corpus" | "ablation" | "validity" | "attention"
    group: str  # the group/cell title it belongs to ("" for corpus-wide plots)
    png: bytes


def slug(*parts: object) -> str:
    return re.sub(r"[^A-Za-z0-9.=]+", "-", "-".join(map(str, parts))).strip("-").lower()


def _png(fig: Any) -> bytes:
    plt = pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def cell_wer(cell: Cell) -> float | None:
    """The x position of a cell on the robustness curve (gold transcripts: 0)."""
    if cell.wer is not None:
        return cell.wer
    return 0.0 if cell.key.transcript.is_gold else None


def robustness_plot(group: Group, styles: dict[str, tuple[str, str]] | None = None) -> Plot | None:
    """UA against transcript WER: one line per text-reading model, and a horizontal band per transcript-independent
    model (it reads no text, so WER cannot move it: its 95% CI on the cell with the most test utterances, drawn
    across the WER range instead of one point per condition).

    The legend sits outside the axes (right), so it never covers data; text models are dodged a little along x
    so their CI bars do not sit on top of each other.
    """
    plt = pyplot()
    cells = [c for c in group.cells if cell_wer(c) is not None]
    if len(cells) < 2:
        return None
    styles = styles or model_styles(group.models)
    present = [m for m in group.models if any(x.model == m and x.complete for c in cells for x in c.models)]
    independent = {x.model for c in cells for x in c.models if x.transcript_independent}
    readers = [m for m in present if m not in independent]
    xs_all = [100 * cell_wer(c) for c in cells]
    span = max(xs_all) or 1.0
    lo_x, hi_x = min(xs_all) - 0.03 * span, max(xs_all) + 0.03 * span
    step = 0.006 * span
    fig, ax = plt.subplots(figsize=(7.8, 4.2))
    for k, model in enumerate(readers):
        pts = sorted((100 * cell_wer(c), 100 * m.ua, m) for c in cells for m in c.models if m.model == model and m.complete)
        xs, ys, ms = zip(*pts)
        lo = [y - 100 * m.ua_ci[0] for y, m in zip(ys, ms)]
        hi = [100 * m.ua_ci[1] - y for y, m in zip(ys, ms)]
        dodge = (k - (len(readers) - 1) / 2) * step
        color, marker = styles.get(model, (COLORS[k % len(COLORS)], MARKERS[k % len(MARKERS)]))
        ax.errorbar([x + dodge for x in xs], ys, yerr=[lo, hi], marker=marker, color=color, capsize=2, markersize=5,
                    elinewidth=0.8, linewidth=1.4, label=model)
    for k, model in enumerate(m for m in present if m in independent):
        where = max((c for c in cells if any(x.model == model and x.complete for x in c.models)), key=lambda c: len(c.uids))
        m = next(x for x in where.models if x.model == model)
        color, _ = styles.get(model, (COLORS[k % len(COLORS)], MARKERS[k % len(MARKERS)]))
        ax.fill_between([lo_x, hi_x], 100 * m.ua_ci[0], 100 * m.ua_ci[1], color=color, alpha=0.12, linewidth=0)
        ax.plot([lo_x, hi_x], [100 * m.ua] * 2, color=color, linestyle=(0, (4, 2)), linewidth=1.2,
                label=f"{model} (no text: band = 95% CI)")
    ax.set_xlim(lo_x, hi_x)
    ax.set_xlabel("transcript WER (%)  (text models dodged sideways)")
    ax.set_ylabel("UA (%), 95% CI")
    ax.set_title(f"{robustness_title([c.key.transcript for c in cells])}\n{group.title}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    return Plot(slug("robustness", *group.key) + ".png", f"UA vs transcript WER — {group.title}", "robustness",
                group.title, _png(fig))


CONFUSION_COLUMNS = 4


def row_normalised(cm: np.ndarray) -> np.ndarray:
    """Each gold class's row as fractions of that class (a row with no gold utterance stays 0)."""
    cm = np.asarray(cm, dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)


def confusion_plot(cell: Cell) -> Plot | None:
    """Row-normalised confusion matrices (counts summed over folds and seeds) of every complete model of the cell,
    in rank order, on one colour scale with its bar: small multiples, so a reader compares where models err."""
    plt = pyplot()
    models = [m for m in cell.ranked if m.confusion is not None]
    if not models:
        return None
    k = len(cell.labels)
    cols = min(CONFUSION_COLUMNS, len(models))
    rows = -(-len(models) // cols)
    side = 0.9 + 0.42 * k
    fig, axes = plt.subplots(rows, cols, figsize=(side * cols + 1.0, side * rows + 0.5), squeeze=False)
    im = None
    for ax, m in zip(axes.flat, models):
        norm = row_normalised(m.confusion)
        im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(k), cell.labels, fontsize=7, rotation=45 if k > 5 else 0)
        ax.set_yticks(range(k), cell.labels, fontsize=7)
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{100 * norm[i, j]:.0f}", ha="center", va="center", fontsize=6 if k > 6 else 7,
                        color="white" if norm[i, j] > 0.5 else "black")
        ax.set_title(f"{m.rank}. {m.model} (UA {100 * m.ua:.1f})", fontsize=8)
    for ax in axes.flat[len(models):]:
        ax.set_axis_off()
    for ax in axes[:, 0]:
        ax.set_ylabel("gold", fontsize=8)
    for ax in axes[-1, :]:
        ax.set_xlabel("predicted", fontsize=8)
    bar = fig.colorbar(im, ax=axes, fraction=0.025, pad=0.02)
    bar.set_label("% of the gold class (row-normalised)", fontsize=8)
    bar.set_ticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0", "25", "50", "75", "100"])
    bar.ax.tick_params(labelsize=7)
    fig.suptitle(f"Confusion, row-normalised (each row: % of that gold class), counts summed over "
                 f"{len(cell.folds)} fold(s) × {len(cell.seeds)} seed(s)\n{cell.key.title}", fontsize=9)
    return Plot(slug("confusion", *cell.key.group, cell.key.transcript.key) + ".png",
                f"Confusion matrices of every model, row-normalised (% of each gold class) — {cell.key.title}",
                "confusion", cell.key.title, _png(fig))


def validity_plot(panel: ValidityPanel) -> Plot | None:
    """Heatmap of the validity panel's (d): seed-mean accuracy of every model by cue type."""
    plt = pyplot()
    if not panel.models or not panel.cue_types:
        return None
    acc = np.array([[np.nan if m.accuracy(t) is None else m.accuracy(t) for t in panel.cue_types] for m in panel.models])
    names = [m.model + (" (oracle)" if m.is_oracle else "") for m in panel.models]
    fig, ax = plt.subplots(figsize=(2.2 + 0.9 * len(panel.cue_types), 0.9 + 0.32 * len(names)))
    ax.imshow(np.nan_to_num(acc, nan=0.0), cmap="Greens", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(panel.cue_types)), panel.cue_types, fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(panel.cue_types)):
            if not np.isnan(acc[i, j]):
                ax.text(j, i, f"{100 * acc[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if acc[i, j] > 0.6 else "black")
    tag = " [synthetic]" if panel.synthetic else ""
    ax.set_title(f"accuracy % by cue type{tag}", fontsize=9)
    return Plot(slug("validity", panel.corpus, panel.protocol, panel.label_map) + ".png",
                f"Accuracy by cue type — {panel.title}{tag}", "validity", panel.title, _png(fig))


def in_corpus_diagonal(lb: Leaderboard, label_map: str, corpora: list[str]) -> dict[str, Cell]:
    """corpus -> its in-corpus cell under `label_map` (gold text preferred): the heatmap's diagonal. Only the row's
    own label space counts: an in-corpus cell of another label map has another chance level and would put two
    label spaces on one colour scale, so such a corpus's diagonal stays empty (and the caption says how to fill it)."""
    out: dict[str, Cell] = {}
    for c in lb.cells:
        if not c.key.cross and c.ranked and c.key.label_map == label_map and c.key.corpus in corpora:
            if c.key.corpus not in out or (c.key.transcript.is_gold and not out[c.key.corpus].key.transcript.is_gold):
                out[c.key.corpus] = c
    return out


def cross_corpus_plots(lb: Leaderboard) -> list[Plot]:
    """Per model: UA heatmap, rows = training corpus, columns = test corpus, all in the cross-corpus label map.

    Uses the `gold` transcript cell where there is one, else the first transcript of the group. The diagonal
    (train = test corpus) is the in-corpus result under the same label map (`in_corpus_diagonal`), else "n/a".
    """
    plt = pyplot()
    chosen: dict[tuple[str, str, str], Cell] = {}
    for c in lb.cells:
        if not c.key.cross:
            continue
        k = (c.key.label_map, c.key.train_corpus, c.key.corpus)
        if k not in chosen or c.key.transcript.is_gold:
            chosen[k] = c
    by_map: dict[str, list[Cell]] = defaultdict(list)
    for (label_map, _, _), c in sorted(chosen.items()):
        by_map[label_map].append(c)
    plots = []
    for label_map, cells in by_map.items():
        corpora = sorted({c.key.train_corpus for c in cells} | {c.key.corpus for c in cells})
        models = sorted({m.model for c in cells for m in c.ranked})
        diag = in_corpus_diagonal(lb, label_map, corpora)
        missing = [c for c in corpora if c not in diag]
        n = len(corpora)
        for model in models:
            grid = np.full((n, n), np.nan)
            for c in [*cells, *diag.values()]:
                m = next((x for x in c.ranked if x.model == model), None)
                if m is not None:
                    train = c.key.train_corpus if c.key.cross else c.key.corpus
                    grid[corpora.index(train), corpora.index(c.key.corpus)] = 100 * m.ua
            fig, ax = plt.subplots(figsize=(2.6 + 1.5 * n, 1.4 + 0.75 * n))
            im = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", vmin=0, vmax=100)
            bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
            bar.set_label("UA (%)", fontsize=8)
            bar.ax.tick_params(labelsize=7)
            ax.set_xticks(range(n), corpora, rotation=20, ha="right", fontsize=8)
            ax.set_yticks(range(n), corpora, fontsize=8)
            ax.set_xlabel("test corpus")
            ax.set_ylabel("train corpus")
            for i in range(n):
                for j in range(n):
                    v = grid[i, j]
                    txt = ("n/a" if i == j else "—") if np.isnan(v) else f"{v:.1f}"
                    color = "#888888" if np.isnan(v) else ("black" if v > 60 else "white")
                    ax.text(j, i, txt, ha="center", va="center", fontsize=9, color=color,
                            fontweight="bold" if i == j else "normal")
                ax.add_patch(plt.Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="white", linewidth=2))
            ax.set_title(f"{model}: UA (%) · every cell in {label_map}; diagonal = in-corpus", fontsize=9)
            caption = (f"Cross-corpus UA — {model} ({label_map}, chance {100 / len(cells[0].labels):.0f}% in every "
                       "cell); diagonal (outlined) = trained and tested in-corpus under the same label map")
            if missing:
                caption += (f"; n/a: no in-corpus run of {', '.join(missing)} under {label_map} (add a [[corpora]] "
                            f"entry with label_map = \"{label_map}\" to fill it)")
            plots.append(Plot(slug("cross-corpus", label_map, model) + ".png", caption, "cross-corpus", label_map,
                              _png(fig)))
    return plots


def _sort_value(v: Any) -> tuple[int, float, str]:
    return (0, float(v), "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0.0, str(v))


def ablation_plots(points: list[AblationPoint]) -> list[Plot]:
    """UA against the swept value, one line per model; only points whose runs cover all folds x seeds."""
    plt = pyplot()
    groups: dict[tuple[str, ...], list[AblationPoint]] = defaultdict(list)
    for p in points:
        groups[(p.corpus, p.protocol, p.label_map, p.transcript, p.param)].append(p)
    plots = []
    for key, pts in sorted(groups.items()):
        fig, ax = plt.subplots(figsize=(5.6, 3.6))
        values = sorted({repr(p.value): p.value for p in pts}.values(), key=_sort_value)
        numeric = all(_sort_value(v)[0] == 0 for v in values)
        drawn = False
        for model in sorted({p.model for p in pts}):
            mp = sorted((p for p in pts if p.model == model and p.ua is not None), key=lambda p: _sort_value(p.value))
            if not mp:
                continue
            xs = [p.value if numeric else values.index(p.value) for p in mp]
            ax.errorbar(xs, [100 * p.ua for p in mp], yerr=[100 * (p.ua_std or 0) for p in mp], marker="o",
                        capsize=3, label=model)
            drawn = True
        if not drawn:
            plt.close(fig)
            continue
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.set_xlabel(key[4])
        ax.set_ylabel("UA (%), ± std over seeds")
        ax.set_title(f"Ablation: {key[4]}\n{key[0]} · {key[1]} · {key[2]} · {key[3]}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        plots.append(Plot(slug("ablation", *key) + ".png", f"Ablation {key[4]} — {' · '.join(map(str, key[:4]))}",
                          "ablation", " · ".join(map(str, key[:4])), _png(fig)))
    return plots


def attention_figure(rows: list[AttentionRow]) -> Plot | None:
    """The paper-style figure: for a few test utterances, the gold class's label attention over the target's
    tokens (Gt) and over the frames (Gs, on a time axis), with the known cue span shaded where there is one.
    Drawn for the full `lemer` model of the first cell that has example maps (IEMOCAP first)."""
    plt = pyplot()
    pick = [r for r in rows if r.model == "lemer" and r.examples] or [r for r in rows if r.examples]
    if not pick:
        return None
    # IEMOCAP first (the paper's corpus), within-corpus before cross-corpus, gold text before degraded
    row = min(pick, key=lambda r: (corpus_order(r.corpus), r.cross, not r.transcript.is_gold))
    exs = list(row.examples)
    fig, axes = plt.subplots(len(exs), 2, figsize=(10, 1.5 * len(exs) + 0.6), squeeze=False)
    for (ax_t, ax_s), ex in zip(axes, exs):
        for ax, key, xlabel in ((ax_t, "gt", "target token"), (ax_s, "gs", "time (s)")):
            vals = ex.get(key)
            if not vals:
                ax.set_axis_off()
                continue
            step = float(ex.get("seconds_per_frame", 1.0)) if key == "gs" else 1.0
            xs = np.arange(len(vals)) * step
            ax.bar(xs, vals, width=step * 0.9, align="edge", color="#1f77b4" if key == "gt" else "#ff7f0e")
            cue = ex.get("cue_tokens") if key == "gt" else ex.get("cue_time")
            if cue and cue[1] > cue[0]:
                ax.axvspan(cue[0], cue[1], color="#2ca02c", alpha=0.2, label="cue span")
                ax.legend(fontsize=7, loc="upper right")
            ax.set_xlabel(xlabel, fontsize=8)
            ax.set_ylabel(("Gt" if key == "gt" else "Gs") + f"[·, {ex['gold']}]", fontsize=8)
            ax.tick_params(labelsize=7)
        ax_t.set_title(ex["uid"], fontsize=8, loc="left")
    fig.suptitle(f"Label attention of the gold class — {row.model} · {row.corpus} · {row.transcript}"
                 + (" (synthetic)" if row.synthetic else ""), fontsize=9)
    fig.tight_layout()
    return Plot(slug("attention", row.corpus, row.model) + ".png", f"Label attention — {row.model} · {row.corpus}",
                "attention", "", _png(fig))


def all_plots(lb: Leaderboard) -> list[Plot]:
    plots: list[Plot] = []
    styles = model_styles([m.model for c in lb.cells for m in c.models])
    for g in lb.groups:
        if g.key[1] != "cross":
            p = robustness_plot(g, styles)
            if p:
                plots.append(p)
        for c in g.cells:
            p = confusion_plot(c)
            if p:
                plots.append(p)
    plots += cross_corpus_plots(lb)
    plots += ablation_plots(lb.ablations)
    plots += [p for p in map(validity_plot, lb.validity) if p is not None]
    fig = attention_figure(lb.attention or [])
    if fig:
        plots.append(fig)
    return plots
