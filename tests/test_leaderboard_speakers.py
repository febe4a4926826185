"""Speaker ids by the adapters' rules (leaderboard/speakers.py) and the speakers file reader."""
from __future__ import annotations

from pathlib import Path

import pytest

from dataset_adapters import crema_d, iemocap
from leaderboard.results import ResultError
from leaderboard.speakers import (
    CREMA_CLIP_NAME,
    IEMOCAP_UTT_ID,
    read_crema_demographics,
    read_speakers_file,
    resolve_speakers,
    speaker_from_uid,
)


def test_patterns_are_the_adapters_own() -> None:
    assert IEMOCAP_UTT_ID.pattern == iemocap.UTT_ID.pattern
    assert CREMA_CLIP_NAME.pattern == crema_d.CLIP_NAME.pattern


@pytest.mark.parametrize("uid, expected", [
    ("iemocap:Ses01F_impro01_F000", ("Ses01_F", "F")),
    ("iemocap:Ses05M_script01_3_F000", ("Ses05_F", "F")),  # the suffix's gender, not the dialogue's
    ("iemocap:Ses03F_script02_1b_M012", ("Ses03_M", "M")),
    ("crema-d:1001_DFA_ANG_XX", ("1001", None)),
    ("msp-podcast:MSP-PODCAST_0001_0008", (None, None)),
    ("other:whatever", (None, None)),
    ("no-prefix", (None, None)),
])
def test_speaker_from_uid(uid: str, expected: tuple) -> None:
    assert speaker_from_uid(uid) == expected


def test_speaker_matches_adapter_rule_on_synthetic_ids() -> None:
    # the synthetic IEMOCAP layout names utterances f"{dialog}_{gender}{turn:03d}" with dialog Ses<nn><F|M>_...
    for s in (1, 5):
        for opener in "FM":
            for g in "FM":
                uid = f"iemocap:Ses{s:02d}{opener}_impro03_{g}007"
                m = iemocap.UTT_ID.match(uid.split(":", 1)[1])
                assert speaker_from_uid(uid) == (f"Ses{m['session']}_{m['gender']}", g)


def test_malformed_known_ids_are_errors() -> None:
    with pytest.raises(ValueError, match="not an IEMOCAP utterance id"):
        speaker_from_uid("iemocap:Ses01_impro01")
    with pytest.raises(ValueError, match="not a CREMA-D clip id"):
        speaker_from_uid("crema-d:1001-DFA")


def _write(tmp_path: Path, text: str, name: str = "speakers.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_speakers_file_csv_and_tsv(tmp_path: Path) -> None:
    csv_file = _write(tmp_path, "uid,speaker,gender\nmsp-podcast:a,17,Female\nmsp-podcast:b,18,m\n\nmsp-podcast:c,19,\n")
    assert read_speakers_file(csv_file) == {"msp-podcast:a": ("17", "F"), "msp-podcast:b": ("18", "M"),
                                            "msp-podcast:c": ("19", None)}
    tsv_file = _write(tmp_path, "uid\tspeaker\nx:1\tS1\nx:2\tS2\n", "s.tsv")
    assert read_speakers_file(tsv_file, uids=["x:1"]) == {"x:1": ("S1", None), "x:2": ("S2", None)}


@pytest.mark.parametrize("text, message", [
    ("", ":1: no header"),
    ("id,speaker\nx,1\n", ":1: header ['id', 'speaker'] is not uid,speaker[,gender]"),
    ("uid,speaker\nx,1,F\n", ":2: 3 field(s), expected 2"),
    ("uid,speaker\nx,1\n,2\n", ":3: empty uid"),
    ("uid,speaker\nx,\n", ":2: empty speaker"),
    ("uid,speaker,gender\nx,1,F\ny,2,other\n", ":3: gender 'other' is not one of"),
    ("uid,speaker\nx,1\ny,2\nx,3\n", ":4: duplicate uid 'x' (first on line 2)"),
    ("uid,speaker\n", "no speakers (only a header)"),
])
def test_bad_speakers_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(ResultError) as e:
        read_speakers_file(p)
    assert str(e.value).startswith(str(p)) and message in str(e.value)


def test_missing_uids_are_an_error(tmp_path: Path) -> None:
    p = _write(tmp_path, "uid,speaker\nx,1\n")
    with pytest.raises(ResultError, match=r"2 test uid\(s\) have no speaker, e.g. 'y'"):
        read_speakers_file(p, uids=["x", "y", "z"])
    with pytest.raises(ResultError, match="speakers file not found"):
        read_speakers_file(tmp_path / "nope.csv")


def test_resolve_speakers_with_demographics(tmp_path: Path) -> None:
    demo = _write(tmp_path, "ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n"
                            "1002,21,Female,Caucasian,Not Hispanic\n", "VideoDemographics.csv")
    genders = read_crema_demographics(demo)
    assert genders == {"1001": "M", "1002": "F"}
    speakers, g = resolve_speakers(["crema-d:1001_DFA_ANG_XX", "crema-d:1002_IEO_HAP_HI", "iemocap:Ses02F_impro01_M001"],
                                   actor_gender=genders)
    assert speakers == ["1001", "1002", "Ses02_M"] and g == ["M", "F", "M"]
    table = {"msp-podcast:a": ("17", "F")}
    assert resolve_speakers(["msp-podcast:a"], table) == (["17"], ["F"])
    with pytest.raises(ValueError, match="no speaker known for 'msp-podcast:b'"):
        resolve_speakers(["msp-podcast:b"], table)


def test_same_speakers_as_the_adapters_on_their_test_trees(quirky_iemocap: Path, tmp_path: Path) -> None:
    from dataset_adapters.base import get_adapter
    from tests.support.corpora import make_crema

    for corpus, root in (("iemocap", quirky_iemocap), ("crema-d", make_crema(tmp_path))):
        utts = get_adapter(corpus).load(root).utterances
        assert utts and all(speaker_from_uid(u.uid)[0] == u.speaker for u in utts)
