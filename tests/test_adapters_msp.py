"""MSP-Podcast adapter: both label-file spellings, CSV and JSON, Unknown speakers, X/O dropped, transcripts."""
from __future__ import annotations

from pathlib import Path

import pytest

from dataset_adapters.base import get_adapter
from tests.support.corpora import make_msp

ADAPTER = get_adapter("msp-podcast")
KEPT = {"0001_0001", "0001_0003", "0001_0004", "0002_0001", "0002_0002", "0003_0001", "0003_0003", "0004_0001", "0004_0002"}


@pytest.mark.parametrize("fmt,spelling", [("csv", "consensus"), ("csv", "concensus"), ("json", "consensus"), ("json", "concensus")])
def test_every_label_file_variant_reads_the_same(tmp_path: Path, fmt: str, spelling: str) -> None:
    report = ADAPTER.load(make_msp(tmp_path, fmt=fmt, spelling=spelling))
    assert {u.uid for u in report.utterances} == {f"msp-podcast:MSP-PODCAST_{k}" for k in KEPT}
    assert report.filtered == {"X": 1, "O": 1, "(unlabelled)": 1}
    parts = {u.uid.split("_", 1)[1]: u.partition for u in report.utterances}
    assert parts["0002_0001"] == "Development"  # JSON's "Validation" too
    assert {u.partition for u in report.utterances} == {"Train", "Development", "Test1", "Test2"}


@pytest.fixture(scope="module")
def by_uid(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_msp(tmp_path_factory.mktemp("msp"))
    return {u.uid.removeprefix("msp-podcast:MSP-PODCAST_"): u for u in ADAPTER.load(root).utterances}


def test_fields_and_unknown_speaker(by_uid: dict) -> None:
    u = by_uid["0001_0001"]
    assert (u.corpus, u.speaker, u.session, u.label, u.label_raw, u.partition) == ("msp-podcast", "10", None, "hap", "H", "Train")
    assert u.audio.endswith("Audios/MSP-PODCAST_0001_0001.wav") and Path(u.audio).is_absolute()
    assert by_uid["0002_0002"].speaker is None
    assert by_uid["0004_0002"].label == "con"  # msp-8 default


def test_transcripts_when_present_else_none(by_uid: dict, tmp_path: Path) -> None:
    assert by_uid["0001_0001"].transcript == "so that was the first thing"
    assert by_uid["0003_0001"].transcript == "naïve idea"  # latin-1 file
    assert by_uid["0001_0003"].transcript == "segment 0003 of the show"
    no_folder = ADAPTER.load(make_msp(tmp_path, transcripts=False)).utterances  # older releases
    assert len(no_folder) == len(by_uid) and all(u.transcript is None for u in no_folder)


def test_context_by_segment_index_within_podcast(by_uid: dict) -> None:
    p = "msp-podcast:MSP-PODCAST_"
    assert by_uid["0001_0001"].context == ()
    # 0001_0002 is X (dropped): never context. Rows were listed out of order in the label file.
    assert by_uid["0001_0004"].context == (p + "0001_0001", p + "0001_0003")
    assert by_uid["0002_0001"].context == ()


def test_msp4_drops_other_emotions(tmp_path: Path) -> None:
    report = ADAPTER.load(make_msp(tmp_path), label_map="msp-4")
    assert {u.label for u in report.utterances} == {"neu", "hap", "ang", "sad"}
    assert report.filtered == {"X": 1, "O": 1, "(unlabelled)": 1, "U": 1, "C": 1}


def test_partitions_txt_when_label_file_has_no_split(tmp_path: Path) -> None:
    root = make_msp(tmp_path, transcripts=False)
    csv_path = root / "Labels" / "labels_consensus.csv"
    lines = csv_path.read_text().splitlines()
    csv_path.write_text("\n".join(",".join(line.split(",")[:-1]) for line in lines) + "\n")
    (root / "Partitions.txt").write_text("".join(f"{line.split(',')[-1]}; {line.split(',')[0]}\n" for line in lines[1:]))
    report = ADAPTER.load(root)
    assert {u.partition for u in report.utterances} == {"Train", "Development", "Test1", "Test2"}
    assert all(u.transcript is None for u in report.utterances)
