"""CREMA-D adapter: file-name parsing, the 12 sentences as transcripts, labels from the name."""
from __future__ import annotations

from pathlib import Path

import pytest

from dataset_adapters.base import get_adapter
from dataset_adapters.crema_d import SENTENCES, parse_clip_name
from tests.support.corpora import CREMA_ACTORS, CREMA_CLIPS, make_crema

ADAPTER = get_adapter("crema-d")


def test_parse_clip_name_including_levels() -> None:
    assert parse_clip_name("1001_DFA_ANG_XX") == ("1001", "DFA", "ANG", "XX")
    assert parse_clip_name("1091_IEO_SAD_LO") == ("1091", "IEO", "SAD", "LO")
    for bad, why in (("1001_DFA_ANG", "not <actor>"), ("1001_ZZZ_ANG_XX", "sentence"), ("1001_IEO_ANG_QQ", "level")):
        with pytest.raises(ValueError, match=why):
            parse_clip_name(bad)


def test_load(tmp_path: Path) -> None:
    report = ADAPTER.load(make_crema(tmp_path))
    assert len(report.utterances) == len(CREMA_ACTORS) * len(CREMA_CLIPS)
    assert report.skipped == [] and report.filtered == {}
    u = {u.uid: u for u in report.utterances}["crema-d:1003_IEO_HAP_HI"]
    assert (u.corpus, u.speaker, u.session, u.partition, u.context) == ("crema-d", "1003", None, None, ())
    assert (u.label, u.label_raw, u.transcript) == ("hap", "HAP", "It's eleven o'clock")
    assert Path(u.audio).is_absolute()
    assert {x.transcript for x in report.utterances} <= set(SENTENCES.values())
    assert len(SENTENCES) == 12


def test_shared4_filters_the_other_emotions(tmp_path: Path) -> None:
    report = ADAPTER.load(make_crema(tmp_path), label_map="shared-4")
    n = len(CREMA_ACTORS)
    assert report.filtered == {"FEA": n, "DIS": n}
    assert {u.label for u in report.utterances} == {"ang", "hap", "sad", "neu"}


def test_unknown_emotion_code_names_the_file(tmp_path: Path) -> None:
    from dataset_adapters.types import CorpusError
    from tests.support.corpora import write_wav

    root = make_crema(tmp_path)
    bad = write_wav(root / "AudioWAV" / "1001_DFA_JOY_XX.wav")
    with pytest.raises(CorpusError, match="unknown crema-d label code 'JOY'") as e:
        ADAPTER.load(root)
    assert e.value.problems[0].path == str(bad)
