"""LE-MER's attention diagnostics reach the leaderboard: averaged per model variant and cell, on the page."""
from __future__ import annotations

from pathlib import Path

from leaderboard.attention import attention_rows
from leaderboard.board import compute_leaderboard
from leaderboard.html import render
from leaderboard.plots import attention_figure
from leaderboard.results import load_runs
from leaderboard.tables import markdown
from tests.support.leaderboard import write_run


def _diag(gt: float, peak: float | None = None) -> dict:
    d = {"attention": {"n": 8, "entropy": {"gt": gt, "gs": 0.9, "al": 0.99, "ar": None}}}
    if peak is not None:
        d["attention"]["cues"] = {"time": {"n": 8, "peak_in_span": peak, "mass_in_span": 0.4, "chance": 0.25}}
        d["attention"]["examples"] = [{"uid": "u0", "gold": "neu", "gt": [0.1, 0.7, 0.2], "gs": [0.2, 0.3, 0.5],
                                       "seconds_per_frame": 0.04, "cue_time": [0.04, 0.08]}]
    return d


def test_diagnostics_are_averaged_per_variant_and_shown(tmp_path: Path) -> None:
    uids, gold = [f"u{i}" for i in range(8)], ["neu", "hap", "ang", "sad"] * 2
    for seed, (gt, peak) in enumerate([(0.8, 0.5), (0.6, 0.7)]):
        write_run(tmp_path, model="lemer", corpus="synthetic-iemocap", fold="test=Session1", seed=seed, uids=uids,
                  gold=gold, pred=gold, diagnostics=_diag(gt, peak))
    write_run(tmp_path, model="lemer", corpus="synthetic-iemocap", fold="test=Session1", seed=0, uids=uids, gold=gold,
              pred=gold, ablation={"param": "k_keywords", "value": 5}, diagnostics=_diag(0.95))
    write_run(tmp_path, model="text-only", corpus="synthetic-iemocap", fold="test=Session1", seed=0, uids=uids,
              gold=gold, pred=gold)
    runs = load_runs(tmp_path)
    rows = {r.model: r for r in attention_rows(runs)}
    assert set(rows) == {"lemer", "lemer (k_keywords=5)"}  # models without diagnostics have no row
    full = rows["lemer"]
    assert full.n_runs == 2 and abs(full.entropy["gt"] - 0.7) < 1e-9 and full.entropy["ar"] is None
    assert full.cue_peak["time"] == (0.6, 0.25) and full.cue_peak["tokens"] is None
    lb = compute_leaderboard(runs, n_resamples=50)
    fig = attention_figure(lb.attention or [])
    assert fig is not None and fig.png.startswith(b"\x89PNG") and fig.section == "attention"
    page, md = render(lb, [fig]), markdown(lb)
    assert fig.name in page or "data:image/png;base64" in page
    assert 'id="attention"' in page and "0.700" in page and "60% (25%)" in page
    assert "## LE-MER attention diagnostics" in md and "lemer (k_keywords=5)" in md
    assert "## Ablations" in md
