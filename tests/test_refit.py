"""The refit protocol (issue 22): choose on the validation split, retrain on train + valid with that choice, score
the test split once. The run records it (identity, path, n_train), the harness hands refit exactly train + valid
and never a test utterance, each model repeats its own choice (epochs, C, fusion weight), and refit is a suite
switch per corpus entry (with and without refit side by side)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from baselines.fusion import LateFusion
from baselines.tfidf_lr import TfidfLR
from baselines.unimodal import TextOnly
from benchmarks.cli import main
from benchmarks.corpora import CorpusRoot
from benchmarks.models import MODELS, load_target
from benchmarks.run.grid import expand
from benchmarks.suite import SuiteError, load_suite
from leaderboard.schema import LOG_FILE, RESULT_FILE
from lemer.core.contract import Example, Features, FitEnv, Model
from lemer.core.spec import RunSpec
from lemer.model.lemer import LEMER
from tests.support.runs import write_suite

pytestmark = pytest.mark.usefixtures("test_models")

SUITE = """
name = "r"
seeds = [0]
models = ["test-recording", "majority", "tfidf-lr"]
transcripts = ["gold"]

[[corpora]]
name = "iemocap"
protocol = "loso"
label_map = "iemocap-4"
refit = true

[[corpora]]
name = "iemocap"
protocol = "loso"
label_map = "iemocap-4"
models = ["tfidf-lr"]
"""


def _logged(run_dir: Path, step: str) -> list[dict]:
    return [json.loads(line.split(" ", 1)[1]) for line in (run_dir / LOG_FILE).read_text().splitlines()
            if line.startswith(step + " ")]


def test_refit_trains_on_exactly_train_and_valid_and_never_sees_the_test_split(
        tmp_path: Path, iemocap_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs"
    code = main(["run", "--suite", str(write_suite(tmp_path / "s.toml", SUITE)), "--corpus", f"iemocap={iemocap_corpus}",
                 "--out", str(out), "--cache", str(tmp_path / "cache"), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    results = {p.parent: json.loads(p.read_text()) for p in out.rglob(RESULT_FILE)}
    recording = {d: r for d, r in results.items() if r["run"]["model"] == "test-recording"}
    assert len(recording) == 3  # one per LOSO fold of the 3-session tree
    for run_dir, res in recording.items():
        assert res["run"]["refit"] is True and "refit" in run_dir.relative_to(out).parts
        (fit,), (refit,), (pred,) = _logged(run_dir, "fit"), _logged(run_dir, "refit"), _logged(run_dir, "predict")
        assert fit["labelled"] and not pred["labelled"]
        assert sorted(refit["train"]) == sorted(fit["train"] + fit["valid"])  # exactly train + valid
        assert not set(refit["train"]) & set(pred["uids"])  # no test utterance before scoring
        assert res["n_train"] == len(refit["train"]) and res["n_valid"] == len(fit["valid"])
    # the same model with and without refit: different ids and folders, both kept
    tfidf = [r for r in results.values() if r["run"]["model"] == "tfidf-lr"]
    assert sorted(r["run"]["refit"] for r in tfidf) == [False] * 3 + [True] * 3
    assert len({RunSpec.from_json(r["run"]).run_id for r in tfidf}) == 6


def test_refit_off_leaves_run_ids_as_they_were() -> None:
    spec = next(iter(_grid_specs()))
    assert "refit" not in spec.identity() and spec.to_json()["refit"] is False
    on = RunSpec.from_json({**spec.to_json(), "refit": True})
    assert on.identity()["refit"] is True and on.run_id != spec.run_id
    old = {k: v for k, v in spec.to_json().items() if k != "refit"}  # a record written before the option
    assert RunSpec.from_json(old).run_id == spec.run_id
    with pytest.raises(ValueError, match="run.refit must be true or false"):
        RunSpec.from_json({**spec.to_json(), "refit": "yes"})


def _grid_specs() -> list[RunSpec]:
    suite = load_suite("demo")
    roots = {n: CorpusRoot(n, "/x", f"synthetic-{n}", True) for n in ("iemocap", "msp-podcast", "crema-d")}
    return expand(suite, roots, lambda c, lm, p, t: ["f"], encoders={}, only_models=["majority"])


def test_refit_must_be_a_boolean(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="refit must be true or false"):
        load_suite(str(write_suite(tmp_path / "s.toml", 'refit = "yes"\n[[corpora]]\nname = "iemocap"\n')))


def _examples(n: int, rng: np.random.Generator, classes: tuple[str, ...], offset: int = 0) -> list[Example]:
    out = []
    for i in range(n):
        c = classes[i % len(classes)]
        text = rng.normal(size=(4, 8)).astype(np.float32)
        text[:, classes.index(c)] += 1.5
        out.append(Example(uid=f"u{offset + i}", label=c, text=f"w{c} x", audio="",
                           features=Features(text=text, text_span=(0, 4), speech=rng.normal(size=(6, 5)).astype(np.float32))))
    return out


def test_each_model_repeats_its_own_choice() -> None:
    classes = ("a", "b", "c")
    rng = np.random.default_rng(0)
    train, valid = _examples(30, rng, classes), _examples(12, rng, classes, offset=100)
    env = FitEnv(classes=classes, seed=0)

    neural = TextOnly(max_epochs=6, patience=2)
    neural.fit(train, valid, env)
    chosen = neural.history.best_epoch + 1
    neural.refit([*train, *valid], env)
    assert neural.history.epochs_run == chosen and neural.cfg.max_epochs == chosen

    lr = TfidfLR(c_grid=[0.01, 1.0, 100.0])
    lr.fit(train, valid, env)
    c = lr.C
    lr.refit([*train, *valid], env)
    assert lr.C == c and lr.cfg.c_grid == (c,)

    late = LateFusion(max_epochs=4, patience=2, tune_weight=True)
    late.fit(train, valid, env)
    weight = late.text_weight
    late.refit([*train, *valid], env)
    assert late.text_weight == weight

    lemer = LEMER(max_epochs=3, patience=2, k_keywords=2, k_frames=2)
    lemer.fit(train, valid, env)
    chosen = lemer.history.best_epoch + 1
    lemer.refit([*train, *valid], env)
    assert lemer.history.epochs_run == chosen


@pytest.mark.parametrize("name", sorted(n for n in MODELS.names() if not n.startswith("test-")))
def test_every_registered_model_can_refit(name: str) -> None:
    cls = MODELS.get(name)
    cls = load_target(cls) if isinstance(cls, str) else cls
    assert cls.refit is not Model.refit, f"{name} has no refit"
