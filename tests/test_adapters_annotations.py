"""The field's other half, read from the real layouts: dims, annotator votes, gender, no-consensus utterances.

Hand-made trees (`tests/support/corpora.py`) in the three corpora's formats: IEMOCAP evaluator lines (one
naming two classes, self-evaluations that must not count, per-evaluator files to cross-check), MSP-Podcast's
labels_detailed in its three layouts, CREMA-D's voice-only ratings in its two rater files.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import make_folds
from dataset_adapters.base import corpus_info, get_adapter
from dataset_adapters.types import CorpusError, Dims, Utterance, Votes
from tests.support.corpora import Row, iemocap_tree, make_crema, make_msp, quirky_iemocap

IEMOCAP, MSP, CREMA = get_adapter("iemocap"), get_adapter("msp-podcast"), get_adapter("crema-d")


def _one_dialog(rows: list[Row]):  # type: ignore[no-untyped-def]
    return lambda s: {f"Ses0{s}F_impro01": [r._replace(uid=r.uid.replace("Ses01", f"Ses0{s}")) for r in rows]}


def _tree(tmp_path: Path, rows: list[Row]) -> Path:
    return iemocap_tree(tmp_path, sessions=5, dialogs=_one_dialog(rows))


# ---------------------------------------------------------------- corpus facts
def test_each_corpus_declares_its_tasks_and_dims_scale() -> None:
    assert corpus_info("iemocap").tasks == ("categorical", "dimensional", "soft")
    assert corpus_info("iemocap").dims_scale == (1.0, 5.0)
    assert corpus_info("msp-podcast").tasks == ("categorical", "dimensional", "soft")
    assert corpus_info("msp-podcast").dims_scale == (1.0, 7.0)
    assert corpus_info("crema-d").tasks == ("categorical", "soft") and corpus_info("crema-d").dims_scale is None


# ---------------------------------------------------------------- IEMOCAP
@pytest.fixture(scope="module")
def quirky(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = quirky_iemocap(tmp_path_factory.mktemp("q"))
    return root, IEMOCAP.load(root)


def test_iemocap_dims_are_the_consensus_bracket_in_v_a_d_order(quirky) -> None:  # type: ignore[no-untyped-def]
    _, report = quirky
    u = next(u for u in report.utterances if u.uid == "iemocap:Ses01F_impro01_M001")
    assert u.dims == Dims(arousal=3.0, valence=2.5, dominance=2.5, scale=(1.0, 5.0))  # bracket [2.5, 3.0, 2.5]
    assert u.gender == "M" and u.label == "ang"


def test_iemocap_votes_split_a_two_class_line_and_ignore_self_evaluations(quirky) -> None:  # type: ignore[no-untyped-def]
    _, report = quirky
    u = next(u for u in report.utterances if u.uid == "iemocap:Ses01F_impro01_M001")  # ang
    # C-E1 Anger, C-E2 Anger, C-E3 "Anger; Other;" (split 0.5 + 0.5), C-F1 Neutral state (self: not a vote)
    assert u.votes == Votes(counts=(("neu", 0.0), ("hap", 0.0), ("ang", 2.5), ("sad", 0.0), ("oth", 0.5)),
                            raw=(("ang", 2.5), ("oth", 0.5)), annotators=3)
    assert sum(v for _, v in u.votes.counts) == u.votes.annotators
    assert u.votes.distribution()["ang"] == pytest.approx(2.5 / 3)


def test_iemocap_votes_go_through_the_label_map(quirky) -> None:  # type: ignore[no-untyped-def]
    root, _ = quirky
    four = {u.uid: u for u in IEMOCAP.load(root).utterances}
    six = {u.uid: u for u in IEMOCAP.load(root, label_map="iemocap-6").utterances}
    uid = "iemocap:Ses01F_impro01_M000"  # exc: merged into hap by iemocap-4, its own class in iemocap-6
    assert four[uid].votes.as_dict()["hap"] == 2.5 and "exc" not in four[uid].votes.as_dict()
    assert six[uid].votes.as_dict()["exc"] == 2.5 and six[uid].votes.as_dict()["hap"] == 0.0
    assert four[uid].votes.raw == six[uid].votes.raw == (("exc", 2.5), ("oth", 0.5))
    assert [c for c, _ in six[uid].votes.counts] == ["neu", "hap", "ang", "sad", "exc", "fru", "oth"]


def test_iemocap_no_consensus_and_outside_map_turns_are_kept_apart_with_dims_and_votes(quirky) -> None:  # type: ignore[no-untyped-def]
    _, report = quirky
    assert report.filtered == {"fru": 5, "xxx": 5}  # still counted, still out of the categorical task
    assert all(u.label is not None for u in report.utterances)
    assert {u.label_raw for u in report.no_consensus} == {"xxx"} and len(report.no_consensus) == 5
    assert {u.label_raw for u in report.outside_map} == {"fru"} and len(report.outside_map) == 5
    for u in report.no_consensus + report.outside_map:
        assert u.label is None and u.dims is not None and u.votes is not None and u.votes.annotators == 3
    xxx = next(u for u in report.no_consensus if u.uid == "iemocap:Ses01F_impro01_F001")
    # C-E1 Anger, C-E2 Sadness, C-E3 "Neutral state; Other;": no class named by a majority
    assert xxx.votes.raw == (("neu", 0.5), ("ang", 1.0), ("sad", 1.0), ("oth", 0.5))
    fru = next(u for u in report.outside_map if u.uid == "iemocap:Ses01F_impro01_F002")
    assert fru.votes.as_dict()["oth"] == 3.0  # Frustration is outside iemocap-4: counted under oth, not dropped
    # contexts name only categorical utterances
    kept = {u.uid for u in report.utterances}
    assert all(c in kept for u in report.all_utterances() for c in u.context)
    assert xxx.context == ("iemocap:Ses01F_impro01_F003", "iemocap:Ses01F_impro01_F000", "iemocap:Ses01F_impro01_M000")


def test_folds_are_made_over_categorical_and_no_consensus_utterances_together(quirky) -> None:  # type: ignore[no-untyped-def]
    _, report = quirky
    everything = report.utterances + report.no_consensus
    folds = make_folds("iemocap", everything)
    assert sorted(u for f in folds for u in f.test) == sorted(u.uid for u in everything)
    assert len(folds) == 5


def test_per_evaluator_files_agreeing_with_the_main_file_give_no_disagreement_note(quirky) -> None:  # type: ignore[no-untyped-def]
    _, report = quirky
    notes = [n for n in report.notes if n.kind == "evaluator-file"]
    # one "[garbage line" per per-evaluator file (7 dialogues x Categorical + Attribute), nothing else
    assert len(notes) == 14 and all("not compared" in n.message for n in notes)
    assert sum(n.kind == "ignored-file" for n in report.notes) == 5  # the Self-evaluation folders


def test_a_per_evaluator_file_that_disagrees_is_a_counted_note_not_a_problem(tmp_path: Path) -> None:
    root = quirky_iemocap(tmp_path)
    cat = root / "Session2" / "dialog" / "EmoEvaluation" / "Categorical" / "Ses02F_impro01_e2_cat.txt"
    cat.write_text(cat.read_text().replace("Ses02F_impro01_M001 :Anger;", "Ses02F_impro01_M001 :Sadness;"))
    atr = root / "Session2" / "dialog" / "EmoEvaluation" / "Attribute" / "Ses02F_impro01_e2_atr.txt"
    atr.write_text(atr.read_text().replace("Ses02F_impro01_M001 :act 3;", "Ses02F_impro01_M001 :act 5;"))
    report = IEMOCAP.load(root)
    assert report.skipped == []
    disagree = [n for n in report.notes if n.kind == "evaluator-file" and "not compared" not in n.message]
    assert [(Path(n.path).name, n.line) for n in disagree] == [(cat.name, 5), (atr.name, 5)]  # line 1: "[garbage"
    assert "['sad'] here, ['ang'] on C-E2" in disagree[0].message


def test_several_classes_unknown_class_and_bad_dimension_lines_name_file_and_line(tmp_path: Path) -> None:
    rows = [
        Row(1.0, 1.5, "Ses01F_impro01_F000", "ang", "No.", annotators=(
            "C-E1:\tFrustration; Anger;\t()", "C-E2:\tAnger;\t()", "C-E5:\tAnger; Sadness; Other;\t(mixed)",
            "A-E1:\tval 1; act 4; dom  4;\t()", "A-E2:\tval 2; act 4; dom  5;\t()"), vad="[1.5000, 4.0000, 4.5000]"),
        Row(2.0, 2.5, "Ses01F_impro01_M000", "neu", "Yes.", annotators=(
            "C-E1:\tBoredom;\t()", "C-E2:\tNeutral;\t()", "A-E1:\tval 3; act 9; dom  3;\t()",
            "A-E2:\tval 3; dom 3;\t()", "C-Q1:\tNeutral;\t()", "A-E2:\tval 3; act 2; dom  3;\t()")),
        Row(3.0, 3.5, "Ses01F_impro01_F001", "sad", "Oh.", annotators=("A-E1:\tval 2; act 2; dom  2;\t()",)),
    ]
    root = _tree(tmp_path, rows)
    ev = root / "Session1" / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt"
    lines = ev.read_text().splitlines()
    with pytest.raises(CorpusError) as e:
        IEMOCAP.load(root)
    ours = [p for p in e.value.problems if p.path == str(ev)]
    by_line = {p.line: p.message for p in ours}
    assert "unknown class name(s) 'Boredom'" in by_line[lines.index("C-E1:\tBoredom;\t()") + 1]
    assert "rating outside the 1-5 scale" in by_line[lines.index("A-E1:\tval 3; act 9; dom  3;\t()") + 1]
    assert "no act rating" in by_line[lines.index("A-E2:\tval 3; dom 3;\t()") + 1]
    assert "unknown annotator 'Q1'" in by_line[lines.index("C-Q1:\tNeutral;\t()") + 1]
    assert "has no evaluator line" in by_line[lines.index(next(x for x in lines if "F001" in x)) + 1]
    # skip: the annotator data is left out, the turns stay (consensus label and dims are fine)
    report = IEMOCAP.load(root, on_error="skip")
    by_uid = {u.uid.split(":")[1]: u for u in report.utterances}
    assert {"Ses01F_impro01_F000", "Ses01F_impro01_M000", "Ses01F_impro01_F001"} <= set(by_uid)
    f000 = by_uid["Ses01F_impro01_F000"].votes
    assert [c for c, _ in f000.raw] == ["ang", "sad", "fru", "oth"]
    assert [v for _, v in f000.raw] == pytest.approx([0.5 + 1 + 1 / 3, 1 / 3, 0.5, 1 / 3], abs=1e-5)
    assert f000.as_dict()["ang"] == pytest.approx(0.5 + 1 + 1 / 3, abs=1e-5)
    assert f000.as_dict()["oth"] == pytest.approx(0.5 + 1 / 3, abs=1e-5)  # Frustration and Other under iemocap-4
    assert f000.annotators == 3
    assert by_uid["Ses01F_impro01_M000"].votes.annotators == 1  # the Boredom line was left out
    assert by_uid["Ses01F_impro01_F001"].votes is None
    assert by_uid["Ses01F_impro01_F000"].dims == Dims(4.0, 1.5, 4.5, (1.0, 5.0))


def test_a_malformed_consensus_bracket_is_a_problem_and_the_turn_keeps_no_dims(tmp_path: Path) -> None:
    rows = [Row(1.0, 1.5, "Ses01F_impro01_F000", "neu", "Hi.", vad="[2.5, x, 3]"),
            Row(2.0, 2.5, "Ses01F_impro01_M000", "neu", "Hey.", vad="[2.5, 6.0, 3.0]")]
    root = _tree(tmp_path, rows)
    with pytest.raises(CorpusError, match=r"not three numbers.*\n.*outside the 1-5 scale"):
        IEMOCAP.load(root)
    report = IEMOCAP.load(root, on_error="skip")
    assert {u.uid: u.dims for u in report.utterances if "Ses01" in u.uid} == {
        "iemocap:Ses01F_impro01_F000": None, "iemocap:Ses01F_impro01_M000": None}


def test_consensus_dims_that_are_not_the_evaluators_mean_are_noted(tmp_path: Path) -> None:
    rows = [Row(1.0, 1.5, "Ses01F_impro01_F000", "neu", "Hi.", vad="[4.0000, 3.0000, 2.5000]")]
    report = IEMOCAP.load(_tree(tmp_path, rows))
    notes = [n for n in report.notes if n.kind == "dims-mean"]
    assert len(notes) == 5 and "is not the mean [2.5, 3.0, 2.5] of its 2 A-E line(s)" in notes[0].message


# ---------------------------------------------------------------- MSP-Podcast
@pytest.mark.parametrize("detailed", ["csv", "csv-columns", "json"])
def test_msp_votes_from_every_per_annotator_layout(tmp_path: Path, detailed: str) -> None:
    report = MSP.load(make_msp(tmp_path, detailed=detailed))
    by = {u.uid.removeprefix("msp-podcast:MSP-PODCAST_"): u for u in report.all_utterances()}
    h = by["0001_0001"]  # H: 3 Happy, 1 Neutral, 1 Other-Curious
    assert h.votes.annotators == 5 and h.votes.as_dict() == {
        "ang": 0, "sad": 0, "hap": 3, "sur": 0, "fea": 0, "dis": 0, "con": 0, "neu": 1, "oth": 1}
    assert h.dims == Dims(arousal=4.2, valence=3.8, dominance=4.0, scale=(1.0, 7.0))
    assert (h.gender, by["0001_0004"].gender, by["0002_0002"].gender) == ("F", "M", None)
    assert not [n for n in report.notes if n.kind in ("dims-mean", "no-votes")]
    x = next(u for u in report.no_consensus)
    assert x.uid.endswith("0001_0002") and x.label is None and max(x.votes.as_dict().values()) == 1
    assert [u.label_raw for u in report.outside_map] == ["O"]


def test_msp_msp4_counts_the_other_classes_under_oth(tmp_path: Path) -> None:
    report = MSP.load(make_msp(tmp_path), label_map="msp-4")
    u = next(u for u in report.outside_map if u.label_raw == "U")
    assert u.votes.as_dict() == {"neu": 1, "hap": 0, "ang": 0, "sad": 0, "oth": 4}


def test_msp_bad_per_annotator_rows_name_file_and_line(tmp_path: Path) -> None:
    root = make_msp(tmp_path)
    det = root / "Labels" / "labels_detailed.csv"
    lines = det.read_text().splitlines()
    lines[1] = lines[1].replace("Neutral;", "Bored;")  # unknown primary emotion
    lines[2] = lines[2].replace("A:4.0", "A:9.0")  # outside 1-7
    lines[3] = re.sub(r" V:[\d.]+;", "", lines[3])  # no V rating
    lines.append(lines[4])  # the same worker twice: a note, the first counts
    det.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorpusError) as e:
        MSP.load(root)
    got = sorted((p.line, p.message) for p in e.value.problems)
    assert [line for line, _ in got] == [2, 3, 4] and all(p.path == str(det) for p in e.value.problems)
    assert got[0][1].startswith("unknown primary emotion 'Bored'")
    assert "rating 9 outside the 1-7 scale" in got[1][1] and got[2][1].startswith("no V: rating")
    report = MSP.load(root, on_error="skip")
    first = next(u for u in report.utterances if u.uid.endswith("0001_0003"))
    assert first.votes.annotators == 2  # 5 rows, 3 bad ones left out
    assert [n.line for n in report.notes if n.kind == "duplicate-annotation"] == [len(lines)]


def test_msp_without_a_per_annotator_file_has_no_votes_and_says_so(tmp_path: Path) -> None:
    report = MSP.load(make_msp(tmp_path, detailed=None))
    assert all(u.votes is None for u in report.all_utterances()) and all(u.dims for u in report.utterances)
    assert [n.kind for n in report.notes] == ["no-votes", "cp1252-line"]


def test_msp_consensus_dims_that_are_not_the_annotators_mean_are_noted(tmp_path: Path) -> None:
    root = make_msp(tmp_path)
    labels = root / "Labels" / "labels_consensus.csv"
    labels.write_text(labels.read_text().replace("MSP-PODCAST_0001_0001.wav,H,4.2", "MSP-PODCAST_0001_0001.wav,H,6.2"))
    notes = [n for n in MSP.load(root).notes if n.kind == "dims-mean"]
    assert len(notes) == 1 and notes[0].line == 3 and "0001_0001" in notes[0].message


def test_msp_unreadable_dims_in_a_labelled_row_is_a_problem(tmp_path: Path) -> None:
    root = make_msp(tmp_path)
    labels = root / "Labels" / "labels_consensus.csv"
    labels.write_text(labels.read_text().replace("MSP-PODCAST_0001_0004.wav,A,4.2", "MSP-PODCAST_0001_0004.wav,A,high"))
    with pytest.raises(CorpusError, match=r"labels_consensus.csv:5: MSP-PODCAST_0001_0004: EmoAct/EmoVal/EmoDom"):
        MSP.load(root)


# ---------------------------------------------------------------- CREMA-D
@pytest.mark.parametrize("votes", ["tabulated", "responses"])
def test_crema_votes_are_the_voice_only_ratings(tmp_path: Path, votes: str) -> None:
    report = CREMA.load(make_crema(tmp_path, votes=votes))
    u = next(u for u in report.utterances if u.uid == "crema-d:1001_DFA_ANG_XX")
    # 6 Anger, 3 Neutral, 1 Sad in the voice rows; the face-only rows (all Happy) are not counted
    assert u.votes.as_dict() == {"ang": 6, "dis": 0, "fea": 0, "hap": 0, "neu": 3, "sad": 1, "oth": 0}
    assert u.votes.annotators == 10 and u.dims is None
    assert {x.gender for x in report.utterances if x.speaker == "1001"} == {"M"}
    assert {x.gender for x in report.utterances if x.speaker == "1002"} == {"F"}
    assert report.notes == [] and report.no_consensus == []


def test_crema_shared4_counts_fear_and_disgust_votes_under_oth(tmp_path: Path) -> None:
    report = CREMA.load(make_crema(tmp_path), label_map="shared-4")
    u = next(u for u in report.outside_map if u.uid == "crema-d:1001_ITS_FEA_XX")
    assert u.label is None and u.votes.as_dict() == {"neu": 3, "hap": 0, "ang": 0, "sad": 1, "oth": 6}


def test_crema_without_rater_files_or_demographics_says_so(tmp_path: Path) -> None:
    root = make_crema(tmp_path, votes=None)
    (root / "VideoDemographics.csv").unlink()
    report = CREMA.load(root)
    assert all(u.votes is None and u.gender is None for u in report.utterances)
    assert report.note_counts() == {"no-gender": 1, "no-votes": 1}


def test_crema_bad_rater_rows_and_a_rated_clip_without_audio(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    tab = root / "processedResults" / "tabulatedVotes.csv"
    lines = tab.read_text().splitlines()
    lines[1] = lines[1].replace('"100001",6,', '"100001",7,')  # no longer adds up to numResponses
    lines.insert(3, '"107443",0,0,0,1,0,0,"ANG_HI_practice",1,1,"H"' + ",50" * 16)  # a practice item
    tab.write_text("\n".join(lines) + "\n")
    gone = root / "AudioWAV" / "1003_IEO_HAP_HI.wav"
    gone.unlink()
    with pytest.raises(CorpusError) as e:
        CREMA.load(root)
    assert sorted((Path(p.path).name, p.line) for p in e.value.problems) == [
        ("1003_IEO_HAP_HI.wav", None), ("tabulatedVotes.csv", 2)]
    assert "rated at" in next(p for p in e.value.problems if p.line is None).message
    report = CREMA.load(root, on_error="skip")
    assert next(u for u in report.utterances if u.uid == "crema-d:1001_DFA_ANG_XX").votes is None
    assert report.note_counts() == {"no-votes": 1, "not-a-clip": 1}


def test_actor_listed_without_clips_is_missing_and_unlisted_actor_has_no_gender(tmp_path: Path) -> None:
    root = make_crema(tmp_path)
    demo = root / "VideoDemographics.csv"
    demo.write_text(demo.read_text().replace("1007,", "1099,"))
    report = CREMA.load(root)
    assert [p.message for p in report.missing] == ["actor 1099 is listed but has no clip in AudioWAV/"]
    assert {u.gender for u in report.utterances if u.speaker == "1007"} == {None}
    assert report.note_counts()["no-gender"] == 6


# ---------------------------------------------------------------- the record types
def test_utterance_with_annotations_is_hashable_and_round_trips_through_json(quirky) -> None:  # type: ignore[no-untyped-def]
    _, report = quirky
    for u in report.all_utterances():
        back = Utterance.from_json(json.loads(json.dumps(u.to_json())))
        assert back == u and hash(back) == hash(u)
    assert len(set(report.all_utterances())) == len(report.all_utterances())
    old = {k: v for k, v in report.utterances[0].to_json().items() if k not in ("gender", "dims", "votes")}
    assert Utterance.from_json(old).dims is None  # a manifest written before v5 of the types still reads
