"""Cue ground truth in runs: the `by_cue_type` block of every run on a corpus with a cue sidecar, and the
`oracle-cue-pool` validation oracle reading only the true cue span."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from baselines.oracle import OracleCuePool, cue_frames
from benchmarks.cli import main
from benchmarks.models import MODELS, describe
from benchmarks.run.cues import merge_diagnostics
from dataset_adapters.synth.cues import CUE_TYPES, CueTruth, write_cues
from leaderboard.results import read_result
from leaderboard.schema import RESULT_FILE
from lemer.core.contract import CueSpan, Example, Features, FitEnv
from tests.support.corpora import iemocap_tree
from tests.support.runs import SMALL_SUITE, write_suite

pytestmark = pytest.mark.usefixtures("test_models")


def _sidecar(base: Path) -> dict[str, str]:
    """Write SYNTHETIC_CUES.jsonl for every utterance of the hand-made tree; uid -> cue type."""
    uids = sorted("iemocap:" + p.stem for p in base.rglob("*.wav"))
    kinds = {u: CUE_TYPES[i % 5] for i, u in enumerate(uids)}
    cues = [CueTruth(uid=u, label_raw="neu", emotion="neu", cue_type=kinds[u], word_emotion="neu",
                     prosody_emotion="neu", cue_word=None, position="end", n_phrases=2, token_span=(1, 3),
                     time_span=(0.05, 0.15), duration=0.15, intensity=0.0, synonym_group=None) for u in uids]
    write_cues(base, cues)
    return kinds


def test_every_run_on_a_cue_corpus_counts_test_predictions_by_cue_type(tmp_path: Path, capsys) -> None:
    base = iemocap_tree(tmp_path / "corpus")
    kinds = _sidecar(base)
    out = tmp_path / "runs"
    code = main(["run", "--suite", str(write_suite(tmp_path / "s.toml", SMALL_SUITE)), "--corpus", f"iemocap={base}",
                 "--out", str(out), "--cache", str(tmp_path / "cache"), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    results = sorted(out.rglob(RESULT_FILE))
    assert len(results) == 12
    for path in results:
        run = read_result(path)
        diag = run.record.diagnostics
        assert diag is not None and diag["cue_truth"]["uncovered"] == 0
        assert diag["modalities"] == (["text"] if run.record.run.model == "test-keyword-text" else [])
        want_n, want_ok, want_gold = Counter(), Counter(), {}
        for uid, g, p in zip(run.uids, run.gold, run.pred):
            want_n[kinds[uid]] += 1
            want_ok[kinds[uid]] += int(g == p)
            want_gold.setdefault(kinds[uid], Counter())[run.labels[g]] += 1
        assert diag["by_cue_type"] == {t: {"n": want_n[t], "correct": want_ok[t], "gold": dict(sorted(want_gold[t].items()))}
                                       for t in sorted(want_n)}
        assert sum(b["n"] for b in diag["by_cue_type"].values()) == run.record.n_test


def test_runs_on_a_corpus_without_cue_truth_carry_no_cue_block(tmp_path: Path, capsys) -> None:
    base = iemocap_tree(tmp_path / "corpus", sessions=2)
    suite = SMALL_SUITE.replace('models = ["majority", "test-keyword-text"]', 'models = ["majority"]').replace("[0, 1]", "[0]")
    out = tmp_path / "runs"
    assert main(["run", "--suite", str(write_suite(tmp_path / "s.toml", suite)), "--corpus", f"iemocap={base}",
                 "--out", str(out), "--cache", str(tmp_path / "cache"), "--no-progress"]) == 0
    for path in out.rglob(RESULT_FILE):
        assert json.loads(path.read_text())["diagnostics"] is None


def test_model_diagnostics_merge_and_reserved_keys_clash() -> None:
    assert merge_diagnostics(None, None) is None
    assert merge_diagnostics({"oracle": 1}, {"by_cue_type": {}}) == {"oracle": 1, "by_cue_type": {}}
    with pytest.raises(ValueError, match="reserved"):
        merge_diagnostics({"by_cue_type": 1}, {"by_cue_type": {}})


# ------------------------------------------------------------------------------------------ the oracle
CLASSES = ("ang", "hap", "neu", "sad")
RATE = 50.0  # frames per second


def _cue_examples(n: int, seed: int, labelled: bool, prefix: str) -> tuple[list[Example], list[str], dict[str, CueSpan]]:
    """40 noise frames whose cue span (5 frames somewhere) shows the class, while every OTHER frame
    shows a different, random class just as strongly: mean pooling is misled, the cue span is not."""
    rng = np.random.default_rng(seed)
    exs, gold, spans = [], [], {}
    for i in range(n):
        k = i % 4
        decoy = (k + 1 + int(rng.integers(0, 3))) % 4
        frames = rng.normal(size=(40, 8))
        start = int(rng.integers(0, 35))
        frames[:, decoy] += 2.0
        frames[start:start + 5, decoy] -= 2.0
        frames[start:start + 5, k] += 2.0
        uid = f"{prefix}{i}"
        exs.append(Example(uid=uid, label=CLASSES[k] if labelled else None, text="", audio="",
                           features=Features(speech=frames.astype(np.float16))))
        gold.append(CLASSES[k])
        spans[uid] = CueSpan(tokens=(0, 1), seconds=(start / RATE, (start + 5) / RATE), duration=40 / RATE)
    return exs, gold, spans


def test_oracle_pools_only_the_cue_span_and_its_mean_pooling_twin_is_misled() -> None:
    train, _, s1 = _cue_examples(160, 0, True, "tr")
    valid, _, s2 = _cue_examples(40, 1, True, "va")
    test, gold, s3 = _cue_examples(80, 2, False, "te")
    switches = {"max_epochs": 15, "patience": 15, "d_model": 32}
    oracle = OracleCuePool(**switches)
    oracle.fit(train, valid, FitEnv(classes=CLASSES, seed=0, cue_spans={**s1, **s2, **s3}))
    acc_oracle = np.mean([p.label == g for p, g in zip(oracle.predict(test), gold)])
    twin = MODELS.get("speech-only-meanpool")(**{**MODELS.defaults("speech-only-meanpool"), **switches})
    twin.fit(train, valid, FitEnv(classes=CLASSES, seed=0))
    acc_twin = np.mean([p.label == g for p, g in zip(twin.predict(test), gold)])
    assert acc_oracle > 0.9 and acc_twin < 0.4, (acc_oracle, acc_twin)
    assert oracle.diagnostics["oracle"]["twin"] == "speech-only-meanpool"


def test_oracle_refuses_to_fit_without_cue_spans_and_its_twin_has_identical_switches() -> None:
    train, _, _ = _cue_examples(8, 0, True, "tr")
    with pytest.raises(ValueError, match="oracle"):
        OracleCuePool().fit(train, [], FitEnv(classes=CLASSES, seed=0))
    a, b = describe("oracle-cue-pool"), describe("speech-only-meanpool")
    assert a.config == b.config and a.cue_spans and not b.cue_spans


def test_cue_frames_cover_the_span_and_never_come_out_empty() -> None:
    span = CueSpan(tokens=(0, 1), seconds=(1.0, 1.5), duration=3.0)
    assert cue_frames(150, span) == (50, 75)
    assert cue_frames(151, span) == (50, 76)  # partial last frame rounds outwards
    assert cue_frames(10, CueSpan((0, 1), (2.99, 3.0), 3.0)) == (9, 10)
    assert cue_frames(10, CueSpan((0, 1), (5.0, 6.0), 3.0)) == (9, 10)  # past the end: the last frame
