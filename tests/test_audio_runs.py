"""Audio conditions through the harness: suites parse them, the grid runs the models that hear them, speech
encoders and ASR read the degraded audio (so WER is a real recogniser's on it), babble never holds a test or
validation speaker, and cache keys keep clean and degraded features and transcripts apart."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from benchmarks.audio.degrade import DegradeCache
from benchmarks.audio.source import DegradedAudio, reader_for
from benchmarks.corpora import CorpusRoot
from benchmarks.features.store import FeatureStore
from benchmarks.run.grid import expand
from benchmarks.run.runner import RunOptions, run_suite
from benchmarks.suite import SuiteError, load_suite
from benchmarks.transcripts import get_source
from dataset_adapters.audio import FILE_AUDIO
from leaderboard.schema import RESULT_FILE
from lemer.core.audio_condition import AudioCondition
from lemer.core.spec import EncoderRef
from tests.support.features import make_utt
from tests.support.runs import write_suite
from tests.support.synth import tiny_tree, tiny_utterances

SUITE = """
name = "aud"
seeds = [0]
synthetic_scale = "tiny"
models = ["majority", "speech-only", "text-only", "egemaps-lr"]
transcripts = ["gold", "asr:whisper-tiny.en"]
audio = ["clean", "snr=5,noise=babble"]

[encoders]
speech = "opensmile:egemaps-ipu"

[[corpora]]
name = "iemocap"
synthetic = true
max_folds = 2

[model_defaults]
max_epochs = 2
"""


def test_the_grid_runs_each_model_under_the_conditions_it_hears(tmp_path: Path) -> None:
    suite = load_suite(str(write_suite(tmp_path / "s.toml", SUITE)))
    roots = {"iemocap": CorpusRoot("iemocap", "/x", "synthetic-iemocap", True)}
    refs = {"text": EncoderRef("text", "t"), "speech": EncoderRef("speech", "s")}
    grid = expand(suite, roots, lambda c, lm, p, t: ["test=Session1", "test=Session2"], encoders=refs)
    by = {(r.model, r.transcript.key, r.audio.key) for r in grid}
    assert ("majority", "gold", "clean") in by and not any(m == "majority" and a != "clean" for m, _, a in by)
    assert {a for m, _, a in by if m in ("speech-only", "egemaps-lr")} == {"clean", "snr=5,noise=babble"}
    assert ("text-only", "gold", "clean") in by and ("text-only", "gold", "snr=5,noise=babble") not in by
    assert ("text-only", "asr:whisper-tiny.en", "snr=5,noise=babble") in by  # its text comes from the noisy audio
    noisy = next(r for r in grid if not r.audio.is_clean)
    assert noisy.degrades == ("test",) and "audio=snr=5,noise=babble" in str(noisy.relpath())
    assert len(grid) == len({r.run_id for r in grid}) == len({r.relpath() for r in grid})


def test_audio_transcripts_limit_the_transcript_conditions_heard_under_degraded_audio(tmp_path: Path) -> None:
    body = SUITE + '\n[audio_transcripts]\n"snr=5,noise=babble" = ["asr:whisper-tiny.en"]\n'
    suite = load_suite(str(write_suite(tmp_path / "s.toml", body)))
    roots = {"iemocap": CorpusRoot("iemocap", "/x", "synthetic-iemocap", True)}
    refs = {"text": EncoderRef("text", "t"), "speech": EncoderRef("speech", "s")}
    grid = expand(suite, roots, lambda c, lm, p, t: ["test=Session1"], encoders=refs)
    noisy = {(r.model, r.transcript.key) for r in grid if not r.audio.is_clean}
    # speech-only reads no text: it runs once under the noise (recorded under gold); text-only only through ASR
    assert noisy == {("speech-only", "gold"), ("egemaps-lr", "gold"), ("text-only", "asr:whisper-tiny.en")}
    clean = {(r.model, r.transcript.key) for r in grid if r.audio.is_clean}
    assert ("text-only", "gold") in clean and ("text-only", "asr:whisper-tiny.en") in clean
    bad = SUITE + '\n[audio_transcripts]\n"snr=5,noise=babble" = ["asr:whisperr"]\n'
    with pytest.raises(SuiteError, match="audio_transcripts"):
        load_suite(str(write_suite(tmp_path / "s.toml", bad)))


@pytest.mark.parametrize("line, needle", [
    ('audio = ["snr=61"]', "outside the allowed range [-10, 60] dB"),
    ('audio = ["snr=-11,noise=pink"]', "outside the allowed range [-10, 60] dB"),
    ('audio = ["revreb=rt60:0.5"]', "did you mean 'reverb=rt60:0.5'"),
    ('audio = ["snr=5,noise=pnik"]', "did you mean 'pink'"),
    ('audio_splits = "train"', "audio_splits must be one of test, all"),
])
def test_bad_audio_conditions_fail_at_parse_time(tmp_path: Path, line: str, needle: str) -> None:
    body = f'{line}\n[[corpora]]\nname = "iemocap"\nsynthetic = true\n'
    with pytest.raises(SuiteError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        load_suite(str(write_suite(tmp_path / "s.toml", body)))


def test_a_noise_folder_is_checked_before_any_corpus_is_read(tmp_path: Path) -> None:
    empty = tmp_path / "noise"
    empty.mkdir()
    body = f'audio = ["snr=5,noise={empty}/"]\n[[corpora]]\nname = "iemocap"\nsynthetic = true\n'
    with pytest.raises(SuiteError, match=str(empty)):
        load_suite(str(write_suite(tmp_path / "s.toml", body)))
    (empty / "junk.wav").write_text("not audio")
    with pytest.raises(SuiteError, match="junk.wav"):
        load_suite(str(write_suite(tmp_path / "s.toml", body)))


def test_babble_comes_from_the_training_split_only(tmp_path: Path) -> None:
    utts = list(tiny_utterances("iemocap"))
    test = [u for u in utts if u.session == "Session1"]
    valid = [u for u in utts if u.session == "Session2"]
    train = [u for u in utts if u.session not in ("Session1", "Session2")]
    excluded = sorted({u.speaker for u in valid + test})
    reader = reader_for(AudioCondition.parse("snr=5,noise=babble"), tmp_path, train, excluded)
    assert set(reader.pool.speakers) <= {u.speaker for u in train}  # type: ignore[union-attr]
    for u in test[:3]:
        reader.samples(u)
    infos = [json.loads(p.read_text())["info"] for p in (tmp_path / "degraded").rglob("*.json")]
    used = {uid for info in infos for talker in info["noise"]["babble_uids"] for uid in talker}
    assert used and used <= {u.uid for u in train}
    speakers = {u.uid: u.speaker for u in utts}
    assert not {speakers[uid] for uid in used} & set(excluded)


def test_an_audio_condition_changes_the_cache_keys_and_a_transcript_condition_does_not(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "c.wav"
    t = np.arange(16000) / 16000
    sf.write(path, (0.3 * np.sin(2 * np.pi * 180 * t) * (t < 0.7) + 0.001 * rng.normal(size=t.size)).astype(np.float32),
             16000)
    utt = make_utt("u", path)
    noisy = DegradedAudio(AudioCondition.parse("snr=0,noise=white"), DegradeCache(tmp_path / "deg"))
    assert noisy.key(utt) != FILE_AUDIO.key(utt)
    assert not np.array_equal(noisy.samples(utt), FILE_AUDIO.samples(utt))
    store = FeatureStore(tmp_path / "cache", text_encoder=None, speech_encoder="opensmile:egemaps", progress=False)
    clean = store.speech([utt])["u"]
    degraded = store.speech([utt], noisy)["u"]
    assert store.computed == 2 and not np.array_equal(clean, degraded)  # two entries, not one reused
    store.speech([utt])
    assert store.computed == 2 and store.reused == 1  # the transcript condition plays no part in speech features
    asr = get_source("noise:wer=0.2")  # the transcript conditions that read no audio ignore the reader
    assert asr.transcribe([utt], reader=noisy) == asr.transcribe([utt])


@pytest.mark.slow  # Whisper ASR on degraded audio
def test_runs_under_babble_read_degraded_audio_and_transcribe_it(tmp_path: Path) -> None:
    root, _ = tiny_tree("iemocap")
    suite = load_suite(str(write_suite(tmp_path / "s.toml", SUITE)))
    summary = run_suite(suite, RunOptions(out=tmp_path / "runs", corpus_roots={"iemocap": str(root)},
                                          cache_dir=str(tmp_path / "cache"), progress=False))
    assert summary.runs_failed == 0 and summary.runs_done == 16, summary.failures
    results = [json.loads(p.read_text()) for p in (tmp_path / "runs").rglob(RESULT_FILE)]
    asr = {(r["run"]["audio"], r["run"]["fold"]): r["wer"] for r in results
           if r["run"]["model"] == "text-only" and r["run"]["transcript"] == "asr:whisper-tiny.en"}
    for fold in ("test=Session1", "test=Session2"):
        assert asr[("snr=5,noise=babble", fold)] > asr[("clean", fold)]  # a real recogniser on noisier audio
    assert all(r["run"]["audio_splits"] == "test" for r in results)
