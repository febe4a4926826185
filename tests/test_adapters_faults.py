"""Issue 13 (data side): faults a fault-injection pass found, each one caught where it is cheapest.

`data check` must name everything that would fail later (NaN/Inf samples, clips shorter than the
encoders' minimum, missing transcript files, case-colliding clip ids); `--on-error skip` turns each
into an explicit counted skip; a text model on a corpus without gold transcripts fails before
training, naming the corpus and the utterances; `data synth --out` never replaces a corpus unasked.
The CLI items run through `python -m benchmarks.cli` in a subprocess, exactly as a user runs them.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from baselines.tfidf_lr import TfidfLR
from dataset_adapters.audio import MIN_SECONDS, SAMPLE_RATE
from dataset_adapters.base import get_adapter
from dataset_adapters.types import CorpusError
from lemer.core.contract import Example, FitEnv
from lemer.core.spec import GOLD
from tests.support.corpora import make_crema, make_msp, write_wav
from tests.support.runs import suite_toml

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m benchmarks.cli ARGS` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "benchmarks.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=600, check=False)


def crema_clip(root: Path, stem: str = "1001_DFA_ANG_XX") -> Path:
    return root / "AudioWAV" / f"{stem}.wav"


# ---------------------------------------------------------------- 1. NaN samples in a float WAV
def test_check_names_a_float_wav_holding_nan_and_skip_counts_it(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    bad = crema_clip(root)
    x = (0.1 * np.sin(np.arange(int(0.5 * SAMPLE_RATE)) * 0.05)).astype(np.float32)
    x[100] = np.nan
    sf.write(str(bad), x, SAMPLE_RATE, subtype="FLOAT")

    r = cli("data", "check", "crema-d", "--root", str(root))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "problems: 1" in r.stderr and f"{bad}: audio holds NaN or infinite samples" in r.stderr

    out = tmp_path / "m.jsonl"
    r = cli("data", "export", "crema-d", "--root", str(root), "--out", str(out), "--on-error", "skip")
    assert r.returncode == 0, r.stderr
    assert "skipped crema-d inputs: 1" in r.stderr and str(bad) in r.stderr
    assert "crema-d:1001_DFA_ANG_XX" not in out.read_text()


def test_infinite_samples_are_named_too(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    bad = crema_clip(root)
    x = np.full(int(0.5 * SAMPLE_RATE), 0.01, dtype=np.float64)
    x[-1] = np.inf
    sf.write(str(bad), x, SAMPLE_RATE, subtype="DOUBLE")
    with pytest.raises(CorpusError, match="NaN or infinite") as e:
        get_adapter("crema-d").load(root, verify_samples=True)
    assert [p.path for p in e.value.problems] == [str(bad)]


# ---------------------------------------------------------------- 2. a missing MSP-Podcast transcript file
def test_check_names_a_missing_msp_transcript_file_with_its_label_line(tmp_path: Path) -> None:
    root = make_msp(tmp_path)
    gone = root / "Transcripts" / "MSP-PODCAST_0001_0003.txt"
    gone.unlink()

    r = cli("data", "check", "msp-podcast", "--root", str(root))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "problems: 1" in r.stderr
    assert f"{gone}: transcript file missing (labelled at labels_consensus.csv:2)" in r.stderr

    out = tmp_path / "m.jsonl"
    r = cli("data", "export", "msp-podcast", "--root", str(root), "--out", str(out), "--on-error", "skip")
    assert r.returncode == 0, r.stderr
    assert "skipped msp-podcast inputs: 1" in r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 8 and all(isinstance(row["transcript"], str) for row in rows)


def test_tfidf_never_crashes_on_a_missing_transcript() -> None:
    """Harness-independent callers can still hand it None: a named error, not AttributeError."""
    train = [Example(uid=f"u{i}", label=c, text=t, audio="") for i, (c, t) in
             enumerate([("neu", "fine okay"), ("hap", "great fun"), ("neu", "okay then"), ("hap", "so great")])]
    valid = [Example(uid="v0", label="neu", text=None, audio="")]  # type: ignore[arg-type]
    model = TfidfLR()
    with pytest.raises(ValueError, match=r"tfidf-lr: 1 validation example\(s\) have no transcript .*v0"):
        model.fit(train, valid, FitEnv(classes=("neu", "hap"), seed=0))
    model.fit(train, [], FitEnv(classes=("neu", "hap"), seed=0))
    with pytest.raises(ValueError, match=r"tfidf-lr: 1 example\(s\) to predict have no transcript .*t0"):
        model.predict([Example(uid="t0", label=None, text=None, audio="")])  # type: ignore[arg-type]


# ---------------------------------------------------------------- 3. MSP-Podcast without Transcripts/
MSP_TFIDF_SUITE = suite_toml("nogold", [0], ["tfidf-lr", "majority"], "msp-podcast", transcripts=["gold"],
                             protocol="official", label_map="msp-8")


def test_text_model_on_a_corpus_without_gold_text_fails_before_training(tmp_path: Path) -> None:
    root = make_msp(tmp_path, transcripts=False)
    r = cli("data", "check", "msp-podcast", "--root", str(root))
    assert r.returncode == 0, r.stderr  # a release without transcripts is a valid corpus for speech models...
    assert "no gold transcript: 9 of 9 utterances" in r.stdout  # ...but check says what text models will meet

    suite = tmp_path / "nogold.toml"
    suite.write_text(MSP_TFIDF_SUITE)
    out = tmp_path / "runs"
    r = cli("run", "--suite", str(suite), "--corpus", f"msp-podcast={root}", "--out", str(out),
            "--cache", str(tmp_path / "cache"), "--no-progress", "--jobs", "1")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["runs_failed"] >= 1 and summary["runs_done"] >= 1, r.stderr  # majority reads no text
    results = list(out.rglob("result.json"))
    assert results and all("tfidf-lr" not in str(p) for p in results)  # no "valid" constant result
    errors = [p.read_text() for p in out.rglob("error.txt")]
    assert errors and all("tfidf-lr" in e for e in errors)
    for e in errors:
        assert "msp-podcast has no gold transcript for 9 of 9 utterances" in e, e
        assert "msp-podcast:MSP-PODCAST_0001_0001" in e
        assert "AttributeError" not in e


def test_text_features_refuse_missing_gold_text_before_any_encoder_loads(tmp_path: Path) -> None:
    """The neural text models (text-only, LE-MER) read text features: same refusal, before the encoder
    is even built, so no constant-probability result can come out of empty text."""
    from benchmarks.corpora import describe_root
    from benchmarks.run.inputs import DataConfig, RunData

    root = make_msp(tmp_path, transcripts=False)
    data = RunData(DataConfig(roots={"msp-podcast": describe_root("msp-podcast", root)}, progress=False))
    with pytest.raises(ValueError, match=r"msp-podcast has no gold transcript for 9 of 9 utterances"):
        data.text_features("msp-podcast", "msp-8", GOLD, 0)
    assert data._store is None  # refused before any encoder was loaded


# ---------------------------------------------------------------- 4. CREMA-D X.wav and X.WAV
def test_case_colliding_crema_clips_are_named_not_listed_twice(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    lower = crema_clip(root)
    upper = write_wav(lower.with_suffix(".WAV"), seconds=0.5)

    r = cli("data", "check", "crema-d", "--root", str(root))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "problems: 2" in r.stderr
    for p, other in ((lower, upper), (upper, lower)):
        assert f"{p}: clip id crema-d:1001_DFA_ANG_XX also given by {other.name}" in r.stderr

    out = tmp_path / "m.jsonl"
    r = cli("data", "export", "crema-d", "--root", str(root), "--out", str(out))
    assert r.returncode == 2 and not out.exists()
    r = cli("data", "export", "crema-d", "--root", str(root), "--out", str(out), "--on-error", "skip")
    assert r.returncode == 0 and "skipped crema-d inputs: 2" in r.stderr
    uids = [json.loads(line)["uid"] for line in out.read_text().splitlines()]
    assert len(uids) == len(set(uids)) and "crema-d:1001_DFA_ANG_XX" not in uids


# ---------------------------------------------------------------- 5. a clip shorter than the encoders' minimum
def test_check_names_a_clip_shorter_than_the_encoders_minimum(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    short = write_wav(crema_clip(root, "1002_IEO_HAP_HI"), seconds=0.01)
    r = cli("data", "check", "crema-d", "--root", str(root))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "problems: 1" in r.stderr and f"{short}: clip too short: 0.010 s < {MIN_SECONDS} s" in r.stderr

    out = tmp_path / "f.json"
    r = cli("data", "folds", "crema-d", "--root", str(root), "--protocol", "speaker-5fold", "--out", str(out),
            "--on-error", "skip")
    assert r.returncode == 0 and "skipped crema-d inputs: 1" in r.stderr
    doc = json.loads(out.read_text())
    assert all("crema-d:1002_IEO_HAP_HI" not in f["test"] + f["train"] + f["valid"] for f in doc["folds"])


def test_a_clip_at_the_minimum_passes(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    write_wav(crema_clip(root, "1002_IEO_HAP_HI"), seconds=MIN_SECONDS)
    write_wav(crema_clip(root, "1003_IEO_HAP_HI"), seconds=MIN_SECONDS, sr=22050)  # resampled like the reader does
    assert not get_adapter("crema-d").load(root, verify_samples=True).skipped


# ---------------------------------------------------------------- 6. data synth --out over an existing corpus
def _digest(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_synth_refuses_a_folder_it_did_not_create(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    before = _digest(root)
    r = cli("data", "synth", "--layout", "crema-d", "--out", str(root), "--scale", "tiny")
    assert r.returncode == 2 and "not empty" in r.stderr and str(root) in r.stderr
    r = cli("data", "synth", "--layout", "crema-d", "--out", str(root), "--scale", "tiny", "--force")
    assert r.returncode == 2 and "not created by" in r.stderr
    assert _digest(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CREMA-D"]  # no temporary folder left behind


def test_synth_replaces_its_own_corpus_only_with_force(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    assert cli("data", "synth", "--layout", "crema-d", "--out", str(out), "--scale", "tiny", "--seed", "1").returncode == 0
    (out / "my-notes.txt").write_text("results of last week")
    before = _digest(out)
    r = cli("data", "synth", "--layout", "crema-d", "--out", str(out), "--scale", "tiny", "--seed", "2")
    assert r.returncode == 2 and "--force" in r.stderr
    assert _digest(out) == before
    r = cli("data", "synth", "--layout", "crema-d", "--out", str(out), "--scale", "tiny", "--seed", "2", "--force")
    assert r.returncode == 2 and "my-notes.txt" in r.stderr  # --force never deletes what the user added
    assert _digest(out) == before
    (out / "my-notes.txt").unlink()
    r = cli("data", "synth", "--layout", "crema-d", "--out", str(out), "--scale", "tiny", "--seed", "2", "--force")
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "SYNTHETIC.json").read_text())["seed"] == 2
