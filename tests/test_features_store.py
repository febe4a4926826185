"""End to end on a generated IEMOCAP-layout corpus: the CLI fills the cache once, a rerun computes nothing."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import tests.support.features  # noqa: F401 - sets the offline/cache environment
from benchmarks.cli import main
from benchmarks.features.store import FeatureStore
from benchmarks.features.whisper import n_output_frames


@pytest.mark.slow
def test_cli_features_second_run_computes_nothing(synth_iemocap, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    root, utts = synth_iemocap
    args = ["features", "iemocap", "--root", str(root), "--cache", str(tmp_path), "--context", "2", "--quiet"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["speech"]["computed"] + first["speech"]["reused"] == len(utts) and first["speech"]["computed"] > 0
    assert first["text"]["computed"] > 0
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert second["speech"] == {**second["speech"], "computed": 0, "reused": len(utts)}
    assert second["text"]["computed"] == 0 and second["text"]["reused"] == len(utts)


@pytest.mark.slow
def test_store_outputs_match_the_contract(synth_iemocap, tmp_path: Path) -> None:  # noqa: ANN001
    from dataset_adapters.audio import read_audio

    _, utts = synth_iemocap
    utts = list(utts[:6])
    store = FeatureStore(tmp_path, progress=False)
    assert (store.text_encoder_name, store.speech_encoder_name) == ("all-MiniLM-L6-v2", "whisper-tiny.en-encoder")
    speech = store.speech(utts)
    for u in utts:
        assert speech[u.uid].shape == (n_output_frames(len(read_audio(u.audio))), 384)
        assert speech[u.uid].dtype == np.float16
    by_uid = {u.uid: u for u in utts}
    items = [(u.uid, u.transcript or "", [by_uid[c].transcript or "" for c in u.context if c in by_uid]) for u in utts]
    text = store.text(items, context_window=10)
    for uid, _text, ctx in items:
        arr, (s, e) = text[uid]
        assert arr.shape[1] == 384 and 0 < s < e < arr.shape[0]
        assert (s > 1) == bool(ctx)
    fp32 = FeatureStore(tmp_path, text_encoder=None, progress=False, dtype="float32").speech(utts[:2])
    for u in utts[:2]:
        assert np.allclose(fp32[u.uid], speech[u.uid], atol=2e-2 * float(np.abs(fp32[u.uid]).max()))


@pytest.mark.slow
def test_decoding_in_windows_changes_no_feature(synth_iemocap, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Audio is decoded a window at a time (memory bound); batches only group equal lengths, so the
    features must be identical to decoding everything at once."""
    import benchmarks.features.store as features

    _, utts = synth_iemocap
    utts = list(utts[:8])
    whole = FeatureStore(tmp_path / "whole", text_encoder=None, progress=False).speech(utts)
    monkeypatch.setattr(features, "_DECODE_WINDOW", 3)
    windowed = FeatureStore(tmp_path / "windowed", text_encoder=None, progress=False).speech(utts)
    for u in utts:
        np.testing.assert_array_equal(np.asarray(whole[u.uid]), np.asarray(windowed[u.uid]))


def test_open_file_limit_is_lifted_to_the_hard_limit() -> None:
    import resource

    from benchmarks.features.cache import raise_open_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(soft, 256) if hard == resource.RLIM_INFINITY else min(256, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        got = raise_open_file_limit()
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == got
        assert got == hard or hard == resource.RLIM_INFINITY
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]), hard))
