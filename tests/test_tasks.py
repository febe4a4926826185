"""The soft and dimensional tasks: their metrics against references and hand-computed values, their targets,
the models that learn them, suites that ask for them (and are refused where a corpus or a model cannot), and
runs end to end on the tiny synthetic IEMOCAP (no-consensus utterances kept, rows and metrics per task)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines.common import fit_linear_for_task, fit_logistic_regression
from baselines.majority import Majority
from benchmarks.run.runner import RunOptions, run_suite
from benchmarks.suite import SuiteError, load_suite
from dataset_adapters.types import OTHER, Dims, Votes
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE
from lemer.core.contract import Example, FitEnv
from lemer.core.metrics import (
    METRICS,
    MetricInputs,
    ccc,
    mean_ccc,
    metrics_for,
    plurality_accuracy,
    score_all,
    soft_cross_entropy,
    soft_kl,
)
from lemer.core.training import ccc_loss
from tests.support.runs import write_suite
from tests.support.synth import tiny_tree


def reference_ccc(x: np.ndarray, y: np.ndarray) -> float:
    """Lin (1989) written from the correlation: 2 r sx sy / (sx^2 + sy^2 + (mx - my)^2), population moments."""
    r = np.corrcoef(x, y)[0, 1]
    sx, sy = np.std(x), np.std(y)
    return float(2 * r * sx * sy / (sx ** 2 + sy ** 2 + (np.mean(x) - np.mean(y)) ** 2))


@pytest.mark.parametrize("seed", range(5))
def test_ccc_equals_the_textbook_formula_and_audmetric(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=200)
    y = 0.6 * x + rng.normal(scale=0.8, size=200) + 0.3
    assert abs(ccc(x, y) - reference_ccc(x, y)) < 1e-12
    audmetric = pytest.importorskip("audmetric")
    assert abs(ccc(x, y) - float(audmetric.concordance_cc(x, y))) < 1e-12


def test_ccc_edge_cases() -> None:
    x = np.array([0.1, 0.5, -0.2, 0.9]) - 0.325  # mean 0: -x is perfect disagreement
    assert ccc(x, x) == pytest.approx(1.0, abs=1e-15)
    assert ccc(x, -x) == pytest.approx(-1.0, abs=1e-12)
    assert ccc(x, x + 1.0) < ccc(x, x)  # a bias lowers agreement though the correlation is 1
    assert ccc(np.ones(4), np.ones(4)) == 0.0  # undefined: reported as 0, not NaN


def test_the_training_ccc_loss_is_one_minus_the_metric() -> None:
    rng = np.random.default_rng(0)
    pred, gold = rng.normal(size=(64, 3)), rng.normal(size=(64, 3))
    loss = ccc_loss(torch.tensor(pred), torch.tensor(gold)).item()
    assert loss == pytest.approx(1.0 - mean_ccc(pred, gold), abs=1e-6)


def test_soft_metrics_equal_hand_computed_values() -> None:
    probs = np.array([[0.5, 0.5], [0.9, 0.1]])
    q = np.array([[1.0, 0.0], [0.5, 0.5]])
    ce = (-math.log(0.5) - 0.5 * math.log(0.9) - 0.5 * math.log(0.1)) / 2
    assert soft_cross_entropy(probs, q) == pytest.approx(ce, abs=1e-12)
    assert soft_kl(probs, q) == pytest.approx(ce - math.log(2) / 2, abs=1e-12)  # minus the targets' entropy
    assert soft_kl(q, q) == pytest.approx(0.0, abs=1e-12)
    # first: class 1 predicted, annotators said class 0 (wrong); second: a tie, either class counts as right
    assert plurality_accuracy(np.array([1, 0]), q) == 0.5
    assert plurality_accuracy(np.array([1, 1]), q) == 0.5
    scores = score_all("soft", MetricInputs(n_classes=2, pred=np.array([0, 1]), probs=probs, gold_dist=q))
    assert set(scores) == {"soft_ce", "soft_kl", "plurality_acc"} and scores["plurality_acc"] == 1.0


def test_dimensional_metrics_are_registered_per_dimension_and_as_means() -> None:
    rng = np.random.default_rng(1)
    gold = rng.uniform(-1, 1, size=(50, 3))
    pred = gold * 0.5 + rng.normal(scale=0.2, size=(50, 3))
    s = score_all("dimensional", MetricInputs(n_classes=4, gold_dims=gold, pred_dims=pred))
    assert s["ccc"] == pytest.approx(np.mean([s["ccc_aro"], s["ccc_val"], s["ccc_dom"]]), abs=1e-12)
    assert s["ccc_val"] == pytest.approx(reference_ccc(pred[:, 1], gold[:, 1]), abs=1e-12)
    assert s["mae"] == pytest.approx(np.abs(pred - gold).mean(), abs=1e-12)
    assert METRICS.get("ccc").higher_is_better and not METRICS.get("mae").higher_is_better


def test_targets_soft_renormalised_inside_the_map_and_dims_signed() -> None:
    votes = Votes(counts=(("ang", 2.0), ("hap", 0.0), ("neu", 0.5), ("sad", 0.0), (OTHER, 0.5)), raw=(), annotators=3)
    assert votes.soft_target() == pytest.approx({"ang": 0.8, "hap": 0.0, "neu": 0.2, "sad": 0.0})
    mostly_other = Votes(counts=(("ang", 1.0), ("hap", 0.0), ("neu", 0.0), ("sad", 0.0), (OTHER, 2.0)), raw=(),
                         annotators=3)
    assert mostly_other.soft_target() is None  # under half the votes inside the map: skipped, counted
    assert Dims(1.0, 3.0, 5.0, (1.0, 5.0)).signed() == (-1.0, 0.0, 1.0)


def _examples(n: int, seed: int = 0) -> tuple[list[Example], np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    out = []
    for i in range(n):
        p = np.exp([x[i, 0], -x[i, 0], 0.0])
        p = p / p.sum()
        out.append(Example(uid=f"u{i}", label=None, text="", audio="", soft=dict(zip("abc", p)),
                           dims=(float(np.tanh(x[i, 1])), float(np.tanh(-x[i, 2])), 0.0)))
    return out, x


def test_majority_is_the_floor_of_every_task() -> None:
    train, _ = _examples(30)
    m = Majority()
    m.fit(train, [], FitEnv(classes=("a", "b", "c"), seed=0, task="dimensional"))
    pred = m.predict(train[:2])[0]
    assert pred.dims == pytest.approx(dict(zip(("arousal", "valence", "dominance"),
                                               np.array([e.dims for e in train]).mean(0))))
    m.fit(train, [], FitEnv(classes=("a", "b", "c"), seed=0, task="soft"))
    mean = np.array([[e.soft[c] for c in "abc"] for e in train]).mean(0)
    assert [m.predict(train[:1])[0].probs[c] for c in "abc"] == pytest.approx(list(mean))


def test_linear_counterparts_learn_dims_and_soft_targets() -> None:
    train, x = _examples(200)
    valid, xv = _examples(80, seed=1)
    ridge, c = fit_linear_for_task("t", "dimensional", x, train, xv, valid, ("a", "b", "c"), (0.1, 1.0, 10.0), lambda s: None)
    pred = ridge.predict(xv)
    gold = np.array([e.dims for e in valid])
    assert ccc(pred[:, 0], gold[:, 0]) > 0.8 and ccc(pred[:, 1], gold[:, 1]) > 0.8
    soft, _ = fit_linear_for_task("t", "soft", x, train, xv, valid, ("a", "b", "c"), (0.1, 1.0, 10.0), lambda s: None)
    q = np.array([[e.soft[k] for k in "abc"] for e in valid])
    assert soft_kl(soft.predict_proba(xv), q) < soft_kl(np.full_like(q, 1 / 3), q) / 2


def test_soft_logistic_regression_on_one_hot_targets_is_hard_logistic_regression() -> None:
    train, x = _examples(120)
    hard = [Example(uid=e.uid, label="abc"[int(np.argmax([e.soft[k] for k in "abc"]))], text="", audio="",
                    soft={k: float(k == "abc"[int(np.argmax([e.soft[j] for j in "abc"]))]) for k in "abc"})
            for e in train]
    soft, _ = fit_linear_for_task("t", "soft", x, hard, x[:0], [], ("a", "b", "c"), (1.0,), lambda s: None)
    ref, _ = fit_logistic_regression("t", x, hard, x[:0], [], ("a", "b", "c"), (1.0,), None, lambda s: None)
    assert np.abs(soft.predict_proba(x) - ref.predict_proba(x)).max() < 1e-4


# ------------------------------------------------------------------------------------------- suites
BASE = """
name = "t"
synthetic_scale = "tiny"
[[corpora]]
name = "{corpus}"
synthetic = true
{extra}
"""


@pytest.mark.parametrize("corpus, extra, needle", [
    ("iemocap", 'tasks = ["dimensonal"]', "unknown task 'dimensonal'; did you mean dimensional"),
    ("crema-d", 'tasks = ["dimensional"]', "corpus 'crema-d' has no annotations for the dimensional task"),
    ("iemocap", 'tasks = ["soft", "soft"]', "tasks lists an item twice"),
    ("iemocap", 'tasks = ["dimensional"]\nmodels = ["oracle-cue-pool"]',
     "model 'oracle-cue-pool' cannot be trained for the dimensional task"),
    ("iemocap", 'tasks = ["soft"]\nmodels = ["lemer"]\n[model_config.lemer]\nfinetune = true',
     "model 'lemer' cannot be trained for the soft task"),
])
def test_suites_asking_for_a_task_that_cannot_be_learnt_are_refused(tmp_path: Path, corpus: str, extra: str,
                                                                      needle: str) -> None:
    with pytest.raises(SuiteError, match=needle):
        load_suite(str(write_suite(tmp_path / "s.toml", BASE.format(corpus=corpus, extra=extra))))


def test_main_score_per_task(tmp_path: Path) -> None:
    body = 'main_score = {dimensional = "ccc_val"}\n' + BASE.format(corpus="iemocap", extra='tasks = ["categorical", "dimensional"]')
    suite = load_suite(str(write_suite(tmp_path / "s.toml", body)))
    assert suite.main_score("dimensional") == "ccc_val" and suite.main_score("categorical") == "ua"
    body = 'main_score = "plurality_acc"\n' + BASE.format(corpus="iemocap", extra="")
    assert load_suite(str(write_suite(tmp_path / "s.toml", body))).main_score("soft") == "plurality_acc"
    with pytest.raises(SuiteError, match="main_score for the dimensional task"):
        load_suite(str(write_suite(tmp_path / "s.toml", 'main_score = {dimensional = "ua"}\n'
                                   + BASE.format(corpus="iemocap", extra=""))))


# ------------------------------------------------------------------------------------------- end to end
SUITE = """
name = "tasks"
seeds = [0]
synthetic_scale = "tiny"
models = ["majority", "tfidf-lr", "speech-only", "lemer"]
tasks = ["categorical", "dimensional", "soft"]

[encoders]
speech = "opensmile:egemaps-ipu"

[[corpora]]
name = "iemocap"
synthetic = true
max_folds = 1

[model_defaults]
max_epochs = 2
"""


@pytest.mark.slow  # trains four models on three tasks
def test_dimensional_and_soft_runs_end_to_end(tmp_path: Path) -> None:
    root, _ = tiny_tree("iemocap")
    suite = load_suite(str(write_suite(tmp_path / "s.toml", SUITE)))
    summary = run_suite(suite, RunOptions(out=tmp_path / "runs", corpus_roots={"iemocap": str(root)},
                                          cache_dir=str(tmp_path / "cache"), progress=False))
    assert summary.runs_failed == 0 and summary.runs_done == 12, summary.failures
    by: dict[tuple[str, str], tuple[dict, list[dict]]] = {}
    for p in (tmp_path / "runs").rglob(RESULT_FILE):
        r = json.loads(p.read_text())
        rows = [json.loads(line) for line in (p.parent / PREDICTIONS_FILE).read_text().splitlines()]
        by[(r["run"]["task"], r["run"]["model"])] = (r, rows)
    for (task, _model), (r, rows) in by.items():
        assert r["run"]["main_score"] == {"categorical": "ua", "dimensional": "ccc", "soft": "soft_ce"}[task]
        assert set(r["metrics"]) == {"n", *(m.name for m in metrics_for(task))}
        assert r["metrics"]["n"] == len(rows) == r["n_test"]
    dims_result, dims_rows = by[("dimensional", "speech-only")]
    assert set(dims_rows[0]) >= {"uid", "gold", "gold_dims", "pred_dims", "speaker"} and "pred" not in dims_rows[0]
    assert {"ccc_aro", "ccc_val", "ccc_dom", "ccc", "pearson", "mae"} <= set(dims_result["metrics"])
    assert by[("dimensional", "majority")][0]["metrics"]["ccc"] == pytest.approx(0.0, abs=1e-9)
    soft_result, soft_rows = by[("soft", "lemer")]
    assert all(abs(sum(r["gold_dist"].values()) - 1) < 1e-9 for r in soft_rows)
    assert {"soft_ce", "soft_kl", "plurality_acc"} <= set(soft_result["metrics"])
    cat_n = by[("categorical", "majority")][0]["n_test"]
    # the soft and dimensional tasks keep the utterances without a consensus class (gold None) and say so
    assert any(r["gold"] is None for r in dims_rows) and dims_result["n_test"] > cat_n
    log = next((tmp_path / "runs").rglob("task=dimensional/**/majority/seed=0/*/log.txt")).read_text()
    assert "without a consensus class" in log and "kept" in log
