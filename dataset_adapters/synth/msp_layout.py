"""A synthetic corpus in the MSP-Podcast v1.x layout: Audios/, Labels/labels_consensus.csv, Transcripts/.

Speakers are split across the official partitions (speaker-independent, as in the release), some
podcasts have no known speaker (`SpkrID` Unknown), and segment numbers leave gaps like the real
file names. Each podcast leans towards a theme emotion so the preceding segments are informative.
Segments are built by `compose.py` (one cue phrase among neutral ones); cue words come from three
held-out synonym groups: Train+Development, Test1, Test2 (`SYNONYM_GROUPS`). Since generator v5
each speaker has an expressiveness and each segment 5-7 simulated annotators (`annotate.py`):
`Labels/labels_detailed.csv` holds one row per annotator in the v1.11 layout
(`FileName,EmoDetail` = `WORKER<n>; <Primary>; <secondary,...>; A:<a>; V:<v>; D:<d>;`), and the
consensus `EmoAct`/`EmoVal`/`EmoDom` are the mean of those ratings.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset_adapters.synth import compose
from dataset_adapters.synth.annotate import Annotation, annotate, expressiveness, mute_probability, scaled_intensity
from dataset_adapters.synth.cues import write_cues
from dataset_adapters.synth.prosody import Speaker, blend, draw_blend, draw_intensity, make_speakers, phrase_prosodies
from dataset_adapters.synth.render import ClipSpec, Phrase, Renderer, render_all, stable_seed, write_file

LAYOUT = "msp-podcast"
CODE_TO_EMOTION = {"A": "ang", "S": "sad", "H": "hap", "U": "sur", "F": "fea", "D": "dis", "C": "con",
                   "N": "neu", "O": "oth", "X": "xxx"}
PARTITIONS = ("Train", "Development", "Test1", "Test2")
SCALES: dict[str, dict[str, object]] = {
    # speakers per partition (named), podcasts with an Unknown speaker per partition, label counts
    "tiny": {"speakers": (3, 1, 1, 1), "unknown": (1, 0, 0, 0),
             "labels": {"N": 10, "H": 7, "A": 7, "S": 7, "U": 1, "F": 1, "D": 1, "C": 1, "O": 2, "X": 3}},
    "small": {"speakers": (6, 2, 2, 2), "unknown": (2, 1, 0, 0),
              "labels": {"N": 90, "H": 60, "A": 55, "S": 55, "U": 10, "F": 8, "D": 8, "C": 8, "O": 6, "X": 10}},
}
SHARES = (0.55, 0.15, 0.18, 0.12)  # of the labels, per partition
THEME_SHARE = 0.5
# Held-out synonym group of each partition: the test partitions' cue words never occur in training.
SYNONYM_GROUPS = {"Train": "Train+Development", "Development": "Train+Development", "Test1": "Test1", "Test2": "Test2"}
_GROUP_INDEX = {"Train+Development": 0, "Test1": 1, "Test2": 2}
POOL = ("ang", "sad", "hap", "sur", "fea", "dis", "con", "neu", "oth")  # the classes annotators may name
PRIMARY = {"ang": "Angry", "sad": "Sad", "hap": "Happy", "sur": "Surprise", "fea": "Fear", "dis": "Disgust",
           "con": "Contempt", "neu": "Neutral", "oth": "Other-Curious"}  # labels_detailed's primary emotions
N_WORKERS = 60


@dataclass(frozen=True)
class PlannedSeg:
    stem: str
    podcast: int
    speaker: Speaker
    known: bool  # False: the label file says Unknown
    partition: str
    code: str
    transcript: str
    text_kind: str
    clip: ClipSpec
    cue: compose.Composed
    intensity: float
    expressiveness: float
    annotation: Annotation


def _deal(labels: dict[str, int], rng: np.random.Generator) -> list[list[str]]:
    """Per-partition label lists, stratified so every partition gets its share of each code."""
    parts: list[list[str]] = [[] for _ in PARTITIONS]
    for code, n in labels.items():
        exact = [n * s for s in SHARES]
        counts = [int(x) for x in exact]
        order = sorted(range(len(SHARES)), key=lambda i: (exact[i] - counts[i], -i), reverse=True)
        for i in order[: n - sum(counts)]:
            counts[i] += 1
        for i, c in enumerate(counts):
            parts[i] += [code] * c
    for p in parts:
        rng.shuffle(p)  # type: ignore[arg-type]
    return parts


def plan(scale: str, seed: int) -> list[PlannedSeg]:
    """Every segment of the corpus (labels, words, prosody, partition), without audio."""
    if scale == "full":
        raise NotImplementedError(
            "msp-podcast scale 'full' is not generated (the real corpus is >100 h); use 'tiny' or 'small'")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; known: tiny, small, full")
    cfg = SCALES[scale]
    rng = np.random.default_rng(stable_seed(seed, LAYOUT, scale))
    n_named: tuple[int, ...] = cfg["speakers"]  # type: ignore[assignment]
    n_unknown: tuple[int, ...] = cfg["unknown"]  # type: ignore[assignment]
    spk_ids = rng.choice(np.arange(1, 1500), size=sum(n_named) + sum(n_unknown), replace=False)
    genders = ["F" if i % 2 == 0 else "M" for i in range(len(spk_ids))]
    speakers = make_speakers([(str(int(x)), g) for x, g in zip(spk_ids, genders)], rng)
    podcast_ids = sorted(int(x) for x in rng.choice(np.arange(1, 2000), size=2 * sum(n_named) + sum(n_unknown), replace=False))
    rng.shuffle(podcast_ids)  # type: ignore[arg-type]
    # Podcasts: two per named speaker, one per unknown-speaker podcast; grouped by partition.
    podcasts: list[list[tuple[int, Speaker, bool, str]]] = [[] for _ in PARTITIONS]
    sp_iter, pc_iter = iter(speakers), iter(podcast_ids)
    for p_index, part in enumerate(PARTITIONS):
        for _ in range(n_named[p_index]):
            sp = next(sp_iter)
            podcasts[p_index] += [(next(pc_iter), sp, True, part), (next(pc_iter), sp, True, part)]
    for p_index, part in enumerate(PARTITIONS):
        for _ in range(n_unknown[p_index]):
            podcasts[p_index].append((next(pc_iter), next(sp_iter), False, part))
    segs: list[PlannedSeg] = []
    for p_index, codes in enumerate(_deal(cfg["labels"], rng)):  # type: ignore[arg-type]
        pcs = podcasts[p_index]
        themes = [("N", "H", "A", "S")[int(rng.integers(4))] for _ in pcs]
        members: list[list[str]] = [[] for _ in pcs]
        for code in codes:
            matching = [i for i, t in enumerate(themes) if t == code]
            i = matching[int(rng.integers(len(matching)))] if matching and rng.random() < THEME_SHARE else int(rng.integers(len(pcs)))
            members[i].append(code)
        for (pid, sp, known, part), mcodes in zip(pcs, members):
            seg_no = int(rng.integers(1, 20))
            for j, code in enumerate(mcodes):
                stem = f"MSP-PODCAST_{pid:04d}_{seg_no:04d}"
                seg_no += int(rng.integers(1, 4))
                emotion = CODE_TO_EMOTION[code]
                nxt = CODE_TO_EMOTION[mcodes[j + 1]] if j + 1 < len(mcodes) else None
                distractor = compose.distractor_emotion(emotion, nxt, rng)
                group = _GROUP_INDEX[SYNONYM_GROUPS[part]]
                e = expressiveness(seed, LAYOUT, sp.sid)
                cue = compose.compose(emotion, compose.n_phrases_small(rng), group, len(_GROUP_INDEX), rng,
                                      distractor=distractor, mute=mute_probability(e))
                intensity = scaled_intensity(max(draw_intensity(rng), compose.CUE_MIN_INTENSITY), e)
                mix = draw_blend(rng) if cue.prosody_emotion == "xxx" else None
                neutral, cue_prosody = phrase_prosodies(sp, cue.prosody_emotion, intensity, rng,
                                                        profile=blend(*mix) if mix else None)
                clip = ClipSpec(path=f"Audios/{stem}.wav",
                                phrases=tuple(Phrase(p, cue_prosody if role == "cue" else neutral)
                                              for p, role in zip(cue.phrases, cue.roles)),
                                seed=stable_seed(seed, stem), gain=sp.gain,
                                noise_dbfs=float(rng.uniform(-60, -45)))
                segs.append(PlannedSeg(stem, pid, sp, known, part, code, cue.text,
                                       compose.text_kind(emotion, cue), clip, cue, intensity, e,
                                       annotate(LAYOUT, stem, seed, emotion, cue, intensity, POOL, mix)))
    segs.sort(key=lambda s: s.stem)
    return segs


def _mean(x: list[int]) -> str:
    return f"{sum(x) / len(x):.6g}"


def _labels_csv(segs: list[PlannedSeg]) -> str:
    """labels_consensus.csv: the consensus dims are the mean of the segment's annotators' ratings."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["FileName", "EmoClass", "EmoAct", "EmoVal", "EmoDom", "SpkrID", "Gender", "Split_Set"])
    for s in segs:
        r = s.annotation.ratings
        gender = ("Female" if s.speaker.gender == "F" else "Male") if s.known else "Unknown"
        w.writerow([f"{s.stem}.wav", s.code, _mean([x[0] for x in r]), _mean([x[1] for x in r]),
                    _mean([x[2] for x in r]), s.speaker.sid if s.known else "Unknown", gender, s.partition])
    return buf.getvalue()


def _detailed_csv(segs: list[PlannedSeg], rng: np.random.Generator) -> str:
    """labels_detailed.csv (v1.11 layout): one row per annotator, primary emotion first, secondary ones after."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["FileName", "EmoDetail"])
    for s in segs:
        workers = sorted(int(k) for k in rng.choice(np.arange(1, N_WORKERS + 1), size=len(s.annotation.votes),
                                                    replace=False))
        for k, vote, (a, v, d) in zip(workers, s.annotation.votes, s.annotation.ratings):
            secondary = ",".join(dict.fromkeys(PRIMARY[c].split("-")[0] for c in (*vote, s.cue.word_emotion)))
            w.writerow([f"{s.stem}.wav", f"WORKER{k:05d}; {PRIMARY[vote[0]]}; {secondary}; A:{a:.1f}; V:{v:.1f}; "
                                         f"D:{d:.1f};"])
    return buf.getvalue()


def build(root: Path, scale: str, seed: int, renderer: Renderer, progress: bool) -> dict[str, object]:
    """Render and write the whole tree under `root`; returns counts for the summary."""
    segs = plan(scale, seed)
    durations = render_all(root, [s.clip for s in segs], renderer, progress, "msp-podcast")
    rng = np.random.default_rng(stable_seed(seed, LAYOUT, "files"))
    write_file(root, "Labels/labels_consensus.csv", _labels_csv(segs))
    write_file(root, "Labels/labels_detailed.csv", _detailed_csv(segs, rng))
    for s in segs:
        write_file(root, f"Transcripts/{s.stem}.txt", s.transcript + "\n")
    write_cues(root, [
        compose.truth(f"{LAYOUT}:{s.stem}", s.code, CODE_TO_EMOTION[s.code], s.cue, 0, durations[s.clip.path].duration,
                      durations[s.clip.path].spans, s.intensity, SYNONYM_GROUPS[s.partition], s.expressiveness,
                      s.annotation.true_dims, s.annotation.agreement)
        for s in segs])
    kept = [s for s in segs if s.code not in ("X", "O")]
    return {
        "utterances": len(segs),
        "kept_msp_8": len(kept),
        "labels": dict(sorted(Counter(s.code for s in segs).items())),
        "speakers": sorted({s.speaker.sid for s in segs if s.known}, key=int),
        "unknown_speaker_utterances": sum(1 for s in segs if not s.known),
        "podcasts": len({s.podcast for s in segs}),
        "partitions": {p: sum(1 for s in kept if s.partition == p) for p in PARTITIONS},
        "text_kinds": dict(sorted(Counter(s.text_kind for s in kept).items())),
        "cue_types": dict(sorted(Counter(s.cue.cue_type for s in kept).items())),
        "no_consensus": sum(1 for s in segs if s.code == "X"),
        "audio_seconds": round(sum(r.duration for r in durations.values()), 3),
    }
