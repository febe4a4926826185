"""Fold properties: named by what they test, speaker-disjoint, each utterance tested once, valid from training speakers."""
from __future__ import annotations

from pathlib import Path

import pytest

from dataset_adapters.base import CORPORA, corpus_info, get_adapter
from dataset_adapters.protocols import SpeakerLeak, assert_speaker_disjoint, speaker_kfold
from dataset_adapters.types import Fold, Utterance
from tests.support.corpora import make_crema, make_msp


def _utt(uid: str, speaker: str | None, session: str | None = None, partition: str | None = None,
         corpus: str = "x") -> Utterance:
    return Utterance(uid=uid, corpus=corpus, speaker=speaker, session=session, audio="/a.wav", start=None, end=None,
                     transcript=None, label="neu", label_raw="neu", partition=partition)


def _check_common(folds: list[Fold], utterances: list[Utterance]) -> None:
    by_uid = {u.uid: u for u in utterances}
    for f in folds:
        assert_speaker_disjoint(f, by_uid)
        train, valid, test = set(f.train), set(f.valid), set(f.test)
        assert not (train & valid or train & test or valid & test), f.name
        train_speakers = {by_uid[u].speaker for u in train}
        assert {by_uid[u].speaker for u in valid}.isdisjoint(train_speakers) or not valid  # valid speakers held out of train
        assert list(f.train) == sorted(f.train)


@pytest.fixture(scope="module")
def iemocap(quirky_iemocap: Path) -> list[Utterance]:
    return get_adapter("iemocap").load(quirky_iemocap, verify_audio=False).utterances


def test_loso(iemocap: list[Utterance]) -> None:
    folds = get_adapter("iemocap").folds(iemocap, "loso")
    assert [f.name for f in folds] == [f"test=Session{k}" for k in range(1, 6)]
    _check_common(folds, iemocap)
    by_uid = {u.uid: u for u in iemocap}
    tested = [u for f in folds for u in f.test]
    assert sorted(tested) == sorted(by_uid)  # every utterance tested exactly once
    expected_valid = ["Session2", "Session3", "Session4", "Session5", "Session1"]
    for f, valid_session in zip(folds, expected_valid):
        session = f.name.removeprefix("test=")
        assert {by_uid[u].session for u in f.test} == {session}
        # validation = the whole next session, both speakers, none of them in train
        assert sorted(f.valid) == sorted(u.uid for u in iemocap if u.session == valid_session)
        assert len({by_uid[u].speaker for u in f.valid}) == 2
        assert {by_uid[u].session for u in f.train} == {f"Session{k}" for k in range(1, 6)} - {session, valid_session}
        assert len(f.train) + len(f.valid) + len(f.test) == len(iemocap)
    assert folds == get_adapter("iemocap").folds(list(reversed(iemocap)), "loso")  # deterministic


def test_loso_one_speaker_validation_kept_for_comparison(iemocap: list[Utterance]) -> None:
    from dataset_adapters.protocols import leave_one_session_out

    folds = leave_one_session_out(iemocap, validation="speaker")
    _check_common(folds, iemocap)
    by_uid = {u.uid: u for u in iemocap}
    for f, spk in zip(folds, ["Ses02_F", "Ses03_M", "Ses04_F", "Ses05_M", "Ses01_F"]):
        assert {by_uid[u].speaker for u in f.valid} == {spk}
    with pytest.raises(ValueError, match="validation"):
        leave_one_session_out(iemocap, validation="random")


def test_official(tmp_path: Path) -> None:
    us = get_adapter("msp-podcast").load(make_msp(tmp_path)).utterances
    folds = get_adapter("msp-podcast").folds(us, "official")
    assert [f.name for f in folds] == ["test=Test1", "test=Test2"]
    by_uid = {u.uid: u for u in us}
    for f in folds:
        assert {by_uid[u].partition for u in f.train} == {"Train"}
        assert {by_uid[u].partition for u in f.valid} == {"Development"}
        assert {by_uid[u].partition for u in f.test} == {f.name.removeprefix("test=")}
        assert_speaker_disjoint(f, by_uid)
    # Without labelled Test2 utterances there is only the Test1 fold.
    only1 = [u for u in us if u.partition != "Test2"]
    assert [f.name for f in get_adapter("msp-podcast").folds(only1, "official")] == ["test=Test1"]


def test_speaker_5fold(tmp_path: Path) -> None:
    us = get_adapter("crema-d").load(make_crema(tmp_path), verify_audio=False).utterances
    folds = get_adapter("crema-d").folds(us, "speaker-5fold")
    assert [f.name for f in folds] == [f"test=actors-{k}" for k in range(1, 6)]
    _check_common(folds, us)
    tested = [u for f in folds for u in f.test]
    assert sorted(tested) == sorted(u.uid for u in us)
    for f in folds:
        assert f.valid and len(f.train) + len(f.valid) + len(f.test) == len(us)
    assert folds == get_adapter("crema-d").folds(list(reversed(us)), "speaker-5fold")


def test_speaker_kfold_on_91_actors_balances_groups() -> None:
    us = [_utt(f"a{a}_{i}", str(a)) for a in range(1001, 1092) for i in range(3)]
    folds = speaker_kfold(us)
    sizes = sorted(len(f.test) // 3 for f in folds)
    assert sizes == [18, 18, 18, 18, 19]
    # validation = the whole next group (held out of training); the old half-group rule stays available
    for j, f in enumerate(folds):
        assert {u.split("_")[0] for u in f.valid} == {u.split("_")[0] for u in folds[(j + 1) % 5].test}
        assert len({u.split("_")[0] for u in f.train}) == 91 - len(f.test) // 3 - len(f.valid) // 3
    assert all(len({u.split("_")[0] for u in f.valid}) == 9 for f in speaker_kfold(us, validation="half-group"))


def test_leak_is_refused_and_none_speakers_are_not_checked() -> None:
    by_uid = {u.uid: u for u in (_utt("a", "s1"), _utt("b", "s1"), _utt("c", None), _utt("d", None), _utt("e", "s2"))}
    assert_speaker_disjoint(Fold("ok", ("c", "e"), (), ("d", "a")), by_uid)
    with pytest.raises(SpeakerLeak, match="s1.*train"):
        assert_speaker_disjoint(Fold("bad", ("a",), (), ("b",)), by_uid)
    with pytest.raises(SpeakerLeak, match="s1.*valid"):
        assert_speaker_disjoint(Fold("bad", ("e",), ("a",), ("b",)), by_uid)


def test_official_split_with_shared_speaker_raises() -> None:
    us = [_utt("t", "s1", partition="Train", corpus="msp-podcast"), _utt("x", "s1", partition="Test1", corpus="msp-podcast")]
    with pytest.raises(SpeakerLeak):
        get_adapter("msp-podcast").folds(us, "official")


def test_wrong_protocol_for_corpus(iemocap: list[Utterance]) -> None:
    with pytest.raises(KeyError, match="known: loso"):
        get_adapter("iemocap").folds(iemocap, "speaker-5fold")


def test_registry_of_adapters() -> None:
    assert {a: corpus_info(a).protocols for a in CORPORA} == {
        "iemocap": ("loso",), "msp-podcast": ("official",), "crema-d": ("speaker-5fold",)}
    with pytest.raises(KeyError, match="did you mean crema-d"):
        get_adapter("crema_d")
