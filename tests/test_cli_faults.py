"""Fault injection on the runner CLI (issue 13): a full or read-only --out, two runners on one --out,
a kill -9 of a --jobs 2 runner, and a suite whose encoders are not on this machine. Each case must end
in one clear line and the right exit code (never a traceback), keep completed results, and leave no
process behind."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.cli import main
from leaderboard.schema import RESULT_FILE
from tests.support.runs import SMALL_SUITE, write_suite

pytestmark = pytest.mark.usefixtures("test_models")
REPO = Path(__file__).resolve().parents[1]

# 18 runs (6 seeds x 3 folds) of a test model that sleeps
SLOW = """
name = "k"
seeds = [0, 1, 2, 3, 4, 5]
models = ["test-slow"]

[model_config.test-slow]
seconds = 3.0

[[corpora]]
name = "iemocap"
"""


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def _run_args(suite: Path, corpus: Path, out: Path, *extra: str) -> list[str]:
    return ["run", "--suite", str(suite), "--corpus", f"iemocap={corpus}", "--out", str(out),
            "--cache", str(out.parent / "cache"), "--no-progress", *extra]


def _refuse_writes_under(monkeypatch: pytest.MonkeyPatch, root: Path, code: int) -> None:
    """Simulate a full (ENOSPC) or read-only (EROFS) file system below `root`: every atomic replace fails."""
    real = os.replace

    def replace(src, dst, *a, **k):  # type: ignore[no-untyped-def]
        if str(os.path.abspath(dst)).startswith(str(root.resolve())):
            raise OSError(code, os.strerror(code), str(dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", replace)


# ---------------------------------------------------------------- disk full / read-only
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_run_on_a_full_out_reports_one_line_and_keeps_completed_results(
        tmp_path: Path, iemocap_corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        code: int) -> None:
    suite = write_suite(tmp_path / "t.toml", SMALL_SUITE)
    out = tmp_path / "runs"
    assert main(_run_args(suite, iemocap_corpus, out, "--limit", "2")) == 0
    capsys.readouterr()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".lemer-run.lock"}
    assert len([p for p in before if p.name == RESULT_FILE]) == 2

    _refuse_writes_under(monkeypatch, out, code)
    rc = main(_run_args(suite, iemocap_corpus, out))  # before the fix: OSError raised from the failure handler
    cap = capsys.readouterr()
    assert rc == 1
    summary = json.loads(cap.out.strip().splitlines()[-1])  # the summary line still comes
    assert summary["runs_skipped"] == 2 and summary["runs_done"] == 0
    assert summary["runs_failed"] == summary["runs_total"] - 2
    assert "Traceback" not in cap.err
    assert os.strerror(code) in cap.err and "output not writable" in cap.err
    assert "runs stopped or not started" in cap.err  # the grid stops instead of fitting every run to fail its write
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".lemer-run.lock"}
    assert after == before  # completed results intact, nothing half-written left


def test_run_on_an_unwritable_out_is_one_line(tmp_path: Path, iemocap_corpus: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    suite = write_suite(tmp_path / "t.toml", SMALL_SUITE)
    out = tmp_path / "ro"
    from benchmarks.run import lock

    def refuse(path, *a, **k):  # type: ignore[no-untyped-def]
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    monkeypatch.setattr(lock.os, "open", refuse)
    assert main(_run_args(suite, iemocap_corpus, out)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"cannot write to --out {out}" in err and "Read-only file system" in err


@pytest.mark.parametrize("fmt", ["export", "folds"])
def test_data_export_on_a_full_disk_is_one_line_and_keeps_the_old_file(
        tmp_path: Path, iemocap_corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        fmt: str) -> None:
    target = tmp_path / "out" / "manifest.jsonl"
    target.parent.mkdir()
    target.write_text("earlier export\n")
    _refuse_writes_under(monkeypatch, target.parent, errno.ENOSPC)
    extra = ["--protocol", "loso"] if fmt == "folds" else []
    rc = main(["data", fmt, "iemocap", "--root", str(iemocap_corpus), "--out", str(target), *extra])
    err = capsys.readouterr().err
    assert rc == 1
    assert "Traceback" not in err and f"{target}: cannot write (No space left on device)" in err
    assert target.read_text() == "earlier export\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["manifest.jsonl"]  # no temp file left


# ---------------------------------------------------------------- two runners, one --out
def test_second_runner_on_the_same_out_is_refused_naming_the_holder(tmp_path: Path, iemocap_corpus: Path) -> None:
    suite = write_suite(tmp_path / "k.toml", SLOW.replace("seconds = 3.0", "seconds = 2.0"))
    out = tmp_path / "runs"
    first = subprocess.Popen([sys.executable, "-m", "tests.support.runs", *_run_args(suite, iemocap_corpus, out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
    try:
        deadline = time.monotonic() + 120
        while not list(out.rglob(RESULT_FILE)):  # the first runner is inside its grid
            assert first.poll() is None and time.monotonic() < deadline, "first runner wrote no result"
            time.sleep(0.1)
        cmd = [sys.executable, "-m", "tests.support.runs", *_run_args(suite, iemocap_corpus, out, "--force")]
        r = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300, check=False)
        # before the fix: the second runner deleted results to redo them under the first one's feet
        assert r.returncode == 2, r
        assert first.poll() is None, "the first runner finished before the second was checked; slow it down"
        assert f"pid {first.pid}" in r.stderr and "another lemer-bench runner" in r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    finally:
        first.kill()  # SIGKILL: the kernel drops its lock with it
        first.wait()
    done = len(list(out.rglob(RESULT_FILE)))
    r = subprocess.run([sys.executable, "-m", "tests.support.runs",
                        *_run_args(suite, iemocap_corpus, out, "--limit", str(done + 1))],
                       capture_output=True, text=True, env=_env(), timeout=300, check=False)
    assert r.returncode == 0, r.stderr  # no stale lock after a kill -9
    assert len(list(out.rglob(RESULT_FILE))) == done + 1


# ---------------------------------------------------------------- kill -9 of a --jobs 2 runner


def _workers_of(pid: int) -> list[int]:
    """Spawned pool workers (multiprocessing `spawn_main`) whose parent is `pid`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (d / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmdline:
            found.append(int(d.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_runner_takes_its_workers_with_it(tmp_path: Path, iemocap_corpus: Path) -> None:
    suite = write_suite(tmp_path / "k.toml", SLOW)
    cmd = [sys.executable, "-m", "tests.support.runs", *_run_args(suite, iemocap_corpus, tmp_path / "runs", "--jobs", "2")]
    runner = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while len(workers) < 2:
            assert runner.poll() is None, "runner exited before starting its workers"
            assert time.monotonic() < deadline, "no workers started"
            time.sleep(0.2)
            workers = _workers_of(runner.pid)
        time.sleep(2.0)  # let them import and pick up runs (the pool initializer has run)
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        deadline = time.monotonic() + 15  # before the fix they finish the queued runs, then idle forever
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers {left} outlived their killed runner"
    finally:
        for w in _workers_of(runner.pid) + [w for w in locals().get("workers", []) if _alive(w)]:
            try:
                os.kill(w, signal.SIGKILL)  # our own children only, by pid
            except ProcessLookupError:
                pass


# ---------------------------------------------------------------- encoders not on this machine
ENCODERS = """
name = "enc"
seeds = [0, 1, 2]
models = ["text-only", "speech-only", "lemer"]
transcripts = ["gold"]

[encoders]
text = "bert-base-uncased"
speech = "facebook/wav2vec2-base"

[[corpora]]
name = "iemocap"
protocol = "loso"
label_map = "iemocap-4"
"""


def test_missing_encoders_are_listed_once_before_any_run(tmp_path: Path, iemocap_corpus: Path) -> None:
    suite = write_suite(tmp_path / "enc.toml", ENCODERS)
    out = tmp_path / "runs"
    r = subprocess.run([sys.executable, "-m", "benchmarks.cli", *_run_args(suite, iemocap_corpus, out)],
                       capture_output=True, text=True, env=_env(), timeout=300, check=False)
    assert r.returncode == 2, r
    assert "Traceback" not in r.stderr and "failed" not in r.stderr
    assert r.stderr.count("'bert-base-uncased'") == 1 and r.stderr.count("'facebook/wav2vec2-base'") == 1
    assert "--text-encoder" in r.stderr and "--speech-encoder" in r.stderr
    assert not list(out.rglob(RESULT_FILE)) and not list(out.rglob("error.txt"))


def test_encoder_overrides_replace_the_suites_encoders(tmp_path: Path, iemocap_corpus: Path) -> None:
    suite = write_suite(tmp_path / "enc.toml", ENCODERS)
    local = tmp_path / "my-bert"  # a local copy the user points at (here: not a model folder)
    local.mkdir()
    r = subprocess.run([sys.executable, "-m", "benchmarks.cli",
                        *_run_args(suite, iemocap_corpus, tmp_path / "runs", "--text-encoder", str(local),
                                   "--speech-encoder", "default")],
                       capture_output=True, text=True, env=_env(), timeout=300, check=False)
    assert r.returncode == 2, r
    assert "bert-base-uncased'" not in r.stderr and "wav2vec2" not in r.stderr
    assert str(local) in r.stderr and "1 pretrained model(s) missing" in r.stderr


def test_transcripts_on_a_full_disk_is_one_line(tmp_path: Path, iemocap_corpus: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "gold.jsonl"
    _refuse_writes_under(monkeypatch, target.parent, errno.ENOSPC)
    rc = main(["transcripts", "iemocap", "--root", str(iemocap_corpus), "--source", "gold", "--out", str(target),
               "--cache", str(tmp_path / "cache"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert f"{target}: No space left on device" in err and "nothing already there was replaced" in err
    assert not target.exists()


def _fallback_worker() -> None:  # runs in a spawned process: prctl unavailable, so only the watchdog is left
    import ctypes

    from benchmarks.run import executors

    def no_libc(*a, **k):  # type: ignore[no-untyped-def]
        raise OSError("no prctl here")

    ctypes.CDLL = no_libc  # type: ignore[misc,assignment]
    executors._die_with_parent()
    print("ready", flush=True)
    time.sleep(120)


FALLBACK_PARENT = """
import multiprocessing as mp
from tests.test_cli_faults import _fallback_worker
if __name__ == "__main__":
    p = mp.get_context("spawn").Process(target=_fallback_worker)
    p.start()
    print(p.pid, flush=True)
    p.join()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_parent_watchdog_kills_a_worker_where_prctl_is_unavailable() -> None:
    parent = subprocess.Popen([sys.executable, "-c", FALLBACK_PARENT], stdout=subprocess.PIPE, text=True, env=_env(),
                              cwd=str(REPO))
    worker = int(parent.stdout.readline())
    try:
        assert parent.stdout.readline().strip() == "ready"
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10  # the watchdog polls the parent pid every second
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "the watchdog did not end the orphaned worker"
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)


def test_synth_on_a_read_only_disk_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.cli import data

    def refuse(layout, out, **kw):  # type: ignore[no-untyped-def]  # what the generator raises on EROFS
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(Path(out).parent / ".synth-tmp"))

    monkeypatch.setattr(data, "generate", refuse)
    rc = main(["data", "synth", "--layout", "crema-d", "--scale", "tiny", "--out", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "Read-only file system" in err and f"{tmp_path / 'c'} is unchanged" in err
