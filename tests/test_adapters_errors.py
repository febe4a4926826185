"""Broken inputs give a CorpusError naming file (and line); skip mode turns them into a counted skip list."""
from __future__ import annotations

from pathlib import Path

import pytest

from dataset_adapters.base import CORPORA, get_adapter
from dataset_adapters.check import audio_problem, decode_text
from dataset_adapters.types import CorpusError
from tests.support.corpora import make_crema, make_msp, quirky_iemocap, truncate, write_wav

IEMOCAP = get_adapter("iemocap")


def _eval_file(root: Path) -> Path:
    return root / "Session2" / "dialog" / "EmoEvaluation" / "Ses02F_impro01.txt"


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_audio_problem_detects_each_defect(tmp_path: Path) -> None:
    good = write_wav(tmp_path / "good.wav")
    assert audio_problem(good) is None
    assert audio_problem(tmp_path / "absent.wav") == "audio file missing"
    short = write_wav(tmp_path / "short.wav")
    truncate(short)
    assert "truncated" in (audio_problem(short) or "")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert "empty" in (audio_problem(empty) or "")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio at all" * 10)
    assert "unreadable" in (audio_problem(junk) or "")


def test_decode_text_keeps_utf8_and_tolerates_stray_bytes() -> None:
    assert decode_text("naïve\n".encode() + b"caf\xe9 \x92s\n") == "naïve\ncafé ’s\n"


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return quirky_iemocap(tmp_path, sessions=2)


def test_missing_wav_raises_then_skip_counts_it(tree: Path) -> None:
    wav = tree / "Session2" / "sentences" / "wav" / "Ses02F_impro01" / "Ses02F_impro01_M001.wav"
    wav.unlink()
    with pytest.raises(CorpusError) as e:
        IEMOCAP.load(tree)
    (p,) = e.value.problems
    assert p.path == str(wav) and "missing" in p.message and "Ses02F_impro01.txt:" in p.message
    report = IEMOCAP.load(tree, on_error="skip")
    assert len(report.skipped) == 1 and report.skipped[0] == p
    assert "iemocap:Ses02F_impro01_M001" not in {u.uid for u in report.utterances}
    assert len(report.utterances) == 2 * 5 - 1
    # The next utterance's context no longer names the skipped one.
    m002 = next(u for u in report.utterances if u.uid == "iemocap:Ses02F_impro01_M002")
    assert "iemocap:Ses02F_impro01_M001" not in m002.context


def test_truncated_wav(tree: Path) -> None:
    wav = tree / "Session1" / "sentences" / "wav" / "Ses01F_impro01" / "Ses01F_impro01_F000.wav"
    truncate(wav)
    with pytest.raises(CorpusError, match="truncated") as e:
        IEMOCAP.load(tree)
    assert e.value.problems[0].path == str(wav)
    assert len(IEMOCAP.load(tree, verify_audio=False).utterances) == 10  # opt-out really skips the check


def test_malformed_line_and_unknown_label_name_file_and_line(tree: Path) -> None:
    ev = _eval_file(tree)
    text = ev.read_text()
    text = text.replace("[4.5000 - 5.0000]\tSes02F_impro01_M001\tang", "[4.5000 - oops]\tSes02F_impro01_M001\tang")
    text = text.replace("Ses02F_impro01_M002\tsad", "Ses02F_impro01_M002\tjoy")
    ev.write_text(text)
    with pytest.raises(CorpusError) as e:
        IEMOCAP.load(tree)
    problems = {p.line: p for p in e.value.problems}
    assert set(problems) == {_line_of(ev, "oops"), _line_of(ev, "\tjoy\t")}
    assert all(p.path == str(ev) for p in problems.values())
    assert "malformed utterance line" in problems[_line_of(ev, "oops")].message
    assert "unknown iemocap label code 'joy'" in problems[_line_of(ev, "\tjoy\t")].message
    assert f"{ev}:{_line_of(ev, 'oops')}" in str(e.value)
    report = IEMOCAP.load(tree, on_error="skip")
    assert len(report.skipped) == 2 and len(report.utterances) == 10 - 2


def test_missing_transcription_file_and_line(tree: Path) -> None:
    tr = tree / "Session1" / "dialog" / "transcriptions" / "Ses01F_impro01.txt"
    tr.write_bytes(b"\n".join(line for line in tr.read_bytes().splitlines() if b"_M000 " not in line))
    with pytest.raises(CorpusError, match="no transcription line for 'Ses01F_impro01_M000'"):
        IEMOCAP.load(tree)
    tr.unlink()
    with pytest.raises(CorpusError, match="transcription file missing"):
        IEMOCAP.load(tree)


def test_empty_and_wrong_roots_for_every_adapter(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for name, adapter in ((n, get_adapter(n)) for n in CORPORA):
        with pytest.raises(CorpusError, match="not an? .*root") as e:
            adapter.load(empty)
        assert e.value.problems[0].path == str(empty), name
        with pytest.raises(CorpusError, match="does not exist"):
            adapter.load(tmp_path / "nope")


def test_corpus_with_structure_but_no_utterances(tmp_path: Path) -> None:
    (tmp_path / "AudioWAV").mkdir()
    with pytest.raises(CorpusError, match="no usable clips"):
        get_adapter("crema-d").load(tmp_path)
    (tmp_path / "Session1" / "dialog" / "EmoEvaluation").mkdir(parents=True)
    with pytest.raises(CorpusError, match="no EmoEvaluation label files"):
        IEMOCAP.load(tmp_path)


def test_msp_label_file_problems(tmp_path: Path) -> None:
    root = make_msp(tmp_path)
    labels = root / "Labels" / "labels_consensus.csv"
    lines = labels.read_text().splitlines()
    lines[3] = lines[3].replace(",X,", ",Q,")  # unknown code
    lines[5] = lines[5].replace("Development", "Dev")  # unknown split
    lines.append("MSP-PODCAST_0009_0001.wav,N,1")  # too few fields
    labels.write_text("\n".join(lines) + "\n")
    (root / "Audios" / "MSP-PODCAST_0003_0001.wav").unlink()
    with pytest.raises(CorpusError) as e:
        get_adapter("msp-podcast").load(root)
    got = sorted((p.path.rsplit("/", 1)[-1], p.line) for p in e.value.problems)
    assert got == sorted([("labels_consensus.csv", 4), ("labels_consensus.csv", 6), ("labels_consensus.csv", 14),
                          ("MSP-PODCAST_0003_0001.wav", None)])
    report = get_adapter("msp-podcast").load(root, on_error="skip")
    assert len(report.skipped) == 4 and len(report.utterances) == 7


def test_msp_missing_label_file_and_bad_json(tmp_path: Path) -> None:
    root = make_msp(tmp_path, fmt="json")
    labels = root / "Labels" / "labels_consensus.json"
    labels.write_text(labels.read_text()[:-5])
    with pytest.raises(CorpusError, match="invalid JSON") as e:
        get_adapter("msp-podcast").load(root)
    assert e.value.problems[0].path == str(labels) and e.value.problems[0].line is not None
    labels.unlink()
    with pytest.raises(CorpusError, match="no label file found"):
        get_adapter("msp-podcast").load(root)


def test_crema_bad_name_and_truncated_clip(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    write_wav(root / "AudioWAV" / "1001_XYZ_ANG_XX.wav")
    truncate(root / "AudioWAV" / "1002_DFA_ANG_XX.wav")
    with pytest.raises(CorpusError) as e:
        get_adapter("crema-d").load(root)
    assert sorted(Path(p.path).name for p in e.value.problems) == ["1001_XYZ_ANG_XX.wav", "1002_DFA_ANG_XX.wav"]
    assert len(get_adapter("crema-d").load(root, on_error="skip").skipped) == 2
