"""Defect class 11 of issue 26 for the ASR transcript cache: every entry carries a checksum of its content, checked
on read; an entry whose text was changed (checksum kept) is recomputed and counted, by the source and by the
`transcripts` and `run` commands. Entries written before checksums are accepted as legacy (module docstring)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from benchmarks.cli import main
from benchmarks.transcripts import ASR_ENGINES, get_source
from dataset_adapters.load import load_report
from tests.support.asr import TEST_ASR, EchoAsr
from tests.support.runs import suite_toml, write_suite

KEY = "asr:test-echo"


@pytest.fixture(autouse=True)
def echo_engine() -> Iterator[None]:
    with ASR_ENGINES.overlay(dict(TEST_ASR)):
        yield


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "transcripts").rglob("*.json"))


def _tamper(entry: Path, **change: object) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    data.update(change)
    entry.write_text(json.dumps(data), encoding="utf-8")


def test_a_tampered_entry_is_recomputed_and_counted(tmp_path: Path, iemocap_corpus: Path) -> None:
    utts = load_report("iemocap", iemocap_corpus).utterances
    first = get_source(KEY, cache_dir=tmp_path).transcribe(utts, progress=False)
    entries = _entries(tmp_path)
    assert all("blake2b" in json.loads(p.read_text()) for p in entries)
    _tamper(entries[0], text="an edited transcript")  # the checksum is kept: only it can tell
    EchoAsr.decoded = 0
    again = get_source(KEY, cache_dir=tmp_path)
    assert again.transcribe(utts, progress=False) == first  # before: "an edited transcript" was served
    assert (again.stats.corrupt, again.stats.computed, EchoAsr.decoded) == (1, 1, 1)
    assert json.loads(entries[0].read_text())["text"] != "an edited transcript"  # rewritten with the true text


def test_an_entry_without_a_checksum_is_read_as_legacy(tmp_path: Path, iemocap_corpus: Path) -> None:
    utts = load_report("iemocap", iemocap_corpus).utterances
    first = get_source(KEY, cache_dir=tmp_path).transcribe(utts, progress=False)
    entry = _entries(tmp_path)[0]
    data = json.loads(entry.read_text())
    entry.write_text(json.dumps({k: v for k, v in data.items() if k != "blake2b"}))  # as written before checksums
    again = get_source(KEY, cache_dir=tmp_path)
    assert again.transcribe(utts, progress=False) == first
    assert (again.stats.corrupt, again.stats.computed) == (0, 0)


def test_transcripts_command_reports_the_recomputed_entries(tmp_path: Path, iemocap_corpus: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    args = ["transcripts", "iemocap", "--root", str(iemocap_corpus), "--source", KEY, "--out", str(tmp_path / "t.jsonl"),
            "--cache", str(tmp_path / "cache"), "--quiet"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["corrupt_recomputed"] == 0
    entries = _entries(tmp_path / "cache")  # one per distinct clip (the tree's clips may share their audio)
    for p in entries:
        _tamper(p, text="zeroed")
    assert main(args) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out.strip().splitlines()[-1])["corrupt_recomputed"] == len(entries) > 0
    assert f"{len(entries)} corrupt cache entries recomputed" in cap.err
    assert "zeroed" not in (tmp_path / "t.jsonl").read_text()


@pytest.mark.usefixtures("test_models")
def test_run_reports_the_recomputed_entries(tmp_path: Path, iemocap_corpus: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    suite = write_suite(tmp_path / "s.toml", suite_toml("c", [0], ["test-keyword-text"], transcripts=[KEY]))
    cache = tmp_path / "cache"
    base = ["run", "--suite", str(suite), "--corpus", f"iemocap={iemocap_corpus}", "--cache", str(cache),
            "--no-progress"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["cache_corrupt_recomputed"] == 0
    _tamper(_entries(cache)[0], text="zeroed")
    assert main([*base, "--out", str(tmp_path / "b")]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out.strip().splitlines()[-1])["cache_corrupt_recomputed"] == 1
    assert "recomputed 1 corrupt cache entries (1 transcripts, 0 features)" in cap.err
