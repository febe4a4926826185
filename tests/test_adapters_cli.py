"""The `lemer-bench data` commands, run through the real entry point."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cli import main
from dataset_adapters.base import get_adapter
from dataset_adapters.types import Utterance
from tests.support.corpora import make_crema, make_msp, quirky_iemocap, truncate


def test_export_writes_one_json_object_per_utterance(quirky_iemocap: Path, tmp_path: Path) -> None:
    out = tmp_path / "m" / "iemocap.jsonl"
    assert main(["data", "export", "iemocap", "--root", str(quirky_iemocap), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 28
    first = rows[0]
    assert set(first) == {"uid", "corpus", "speaker", "session", "audio", "start", "end", "transcript", "label",
                          "label_raw", "partition", "context", "gender", "dims", "votes"}
    assert first["dims"] == {"arousal": 3.0, "valence": 2.5, "dominance": 2.5, "scale": [1.0, 5.0]}
    assert first["votes"]["annotators"] == 3 and first["gender"] == "F"
    assert first["uid"] == "iemocap:Ses01F_impro01_F000" and first["session"] == "Session1"
    assert first["context"] == ["iemocap:Ses01F_impro01_F003"]
    assert [Utterance.from_json(r) for r in rows] == get_adapter("iemocap").load(quirky_iemocap).utterances
    assert [p.name for p in out.parent.iterdir()] == ["iemocap.jsonl"]  # no temp file left behind


def test_export_label_map_and_crema_uid(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    out = tmp_path / "c.jsonl"
    assert main(["data", "export", "crema-d", "--root", str(root), "--out", str(out), "--label-map", "shared-4"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["uid"] == "crema-d:1001_DFA_ANG_XX"
    assert {r["label"] for r in rows} == {"neu", "hap", "ang", "sad"}


def test_folds_file(quirky_iemocap: Path, tmp_path: Path) -> None:
    out = tmp_path / "folds.json"
    assert main(["data", "folds", "iemocap", "--root", str(quirky_iemocap), "--protocol", "loso", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert (doc["corpus"], doc["protocol"], doc["label_map"]) == ("iemocap", "loso", "iemocap-4")
    assert [f["name"] for f in doc["folds"]] == [f"test=Session{k}" for k in range(1, 6)]
    assert set(doc["folds"][0]) == {"name", "train", "valid", "test"}


def test_folds_unknown_protocol_is_a_clear_error(quirky_iemocap: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rc = main(["data", "folds", "iemocap", "--root", str(quirky_iemocap), "--protocol", "official", "--out", str(tmp_path / "f")])
    assert rc == 2 and "unknown protocol 'official'" in capsys.readouterr().err


def test_check_ok_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = make_msp(tmp_path)
    assert main(["data", "check", "msp-podcast", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "9 usable utterances" in out and "ok: no problems found" in out
    assert "\tTest1\t2" in out.replace("  ", "\t") and "(none)\t2" in out  # partitions; Unknown speakers


def test_check_fails_naming_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = quirky_iemocap(tmp_path)
    wav = root / "Session1" / "sentences" / "wav" / "Ses01F_impro01" / "Ses01F_impro01_M000.wav"
    truncate(wav)
    ev = root / "Session2" / "dialog" / "EmoEvaluation" / "Ses02F_impro01.txt"
    ev.write_text(ev.read_text().replace("\tsad\t", "\tSAD\t"))
    assert main(["data", "check", "iemocap", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "problems: 2" in err and f"{wav}: audio file truncated" in err
    assert f"{ev}:" in err and "unknown iemocap label code 'SAD'" in err


def test_export_raise_vs_skip(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = quirky_iemocap(tmp_path, sessions=2)
    wav = root / "Session2" / "sentences" / "wav" / "Ses02F_impro01" / "Ses02F_impro01_F000.wav"
    wav.unlink()
    out = tmp_path / "m.jsonl"
    assert main(["data", "export", "iemocap", "--root", str(root), "--out", str(out)]) == 2
    assert f"{wav}: audio file missing" in capsys.readouterr().err and not out.exists()
    assert main(["data", "export", "iemocap", "--root", str(root), "--out", str(out), "--on-error", "skip"]) == 0
    err = capsys.readouterr().err
    assert "skipped iemocap inputs: 1" in err and str(wav) in err
    assert len(out.read_text().splitlines()) == 9


def test_wrong_root(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "check", "crema-d", "--root", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("layout", ["iemocap", "msp-podcast", "crema-d"])
def test_synth_round_trip(layout: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The generator's trees must read cleanly with the real adapters, every clip accounted for."""
    out = tmp_path / "syn"
    assert main(["data", "synth", "--layout", layout, "--out", str(out), "--scale", "tiny", "--seed", "1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert main(["data", "check", layout, "--root", str(out)]) == 0
    report = get_adapter(layout).load(out)
    assert len(report.utterances) + sum(report.filtered.values()) == summary["utterances"]
    protocol = get_adapter(layout).info.protocols[0]
    assert main(["data", "folds", layout, "--root", str(out), "--protocol", protocol, "--out", str(tmp_path / "f.json")]) == 0
