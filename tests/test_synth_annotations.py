"""Generator v5's annotations: expressive and reserved speakers, dims that follow the cue, annotators whose
agreement follows the cue's clarity, all written in the real layouts and read back by the real readers.

Plan-level properties use the plans (no audio: IEMOCAP `full` has ~10k turns, enough for stable statistics);
read-back properties use the shared tiny trees.
"""
from __future__ import annotations

import wave
from collections import defaultdict
from functools import lru_cache

import numpy as np
import pytest

from dataset_adapters.base import get_adapter
from dataset_adapters.synth import crema_layout, iemocap_layout, msp_layout
from dataset_adapters.synth.annotate import EXPRESSIVENESS_RANGE, SCHEMES, _winner, expressiveness
from dataset_adapters.synth.cues import read_cues
from tests.support.synth import tiny_tree


@lru_cache(maxsize=None)
def iemocap_full() -> list:
    return iemocap_layout.plan("full", 0)[0]


@lru_cache(maxsize=None)
def loaded(layout: str):  # type: ignore[no-untyped-def]
    root, _ = tiny_tree(layout)
    return root, get_adapter(layout).load(root)


def _mean(xs: list[float]) -> float:
    assert xs
    return float(np.mean(xs))


# ---------------------------------------------------------------- read back through the real readers
@pytest.mark.parametrize("layout", ["iemocap", "msp-podcast", "crema-d"])
def test_generated_trees_read_back_with_gender_votes_and_dims(layout: str) -> None:
    _, report = loaded(layout)
    assert not report.skipped and not report.missing
    assert set(report.note_counts()) <= {"cp1252-line"}  # the XX lines' latin-1 byte, as in the real corpus
    everything = report.all_utterances()
    assert all(u.gender in ("F", "M") for u in everything if u.speaker is not None)
    assert all(u.gender is None for u in everything if u.speaker is None)  # MSP-Podcast's Unknown speakers
    lo, hi = {"iemocap": (3, 4), "msp-podcast": (5, 7), "crema-d": (6, 12)}[layout]
    assert all(lo <= u.votes.annotators <= hi for u in everything)
    if layout == "crema-d":
        assert all(u.dims is None for u in everything) and not report.no_consensus
        return
    scale = {"iemocap": (1.0, 5.0), "msp-podcast": (1.0, 7.0)}[layout]
    assert all(u.dims is not None and u.dims.scale == scale for u in everything)
    assert report.no_consensus and all(u.votes and u.dims for u in report.no_consensus)
    spread = np.std([u.dims.arousal for u in everything])
    assert spread > 0.2, "arousal varies between utterances"


def test_the_planned_label_is_the_consensus_of_the_written_votes() -> None:
    """IEMOCAP: the class most evaluators named (and more than any other); MSP-Podcast: a strict plurality;
    no-consensus turns have no such class."""
    for layout, rule in (("iemocap", "majority"), ("msp-podcast", "plurality")):
        plan = iemocap_full() if layout == "iemocap" else msp_layout.plan("small", 0)
        for u in plan:
            label = u.label if layout == "iemocap" else msp_layout.CODE_TO_EMOTION[u.code]
            won = _winner(list(u.annotation.votes), rule)
            assert won == (None if label == "xxx" else label), (layout, u, u.annotation.votes)


def test_read_back_votes_and_dims_are_the_written_ones() -> None:
    plan = {f"iemocap:{u.uid}": u for u in iemocap_layout.plan("tiny", 0)[0]}
    _, report = loaded("iemocap")
    for u in report.all_utterances():
        ann = plan[u.uid].annotation
        a, v, d = ann.consensus
        assert (u.dims.arousal, u.dims.valence, u.dims.dominance) == pytest.approx((a, v, d), abs=1e-4)
        assert u.votes.annotators == len(ann.votes)
        assert sum(dict(u.votes.raw).values()) == pytest.approx(len(ann.votes))


# ---------------------------------------------------------------- dims follow the class and the right channel
def test_consensus_dims_follow_the_class() -> None:
    by: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for u in iemocap_full():
        by[u.label].append(u.annotation.consensus)
    arousal = {k: _mean([x[0] for x in v]) for k, v in by.items()}
    valence = {k: _mean([x[1] for x in v]) for k, v in by.items()}
    assert arousal["exc"] > arousal["ang"] > arousal["neu"] > arousal["sad"]
    assert valence["hap"] > valence["neu"] > valence["ang"] and valence["neu"] > valence["sad"]
    assert abs(arousal["neu"] - 3.0) < 0.1 and abs(valence["neu"] - 3.0) < 0.1


def test_arousal_is_carried_by_the_prosody_and_valence_by_the_words() -> None:
    """Fair for a speech-only arousal check: where only the words carry the emotion, arousal stays neutral."""
    def dims(label: str, cue_type: str) -> np.ndarray:
        return np.array([u.annotation.true_dims for u in iemocap_full()
                         if u.label == label and u.cue.cue_type == cue_type])

    for label in ("ang", "exc"):
        words, prosody = dims(label, "words"), dims(label, "prosody")
        assert abs(words[:, 0].mean() - 3.0) < 0.25, "words-only: arousal near neutral"
        assert prosody[:, 0].mean() - words[:, 0].mean() > 0.4, "prosody: arousal moved"
    sad_words, sad_prosody = dims("sad", "words"), dims("sad", "prosody")
    assert sad_prosody[:, 0].mean() < sad_words[:, 0].mean() - 0.3
    hap_words, hap_prosody = dims("hap", "words"), dims("hap", "prosody")
    assert hap_words[:, 1].mean() - 3.0 > 1.5 * (hap_prosody[:, 1].mean() - 3.0) > 0, "valence: mostly the words"


def test_speech_can_hear_the_arousal_of_the_generated_clips() -> None:
    """Measured on the audio: the cue phrase's loudness relative to the rest of its clip rises with arousal."""
    xs, ys = [], []
    for layout in ("iemocap", "msp-podcast"):
        root, report = loaded(layout)
        cues = read_cues(root)
        for u in report.all_utterances():
            c = cues[u.uid]
            with wave.open(u.audio, "rb") as w:
                x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
            a, b = (int(t * 16000) for t in c.time_span)
            inside, outside = x[a:b], np.concatenate([x[:a], x[b:]])
            if inside.size and outside.size:
                xs.append(10 * np.log10(np.mean(inside ** 2) / np.mean(outside ** 2)))
                lo, hi = u.dims.scale
                ys.append((u.dims.arousal - lo) / (hi - lo))
    assert len(xs) > 60
    assert np.corrcoef(xs, ys)[0, 1] > 0.3


# ---------------------------------------------------------------- agreement follows the cue's clarity
def test_agreement_is_lower_where_the_cue_is_weak_or_contradicting() -> None:
    emotional = [u for u in iemocap_full() if u.label in ("hap", "exc", "ang", "sad")]
    by_type = defaultdict(list)
    for u in emotional:
        by_type[u.cue.cue_type].append(u.annotation.agreement)
    agree = {k: _mean(v) for k, v in by_type.items()}
    assert agree["both"] > agree["words"] > agree["muted"]
    assert agree["both"] > agree["prosody"] > agree["contradict"]
    prosody = [u for u in emotional if u.cue.cue_type == "prosody"]
    weak = [u.annotation.agreement for u in prosody if u.intensity < 0.5]
    strong = [u.annotation.agreement for u in prosody if u.intensity > 1.0]
    assert _mean(strong) > _mean(weak) + 0.05
    # and contradicting words pull the disagreeing evaluators towards the words' emotion
    contra = [u for u in emotional if u.cue.cue_type == "contradict"]
    pulled = sum(any(u.cue.word_emotion in v for v in u.annotation.votes) for u in contra) / len(contra)
    assert pulled > 0.3


def test_msp_and_crema_agreement_follow_the_cue_too() -> None:
    segs = [s for s in msp_layout.plan("small", 0) if s.code in "AHS"]
    agree = {t: _mean([s.annotation.agreement for s in segs if s.cue.cue_type == t]) for t in ("both", "contradict")}
    assert agree["both"] > agree["contradict"]
    clips = crema_layout.plan("small", 0)
    neutral_prosody = [c.annotation.agreement for c in clips if c.emotion != "NEU" and c.intensity < 0.5]
    strong = [c.annotation.agreement for c in clips if c.emotion != "NEU" and c.intensity > 1.0]
    assert _mean(strong) > _mean(neutral_prosody)
    assert 0.3 < _mean([c.annotation.agreement for c in clips]) < 0.7  # voice-only raters are often wrong (real: ~41 %)


# ---------------------------------------------------------------- speakers differ
def test_speakers_differ_in_how_strongly_they_voice_and_word_emotion() -> None:
    utts = iemocap_full()
    by_speaker: dict[str, list] = defaultdict(list)
    for u in utts:
        by_speaker[f"Ses{u.session:02d}_{u.gender}"].append(u)
    levels = {s: us[0].expressiveness for s, us in by_speaker.items()}
    assert len(levels) == 10 and max(levels.values()) / min(levels.values()) > 1.8
    assert all(EXPRESSIVENESS_RANGE[0] <= e <= EXPRESSIVENESS_RANGE[1] for e in levels.values())
    assert all(levels[s] == expressiveness(0, "iemocap", s) for s in levels)  # drawn once per speaker
    intensity = {s: _mean([u.intensity for u in us if u.cue.prosody_emotion != "neu"]) for s, us in by_speaker.items()}
    order = sorted(levels, key=levels.get)  # type: ignore[arg-type]
    assert intensity[order[-1]] > 1.5 * intensity[order[0]], "voiced more strongly"
    muted = {s: _mean([u.cue.words_muted for u in us if u.cue.cue_type in ("words", "muted", "both", "contradict")
                       or u.cue.words_muted]) for s, us in by_speaker.items()}
    assert muted[order[0]] > 0.1 and muted[order[-1]] == 0.0, "worded less strongly by the reserved speaker"
    agreement = {s: _mean([u.annotation.agreement for u in us if u.label in ("hap", "exc", "ang", "sad")])
                 for s, us in by_speaker.items()}
    assert agreement[order[-1]] - agreement[order[0]] > 0.05


def test_expressiveness_changes_realism_not_the_balance_between_modalities() -> None:
    """Median E is 1: across speakers the cue mix and the mean prosodic intensity stay where v4 had them."""
    utts = [u for u in iemocap_full() if u.label in ("hap", "exc", "ang", "sad")]
    prosodic = [u.intensity for u in utts if u.cue.prosody_emotion != "neu"]
    assert 0.75 < _mean(prosodic) < 1.05  # v4: max(N(0.85, 0.3), 0.4) clipped, mean ~0.88
    assert _mean([u.cue.words_muted for u in utts]) < 0.08


def test_the_cue_sidecar_carries_expressiveness_dims_and_agreement() -> None:
    for layout in ("iemocap", "msp-podcast", "crema-d"):
        root, report = loaded(layout)
        cues = read_cues(root)
        by_speaker = defaultdict(set)
        for u in report.all_utterances():
            c = cues[u.uid]
            by_speaker[u.speaker].add(c.expressiveness)
            assert c.expressiveness is not None and c.agreement is not None
            if layout == "crema-d":
                assert c.dims is None
            else:
                lo, hi = u.dims.scale
                assert all(lo <= x <= hi for x in c.dims)
                assert abs(c.dims[0] - u.dims.arousal) < 2.0
            if layout != "iemocap" and u.label is not None:  # one class per annotator: agreement is the vote share
                assert c.agreement == pytest.approx(u.votes.as_dict()[u.label] / u.votes.annotators, abs=1e-3)
        if layout != "msp-podcast":  # MSP's unknown-speaker podcasts share speaker None
            assert all(len(v) == 1 for v in by_speaker.values()), "one level per speaker"


def test_crema_rater_files_agree_with_each_other(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    root, report = loaded("crema-d")
    copy = tmp_path / "c"
    shutil.copytree(root, copy)
    (copy / "processedResults" / "tabulatedVotes.csv").unlink()  # now tallied from finishedResponses.csv
    again = get_adapter("crema-d").load(copy)
    assert [u.votes for u in again.utterances] == [u.votes for u in report.utterances]


def test_schemes_match_the_documented_annotator_counts() -> None:
    assert SCHEMES["iemocap"].n_votes == (3, 3) and SCHEMES["msp-podcast"].n_votes == (5, 7)
    assert SCHEMES["crema-d"].n_votes == (6, 12) and SCHEMES["crema-d"].scale is None
