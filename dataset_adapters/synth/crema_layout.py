"""A synthetic corpus in the CREMA-D layout: AudioWAV/<actor>_<sentence>_<emotion>_<level>.wav.

Every actor speaks the same 12 fixed sentences in every emotion, so the words carry nothing and
the emotion lives only in the prosody. Only sentence IEO has graded levels (LO/MD/HI; NEU is XX),
which set how strongly the emotion is acted.

Generator v3: the fixed sentence is spoken as three chunks of its words (`chunks`), each
synthesised on its own; ONE chunk (start, middle or end, uniformly) carries the emotional prosody
and the others are neutral, so the emotion is local in time. The cue type is `prosody` for every
emotional clip and `none` for NEU (its neutral "cue" chunk is recorded for uniform bookkeeping).
The words cannot carry a cue here, so there are no synonym groups and no distractors.

Generator v5: each actor has an expressiveness (`annotate.py`) that scales how strongly the cue
chunk is acted (on top of the IEO level), and 6-12 simulated raters per clip give voice-only
answers, written in the release's files: `finishedResponses.csv` (one row per response, queryType 1)
and their tabulation `processedResults/tabulatedVotes.csv` (row name 100000 + clip number). CREMA-D
has no arousal/valence/dominance ratings, so none are generated.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset_adapters.synth import compose
from dataset_adapters.synth.annotate import Annotation, annotate, expressiveness, scaled_intensity
from dataset_adapters.synth.cues import write_cues
from dataset_adapters.synth.prosody import Speaker, draw_intensity, make_speakers, phrase_prosodies
from dataset_adapters.synth.render import ClipSpec, Phrase, Renderer, render_all, stable_seed, write_file

LAYOUT = "crema-d"
SENTENCES: dict[str, str] = {
    "IEO": "It's eleven o'clock", "TIE": "That is exactly what happened", "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about", "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold", "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment", "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before", "TSI": "The surface is slick", "WSI": "We'll stop in a couple of minutes",
}
EMOTIONS = {"ANG": "ang", "DIS": "dis", "FEA": "fea", "HAP": "hap", "NEU": "neu", "SAD": "sad"}
LEVEL_INTENSITY = {"LO": 0.5, "MD": 0.85, "HI": 1.2}
# actors, sentences per actor (None: all 12, IEO at all three levels, as in the release)
SCALES: dict[str, tuple[int, int | None]] = {"tiny": (6, 1), "small": (10, 5), "full": (91, None)}
RACES = ("African American", "Asian", "Caucasian", "Unspecified")
POOL = ("ang", "dis", "fea", "hap", "neu", "sad")  # the classes raters may answer
RESPONSE = {"ang": "A", "dis": "D", "fea": "F", "hap": "H", "neu": "N", "sad": "S"}
N_RATERS = 40
DISP_LEVEL = {"LO": "20", "MD": "50", "HI": "80", "XX": "NA"}
N_CHUNKS = 3


@dataclass(frozen=True)
class PlannedClip:
    stem: str
    actor: Speaker
    emotion: str  # raw code
    clip: ClipSpec
    cue: compose.Composed
    intensity: float
    expressiveness: float
    annotation: Annotation


def chunks(sentence: str, n: int = N_CHUNKS) -> tuple[str, ...]:
    """`sentence`'s words in `n` consecutive chunks, as even as possible (earlier chunks longer)."""
    words = sentence.split()
    if len(words) < n:
        raise ValueError(f"{sentence!r} has fewer than {n} words")
    sizes = [len(words) // n + (1 if i < len(words) % n else 0) for i in range(n)]
    out, at = [], 0
    for size in sizes:
        out.append(" ".join(words[at:at + size]))
        at += size
    return tuple(out)


def plan(scale: str, seed: int) -> list[PlannedClip]:
    """Every clip (actor, sentence, emotion, level, prosody), without audio."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; known: {', '.join(SCALES)}")
    n_actors, per_actor = SCALES[scale]
    rng = np.random.default_rng(stable_seed(seed, LAYOUT, scale))
    actors = make_speakers([(str(1001 + i), "F" if i % 2 == 0 else "M") for i in range(n_actors)], rng)
    codes = list(SENTENCES)
    out: list[PlannedClip] = []
    for a_index, actor in enumerate(actors):
        if per_actor is None:
            chosen = codes
        else:  # rotate so every sentence (IEO included) is used across actors
            start = (a_index * per_actor) % len(codes)
            chosen = [codes[(start + k) % len(codes)] for k in range(per_actor)]
        for sentence in chosen:
            for emo in EMOTIONS:
                if sentence != "IEO" or emo == "NEU":
                    levels = ["XX"]
                elif per_actor is None:
                    levels = ["HI", "LO", "MD"]
                else:
                    levels = [("LO", "MD", "HI")[int(rng.integers(3))]]
                for level in levels:
                    stem = f"{actor.sid}_{sentence}_{emo}_{level}"
                    e = expressiveness(seed, LAYOUT, actor.sid)
                    k = scaled_intensity(LEVEL_INTENSITY[level] if level in LEVEL_INTENSITY
                                         else max(draw_intensity(rng), compose.CUE_MIN_INTENSITY), e)
                    emotion = EMOTIONS[emo]
                    parts = chunks(SENTENCES[sentence])
                    position = compose.POSITIONS[int(rng.integers(len(compose.POSITIONS)))]
                    at = {"start": 0, "middle": 1, "end": N_CHUNKS - 1}[position]
                    cue = compose.Composed(
                        phrases=parts, roles=tuple("cue" if i == at else "filler" for i in range(N_CHUNKS)),
                        cue_type="none" if emotion == "neu" else "prosody", position=position,
                        word_emotion="neu", prosody_emotion=emotion, cue_word=None,
                        distractor_word=None, distractor_emotion=None)
                    neutral, cue_prosody = phrase_prosodies(actor, emotion, k, rng)
                    clip = ClipSpec(path=f"AudioWAV/{stem}.wav",
                                    phrases=tuple(Phrase(p, cue_prosody if i == at else neutral)
                                                  for i, p in enumerate(parts)),
                                    seed=stable_seed(seed, stem), gain=actor.gain,
                                    noise_dbfs=float(rng.uniform(-60, -48)))
                    out.append(PlannedClip(stem, actor, emo, clip, cue, k, e,
                                           annotate(LAYOUT, stem, seed, emotion, cue, k, POOL)))
    out.sort(key=lambda c: c.stem)
    return out


def _demographics(actors: list[Speaker], rng: np.random.Generator) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["ActorID", "Age", "Sex", "Race", "Ethnicity"])
    for a in actors:
        w.writerow([a.sid, int(rng.integers(20, 75)), "Female" if a.gender == "F" else "Male",
                    RACES[int(rng.integers(len(RACES)))], "Hispanic" if rng.random() < 0.15 else "Not Hispanic"])
    return buf.getvalue()


RESPONSES_HEADER = ["", "localid", "pos", "ans", "ttr", "queryType", "numTries", "clipNum", "questNum", "subType",
                    "clipName", "sessionNums", "respEmo", "respLevel", "dispEmo", "dispVal", "dispLevel"]
TABULATED_HEADER = ["", "A", "D", "F", "H", "N", "S", "fileName", "numResponses", "agreement", "emoVote",
                    "meanEmoResp", "meanAngerResp", "meanDisgustResp", "meanFearResp", "meanHappyResp",
                    "meanNeutralResp", "meanSadResp", "medianEmoResp", "meanEmoRespNorm", "meanAngerRespNorm",
                    "meanDisgustRespNorm", "meanFearRespNorm", "meanHappyRespNorm", "meanNeutralRespNorm",
                    "meanSadRespNorm", "medianEmoRespNorm"]


def _rater_files(clips: list[PlannedClip], rng: np.random.Generator) -> tuple[str, str]:
    """(finishedResponses.csv, processedResults/tabulatedVotes.csv) of the clips' voice-only ratings.

    Levels (0-100) are drawn around the clip's acted intensity; the `Norm` columns of the tabulation repeat
    the raw means (the release normalises per rater, which the synthetic raters do not need)."""
    responses, tab = io.StringIO(), io.StringIO()
    wr = csv.writer(responses, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    wt = csv.writer(tab, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    wr.writerow(RESPONSES_HEADER)
    wt.writerow(TABULATED_HEADER)
    row_no = 0
    for clip_num, c in enumerate(clips, start=1):
        raters = sorted(int(k) for k in rng.choice(np.arange(1, N_RATERS + 1), size=len(c.annotation.votes),
                                                    replace=False))
        levels: dict[str, list[int]] = {code: [] for code in "ADFHNS"}
        for rater, vote in zip(raters, c.annotation.votes):
            row_no += 1
            code = RESPONSE[vote[0]]
            level = int(np.clip(round(60 * c.intensity + rng.normal(0, 15)), 0, 100))
            levels[code].append(level)
            wr.writerow([str(row_no), f"r{rater:04d}", row_no, f"{code}_{level}", int(rng.integers(900, 6000)), 1, 0,
                         clip_num, clip_num, 4, c.stem, rater, code, level, RESPONSE[EMOTIONS[c.emotion]],
                         c.stem.rsplit("_", 1)[1], DISP_LEVEL[c.stem.rsplit("_", 1)[1]]])
        counts = {code: len(v) for code, v in levels.items()}
        n = sum(counts.values())
        best = max(counts.values())
        vote = ":".join(code for code in "ADFHNS" if counts[code] == best)
        all_levels = [x for v in levels.values() for x in v]
        means = [float(np.mean(levels[code])) if levels[code] else -1 for code in "ADFHNS"]
        mean_all, median_all = float(np.mean(all_levels)), float(np.median(all_levels))
        wt.writerow([str(100000 + clip_num), *(counts[code] for code in "ADFHNS"), c.stem, n, best / n, vote,
                     mean_all, *means, median_all, mean_all, *means, median_all])
    return responses.getvalue(), tab.getvalue()


def build(root: Path, scale: str, seed: int, renderer: Renderer, progress: bool) -> dict[str, object]:
    """Render and write the whole tree under `root`; returns counts for the summary."""
    clips = plan(scale, seed)
    durations = render_all(root, [c.clip for c in clips], renderer, progress, "crema-d")
    actors = sorted({c.actor.sid: c.actor for c in clips}.values(), key=lambda a: a.sid)
    write_file(root, "VideoDemographics.csv", _demographics(actors, np.random.default_rng(stable_seed(seed, LAYOUT, "demo"))))
    responses, tabulated = _rater_files(clips, np.random.default_rng(stable_seed(seed, LAYOUT, "raters")))
    write_file(root, "finishedResponses.csv", responses)
    write_file(root, "processedResults/tabulatedVotes.csv", tabulated)
    write_cues(root, [
        compose.truth(f"{LAYOUT}:{c.stem}", c.emotion, EMOTIONS[c.emotion], c.cue, 0, durations[c.clip.path].duration,
                      durations[c.clip.path].spans, c.intensity, None, c.expressiveness, None, c.annotation.agreement)
        for c in clips])
    return {
        "utterances": len(clips),
        "labels": dict(sorted(Counter(c.emotion for c in clips).items())),
        "speakers": [a.sid for a in actors],
        "cue_types": dict(sorted(Counter(c.cue.cue_type for c in clips).items())),
        "expressiveness": {a.sid: round(expressiveness(seed, LAYOUT, a.sid), 3) for a in actors},
        "audio_seconds": round(sum(r.duration for r in durations.values()), 3),
    }
