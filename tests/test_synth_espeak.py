"""The libespeak-ng binding: real synthesis, deterministic whatever was spoken before."""
from __future__ import annotations

import re

import numpy as np
import pytest

from dataset_adapters.synth import lexicon
from dataset_adapters.synth.espeak import EspeakError, ForkingSynthesizer, Prosody, phonemes, spelled_out


def test_same_input_same_samples_regardless_of_history() -> None:
    text = "I miss my father so much."
    with ForkingSynthesizer() as synth:
        first, rate = synth.synth(text, Prosody("en-us+f2"), seed=7)
        synth.synth("Get out, I don't want to see you!", Prosody("en-us+m3", rate=220, volume=150), seed=1)
        second, _ = synth.synth(text, Prosody("en-us+f2"), seed=7)
        slow, _ = synth.synth(text, Prosody("en-us+f2", rate=120), seed=7)
        male, _ = synth.synth(text, Prosody("en-us+m3"), seed=7)
    assert rate == 22050 and first.dtype == np.int16
    assert 1.0 < first.size / rate < 4.0 and np.abs(first).max() > 3000
    assert np.array_equal(first, second)
    assert slow.size > first.size * 1.2
    assert not np.array_equal(first[: male.size], male[: first.size])


def test_unknown_voice_is_a_clear_error() -> None:
    with ForkingSynthesizer() as synth:
        with pytest.raises(EspeakError, match="no-such-voice"):
            synth.synth("hello", Prosody("no-such-voice"))
        ok, _ = synth.synth("hello", Prosody("en-us"))  # the helper survives the error
    assert ok.size > 0


def test_prosody_is_clamped_to_library_ranges() -> None:
    p = Prosody("en-us", rate=10, pitch=150, range=-3, volume=900, wordgap=99).clamped()
    assert (p.rate, p.pitch, p.range, p.volume, p.wordgap) == (80, 100, 0, 200, 20)


def test_cue_and_frame_words_are_read_as_words() -> None:
    assert spelled_out("xkcd") and not spelled_out("happy")
    words = {w for ws in lexicon.SYNONYMS.values() for w in ws}
    for template in lexicon.CUE_FRAMES + lexicon.DISTRACTOR_FRAMES:
        words |= set(re.findall(r"[a-z]+", re.sub(r"\{\w+\}", " ", template).lower()))
    bad = sorted(w for w in words if spelled_out(w))
    assert not bad, f"espeak spells these out: {bad}"
    assert phonemes("calm") and " " not in phonemes("devastated")
