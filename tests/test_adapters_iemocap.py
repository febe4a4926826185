"""IEMOCAP adapter on a hand-made tree in the real layout."""
from __future__ import annotations

from pathlib import Path

import pytest

from dataset_adapters.base import get_adapter
from dataset_adapters.iemocap import UTT_ID

ADAPTER = get_adapter("iemocap")


@pytest.fixture(scope="module")
def by_uid(quirky_iemocap: Path) -> dict:
    return {u.uid: u for u in ADAPTER.load(quirky_iemocap).utterances}


def test_counts_and_filtered_raw_labels(quirky_iemocap: Path) -> None:
    report = ADAPTER.load(quirky_iemocap)
    # 5 sessions x 7 impro rows, minus xxx and fru (iemocap-4), plus 3 scripted in session 5.
    assert len(report.utterances) == 5 * 5 + 3
    assert report.filtered == {"xxx": 5, "fru": 5}
    assert report.skipped == []
    assert [u.uid for u in report.utterances] == sorted(u.uid for u in report.utterances)


def test_record_fields(by_uid: dict, quirky_iemocap: Path) -> None:
    u = by_uid["iemocap:Ses01F_impro01_M000"]
    assert (u.corpus, u.speaker, u.session, u.start, u.end) == ("iemocap", "Ses01_M", "Session1", 2.5, 3.0)
    assert (u.label, u.label_raw, u.partition) == ("hap", "exc", None)  # exc merged into hap by iemocap-4
    assert u.transcript == "Yeah, great [LAUGHTER]."
    assert Path(u.audio).is_absolute() and Path(u.audio).is_file()
    assert Path(u.audio) == quirky_iemocap / "Session1" / "sentences" / "wav" / "Ses01F_impro01" / "Ses01F_impro01_M000.wav"


def test_latin1_byte_in_transcript_is_tolerated(by_uid: dict) -> None:
    assert by_uid["iemocap:Ses01F_impro01_F000"].transcript == "Excuse me, café."


def test_speaker_is_session_plus_utterance_gender_not_dialogue_prefix(by_uid: dict) -> None:
    assert by_uid["iemocap:Ses05M_script01_3_F000"].speaker == "Ses05_F"
    assert by_uid["iemocap:Ses05M_script01_1b_M012"].speaker == "Ses05_M"
    assert {u.speaker for u in by_uid.values()} == {f"Ses0{s}_{g}" for s in range(1, 6) for g in "FM"}


def test_utterance_id_pattern() -> None:
    m = UTT_ID.match("Ses05M_script01_1b_M012")
    assert m and (m["dialog"], m["session"], m["gender"]) == ("Ses05M_script01_1b", "05", "M")
    assert UTT_ID.match("Ses01F_impro01_MXX0") is None


def test_context_is_preceding_kept_by_start_time(by_uid: dict) -> None:
    # F003 starts first although listed last; F001 (xxx) and F002 (fru) are dropped, so never context.
    assert by_uid["iemocap:Ses01F_impro01_F003"].context == ()
    assert by_uid["iemocap:Ses01F_impro01_M002"].context == tuple(
        f"iemocap:Ses01F_impro01_{x}" for x in ("F003", "F000", "M000", "M001"))
    # Dialogues do not share context even within a session.
    assert by_uid["iemocap:Ses05M_script01_1b_M012"].context == ()
    assert by_uid["iemocap:Ses05M_script01_3_M001"].context == ("iemocap:Ses05M_script01_3_F000",)


def test_iemocap6_keeps_exc_and_fru_apart(quirky_iemocap: Path) -> None:
    report = ADAPTER.load(quirky_iemocap, label_map="iemocap-6")
    labels = {u.uid: u.label for u in report.utterances}
    assert labels["iemocap:Ses01F_impro01_M000"] == "exc"
    assert labels["iemocap:Ses01F_impro01_F002"] == "fru"
    assert report.filtered == {"xxx": 5}


def test_shared4_merges_exc(quirky_iemocap: Path) -> None:
    labels = {u.uid: u.label for u in ADAPTER.load(quirky_iemocap, label_map="shared-4").utterances}
    assert labels["iemocap:Ses01F_impro01_M000"] == "hap"
    assert set(labels.values()) == {"neu", "hap", "ang", "sad"}


def test_label_map_of_another_corpus_is_refused(quirky_iemocap: Path) -> None:
    with pytest.raises(ValueError, match="does not apply"):
        ADAPTER.load(quirky_iemocap, label_map="crema-6")


def test_parent_of_full_release_is_accepted(quirky_iemocap: Path) -> None:
    assert len(ADAPTER.load(quirky_iemocap.parent, verify_audio=False).utterances) == 28
