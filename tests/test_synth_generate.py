"""Tiny synthetic corpora: real layout on disk, marker, summary, determinism, safe overwrite."""
from __future__ import annotations

import csv
import json
import re
import wave
from collections import Counter
from pathlib import Path

import pytest

from dataset_adapters.synth import GENERATOR_VERSION, LAYOUTS, generate, read_marker
from tests.support.synth import fresh_dir, tiny_tree, tree_digest


def _wav_params(path: Path) -> tuple[int, int, int, int]:
    with wave.open(str(path), "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_marker_and_summary(layout: str) -> None:
    root, summary = tiny_tree(layout)
    marker = read_marker(root)
    assert marker is not None
    assert marker["synthetic"] is True and marker["layout"] == layout
    assert (marker["scale"], marker["seed"]) == ("tiny", 0)
    assert marker["generator_version"] == GENERATOR_VERSION
    assert marker["labels"] == summary["labels"] and sum(summary["labels"].values()) == summary["utterances"]
    assert 30 <= summary["utterances"] <= 60
    assert summary["bytes"] > 0 and summary["audio_seconds"] > 30
    assert summary["seconds"] < 30, "tiny scale must generate in seconds"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_wav_is_16k_mono_pcm16(layout: str) -> None:
    root, summary = tiny_tree(layout)
    wavs = sorted(root.rglob("*.wav"))
    assert len(wavs) == summary["utterances"]
    total = 0.0
    for w in wavs:
        ch, width, rate, frames = _wav_params(w)
        assert (ch, width, rate) == (1, 2, 16000), w
        assert 0.5 < frames / rate < 12, w
        total += frames / rate
    assert total == pytest.approx(summary["audio_seconds"], abs=0.01)


def test_iemocap_layout_on_disk() -> None:
    root, summary = tiny_tree("iemocap")
    for s in range(1, 6):
        evals = sorted((root / f"Session{s}/dialog/EmoEvaluation").glob("*.txt"))
        assert evals, s
        assert list((root / f"Session{s}/dialog/EmoEvaluation/Categorical").glob("*_cat.txt"))
        for ev in evals:
            lines = ev.read_text().splitlines()
            assert lines[0] == "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]"
            assert any(re.match(r"^C-E\d:\t\w+;\t\(\)$", ln) for ln in lines)
            assert any(re.match(r"^A-E\d:\tval \d; act \d; dom  \d;\t\(\)$", ln) for ln in lines)
            turns = [ln.split("\t") for ln in lines if ln.startswith("[")]
            times = [tuple(map(float, re.findall(r"[\d.]+", t[0]))) for t in turns]
            assert all(a < b for a, b in times) and all(times[i][1] < times[i + 1][0] for i in range(len(times) - 1))
            genders = [t[1][-4] for t in turns]
            assert all(genders[i] != genders[i + 1] for i in range(len(genders) - 1)), "speakers alternate"
            for t in turns:
                assert (root / f"Session{s}/sentences/wav/{ev.stem}/{t[1]}.wav").is_file()
            trans = (root / f"Session{s}/dialog/transcriptions/{ev.name}").read_bytes()
            assert re.search(rb"^\S+XX0 \[\d{3}\.\d{4}-\d{3}\.\d{4}\]: ", trans, re.M)
            assert re.search(rb"^\S+XX1: ", trans, re.M), "a line without timestamps"
            for t in turns:
                assert re.search(rf"^{t[1]} \[\d{{3}}\.\d{{4}}-\d{{3}}\.\d{{4}}\]: \S".encode(), trans, re.M)
    # the session-5 part letter and a dialogue prefix that is not the speaker's gender
    assert list(root.glob("Session5/sentences/wav/Ses05M_script01_1b/*.wav"))
    assert list(root.glob("Session*/sentences/wav/*M_*/*_F0[0-9][0-9].wav"))
    assert {"xxx", "fru", "oth", "exc"} <= set(summary["labels"])
    raw = b"".join(p.read_bytes() for p in root.glob("Session*/dialog/transcriptions/*.txt"))
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the real files are not clean UTF-8 either


def test_msp_layout_on_disk() -> None:
    root, summary = tiny_tree("msp-podcast")
    with open(root / "Labels/labels_consensus.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["FileName", "EmoClass", "EmoAct", "EmoVal", "EmoDom", "SpkrID", "Gender", "Split_Set"]
    assert len(rows) == summary["utterances"]
    assert {r["Split_Set"] for r in rows} == {"Train", "Development", "Test1", "Test2"}
    assert any(r["SpkrID"] == "Unknown" for r in rows)
    assert {"X", "O"} <= {r["EmoClass"] for r in rows}
    for r in rows:
        assert re.fullmatch(r"MSP-PODCAST_\d{4}_\d{4}\.wav", r["FileName"])
        assert (root / "Audios" / r["FileName"]).is_file()
        assert (root / "Transcripts" / (r["FileName"][:-4] + ".txt")).read_text().strip()
        assert all(1.0 <= float(r[k]) <= 7.0 for k in ("EmoAct", "EmoVal", "EmoDom"))
    # speaker-independent partitions
    parts: dict[str, set[str]] = {}
    for r in rows:
        if r["SpkrID"] != "Unknown":
            parts.setdefault(r["SpkrID"], set()).add(r["Split_Set"])
    assert all(len(p) == 1 for p in parts.values())


def test_crema_layout_on_disk() -> None:
    root, summary = tiny_tree("crema-d")
    names = [p.stem for p in (root / "AudioWAV").glob("*.wav")]
    parts = [n.split("_") for n in names]
    assert all(re.fullmatch(r"10\d\d", a) and e in {"ANG", "DIS", "FEA", "HAP", "NEU", "SAD"} for a, _, e, _ in parts)
    assert all((lvl in {"LO", "MD", "HI"}) == (s == "IEO" and e != "NEU") for _, s, e, lvl in parts)
    assert any(s == "IEO" for _, s, _, _ in parts)
    assert Counter(e for _, _, e, _ in parts) == Counter(summary["labels"])
    with open(root / "VideoDemographics.csv", newline="") as f:
        demo = list(csv.DictReader(f))
    assert list(demo[0]) == ["ActorID", "Age", "Sex", "Race", "Ethnicity"]
    assert sorted(d["ActorID"] for d in demo) == sorted({a for a, _, _, _ in parts}) == summary["speakers"]


def test_same_seed_is_byte_identical_and_other_seed_differs() -> None:
    root, _ = tiny_tree("iemocap")
    again = fresh_dir("again")
    generate("iemocap", again, scale="tiny", seed=0, progress=False)
    assert tree_digest(again) == tree_digest(root)
    other = fresh_dir("other")
    generate("iemocap", other, scale="tiny", seed=1, progress=False)
    assert tree_digest(other) != tree_digest(root)


def test_regenerating_replaces_a_synthetic_tree_but_never_a_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "crema"
    generate("crema-d", out, scale="tiny", seed=3, progress=False)
    generate("crema-d", out, scale="tiny", seed=4, progress=False)
    assert read_marker(out)["seed"] == 4  # type: ignore[index]
    foreign = tmp_path / "real"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("not ours")
    with pytest.raises(FileExistsError, match="refusing"):
        generate("crema-d", foreign, scale="tiny", progress=False)
    assert (foreign / "keep.txt").read_text() == "not ours"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no temporary folder left behind"


def test_bad_arguments_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown layout"):
        generate("iemocapp", tmp_path / "a")
    with pytest.raises(ValueError, match="unknown scale"):
        generate("iemocap", tmp_path / "a", scale="huge")
    with pytest.raises(NotImplementedError, match="msp-podcast"):
        generate("msp-podcast", tmp_path / "a", scale="full")
    assert not (tmp_path / "a").exists()


def test_read_marker(tmp_path: Path) -> None:
    assert read_marker(tmp_path) is None
    (tmp_path / "SYNTHETIC.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"SYNTHETIC\.json:1"):
        read_marker(tmp_path)
    (tmp_path / "SYNTHETIC.json").write_text(json.dumps({"synthetic": True, "layout": "iemocap"}))
    with pytest.raises(ValueError, match="lacks scale"):
        read_marker(tmp_path)
    (tmp_path / "SYNTHETIC.json").write_text(json.dumps(
        {"synthetic": False, "layout": "x", "scale": "tiny", "seed": 0, "generator_version": "1"}))
    with pytest.raises(ValueError, match="synthetic=False"):
        read_marker(tmp_path)


def test_a_tree_from_an_older_generator_is_not_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.corpora import MissingCorpus, resolve_roots
    from dataset_adapters.synth.marker import write_marker

    monkeypatch.setenv("LEMER_DATA", str(tmp_path))
    root = tmp_path / "synthetic" / "iemocap"
    root.mkdir(parents=True)
    marker = {"synthetic": True, "layout": "iemocap", "scale": "small", "seed": 0, "generator_version": "3"}
    write_marker(root, marker)
    with pytest.raises(MissingCorpus, match=f"generator v{GENERATOR_VERSION}"):
        resolve_roots({"iemocap": True}, generate=False)
    write_marker(root, {**marker, "generator_version": GENERATOR_VERSION})
    assert resolve_roots({"iemocap": True}, generate=False)["iemocap"].synthetic
