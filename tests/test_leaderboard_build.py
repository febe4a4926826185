"""End to end: a fake runs tree (written per the schema) -> every output file, checked by content."""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score
from statsmodels.stats.multitest import multipletests

from leaderboard.build import OUTPUT_FILES, build_leaderboard
from leaderboard.references import load_references
from leaderboard.results import ResultError
from leaderboard.schema import SCHEMA_VERSION
from tests.support.leaderboard import fold_data, make_runs_dir, noisy_predictions, write_run

LOSO = ("synthetic-iemocap", "loso")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("lb")
    runs = make_runs_dir(root / "runs")
    out = root / "out"
    build_leaderboard(runs, out)
    return runs, out


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_all_files_written(built: tuple[Path, Path]) -> None:
    _, out = built
    for name in OUTPUT_FILES:
        assert (out / name).stat().st_size > 0, name
    kinds = {p.name.split("-")[0] for p in (out / "plots").glob("*.png")}
    assert {"robustness", "confusion", "cross", "ablation"} <= kinds
    for p in (out / "plots").glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.parent.glob(".out.*")), "temp or old output dirs left behind"


def test_leaderboard_csv_rows_and_marks(built: tuple[Path, Path]) -> None:
    _, out = built
    rows = _csv(out / "leaderboard.csv")
    # issue 13: units in the column names (percent, like the page), not bare fractions
    assert list(rows[0])[:16] == ["corpus", "protocol", "label_map", "transcript", "wer_pct", "model", "wa_pct",
                                  "ua_pct", "macro_f1_pct", "wa_std_pct", "ua_std_pct", "ua_ci_low_pct",
                                  "ua_ci_high_pct", "n", "folds", "seeds"]
    loso = [r for r in rows if (r["corpus"], r["protocol"]) == LOSO]
    assert len(loso) == 4 * 3 + 1  # 4 models x 3 transcripts + the incomplete model in the gold cell only
    assert len(rows) == len(loso) + 2 * 4  # two cross-corpus cells of 4 models
    by = {(r["transcript"], r["model"]): r for r in loso}
    # transcript-independent model: in every transcript cell, same runs, same numbers
    audio = [by[(t, "audio-only")] for t in ("gold", "asr:whisper-tiny.en", "noise:wer=0.3")]
    assert all(r["transcript_independent"] == "true" for r in audio)
    assert len({r["ua_pct"] for r in audio}) == 1
    assert by[("asr:whisper-tiny.en", "lemer")]["wer_pct"] == "12.00"
    assert by[("gold", "lemer")]["rank"] == "1" and by[("gold", "lemer")]["significantly_worse"] == "false"
    assert by[("gold", "majority")]["significantly_worse"] == "true"
    partial = by[("gold", "partial")]
    assert partial["complete"] == "false" and partial["ua_pct"] == "" and partial["rank"] == ""
    assert (partial["runs"], partial["runs_expected"]) == ("14", "15")
    ci = (float(by[("gold", "lemer")]["ua_ci_low_pct"]), float(by[("gold", "lemer")]["ua_ci_high_pct"]))
    assert ci[0] < float(by[("gold", "lemer")]["ua_pct"]) < ci[1]
    assert by[("gold", "lemer")]["n"] == "300" and by[("gold", "lemer")]["folds"] == "5"


def test_pooled_metrics_equal_recomputation_from_prediction_files(built: tuple[Path, Path]) -> None:
    runs, out = built
    per_seed: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    per_run = []
    for res_path in runs.rglob("result.json"):
        res = json.loads(res_path.read_text())
        r = res["run"]
        if (r["model"], r["corpus"], r["protocol"], r["transcript"], r["ablation"]) != ("text-only", *LOSO, "asr:whisper-tiny.en", None):
            continue
        rows = [json.loads(x) for x in res_path.with_name("predictions.jsonl").read_text().splitlines()]
        g, p = [x["gold"] for x in rows], [x["pred"] for x in rows]
        per_seed[r["seed"]][0].extend(g)
        per_seed[r["seed"]][1].extend(p)
        per_run.append(balanced_accuracy_score(g, p))
    assert len(per_run) == 15
    expected_ua = np.mean([balanced_accuracy_score(g, p) for g, p in per_seed.values()])
    row = next(r for r in _csv(out / "leaderboard.csv")
               if (r["corpus"], r["protocol"], r["transcript"], r["model"]) == (*LOSO, "asr:whisper-tiny.en", "text-only"))
    assert float(row["ua_pct"]) == pytest.approx(100 * expected_ua, abs=0.005)  # percent, 2 decimals
    assert float(row["ua_std_pct"]) == pytest.approx(100 * np.std(per_run, ddof=1), abs=0.005)


def test_significance_csv(built: tuple[Path, Path]) -> None:
    _, out = built
    rows = _csv(out / "significance.csv")
    assert list(rows[0])[:12] == ["corpus", "protocol", "transcript", "model_a", "model_b", "metric", "test", "diff_pts",
                                  "ci_low_pts", "ci_high_pts", "p_value", "p_adjusted"]
    gold = [r for r in rows if (r["corpus"], r["protocol"], r["transcript"]) == (*LOSO, "gold")]
    assert len(gold) == 3 * 4  # best vs 3 ranked others x (McNemar WA, bootstrap WA, bootstrap UA, permutation UA)
    assert {r["model_a"] for r in gold} == {"lemer"} and "partial" not in {r["model_b"] for r in gold}
    assert {(r["metric"], r["test"]) for r in gold} == {("wa", "mcnemar"), ("wa", "bootstrap"), ("ua", "bootstrap"),
                                                         ("ua", "permutation")}
    perm = [r for r in gold if r["test"] == "permutation"]
    expected = multipletests([float(r["p_value"]) for r in perm], method="holm")[1]
    assert [float(r["p_adjusted"]) for r in perm] == pytest.approx(expected, rel=1e-3)  # p rounded to 4 digits
    assert {r["decides_mark"] for r in perm} == {"true"} and {r["decides_mark"] for r in gold if r not in perm} == {"false"}
    for r in rows:
        assert float(r["p_adjusted"]) >= float(r["p_value"]) - 1e-12
        assert float(r["ci_low_pts"]) <= float(r["diff_pts"]) <= float(r["ci_high_pts"])


def test_markdown_and_latex(built: tuple[Path, Path]) -> None:
    _, out = built
    md = (out / "leaderboard.md").read_text(encoding="utf-8")
    assert "Synthetic corpora — not the real IEMOCAP/MSP-Podcast/CREMA-D" in md
    assert "## synthetic-iemocap · loso · iemocap-4 [synthetic]" in md
    assert "### transcript: asr:whisper-tiny.en (WER 12.0%)" in md
    assert "majority †" in md and "audio-only †◇" in md and "incomplete (14/15 fold×seed runs)" in md
    assert "Published reference points" not in md  # never next to synthetic corpora
    assert md.index("loso · iemocap-4") < md.index("cross-corpus")
    tex = (out / "leaderboard.tex").read_text(encoding="utf-8")
    assert tex.count("\\begin{tabular}") == 5 and "$^\\dagger$" in tex and "\\toprule" in tex


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, list]] = []
        self.srcs: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.scripts_with_src = 0
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"class": [a.get("class") or ""], "th": [], "rows": []})
        elif tag == "th":
            self._in_th = True
            self.tables[-1]["th"].append("")
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append(1)
        elif tag == "img":
            self.srcs.append(a.get("src") or "")
        elif tag in ("a", "link"):
            self.hrefs.append(a.get("href") or "")
        elif tag == "script" and a.get("src"):
            self.scripts_with_src += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self._in_th = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_th:
            self.tables[-1]["th"][-1] += data


def test_index_html_is_self_contained_with_tables(built: tuple[Path, Path]) -> None:
    _, out = built
    page = _PageParser()
    page.feed((out / "index.html").read_text(encoding="utf-8"))
    text = "".join(page.text)
    assert "Synthetic corpora — not the real IEMOCAP/MSP-Podcast/CREMA-D" in text
    cell_tables = [t for t in page.tables if t["th"][:3] == ["Rank", "Model", "UA %"]]
    assert len(cell_tables) == 5
    assert all("sortable" in t["class"][0] for t in page.tables)
    gold_table = cell_tables[0]
    assert len(gold_table["rows"]) == 1 + 5  # header + 4 ranked + 1 incomplete
    assert any(t["th"][0] == "Model" and "gold (WER 0%)" in t["th"] for t in page.tables)  # summary table
    assert len(page.srcs) >= 8 and all(s.startswith("data:image/png;base64,") for s in page.srcs)
    assert all(h.startswith("#") for h in page.hrefs) and page.scripts_with_src == 0
    assert "synthetic" in text and "Ablations" in text and "Cross-corpus heatmaps" in text


def _real_runs(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for fold, (uids, gold) in fold_data("iemocap", 2, 30).items():
        for model, acc in (("lemer", 0.7), ("text-only", 0.5)):
            write_run(root, model=model, corpus="iemocap", fold=fold, seed=0, uids=uids, gold=gold,
                      pred=noisy_predictions(gold, acc, rng), synthetic=False)
    return root


def test_references_only_for_real_corpora(tmp_path: Path) -> None:
    runs = _real_runs(tmp_path / "runs")
    toml = tmp_path / "refs.toml"
    toml.write_text('[[reference]]\ncorpus = "iemocap"\nmodel = "My-SER"\nprotocol = "LOSO, 4-class"\n'
                    'source = "Doe 2025"\nua = 66.6\n\n[[reference]]\ncorpus = "crema-d"\nmodel = "X"\n'
                    'protocol = "p"\nsource = "s"\nwa = 1.0\n')
    build_leaderboard(runs, tmp_path / "out", references=load_references(toml))
    md = (tmp_path / "out" / "leaderboard.md").read_text(encoding="utf-8")
    refs = md[md.index("## Published reference points"):]
    assert "emotion2vec" in refs and "My-SER" in refs and "66.6" in refs
    assert "crema-d" not in refs  # no crema-d runs here
    assert "Synthetic corpora" not in md
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="references"' in html and "not the real IEMOCAP" not in html


def test_bad_references_file(tmp_path: Path) -> None:
    p = tmp_path / "r.toml"
    p.write_text('[[reference]]\ncorpus = "iemocap"\nmodel = "m"\nprotocol = "p"\nsource = "s"\nwa = 170\n')
    with pytest.raises(ValueError, match=rf"{p}: \[\[reference\]\] #1: wa must be a number in \[0, 100\]"):
        load_references(p)
    p.write_text("reference = [1, 2]\n")  # integers where tables belong
    with pytest.raises(ValueError, match=rf"{p}: \[\[reference\]\] #1: expected a table"):
        load_references(p)


def test_output_replaced_atomically_and_kept_on_failure(tmp_path: Path) -> None:
    # issue 13: this test used to put a user's file (stale.txt) into --out and expect the build to delete it;
    # now a folder the leaderboard did not write is refused (tests/test_leaderboard_output.py), and only a
    # file it wrote itself (listed in its marker) is replaced.
    runs = _real_runs(tmp_path / "runs")
    out = tmp_path / "out"
    out.mkdir()
    build_leaderboard(runs, out)
    (out / "plots" / "gone.png").write_bytes(b"old plot")
    marker = out / ".lemer-leaderboard"
    marker.write_text(marker.read_text() + "plots/gone.png\n")  # as if an earlier build had written it
    build_leaderboard(runs, out)
    assert not (out / "plots" / "gone.png").exists() and (out / "index.html").exists()
    before = (out / "leaderboard.csv").read_text()
    bad = next(runs.rglob("result.json"))
    bad.write_text(bad.read_text().replace(f'"schema_version": {SCHEMA_VERSION}', '"schema_version": 99'))
    with pytest.raises(ResultError, match="schema_version 99"):
        build_leaderboard(runs, out)
    assert (out / "leaderboard.csv").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "runs"]


def test_same_seed_same_output(tmp_path: Path) -> None:
    runs = _real_runs(tmp_path / "runs")
    build_leaderboard(runs, tmp_path / "a", seed=5)
    build_leaderboard(runs, tmp_path / "b", seed=5)
    for name in ("leaderboard.csv", "significance.csv", "leaderboard.md"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
