"""Loaders that account for everything (a fault-injection pass found one case of each class; these cover
the class, for every loader it touches).

A. headers that lie: implausible sample rates, clips beyond MAX_SECONDS, IEMOCAP clips off their segment;
B. files that cannot be read: FIFOs (never blocking), symlink loops, UTF-16 without a byte-order mark,
   permission, and text that IS readable (UTF-16 with a BOM, a stray Windows-1252 byte, counted);
C. what the tree holds but the labels do not (and the reverse): clips and transcripts without labels, label
   files without clips, absent sessions and partitions, duplicate JSON keys;
D. empty transcripts, counted and kept;
E. the Python API's arguments;
F. `data check --on-error`, roots one level off, synthetic trees, `data folds` without --protocol.
"""
from __future__ import annotations

import json
import os
import signal
import struct
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import datasets
import numpy as np
import pytest
import soundfile as sf

from benchmarks import load_corpus, make_folds
from benchmarks.cli import main
from dataset_adapters import files
from dataset_adapters.audio import MAX_SECONDS, AudioError, read_audio
from dataset_adapters.base import corpus_info, get_adapter, get_label_map
from dataset_adapters.files import UnreadableFile, decode_text
from dataset_adapters.load import load_report
from dataset_adapters.types import CorpusError, InvalidArgument
from tests.support.corpora import make_crema, make_msp, quirky_iemocap, write_tone, write_wav

IEMOCAP, MSP, CREMA = get_adapter("iemocap"), get_adapter("msp-podcast"), get_adapter("crema-d")
BUILDERS: dict[str, Callable[[Path], Path]] = {"iemocap": quirky_iemocap, "msp-podcast": make_msp,
                                               "crema-d": make_crema}


def a_clip(corpus: str, root: Path) -> Path:
    return {"iemocap": root / "Session2" / "sentences" / "wav" / "Ses02F_impro01" / "Ses02F_impro01_M001.wav",
            "msp-podcast": root / "Audios" / "MSP-PODCAST_0001_0004.wav",
            "crema-d": root / "AudioWAV" / "1002_DFA_ANG_XX.wav"}[corpus]


def set_rate(path: Path, rate: int) -> None:
    """Rewrite a PCM WAV header's sample rate (and byte rate) in place: a header that lies."""
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"fmt "
    channels, bits = struct.unpack("<H", data[22:24])[0], struct.unpack("<H", data[34:36])[0]
    data[24:28] = struct.pack("<I", rate)
    data[28:32] = struct.pack("<I", rate * channels * bits // 8)
    path.write_bytes(bytes(data))


@contextmanager
def deadline(seconds: int = 20) -> Iterator[None]:
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""
    def boom(*_: object) -> None:
        raise TimeoutError("blocked")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def problems_of(corpus: str, root: Path | str) -> list:
    with pytest.raises(CorpusError) as e:
        load_report(corpus, root)
    return e.value.problems


def _export(corpus: str, tree: Path, out: Path) -> str:
    assert main(["data", "export", corpus, "--root", str(tree), "--format", "hf", "--out", str(out)]) == 0
    return f"hf:{out}"


# ---------------------------------------------------------------- A. headers that lie
@pytest.mark.parametrize("corpus", sorted(BUILDERS))
def test_an_implausible_sample_rate_is_refused_by_every_loader_and_check(tmp_path: Path, corpus: str,
                                                                         capsys: pytest.CaptureFixture) -> None:
    root = BUILDERS[corpus](tmp_path / "tree")
    hf = _export(corpus, root, tmp_path / "hf")  # exported while the clip was fine: the hf reader must catch it too
    clip = a_clip(corpus, root)
    set_rate(clip, 8)  # 0.15 s of samples now "last" 300 s
    for where in (root, hf):
        (p,) = [p for p in problems_of(corpus, where) if p.path == str(clip)]
        assert "implausible sample rate 8 Hz" in p.message
        report = load_report(corpus, where, on_error="skip")
        assert f"{corpus}:{clip.stem}" not in {u.uid for u in report.all_utterances()}
        assert [q.path for q in report.skipped] == [str(clip)]
    assert main(["data", "check", corpus, "--root", str(root)]) == 1
    assert f"{clip}: implausible sample rate 8 Hz" in capsys.readouterr().err
    with pytest.raises(AudioError, match="implausible sample rate"):
        read_audio(clip)  # never resampled to millions of samples


@pytest.mark.parametrize("corpus", ["msp-podcast", "crema-d"])
def test_a_clip_beyond_the_sane_length_is_refused(tmp_path: Path, corpus: str) -> None:
    root = BUILDERS[corpus](tmp_path / "tree")
    clip = a_clip(corpus, root)
    sf.write(str(clip), np.zeros(int((MAX_SECONDS + 1) * 8000), dtype=np.int16), 8000, subtype="PCM_16")
    (p,) = problems_of(corpus, root)
    assert p.path == str(clip) and f"clip too long: {MAX_SECONDS + 1:.1f} s" in p.message
    with pytest.raises(AudioError, match="clip too long"):
        read_audio(clip)


def test_an_iemocap_clip_far_from_its_segment_is_refused_on_disk_and_from_hf(tmp_path: Path) -> None:
    root = quirky_iemocap(tmp_path / "tree")
    clip = a_clip("iemocap", root)  # its segment is [4.5 - 5.0]: 0.5 s
    write_tone(clip, 0.9)  # within 0.5 s + 10 %: accepted
    assert not load_report("iemocap", root).skipped
    hf = _export("iemocap", root, tmp_path / "hf")
    write_tone(clip, 3.0)
    for where in (root, hf):
        (p,) = problems_of("iemocap", where)
        assert p.path == str(clip) and "clip lasts 3.000 s but its label segment lasts 0.500 s" in p.message


# ---------------------------------------------------------------- B. files that cannot be read
TEXT_TARGETS: dict[str, Callable[[Path], Path]] = {
    "iemocap label file": lambda r: r / "Session2" / "dialog" / "EmoEvaluation" / "Ses02F_impro01.txt",
    "iemocap transcription": lambda r: r / "Session2" / "dialog" / "transcriptions" / "Ses02F_impro01.txt",
    "msp transcript": lambda r: r / "Transcripts" / "MSP-PODCAST_0001_0004.txt",
    "msp per-annotator file": lambda r: r / "Labels" / "labels_detailed.csv",
    "crema rater file": lambda r: r / "processedResults" / "tabulatedVotes.csv",
    "crema demographics": lambda r: r / "VideoDemographics.csv",
}
CORPUS_OF = {"iemocap": "iemocap", "msp": "msp-podcast", "crema": "crema-d"}


def _break(path: Path, how: str) -> None:
    if how == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif how == "loop":
        path.unlink()
        path.symlink_to(path.name)  # points at itself
    elif how == "utf16-no-bom":
        path.write_bytes(path.read_text(encoding="utf-8", errors="replace").encode("utf-16-le"))
    elif how == "bad-byte":
        path.write_bytes(path.read_bytes() + b"\x81\n")  # undefined in Windows-1252 too


@pytest.mark.parametrize("how", ["fifo", "loop", "utf16-no-bom", "bad-byte"])
@pytest.mark.parametrize("target", sorted(TEXT_TARGETS))
def test_an_unreadable_text_file_is_named_never_blocks_and_is_a_counted_skip(tmp_path: Path, target: str,
                                                                             how: str) -> None:
    corpus = CORPUS_OF[target.split()[0]]
    root = BUILDERS[corpus](tmp_path / "tree")
    path = TEXT_TARGETS[target](root)
    before = len(load_report(corpus, root).utterances)
    _break(path, how)
    with deadline():
        problems = problems_of(corpus, root)
        report = load_report(corpus, root, on_error="skip")
    mine = [p for p in problems if p.path == str(path)]
    assert mine, problems
    expected = {"fifo": "FIFO", "loop": "symlink loop", "utf16-no-bom": "NUL bytes", "bad-byte": "neither UTF-8"}[how]
    assert expected in mine[0].message
    assert [p for p in report.skipped if p.path == str(path)] == mine
    assert len(report.utterances) <= before


def test_an_unreadable_msp_consensus_file_is_fatal_and_named(tmp_path: Path) -> None:
    root = make_msp(tmp_path)
    labels = root / "Labels" / "labels_consensus.csv"
    _break(labels, "fifo")
    with deadline(), pytest.raises(CorpusError, match="label file unreadable: a FIFO") as e:
        MSP.load(root, on_error="skip")
    assert e.value.problems[0].path == str(labels)


@pytest.mark.parametrize("corpus", sorted(BUILDERS))
@pytest.mark.parametrize("how", ["fifo", "loop"])
def test_a_clip_that_is_not_a_regular_file_is_named_as_such(tmp_path: Path, corpus: str, how: str) -> None:
    root = BUILDERS[corpus](tmp_path / "tree")
    clip = a_clip(corpus, root)
    _break(clip, how)
    with deadline():
        (p,) = [p for p in problems_of(corpus, root) if p.path == str(clip)]
        assert ("FIFO" if how == "fifo" else "symlink loop") in p.message
        with pytest.raises(AudioError, match="FIFO" if how == "fifo" else "symlink loop"):
            read_audio(clip)


def test_a_file_the_process_may_not_read_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = quirky_iemocap(tmp_path)
    label = root / "Session3" / "dialog" / "EmoEvaluation" / "Ses03F_impro01.txt"
    real_open = files.os.open

    def guarded(path: str, *a: object, **k: object) -> int:
        if Path(path) == label:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "open", guarded)  # tests run as root, where chmod 000 still reads
    (p,) = problems_of("iemocap", root)
    assert p.path == str(label) and "permission denied" in p.message
    assert not [q for q in IEMOCAP.load(root, on_error="skip").skipped if "clip" in q.message]  # not 7 more problems


def test_utf16_with_a_byte_order_mark_reads_like_utf8(tmp_path: Path) -> None:
    root = quirky_iemocap(tmp_path / "i")
    good = IEMOCAP.load(root).utterances
    for path in (root / "Session2" / "dialog" / "EmoEvaluation" / "Ses02F_impro01.txt",
                 root / "Session2" / "dialog" / "transcriptions" / "Ses02F_impro01.txt"):
        path.write_bytes(path.read_bytes().decode("utf-8").encode("utf-16"))  # with a BOM
    assert IEMOCAP.load(root).utterances == good
    msp = make_msp(tmp_path / "m")
    t = msp / "Transcripts" / "MSP-PODCAST_0001_0001.txt"
    t.write_bytes(b"\xfe\xff" + "so that was  the\nfirst thing".encode("utf-16-be"))
    u = next(u for u in MSP.load(msp).utterances if u.uid.endswith("0001_0001"))
    assert u.transcript == "so that was the first thing"  # not mojibake


def test_decode_text_rules() -> None:
    notes: list = []
    assert decode_text("naïve\n".encode() + b"caf\xe9 \x92s\n", "f.txt", notes) == "naïve\ncafé ’s\n"
    assert [(n.kind, n.line) for n in notes] == [("cp1252-line", 2)]  # the stray byte is decoded AND counted
    assert decode_text("\ufeffa\n".encode("utf-8")) == "a\n"
    assert decode_text("é\n".encode("utf-16-le")[:0] + b"\xff\xfe" + "é\n".encode("utf-16-le")) == "é\n"
    assert decode_text("é\n".encode("utf-32")) == "é\n"
    for bad, why in ((("ab\n" * 3).encode("utf-16-le"), "NUL bytes"), (b"ok\n\x81\n", "neither UTF-8 nor Windows-1252"),
                     (b"\xff\xfe\x00\xd8", "UTF-16-LE byte-order mark")):
        with pytest.raises(UnreadableFile, match=why):
            decode_text(bad, "f.txt")


# ---------------------------------------------------------------- C. labels, clips and expected parts
def test_iemocap_every_file_without_its_counterpart_is_accounted_for(tmp_path: Path) -> None:
    root = quirky_iemocap(tmp_path)
    s3 = root / "Session3" / "dialog"
    (s3 / "EmoEvaluation" / "Ses03F_impro01.txt").unlink()  # that dialogue's clips and text have no labels now
    extra = write_wav(root / "Session4" / "sentences" / "wav" / "Ses04F_impro01" / "Ses04F_impro01_F099.wav")
    tr = root / "Session4" / "dialog" / "transcriptions" / "Ses04F_impro01.txt"
    tr.write_bytes(tr.read_bytes() + b"Ses04F_impro01_M077 [010.0000-011.0000]: Who?\r\n")
    problems = {(p.path, p.message.split(" (")[0]) for p in problems_of("iemocap", root)}
    assert problems == {
        (str(s3 / "EmoEvaluation"), "no EmoEvaluation label files"),  # Session3 had one dialogue
        (str(s3 / "transcriptions" / "Ses03F_impro01.txt"), "transcription file has no label file"),
        (str(root / "Session3" / "sentences" / "wav" / "Ses03F_impro01"), "7 clip(s) but no label file"),
        (str(extra), "audio file has no label line in " + str(root / "Session4" / "dialog" / "EmoEvaluation" /
                                                                "Ses04F_impro01.txt")),
    }
    report = IEMOCAP.load(root, on_error="skip")
    assert len(report.skipped) == 4 and not any(u.session == "Session3" for u in report.all_utterances())
    assert [n.message.split(" is")[0] for n in report.notes if n.kind == "unlabelled-text"] == ["Ses04F_impro01_M077"]


def test_an_absent_session_is_missing_not_silent(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import shutil

    root = quirky_iemocap(tmp_path / "tree")
    hf = _export("iemocap", root, tmp_path / "hf")
    shutil.rmtree(root / "Session3")
    report = IEMOCAP.load(root)
    assert [Path(p.path).name for p in report.missing] == ["Session3"]
    assert [f.name for f in IEMOCAP.folds(report.utterances, "loso")] == [f"test=Session{k}" for k in (1, 2, 4, 5)]
    assert main(["data", "check", "iemocap", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert "problems: 1" in err and "expected session folder missing: Session3" in err
    assert main(["data", "check", "iemocap", "--root", str(root), "--on-error", "skip"]) == 0
    out = capsys.readouterr()
    assert "skipped (--on-error skip): 1" in out.err and "1 input(s) skipped" in out.out
    assert main(["data", "export", "iemocap", "--root", str(root), "--out", str(tmp_path / "m.jsonl")]) == 0
    assert "absent from this copy of iemocap: 1" in capsys.readouterr().err  # exported, but not silently
    # the hf reader: a dataset without a session's rows
    ds = datasets.load_from_disk(hf.removeprefix("hf:"))
    ds.filter(lambda r: r["session"] != "Session3").save_to_disk(str(tmp_path / "hf4"))
    assert [p.message for p in load_report("iemocap", f"hf:{tmp_path / 'hf4'}").missing] == [
        "expected session Session3 has no row (the release has Session1 .. Session5)"]


def test_msp_clips_and_transcripts_without_labels_and_absent_partitions(tmp_path: Path) -> None:
    root = make_msp(tmp_path)
    extra = write_wav(root / "Audios" / "MSP-PODCAST_0009_0001.wav")
    (root / "Transcripts" / "MSP-PODCAST_0009_0001.txt").write_text("hello")
    (p,) = problems_of("msp-podcast", root)
    assert p.path == str(extra) and p.message == "audio file has no label row in labels_consensus.csv"
    # the v1.12 spelling of the partition file; Test3 ships its audio without labels
    (root / "Partition.txt").write_text("Test3; MSP-PODCAST_0009_0001.wav\n")
    report = MSP.load(root)
    assert report.note_counts() == {"cp1252-line": 1, "unlabelled-audio": 1, "unlabelled-text": 1}
    labels = root / "Labels" / "labels_consensus.csv"
    gone = [x.split(",")[0] for x in labels.read_text().splitlines() if "Development" in x or "Test2" in x]
    labels.write_text("\n".join(x for x in labels.read_text().splitlines() if x.split(",")[0] not in gone))
    report = MSP.load(root, on_error="skip")
    assert [p.message.split(" (")[0] for p in report.missing] == ["expected partition Development has no labelled rows"]
    assert report.note_counts()["absent-partition"] == 1
    assert sorted(Path(p.path).name for p in report.skipped) == sorted(gone)  # their clips are unlabelled now


def test_msp_json_that_names_a_file_twice_is_refused_at_the_second_occurrence(tmp_path: Path) -> None:
    root = make_msp(tmp_path, fmt="json")
    labels = root / "Labels" / "labels_consensus.json"
    text = labels.read_text()
    first = text.index('"MSP-PODCAST_0001_0001.wav"')
    dup = text[first:text.index("},", first) + 2]
    labels.write_text(text.replace(dup, dup + "\n" + dup.replace('"H"', '"S"'), 1))
    (p,) = problems_of("msp-podcast", root)
    line = [n for n, x in enumerate(labels.read_text().splitlines(), 1) if '"MSP-PODCAST_0001_0001.wav"' in x][1]
    assert (p.path, p.line) == (str(labels), line) and "given more than once" in p.message
    u = next(u for u in MSP.load(root, on_error="skip").utterances if u.uid.endswith("0001_0001"))
    assert u.label == "hap"  # the first record, never silently the last


# ---------------------------------------------------------------- D. empty transcripts
def test_empty_transcripts_are_counted_and_kept_by_every_loader(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = quirky_iemocap(tmp_path / "i")
    tr = root / "Session1" / "dialog" / "transcriptions" / "Ses01F_impro01.txt"
    tr.write_bytes(tr.read_bytes().replace(b"Yeah, great [LAUGHTER].", b"   ").replace(b"No way.", b""))
    report = IEMOCAP.load(root)
    assert report.empty_transcripts == ["iemocap:Ses01F_impro01_M000", "iemocap:Ses01F_impro01_M001"]
    assert {u.uid: u.transcript for u in report.utterances}["iemocap:Ses01F_impro01_M000"] == ""
    hf = _export("iemocap", root, tmp_path / "hf")
    assert load_report("iemocap", hf).empty_transcripts == report.empty_transcripts
    assert main(["data", "check", "iemocap", "--root", str(root)]) == 0
    assert "empty gold transcript: 2 utterances (e.g. iemocap:Ses01F_impro01_M000" in capsys.readouterr().out
    msp = make_msp(tmp_path / "m")
    (msp / "Transcripts" / "MSP-PODCAST_0002_0002.txt").write_text(" \n\t\n")
    assert MSP.load(msp).empty_transcripts == ["msp-podcast:MSP-PODCAST_0002_0002"]


# ---------------------------------------------------------------- E. the API's arguments
def test_the_api_refuses_wrong_types_with_messages_a_user_can_act_on(quirky_iemocap: Path) -> None:
    utts = load_corpus("iemocap", quirky_iemocap)
    cases = [
        (lambda: load_corpus(3, quirky_iemocap), "corpus must be a name .* such as 'iemocap', got int 3"),  # type: ignore[arg-type]
        (lambda: load_corpus("iemocap", 3), "root must be a folder path"),  # type: ignore[arg-type]
        (lambda: load_corpus("iemocap", quirky_iemocap, label_map=4), "label_map must be a label map name"),  # type: ignore[arg-type]
        (lambda: load_corpus("iemocap", "hf:/x", label_map=["a"]), "label_map must be"),  # type: ignore[arg-type]
        (lambda: load_report("iemocap", quirky_iemocap, on_error="ignore"), "on_error must be 'raise' or 'skip'"),  # type: ignore[arg-type]
        (lambda: IEMOCAP.load(quirky_iemocap, verify_audio="yes"), "verify_audio must be True or False"),  # type: ignore[arg-type]
        (lambda: make_folds("iemocap", ["a", "b"]), r"utterances\[0\] is a str .* not an Utterance"),  # type: ignore[list-item]
        (lambda: make_folds("iemocap", "abc"), "utterances must be a list of Utterance records"),  # type: ignore[arg-type]
        (lambda: make_folds("iemocap", utts[0]), "utterances must be a list"),  # type: ignore[arg-type]
        (lambda: make_folds("crema-d", utts), "belong to corpus 'iemocap', not 'crema-d'"),
        (lambda: CREMA.folds(utts, "speaker-5fold"), "belong to corpus 'iemocap', not 'crema-d'"),
        (lambda: make_folds("iemocap", utts, protocol=3), "protocol must be a name"),  # type: ignore[arg-type]
        (lambda: make_folds(None, utts), "corpus must be a name"),  # type: ignore[arg-type]
        (lambda: get_label_map(4), "label map must be a name"),  # type: ignore[arg-type]
        (lambda: corpus_info(["iemocap"]), "corpus must be a name"),  # type: ignore[arg-type]
    ]
    for call, message in cases:
        with pytest.raises(InvalidArgument, match=message):
            call()
    assert issubclass(InvalidArgument, ValueError) and issubclass(InvalidArgument, TypeError)
    with pytest.raises(KeyError, match="did you mean iemocap"):
        load_corpus("iemocapp", quirky_iemocap)  # a typo is still a did-you-mean


# ---------------------------------------------------------------- F. data check and data folds
@pytest.mark.parametrize("corpus, off", [
    ("iemocap", lambda r: r / "Session1"), ("msp-podcast", lambda r: r / "Audios"),
    ("crema-d", lambda r: r / "AudioWAV"),
    ("msp-podcast", lambda r: r.parent.parent), ("crema-d", lambda r: r.parent.parent)])
def test_a_root_one_level_off_names_the_right_one(tmp_path: Path, corpus: str, off: Callable[[Path], Path],
                                                  capsys: pytest.CaptureFixture) -> None:
    root = BUILDERS[corpus](tmp_path / "x" / "copy")
    assert main(["data", "check", corpus, "--root", str(off(root))]) == 2
    assert f"(did you mean --root {root}?)" in capsys.readouterr().err


def test_check_says_a_tree_is_synthetic(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from dataset_adapters.synth import GENERATOR_VERSION
    from dataset_adapters.synth.marker import write_marker

    root = make_crema(tmp_path)
    write_marker(root, {"synthetic": True, "layout": "crema-d", "scale": "tiny", "seed": 3, "generator_version": "4"})
    assert main(["data", "check", "crema-d", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("synthetic corpus: generated in the crema-d layout (scale tiny, seed 3, generator v4)")
    assert f"this generator is v{GENERATOR_VERSION}" in out


def test_check_lists_dims_votes_and_notes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "check", "msp-podcast", "--root", str(make_msp(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "dims (arousal, valence, dominance): 11 of 11 utterances (scale 1-7)" in out
    assert "annotator votes: 11 of 11 utterances (5.0 annotators on average)" in out
    assert "kept outside the categorical task: 1 without consensus, 1 outside the label map" in out
    assert "notes (not errors): 1" in out and "cp1252-line\t1" in out


def test_folds_default_to_the_corpus_protocol(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    out = tmp_path / "f.json"
    assert main(["data", "folds", "crema-d", "--root", str(root), "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["protocol"] == "speaker-5fold" and len(doc["folds"]) == 5
