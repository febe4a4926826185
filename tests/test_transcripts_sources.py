from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from benchmarks.cli import main
from benchmarks.transcripts import corpus_wer, examples, get_source, normalize_text
from tests.support.features import make_utt


def test_normalize_text() -> None:
    assert normalize_text("  Excuse ME, [LAUGHTER] I don't-know... \"it's\" <noise> 'quoted'  ") == \
        "excuse me i don't know it's quoted"
    assert normalize_text("[BREATHING]") == "" and normalize_text("Well--OK/fine!") == "well ok fine"


def test_wer_definitions() -> None:
    u = [make_utt("a", "x.wav", "Hello there, friend."), make_utt("b", "y.wav", "[LAUGHTER]")]
    assert corpus_wer(u, {"a": "hello their friend", "b": "ha"}) == pytest.approx(2 / 3)
    assert corpus_wer(["a b c d"], ["a b"]) == 0.5
    assert corpus_wer(u + [make_utt("c", "z.wav", None)], {"a": "", "b": "", "c": "x"}) is None


def test_get_source_keys_and_typos() -> None:
    assert get_source("noise:wer=0.2,seed=3").key == "noise:wer=0.2,seed=3"
    with pytest.raises(KeyError, match="did you mean asr:pocketsphinx"):
        get_source("asr:pocketsphynx")
    with pytest.raises(ValueError, match=r"within \[0, 1\]"):
        get_source("noise:wer=1.5")
    assert "gold" in examples()


def test_gold_keeps_missing_transcripts_as_none(synth_iemocap) -> None:  # noqa: ANN001
    _, utts = synth_iemocap
    utts = list(utts[:3]) + [replace(utts[3], transcript=None)]
    got = get_source("gold").transcribe(utts)
    assert got[utts[0].uid] == utts[0].transcript and got[utts[3].uid] is None
    with pytest.raises(ValueError, match="have none"):
        get_source("noise:wer=0.1").transcribe(utts)


@pytest.mark.parametrize("target", [0.1, 0.2, 0.4])
def test_noise_wer_lands_on_target(synth_iemocap, target: float) -> None:  # noqa: ANN001
    _, utts = synth_iemocap
    many = [replace(u, uid=f"{u.uid}#{k}") for k in range(4) for u in utts]  # distinct uids -> distinct noise
    assert sum(len(normalize_text(u.transcript or "").split()) for u in many) >= 1000
    src = get_source(f"noise:wer={target}")
    hyps = src.transcribe(many)
    assert abs(corpus_wer(many, hyps) - target) <= 0.02
    assert hyps == src.transcribe(list(reversed(many)))  # per-utterance seeds: order does not matter
    assert hyps != get_source(f"noise:wer={target},seed=1").transcribe(many)
    words = " ".join(hyps.values()).split()
    assert all(w.isascii() for w in words)


def test_noise_says_when_its_target_wer_cannot_be_met(synth_iemocap, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    _, utts = synth_iemocap
    many = [replace(u, uid=f"{u.uid}#{k}") for k in range(4) for u in utts]
    hyps = get_source("noise:wer=0.9").transcribe(many)
    measured = corpus_wer(many, hyps)
    err = capsys.readouterr().err
    assert measured < 0.88 and "target WER 0.9 cannot be met exactly" in err and f"measured {measured:.3f}" in err
    get_source("noise:wer=0.2").transcribe(many)
    assert "cannot be met" not in capsys.readouterr().err


@pytest.mark.slow
def test_asr_sources_on_generated_speech(synth_iemocap, tmp_path: Path) -> None:  # noqa: ANN001
    _, utts = synth_iemocap
    utts = list(utts[:12])
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, dtype=np.float32), 16000)
    utts.append(make_utt("t:silent", silent, ""))
    wers = {}
    for key in ("asr:whisper-tiny.en", "asr:pocketsphinx"):
        src = get_source(key, cache_dir=tmp_path)
        hyps = src.transcribe(utts, progress=False)
        assert hyps["t:silent"] == ""  # documented: silence is not decoded
        assert src.stats.computed == len(utts)
        wers[key] = corpus_wer(utts, hyps)
        again = get_source(key, cache_dir=tmp_path)
        assert again.transcribe(utts, progress=False) == hyps and again.stats.reused == len(utts)
    assert wers["asr:whisper-tiny.en"] < 0.35
    assert wers["asr:whisper-tiny.en"] < wers["asr:pocketsphinx"] < 1.0


def test_cli_transcripts_prints_json_last(synth_iemocap, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    root, utts = synth_iemocap
    out = tmp_path / "t.jsonl"
    assert main(["transcripts", "iemocap", "--root", str(root), "--source", "noise:wer=0.2", "--out", str(out)]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["source"] == "noise:wer=0.2" and last["n"] == len(utts) and 0.1 < last["wer"] < 0.3
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["uid"] for r in rows] == [u.uid for u in utts]
    assert main(["transcripts", "iemocap", "--root", str(root), "--source", "gold", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["wer"] == 0.0
    assert main(["transcripts", "iemocap", "--root", str(tmp_path / "missing"), "--source", "gold",
                 "--out", str(out)]) == 2
