"""LE-MER's attention diagnostics on the leaderboard: how peaked its label attention is, per model and cell.

Every LE-MER run records `diagnostics.attention` (lemer/model/diagnostics.py): the normalised entropy
(1 = uniform, 0 = one position) of the label-token attention Gt, the label-frame attention Gs, the
emotion-aware alignment Al and the cross-attention Ar on its test fold, and, where the corpus provides
cue spans, how often the gold class's attention peaks inside the cue and against what chance. This
module averages them over a cell's folds and seeds, so a reader can see whether the label parts do
anything (an inert mechanism sits at entropy ~1.0).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from leaderboard.results import Run
from lemer.core.spec import TranscriptCondition

MAPS = ("gt", "gs", "al", "ar")


@dataclass(frozen=True)
class AttentionRow:
    corpus: str
    protocol: str  # as tables show it (`cross-corpus (train: ...)` for cross-corpus runs)
    label_map: str
    transcript: TranscriptCondition
    model: str  # with its ablation, e.g. "lemer (k_keywords=5)"
    n_runs: int
    entropy: dict[str, float | None]  # map -> mean normalised entropy over runs
    cue_peak: dict[str, tuple[float, float] | None]  # "tokens"/"time" -> (peak_in_span, chance), mean over runs
    synthetic: bool
    cross: bool = False
    examples: tuple[dict[str, Any], ...] = ()  # gold-class maps of a few test utterances of the first run (fold, seed)


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def attention_rows(runs: list[Run]) -> list[AttentionRow]:
    """One row per (cell, model variant) whose runs carry attention diagnostics."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    synthetic: dict[tuple[Any, ...], bool] = {}
    cross: dict[tuple[Any, ...], bool] = {}
    for r in sorted(runs, key=lambda r: (r.record.run.fold, r.record.run.seed)):
        diag = (r.record.diagnostics or {}).get("attention")
        if not isinstance(diag, dict):
            continue
        info = r.record.run
        if info.task != "categorical":  # the label attention of the soft and dimensional heads is another question
            continue
        model = info.model
        if info.ablation:
            model += f" ({info.ablation.param}={info.ablation.value})"
        if not info.audio.is_clean:
            model += f" (audio {info.audio.key})"
        if info.refit:
            model += " (refit)"
        key = (info.corpus, info.protocol_label, info.label_map, info.transcript, model)
        groups[key].append(diag)
        synthetic[key] = bool(info.synthetic)
        cross[key] = info.cross_corpus
    rows = []
    for key, diags in sorted(groups.items()):
        entropy = {m: _mean([d["entropy"][m] for d in diags if (d.get("entropy") or {}).get(m) is not None])
                   for m in MAPS}
        cue: dict[str, tuple[float, float] | None] = {}
        for kind in ("tokens", "time"):
            found = [(d["cues"][kind]["peak_in_span"], d["cues"][kind]["chance"]) for d in diags
                     if (d.get("cues") or {}).get(kind, {}).get("peak_in_span") is not None]
            cue[kind] = (float(np.mean([f[0] for f in found])), float(np.mean([f[1] for f in found]))) if found else None
        examples = next((tuple(d["examples"]) for d in diags if d.get("examples")), ())
        rows.append(AttentionRow(*key, n_runs=len(diags), entropy=entropy, cue_peak=cue, synthetic=synthetic[key],
                                 cross=cross[key], examples=examples))
    return rows


def attention_table(rows: list[AttentionRow]) -> tuple[list[str], list[list[str]]]:
    """Headers and text cells of the diagnostics table (markdown and HTML render the same rows)."""
    headers = ["Corpus · condition", "Model", "runs", "H(Gt)", "H(Gs)", "H(Al)", "H(Ar)",
               "Gt peak in cue (chance)", "Gs peak in cue (chance)"]

    def num(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f}"

    def cue(v: tuple[float, float] | None) -> str:
        return "–" if v is None else f"{100 * v[0]:.0f}% ({100 * v[1]:.0f}%)"

    body = [[f"{r.corpus} · {r.protocol} · {r.label_map} · {r.transcript}", r.model, str(r.n_runs),
             *(num(r.entropy[m]) for m in MAPS), cue(r.cue_peak["tokens"]), cue(r.cue_peak["time"])] for r in rows]
    return headers, body


ATTENTION_NOTE = ("Normalised entropy of each attention map on the test folds, mean over folds and seeds "
                  "(1.000 = uniform: the map does nothing; lower = more peaked). 'Peak in cue': share of test "
                  "utterances whose gold-class label attention peaks inside the known cue span (synthetic corpora "
                  "only), with chance (the span's share of positions) in brackets.")
