"""A synthetic corpus in the MSP-Podcast v1.x layout: Audios/, Labels/labels_consensus.csv, Transcripts/.

Speakers are split across the official partitions (speaker-independent, as in the release), some
podcasts have no known speaker (`SpkrID` Unknown), and segment numbers leave gaps like the real
file names. Each podcast leans towards a theme emotion so the preceding segments are informative.
Segments are built by `compose.py` (one cue phrase among neutral ones); cue words come from three
held-out synonym groups: Train+Development, Test1, Test2 (`SYNONYM_GROUPS`).
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset_adapters.synth import compose
from dataset_adapters.synth.cues import write_cues
from dataset_adapters.synth.prosody import Speaker, draw_intensity, make_speakers, phrase_prosodies
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
# Mean (activation, valence, dominance) on the 1..7 scale per code.
AVD = {"A": (5.5, 2.2, 5.2), "S": (2.8, 2.5, 3.0), "H": (5.0, 5.6, 4.6), "U": (5.2, 4.6, 4.0),
       "F": (4.8, 2.6, 3.0), "D": (4.2, 2.4, 4.4), "C": (3.8, 2.8, 5.0), "N": (3.6, 4.0, 4.0),
       "O": (4.0, 4.0, 4.0), "X": (4.0, 3.8, 4.1)}


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
                cue = compose.compose(emotion, compose.n_phrases_small(rng), group, len(_GROUP_INDEX), rng,
                                      distractor=distractor)
                intensity = max(draw_intensity(rng), compose.CUE_MIN_INTENSITY)
                neutral, cue_prosody = phrase_prosodies(sp, cue.prosody_emotion, intensity, rng)
                clip = ClipSpec(path=f"Audios/{stem}.wav",
                                phrases=tuple(Phrase(p, cue_prosody if role == "cue" else neutral)
                                              for p, role in zip(cue.phrases, cue.roles)),
                                seed=stable_seed(seed, stem), gain=sp.gain,
                                noise_dbfs=float(rng.uniform(-60, -45)))
                segs.append(PlannedSeg(stem, pid, sp, known, part, code, cue.text,
                                       compose.text_kind(emotion, cue), clip, cue, intensity))
    segs.sort(key=lambda s: s.stem)
    return segs


def _labels_csv(segs: list[PlannedSeg], rng: np.random.Generator) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["FileName", "EmoClass", "EmoAct", "EmoVal", "EmoDom", "SpkrID", "Gender", "Split_Set"])
    for s in segs:
        act, val, dom = (float(np.clip(x + rng.normal(0, 0.6), 1, 7)) for x in AVD[s.code])
        gender = ("Female" if s.speaker.gender == "F" else "Male") if s.known else "Unknown"
        w.writerow([f"{s.stem}.wav", s.code, f"{act:.1f}", f"{val:.1f}", f"{dom:.1f}",
                    s.speaker.sid if s.known else "Unknown", gender, s.partition])
    return buf.getvalue()


def build(root: Path, scale: str, seed: int, renderer: Renderer, progress: bool) -> dict[str, object]:
    """Render and write the whole tree under `root`; returns counts for the summary."""
    segs = plan(scale, seed)
    durations = render_all(root, [s.clip for s in segs], renderer, progress, "msp-podcast")
    rng = np.random.default_rng(stable_seed(seed, LAYOUT, "files"))
    write_file(root, "Labels/labels_consensus.csv", _labels_csv(segs, rng))
    for s in segs:
        write_file(root, f"Transcripts/{s.stem}.txt", s.transcript + "\n")
    write_cues(root, [
        compose.truth(f"{LAYOUT}:{s.stem}", s.code, CODE_TO_EMOTION[s.code], s.cue, 0, durations[s.clip.path].duration,
                      durations[s.clip.path].spans, s.intensity, SYNONYM_GROUPS[s.partition])
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
        "audio_seconds": round(sum(r.duration for r in durations.values()), 3),
    }
