"""Generator v3's cue ground truth (SYNTHETIC_CUES.jsonl) against what the adapters and the audio say."""
from __future__ import annotations

import json
import re
import wave
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from dataset_adapters.base import corpus_info, get_adapter, get_label_map
from dataset_adapters.labels import unify
from dataset_adapters.synth import LAYOUTS, lexicon, read_marker
from dataset_adapters.synth.cues import CUES_NAME, CueTruth, read_cues, write_cues
from dataset_adapters.synth.prosody import PROFILES
from tests.support.synth import tiny_tree

SYNONYM_VOCAB = {w for ws in lexicon.SYNONYMS.values() for w in ws}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0


def _loaded(layout: str):  # type: ignore[no-untyped-def]
    root, summary = tiny_tree(layout)
    cues = read_cues(root)
    assert cues is not None, f"{CUES_NAME} missing"
    return root, summary, cues, get_adapter(layout).load(root)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sidecar_is_keyed_by_exactly_the_adapter_uids(layout: str) -> None:
    root, summary, cues, rep = _loaded(layout)
    assert (root / CUES_NAME).is_file() and (root / "SYNTHETIC.json").is_file()
    assert len(cues) == summary["utterances"], "one line per generated utterance, filtered labels included"
    lmap = get_label_map(get_adapter(layout).info.default_label_map)
    kept = {uid for uid, c in cues.items() if lmap.apply(unify(layout, corpus_info(layout).raw_codes, c.label_raw)) is not None}
    assert kept == {u.uid for u in rep.utterances}
    by_uid = {u.uid: u for u in rep.utterances}
    assert all(cues[uid].label_raw == u.label_raw for uid, u in by_uid.items())
    assert sum(1 for c in cues.values() if c.uid in by_uid and c.cue_type in ("words", "prosody", "both", "contradict")) > 0
    lines = (root / CUES_NAME).read_text(encoding="utf-8").splitlines()
    assert [json.loads(ln)["uid"] for ln in lines] == sorted(cues), "sorted by uid, one object per line"
    assert read_marker(root)["cue_file"] == CUES_NAME  # type: ignore[index]


def test_adapters_never_read_the_sidecar() -> None:
    import dataset_adapters

    base = Path(dataset_adapters.__file__).parent
    for path in base.glob("*.py"):
        assert CUES_NAME not in path.read_text(encoding="utf-8") and "read_cues" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cue_time_spans_lie_within_the_clip(layout: str) -> None:
    _, _, cues, rep = _loaded(layout)
    for u in rep.utterances:
        c = cues[u.uid]
        with wave.open(u.audio, "rb") as w:
            duration = w.getnframes() / w.getframerate()
        assert c.duration == pytest.approx(duration, abs=1e-3), u.uid
        a, b = c.time_span
        assert 0.0 < a < b < duration, (u.uid, c.time_span, duration)
        assert b - a < 0.9 * duration, "one phrase of several, not the whole clip"
        if u.start is not None:  # IEMOCAP: relative to the utterance's own wav = its segment start
            assert u.end - u.start == pytest.approx(duration, abs=2e-4)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cue_words_are_at_the_token_span_of_the_gold_transcript(layout: str) -> None:
    _, _, cues, rep = _loaded(layout)
    positions = set()
    for u in rep.utterances:
        c = cues[u.uid]
        tokens = (u.transcript or "").split()
        a, b = c.token_span
        assert 0 <= a < b <= len(tokens), u.uid
        span = " ".join(tokens[a:b])
        if c.cue_word is not None:
            assert c.cue_word in _words(span), (u.uid, span, c.cue_word)
            assert c.cue_word in lexicon.SYNONYMS[c.word_emotion]
            outside = _words(" ".join(tokens[:a] + tokens[b:]))
            assert c.cue_word not in outside, "the cue word occurs only in the cue phrase"
            if c.distractor_token_span is None:
                assert not outside & SYNONYM_VOCAB, (u.uid, "no emotion word outside the cue phrase")
        else:  # CREMA-D: a chunk of the fixed sentence
            assert layout == "crema-d" and span in u.transcript
        if c.distractor_token_span is not None:
            da, db = c.distractor_token_span
            assert c.distractor_word in _words(" ".join(tokens[da:db]))
            assert db <= a or da >= b, "the distractor is a phrase of its own"
            assert c.distractor_emotion not in (c.emotion, "neu")
        positions.add(c.position)
        if c.position == "start":
            assert a == 0 or tokens[0].startswith("[")
        if c.position == "end":
            assert b == len(tokens) or tokens[-1].startswith("[")
    assert positions == {"start", "middle", "end"}


def test_iemocap_sessions_hold_out_their_cue_synonyms() -> None:
    _, _, cues, rep = _loaded("iemocap")
    cue_words: dict[str, set[str]] = defaultdict(set)
    all_words: dict[str, set[str]] = defaultdict(set)
    for u in rep.utterances:
        c = cues[u.uid]
        assert c.synonym_group == u.session
        tokens = (u.transcript or "").split()
        cue_words[u.session] |= _words(" ".join(tokens[slice(*c.token_span)])) & SYNONYM_VOCAB
        all_words[u.session] |= _words(u.transcript or "") & SYNONYM_VOCAB
    assert len(cue_words) == 5 and all(cue_words.values())
    for s, words in cue_words.items():
        others_cues = set().union(*(w for t, w in cue_words.items() if t != s))
        others_text = set().union(*(w for t, w in all_words.items() if t != s))
        assert not words & others_cues, (s, words & others_cues)
        assert not words & others_text, "not even as distractors"


def test_msp_test_partitions_hold_out_their_cue_synonyms() -> None:
    _, _, cues, rep = _loaded("msp-podcast")
    words: dict[str, set[str]] = defaultdict(set)
    for u in rep.utterances:
        words[cues[u.uid].synonym_group or ""] |= _words(u.transcript or "") & SYNONYM_VOCAB
    assert set(words) == {"Train+Development", "Test1", "Test2"}
    assert not words["Test1"] & words["Train+Development"] and not words["Test2"] & words["Train+Development"]


def _f0(x: np.ndarray, sr: int = 16000) -> np.ndarray:
    """Autocorrelation F0 (Hz) per 10 ms hop over 40 ms frames; NaN where unvoiced or quiet."""
    fl, hop, lo, hi = int(0.04 * sr), int(0.01 * sr), sr // 400, sr // 60
    peak = float(np.abs(x).max()) + 1e-9
    out = np.full(max((len(x) - fl) // hop, 0), np.nan)
    for k in range(out.size):
        f = x[k * hop: k * hop + fl]
        f = f - f.mean()
        if np.sqrt(np.mean(f ** 2)) < 0.05 * peak:
            continue
        ac = np.correlate(f, f, "full")[fl - 1:]
        ac = ac / (ac[0] + 1e-9)
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5:
            out[k] = sr / lag
    return out


def _cue_minus_rest_semitones(audio: str, c: CueTruth) -> float:
    f0 = _f0(_read_wav(audio))
    t = np.arange(f0.size) * 0.01 + 0.02  # frame centres
    inside = (t >= c.time_span[0]) & (t < c.time_span[1])
    return float(12 * np.log2(np.nanmedian(f0[inside]) / np.nanmedian(f0[~inside])))


def test_prosody_only_cue_phrase_differs_from_the_rest_as_the_profile_says() -> None:
    """Measured on the rendered audio: fails if the emotion were applied to the whole clip or not at all."""
    moved, control = [], []
    for layout in LAYOUTS:
        _, _, cues, rep = _loaded(layout)
        for u in rep.utterances:
            c = cues[u.uid]
            if c.cue_type == "prosody" and abs(PROFILES[c.prosody_emotion].pitch) >= 10:
                moved.append(np.sign(PROFILES[c.prosody_emotion].pitch) * _cue_minus_rest_semitones(u.audio, c))
            elif c.cue_type in ("words", "none"):
                control.append(_cue_minus_rest_semitones(u.audio, c))
    assert len(moved) >= 15 and len(control) >= 15
    moved_a, control_a = np.array(moved), np.array(control)
    assert np.mean(moved_a > 0) >= 0.8, moved_a
    assert moved_a.mean() > 1.2, f"cue phrase F0 moved {moved_a.mean():.2f} semitones in the profile's direction"
    assert abs(control_a.mean()) < 0.5 and np.abs(control_a).mean() < moved_a.mean() / 2


def test_read_cues_absent_malformed_and_round_trip(tmp_path: Path) -> None:
    assert read_cues(tmp_path) is None
    good = CueTruth(uid="iemocap:Ses01F_impro01_F000", label_raw="sad", emotion="sad", cue_type="prosody",
                    word_emotion="neu", prosody_emotion="sad", cue_word="calm", position="middle", n_phrases=3,
                    token_span=(4, 9), time_span=(1.5, 2.75), duration=4.0, intensity=0.8, synonym_group="Session1")
    write_cues(tmp_path, [good])
    assert read_cues(tmp_path) == {good.uid: good}
    assert not list(tmp_path.glob("*.tmp")), "written via a temporary file"
    path = tmp_path / CUES_NAME
    ok = path.read_text(encoding="utf-8")
    for bad, why in (
        ("{not json", "malformed"),
        (json.dumps({**json.loads(ok), "token_span": [5, 5]}), "token_span"),
        (json.dumps({**json.loads(ok), "time_span": [1.0, 9.0]}), "duration"),
        (json.dumps({**json.loads(ok), "cue_type": "vibes"}), "cue_type"),
        (json.dumps({k: v for k, v in json.loads(ok).items() if k != "uid"}), "uid"),
    ):
        path.write_text(ok + bad + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=rf"{re.escape(CUES_NAME)}:2: .*{why}"):
            read_cues(tmp_path)
    path.write_text(ok + ok, encoding="utf-8")
    with pytest.raises(ValueError, match=r":2: duplicate uid"):
        read_cues(tmp_path)
