"""Planning without audio: the full scale's counts, the text/prosody design that makes fusion pay."""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from dataset_adapters.synth import crema_layout, iemocap_layout, lexicon, msp_layout
from dataset_adapters.synth.prosody import PROFILES, clip_prosody, make_speakers


def test_iemocap_full_matches_the_real_4_class_counts() -> None:
    utts, speakers = iemocap_layout.plan("full", 0)
    kept = [u for u in utts if u.label in iemocap_layout.KEPT_4]
    assert len(kept) == 5531
    assert Counter(u.label for u in kept) == Counter({"neu": 1708, "hap": 595, "exc": 1041, "ang": 1103, "sad": 1084})
    assert [sum(1 for u in kept if u.session == s) for s in range(1, 6)] == [1085, 1023, 1151, 1031, 1241]
    assert len(speakers) == 10 and len({u.uid for u in utts}) == len(utts)
    # long turns are made by joining sentences: a real-looking tail
    n_sent = np.array([u.clip.spoken.count(".") + u.clip.spoken.count("!") + u.clip.spoken.count("?") for u in utts])
    assert 1.4 < n_sent.mean() < 2.4 and n_sent.max() >= 8
    assert any(re.search(r"_script01_1b_M01\d$", u.uid) for u in utts)


def test_iemocap_small_is_a_few_hundred_kept_and_balanced_enough() -> None:
    utts, _ = iemocap_layout.plan("small", 0)
    kept = Counter("hap" if u.label == "exc" else u.label for u in utts if u.label in iemocap_layout.KEPT_4)
    assert sum(kept.values()) == 300 and min(kept.values()) >= 60


def test_crema_full_has_every_actor_sentence_emotion_and_ieo_level() -> None:
    clips = crema_layout.plan("full", 0)
    assert len(clips) == 91 * (11 * 6 + 1 + 5 * 3)
    assert len({c.actor.sid for c in clips}) == 91 and {c.actor.sid for c in clips} >= {"1001", "1091"}


def test_msp_small_has_about_a_dozen_speakers_and_every_partition() -> None:
    segs = msp_layout.plan("small", 0)
    named = {s.speaker.sid for s in segs if s.known}
    assert 10 <= len(named) <= 14
    assert {s.partition for s in segs} == set(msp_layout.PARTITIONS)
    assert 250 <= len(segs) <= 350


@pytest.mark.parametrize("plan", [
    lambda: [(u.label, u.text_kind) for u in iemocap_layout.plan("full", 0)[0] if u.label in iemocap_layout.KEPT_4],
    lambda: [(s.code, s.text_kind) for s in msp_layout.plan("small", 0) if s.code not in "XO"],
])
def test_about_30_percent_of_texts_do_not_carry_the_label(plan) -> None:  # type: ignore[no-untyped-def]
    kinds = Counter(kind for _, kind in plan())
    off = (kinds["misleading"] + kinds["neutral-words"]) / sum(kinds.values())
    assert 0.22 < off < 0.38 and kinds["misleading"] > 0 and kinds["neutral-words"] > 0


def test_sentences_are_plain_words_without_digits_or_leftover_slots() -> None:
    rng = np.random.default_rng(0)
    for emotion in lexicon.TEMPLATES:
        for _ in range(50):
            s = lexicon.sentence(emotion, rng)
            assert not re.search(r"[\d{}]", s), s
            assert s[0].isupper() and s[-1] in ".!?", s
    assert lexicon.spoken_form("[LAUGHTER] That was so much fun! [BREATHING]") == "That was so much fun!"
    with pytest.raises(KeyError, match="no sentences"):
        lexicon.sentence("joy", rng)


def test_emotions_move_prosody_apart_but_overlap() -> None:
    rng = np.random.default_rng(0)
    speakers = make_speakers([(f"s{i}", "F" if i % 2 else "M") for i in range(10)], rng)
    draws = {e: [clip_prosody(sp, e, 0.85, rng) for sp in speakers for _ in range(40)] for e in ("neu", "ang", "sad", "hap")}
    mean = {e: {k: np.mean([getattr(p, k) for p in ps]) for k in ("rate", "pitch", "range", "volume")} for e, ps in draws.items()}
    assert mean["sad"]["rate"] < mean["neu"]["rate"] < mean["ang"]["rate"]
    assert mean["ang"]["volume"] > mean["neu"]["volume"] > mean["sad"]["volume"]
    assert mean["hap"]["pitch"] > mean["neu"]["pitch"] > mean["sad"]["pitch"]
    # overlap: some neutral clips are faster than some angry ones
    assert max(p.rate for p in draws["neu"]) > min(p.rate for p in draws["ang"])
    assert set(PROFILES) >= {"neu", "hap", "exc", "ang", "sad", "fru", "sur", "fea", "dis", "con", "oth"}
    with pytest.raises(KeyError, match="no prosody profile"):
        clip_prosody(speakers[0], "joy", 1.0, rng)
