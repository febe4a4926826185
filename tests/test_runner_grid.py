"""End-to-end grid runs on a hand-made tiny IEMOCAP tree with `majority` and test-only models.

Checks the on-disk contract (validated by the leaderboard's own reader), skipping on rerun,
--force, recorded failures, the missing-corpus message, stale results, and --jobs 2 == --jobs 1.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.run.runner import RunOptions, run_suite
from benchmarks.suite import load_suite
from leaderboard.results import read_result
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE
from lemer.core.spec import RunSpec
from tests.support.runs import SMALL_SUITE, suite_toml, write_suite

pytestmark = pytest.mark.usefixtures("test_models")


def _run(capsys: pytest.CaptureFixture[str], suite: Path, corpus: Path, out: Path, *extra: str) -> tuple[int, dict, str]:
    code = main(["run", "--suite", str(suite), "--corpus", f"iemocap={corpus}", "--out", str(out),
                 "--cache", str(out.parent / "cache"), "--no-progress", *extra])
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    return code, (json.loads(lines[-1]) if lines else {}), captured.err


def _results(out: Path) -> dict[Path, dict]:
    return {p.parent.relative_to(out): json.loads(p.read_text()) for p in sorted(out.rglob(RESULT_FILE))}


def test_grid_writes_schema_results_then_rerun_skips_everything(tmp_path: Path, iemocap_corpus: Path, capsys) -> None:
    suite = write_suite(tmp_path / "s.toml", SMALL_SUITE)
    out = tmp_path / "runs"
    code, summary, err = _run(capsys, suite, iemocap_corpus, out)
    assert code == 0, err
    # majority: once per (seed, fold) = 2 x 3; keyword-text: 1 transcript x 2 seeds x 3 folds
    assert summary["runs_total"] == summary["runs_done"] == 12
    assert summary["runs_skipped"] == summary["runs_failed"] == 0
    assert set(summary) == {"runs_total", "runs_done", "runs_skipped", "runs_failed", "features_computed",
                            "features_reused", "cache_corrupt_recomputed", "seconds"}
    results = _results(out)
    assert len(results) == 12
    for rel, res in results.items():
        run = read_result(out / rel / RESULT_FILE)  # the leaderboard's validator: raises on any contract break
        assert RunSpec.from_json(res["run"]).to_json() == res["run"] and run.record.run_id == run.spec.run_id
        assert rel.parts[:4] == ("t", "iemocap", "loso", "iemocap-4")
        assert rel.parts[6] == f"seed={res['run']['seed']}" and rel.parts[7] == res["run"]["fold"]
        assert res["n_test"] == len(run.uids) == res["metrics"]["n"] == 16
        assert res["wer"] is None and res["manifest_hash"] and res["package_version"] == "0.1.0"
        assert res["run"]["synthetic"] is False and res["labels"] == ["neu", "hap", "ang", "sad"]
        rows = [json.loads(line) for line in (out / rel / PREDICTIONS_FILE).read_text().splitlines()]
        assert all(abs(sum(r["probs"].values()) - 1) < 1e-6 for r in rows)
    maj = [r for r in results.values() if r["run"]["model"] == "majority"]
    assert all(r["run"]["transcript_independent"] and r["run"]["transcript"] == "gold" for r in maj)
    kw = [r for r in results.values() if r["run"]["model"] == "test-keyword-text"]
    assert not any(r["run"]["transcript_independent"] for r in kw)
    # the cue words in the text must carry through to the text model: it beats the majority floor
    mean = lambda rs, k: sum(r["metrics"][k] for r in rs) / len(rs)  # noqa: E731
    assert mean(kw, "ua") > mean(maj, "ua") + 0.2

    before = {rel: (out / rel / RESULT_FILE).stat().st_mtime_ns for rel in results}
    code, summary, _ = _run(capsys, suite, iemocap_corpus, out)
    assert code == 0
    assert summary["runs_skipped"] == summary["runs_total"] == 12
    assert summary["runs_done"] == 0 and summary["features_computed"] == 0
    assert before == {rel: (out / rel / RESULT_FILE).stat().st_mtime_ns for rel in results}

    code, summary, _ = _run(capsys, suite, iemocap_corpus, out, "--force", "--models", "majority")
    assert code == 0 and summary["runs_done"] == summary["runs_total"] == 6 and summary["runs_skipped"] == 0
    after = {rel: (out / rel / RESULT_FILE).stat().st_mtime_ns for rel in results}
    assert sum(after[r] != before[r] for r in results) == 6


def test_failed_run_is_recorded_counted_and_does_not_stop_the_grid(tmp_path: Path, iemocap_corpus: Path, capsys) -> None:
    suite = write_suite(tmp_path / "s.toml", SMALL_SUITE.replace('"test-keyword-text"', '"test-failing"'))
    out = tmp_path / "runs"
    code, summary, err = _run(capsys, suite, iemocap_corpus, out)
    assert code == 1
    assert (summary["runs_total"], summary["runs_done"], summary["runs_failed"]) == (12, 6, 6)
    errors = sorted(out.rglob("error.txt"))
    assert len(errors) == 6
    for e in errors:
        assert "RuntimeError: test-failing model fails on purpose" in e.read_text()
        assert "Traceback" in e.read_text()
        assert not (e.parent / RESULT_FILE).exists()
    assert "fails on purpose" in err
    # a rerun retries only the failed runs
    code, summary, _ = _run(capsys, suite, iemocap_corpus, out)
    assert code == 1 and (summary["runs_skipped"], summary["runs_failed"]) == (6, 6)


def test_missing_real_corpus_fails_up_front_saying_how_to_point_at_it(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("LEMER_DATA_IEMOCAP", raising=False)
    code = main(["run", "--suite", "paper", "--out", str(tmp_path / "runs"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "iemocap" in err and "--corpus iemocap=" in err and "LEMER_DATA_IEMOCAP" in err
    assert not (tmp_path / "runs").exists()
    code = main(["run", "--suite", "paper", "--corpus", f"iemocap={tmp_path / 'nope'}", "--no-progress"])
    assert code == 2 and "is not a directory" in capsys.readouterr().err


def test_env_variable_points_at_a_real_corpus(tmp_path: Path, iemocap_corpus: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LEMER_DATA_IEMOCAP", str(iemocap_corpus))
    suite = write_suite(tmp_path / "s.toml", SMALL_SUITE.replace('"majority", "test-keyword-text"', '"majority"'))
    code = main(["run", "--suite", str(suite), "--out", str(tmp_path / "runs"), "--no-progress"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and summary["runs_done"] == 6


def test_stale_or_partial_runs_are_redone(tmp_path: Path, iemocap_corpus: Path, capsys) -> None:
    suite = write_suite(tmp_path / "s.toml", SMALL_SUITE.replace('"majority", "test-keyword-text"', '"majority"'))
    out = tmp_path / "runs"
    _run(capsys, suite, iemocap_corpus, out)
    results = sorted(out.rglob(RESULT_FILE))
    stale = json.loads(results[0].read_text())
    stale["run_id"] = "0" * 16  # e.g. written under another model config
    results[0].write_text(json.dumps(stale))
    results[1].unlink()  # killed between predictions and result
    (results[1].parent / ".predictions.jsonl.999999999.tmp").write_text('{"half": ')  # killed mid-write
    code, summary, _ = _run(capsys, suite, iemocap_corpus, out)
    assert code == 0 and (summary["runs_done"], summary["runs_skipped"]) == (2, 4)
    assert json.loads(results[0].read_text())["run_id"] != "0" * 16
    assert not list(out.rglob("*.tmp"))  # a dead writer's temp file is cleared when its run is redone


def test_a_result_of_a_different_spec_is_not_replaced_without_force(tmp_path: Path, iemocap_corpus: Path,
                                                                     capsys) -> None:
    """Another switch value lands on the same folder (the path names the model, not its switches): the rerun
    stops before running anything, saying what differs; --force replaces."""
    out = tmp_path / "runs"
    first = write_suite(tmp_path / "a.toml", suite_toml("t", [0], ["test-slow"], model_config={"test-slow": {"seconds": 0}}))
    assert _run(capsys, first, iemocap_corpus, out)[0] == 0
    before = _results(out)
    second = write_suite(tmp_path / "b.toml", suite_toml("t", [0], ["test-slow"],
                                                         model_config={"test-slow": {"seconds": 0.001}}))
    code, _, err = _run(capsys, second, iemocap_corpus, out)
    assert code == 2 and "would replace results written by a different spec" in err
    assert "model_config.seconds: 0 -> 0.001" in err and "--force" in err and "Traceback" not in err
    assert _results(out) == before  # nothing was touched
    code, summary, err = _run(capsys, second, iemocap_corpus, out, "--force")
    assert code == 0 and summary["runs_done"] == 3, err
    assert {r["run"]["model_config"]["seconds"] for r in _results(out).values()} == {0.001}


def test_runs_on_changed_corpus_content_are_redone_though_their_id_is_the_same(tmp_path: Path, iemocap_corpus: Path,
                                                                             capsys) -> None:
    """A regenerated or corrected corpus under the same root: every run is redone, including runs whose
    encoders did not change (a text model's id does not name the corpus's content)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(iemocap_corpus, corpus)
    suite = write_suite(tmp_path / "s.toml", SMALL_SUITE)
    out = tmp_path / "runs"
    assert _run(capsys, suite, corpus, out)[0] == 0
    assert _run(capsys, suite, corpus, out)[1]["runs_skipped"] == 12
    labels = sorted(corpus.rglob("EmoEvaluation/*.txt"))[0]
    text = labels.read_text(encoding="latin-1")
    assert "\tneu\t" in text
    labels.write_text(text.replace("\tneu\t", "\tsad\t", 1), encoding="latin-1")  # one label corrected
    code, summary, err = _run(capsys, suite, corpus, out)
    assert code == 0, err
    assert (summary["runs_done"], summary["runs_skipped"]) == (12, 0)


def test_jobs_2_gives_identical_results_to_jobs_1(tmp_path: Path, iemocap_corpus: Path, capsys) -> None:
    suite = write_suite(tmp_path / "s.toml", SMALL_SUITE)
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(capsys, suite, iemocap_corpus, a)[0] == 0
    code, summary, err = _run(capsys, suite, iemocap_corpus, b, "--jobs", "2")
    assert code == 0 and summary["runs_done"] == 12, err
    ra, rb = _results(a), _results(b)
    assert ra.keys() == rb.keys()
    for rel in ra:
        for res in (ra[rel], rb[rel]):
            res.pop("timings"), res.pop("created"), res.pop("runtime")  # how it ran, not what it found
        assert ra[rel] == rb[rel]
        assert (a / rel / PREDICTIONS_FILE).read_bytes() == (b / rel / PREDICTIONS_FILE).read_bytes()


def test_runner_bookkeeping_is_cheap(tmp_path: Path, iemocap_corpus: Path) -> None:
    body = SMALL_SUITE.replace('"majority", "test-keyword-text"', '"majority"').replace("seeds = [0, 1]",
                                                                                         f"seeds = {list(range(20))}")
    suite = load_suite(str(write_suite(tmp_path / "s.toml", body)))
    opts = RunOptions(out=tmp_path / "runs", corpus_roots={"iemocap": str(iemocap_corpus)}, progress=False)
    run_suite(suite, RunOptions(out=tmp_path / "warm", corpus_roots={"iemocap": str(iemocap_corpus)}, progress=False,
                                limit=1))  # imports out of the way
    t0 = time.perf_counter()
    summary = run_suite(suite, opts)
    per_run = (time.perf_counter() - t0) / summary.runs_done
    assert summary.runs_done == 60
    assert per_run < 0.05, f"{per_run * 1000:.1f} ms per trivial run"
