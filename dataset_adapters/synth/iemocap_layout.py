"""A synthetic corpus in the IEMOCAP_full_release layout (5 sessions x 2 speakers, dyadic dialogues).

Mirrors what real parsers trip on: the `%` header and annotator lines of EmoEvaluation files, the
per-annotator `Categorical/` sub-folder, transcription lines that are not utterances (`XX` ids,
no timestamps, one latin-1 byte), tags like [LAUGHTER], scripted ids with a part letter
(`Ses05M_script01_1b_M012`), and dialogue prefixes whose gender is not the speaker's.
Dialogues have a theme emotion (so context helps) and alternate their two speakers in time.
Utterances are built by `compose.py` (one cue phrase among neutral ones); the cue words of session k
come from held-out synonym group k, so a leave-one-session-out test fold never sees its cue words
in training. Since generator v5 each speaker has an expressiveness and each turn the votes and
ratings of simulated evaluators (`annotate.py`): the EmoEvaluation block holds the evaluators'
`C-E<k>` lines (some naming two classes), their `A-E<k>` lines, the actor's self-evaluation lines
for some turns (`C-F1`/`A-M1`...), and the bracket is the mean of the `A-E` ratings;
`Categorical/<dialog>_e<k>_cat.txt` and `Attribute/<dialog>_e<k>_atr.txt` repeat each evaluator's
lines, as the release's per-evaluator files do.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dataset_adapters.synth import compose
from dataset_adapters.synth.annotate import Annotation, annotate, expressiveness, mute_probability, scaled_intensity
from dataset_adapters.synth.cues import write_cues
from dataset_adapters.synth.prosody import Speaker, blend, draw_blend, draw_intensity, make_speakers, phrase_prosodies
from dataset_adapters.synth.render import ClipSpec, Phrase, Renderer, render_all, stable_seed, write_file

LAYOUT = "iemocap"
KEPT_4 = ("neu", "hap", "exc", "ang", "sad")  # raw codes kept by iemocap-4 (exc merged into hap)

# The real corpus's 4-class counts (DATASETS.md): per label, and per session.
FULL_LABELS = {"neu": 1708, "hap": 595, "exc": 1041, "ang": 1103, "sad": 1084}
FULL_SESSIONS = (1085, 1023, 1151, 1031, 1241)
FULL_FILTERED = {"xxx": 40, "fru": 40, "oth": 3, "sur": 2, "fea": 2, "dis": 1}  # per session, scaled down

SCALES: dict[str, dict[str, object]] = {
    "tiny": {"labels": {"neu": 2, "hap": 1, "exc": 1, "ang": 2, "sad": 2, "xxx": 1, "fru": 1}, "dialogues": 2},
    # 120 utterances per session kept by iemocap-4 (600 in all; v3 had 60): the demo's IEMOCAP is where the
    # validity panel must separate models, and at 60 per session a prosody-only cue type had ~58 test
    # utterances, too few to show a speech model 10 points above chance (measured on a --seed 1 tree: see demo.toml).
    "small": {"labels": {"neu": 36, "hap": 16, "exc": 12, "ang": 28, "sad": 28, "xxx": 8, "fru": 8}, "dialogues": 12},
    "full": {"dialogues": 28},
}
SCRIPTS = ("script01_1", "script01_2", "script01_3", "script02_1", "script02_2", "script03_1", "script03_2")
THEME_SHARE = 0.6  # share of a dialogue's utterances that carry its theme emotion
N_GROUPS = 5  # held-out synonym groups: one per session

CATEGORY = {
    "neu": "Neutral", "hap": "Happiness", "exc": "Excited", "sad": "Sadness", "ang": "Anger",
    "fru": "Frustration", "fea": "Fear", "sur": "Surprise", "dis": "Disgust", "oth": "Other",
}
LONG_CATEGORY = {**CATEGORY, "neu": "Neutral state"}  # the per-evaluator files' spelling
POOL = ("neu", "hap", "exc", "sad", "ang", "fru", "fea", "sur", "dis", "oth")  # the classes evaluators may name
N_EVALUATORS = 6  # evaluator ids E1..E6


@dataclass(frozen=True)
class PlannedUtt:
    uid: str
    session: int
    dialog: str
    gender: str
    label: str  # raw code
    transcript: str
    text_emotion: str  # what the cue phrase's words express
    text_kind: str  # congruent / neutral-words / misleading / ambiguous (see compose.text_kind)
    clip: ClipSpec
    cue: compose.Composed
    intensity: float
    tag_offset: int  # tokens before the first phrase ([LAUGHTER] / [BREATHING] at the start)
    expressiveness: float  # the speaker's (annotate.expressiveness)
    annotation: Annotation


def session_label_counts(scale: str) -> list[dict[str, int]]:
    """Raw-label counts for each of the 5 sessions."""
    if scale == "full":
        return [{**row, **FULL_FILTERED} for row in _full_matrix()]
    base = dict(SCALES[scale]["labels"])  # type: ignore[arg-type]
    rows = [dict(base) for _ in range(5)]
    rows[0]["oth"] = 1  # one `oth` in the corpus: the 4-class map must filter it
    return rows


def _full_matrix() -> list[dict[str, int]]:
    """Session x label counts whose margins are exactly the real per-session and per-label counts."""
    labels = list(FULL_LABELS)
    total = sum(FULL_SESSIONS)
    assert total == sum(FULL_LABELS.values())
    rows: list[dict[str, int]] = []
    left = dict(FULL_LABELS)
    for s, n in enumerate(FULL_SESSIONS):
        if s == len(FULL_SESSIONS) - 1:
            rows.append(dict(left))
            break
        exact = [n * FULL_LABELS[lab] / total for lab in labels]
        counts = [int(x) for x in exact]
        order = sorted(range(len(labels)), key=lambda i: exact[i] - counts[i], reverse=True)
        for i in order[: n - sum(counts)]:
            counts[i] += 1
        row = dict(zip(labels, counts))
        rows.append(row)
        for lab in labels:
            left[lab] -= row[lab]
    return rows


def _dialogue_names(session: int, n: int) -> list[tuple[str, str]]:
    """(prefix gender, dialogue name) pairs: improvisations and scripts alternate, like the real sessions."""
    impro = [(g, f"impro{j:02d}") for j in range(1, 9) for g in ("F", "M")]
    script = [(g, s) for s in SCRIPTS for g in ("F", "M")]
    if session == 5:  # a part letter, as in Ses05M_script01_1b
        script = [("M", "script01_1b")] + [x for x in script if x != ("M", "script01_1")]
    out: list[tuple[str, str]] = []
    while len(out) < n:
        src = impro if len(out) % 2 == 0 else script
        out.append(src.pop(0) if src else (impro or script).pop(0))
    return out


def _split_dialogues(pool: list[str], n_dialogues: int, rng: np.random.Generator) -> list[list[str]]:
    """Deal a session's labels into dialogues, each biased towards a theme emotion."""
    pool = list(pool)
    rng.shuffle(pool)  # type: ignore[arg-type]
    sizes = [len(pool) // n_dialogues + (1 if i < len(pool) % n_dialogues else 0) for i in range(n_dialogues)]
    out: list[list[str]] = []
    for size in sizes:
        themes = [lab for lab in pool if lab in ("neu", "hap", "exc", "ang", "sad")] or pool
        theme = themes[int(rng.integers(len(themes)))]
        dia: list[str] = []
        for _ in range(size):
            pick = theme if (theme in pool and rng.random() < THEME_SHARE) else pool[int(rng.integers(len(pool)))]
            pool.remove(pick)
            dia.append(pick)
        rng.shuffle(dia)  # type: ignore[arg-type]
        out.append(dia)
    return out


def _n_phrases(scale: str, rng: np.random.Generator) -> int:
    """How many phrases one utterance joins: real IEMOCAP turns average ~4.5 s with a tail to ~30 s."""
    if scale != "full":
        return compose.n_phrases_small(rng)
    target = float(np.exp(rng.normal(np.log(3.0), 0.75)))  # seconds (a phrase lasts ~1.5-2.5 s)
    return int(np.clip(round(target / 2.0), 2, 8))


def _tags(label: str, phrases: tuple[str, ...], rng: np.random.Generator) -> tuple[str, int]:
    """(transcript with tags, tokens before the first phrase)."""
    words = " ".join(phrases)
    r = rng.random()
    if label in ("hap", "exc") and r < 0.08:
        if rng.random() < 0.5:
            return f"[LAUGHTER] {words}", 1
        return f"{words} [LAUGHTER]", 0
    if r < 0.03:
        return f"[BREATHING] {words}", 1
    return words, 0


def plan(scale: str, seed: int) -> tuple[list[PlannedUtt], list[Speaker]]:
    """Every utterance of the corpus (labels, words, prosody), without rendering any audio."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; known: {', '.join(SCALES)}")
    rng = np.random.default_rng(stable_seed(seed, LAYOUT, scale))
    speakers = make_speakers([(f"Ses{s:02d}_{g}", g) for s in range(1, 6) for g in ("F", "M")], rng)
    by_id = {sp.sid: sp for sp in speakers}
    level = {sp.sid: expressiveness(seed, LAYOUT, sp.sid) for sp in speakers}
    n_dia = int(SCALES[scale]["dialogues"])  # type: ignore[call-overload]
    out: list[PlannedUtt] = []
    for s, counts in enumerate(session_label_counts(scale), start=1):
        pool = [lab for lab, n in counts.items() for _ in range(n)]
        for (prefix, name), labels in zip(_dialogue_names(s, n_dia), _split_dialogues(pool, n_dia, rng)):
            dialog = f"Ses{s:02d}{prefix}_{name}"
            first = prefix if rng.random() < 0.7 else ("M" if prefix == "F" else "F")
            turn_no = {"F": 0, "M": 0}
            for i, label in enumerate(labels):
                gender = first if i % 2 == 0 else ("M" if first == "F" else "F")
                uid = f"{dialog}_{gender}{turn_no[gender]:03d}"
                turn_no[gender] += 1
                # Scripted lines repeat across sessions (as in the real corpus, text can leak across
                # folds): their filler phrases and frames come from a generator keyed by the script line.
                script_key = f"{name.rstrip('b')}:{i}" if name.startswith("script") else None
                trng = np.random.default_rng(stable_seed(seed, script_key)) if script_key else None
                nxt = labels[i + 1] if i + 1 < len(labels) else None
                distractor = compose.distractor_emotion(label, nxt, rng)
                sp = by_id[f"Ses{s:02d}_{gender}"]
                e = level[sp.sid]
                cue = compose.compose(label, _n_phrases(scale, rng), s - 1, N_GROUPS, rng, trng, distractor,
                                      mute=mute_probability(e))
                text, tag_offset = _tags(label, cue.phrases, rng)
                intensity = scaled_intensity(max(draw_intensity(rng), compose.CUE_MIN_INTENSITY), e)
                mix = draw_blend(rng) if cue.prosody_emotion == "xxx" else None
                neutral, cue_prosody = phrase_prosodies(sp, cue.prosody_emotion, intensity, rng,
                                                        profile=blend(*mix) if mix else None)
                clip = ClipSpec(
                    path=f"Session{s}/sentences/wav/{dialog}/{uid}.wav",
                    phrases=tuple(Phrase(p, cue_prosody if role == "cue" else neutral)
                                  for p, role in zip(cue.phrases, cue.roles)),
                    seed=stable_seed(seed, uid), gain=sp.gain,
                    noise_dbfs=-58.0 + 2.0 * s,  # each session has its own room
                )
                out.append(PlannedUtt(uid, s, dialog, gender, label, text, cue.word_emotion,
                                      compose.text_kind(label, cue), clip, cue, intensity, tag_offset, e,
                                      annotate(LAYOUT, uid, seed, label, cue, intensity, POOL, mix)))
    return out, speakers


def _evaluators(n: int, rng: np.random.Generator) -> list[int]:
    """`n` distinct evaluator numbers of E1..E6, in increasing order (as the real blocks list them)."""
    return sorted(int(k) for k in rng.choice(np.arange(1, N_EVALUATORS + 1), size=n, replace=False))


def _eval_block(u: PlannedUtt, start: float, end: float, cat_ids: list[int], att_ids: list[int]) -> str:
    """The turn's EmoEvaluation block: utterance line with the consensus [V, A, D], evaluator and self lines."""
    ann = u.annotation
    a, v, d = ann.consensus  # type: ignore[misc]
    lines = [f"[{start:.4f} - {end:.4f}]\t{u.uid}\t{u.label}\t[{v:.4f}, {a:.4f}, {d:.4f}]"]
    for k, vote in zip(cat_ids, ann.votes):
        lines.append(f"C-E{k}:\t{' '.join(CATEGORY[c] + ';' for c in vote)}\t()")
    if ann.self_vote is not None:
        lines.append(f"C-{u.gender}1:\t{' '.join(CATEGORY[c] + ';' for c in ann.self_vote)}\t()")
    for k, (ra, rv, rd) in zip(att_ids, ann.ratings):
        lines.append(f"A-E{k}:\tval {rv}; act {ra}; dom  {rd};\t()")
    if ann.self_rating is not None:
        ra, rv, rd = ann.self_rating
        lines.append(f"A-{u.gender}1:\tval {rv}; act {ra}; dom  {rd};\t()")
    return "\n".join(lines) + "\n"


def build(root: Path, scale: str, seed: int, renderer: Renderer, progress: bool) -> dict[str, object]:
    """Render and write the whole tree under `root`; returns counts for the summary."""
    utts, speakers = plan(scale, seed)
    durations = render_all(root, [u.clip for u in utts], renderer, progress, "iemocap")
    rng = np.random.default_rng(stable_seed(seed, LAYOUT, "files"))
    dialogs: dict[str, list[PlannedUtt]] = {}
    for u in utts:
        dialogs.setdefault(u.dialog, []).append(u)
    for dialog, dutts in dialogs.items():
        s = dutts[0].session
        t = float(rng.uniform(1.0, 8.0))
        timed: list[tuple[PlannedUtt, float, float]] = []
        for u in dutts:
            start = round(t, 4)
            end = round(start + durations[u.clip.path].duration, 4)
            timed.append((u, start, end))
            t = end + float(rng.uniform(0.2, 2.0))
        evals = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"]
        per_cat: dict[int, list[str]] = {}
        per_att: dict[int, list[str]] = {}
        for u, a, b in timed:
            cat_ids = _evaluators(len(u.annotation.votes), rng)
            att_ids = _evaluators(len(u.annotation.ratings), rng)
            evals.append(_eval_block(u, a, b, cat_ids, att_ids) + "\n")
            for k, vote in zip(cat_ids, u.annotation.votes):
                per_cat.setdefault(k, []).append(f"{u.uid} :{' '.join(LONG_CATEGORY[c] + ';' for c in vote)} ()\n")
            for k, (ra, rv, rd) in zip(att_ids, u.annotation.ratings):
                per_att.setdefault(k, []).append(f"{u.uid} :act {ra}; val {rv}; dom {rd}; ()\n")
        write_file(root, f"Session{s}/dialog/EmoEvaluation/{dialog}.txt", "".join(evals))
        for k, lines_k in sorted(per_cat.items()):
            write_file(root, f"Session{s}/dialog/EmoEvaluation/Categorical/{dialog}_e{k}_cat.txt", "".join(lines_k))
        for k, lines_k in sorted(per_att.items()):
            write_file(root, f"Session{s}/dialog/EmoEvaluation/Attribute/{dialog}_e{k}_atr.txt", "".join(lines_k))
        lines: list[bytes] = [f"{u.uid} [{a:08.4f}-{b:08.4f}]: {u.transcript}\n".encode() for u, a, b in timed]
        # Lines that are not utterances: an XX id (one with a latin-1 byte per session) and one without times.
        g = timed[0][0].gender
        a, b = timed[0][2] + 0.05, timed[0][2] + 0.15
        xx_text = b"Ol\xe9!" if dialog.endswith("F_impro01") else b"[LAUGHTER]"
        lines.insert(1, f"{dialog}_{g}XX0 [{a:08.4f}-{b:08.4f}]: ".encode() + xx_text + b"\n")
        lines.append(f"{dialog}_{g}XX1: [BREATHING]\n".encode())
        write_file(root, f"Session{s}/dialog/transcriptions/{dialog}.txt", b"".join(lines))
    write_cues(root, [
        compose.truth(f"{LAYOUT}:{u.uid}", u.label, u.label, u.cue, u.tag_offset, durations[u.clip.path].duration,
                      durations[u.clip.path].spans, u.intensity, f"Session{u.session}", u.expressiveness,
                      u.annotation.true_dims, u.annotation.agreement)
        for u in utts])
    kept = [u for u in utts if u.label in KEPT_4]
    return {
        "utterances": len(utts),
        "kept_iemocap_4": len(kept),
        "labels": dict(sorted(Counter(u.label for u in utts).items())),
        "labels_iemocap_4": dict(sorted(Counter("hap" if u.label == "exc" else u.label for u in kept).items())),
        "speakers": sorted(sp.sid for sp in speakers),
        "sessions": {f"Session{s}": sum(1 for u in kept if u.session == s) for s in range(1, 6)},
        "dialogues": len(dialogs),
        "text_kinds": dict(sorted(Counter(u.text_kind for u in kept).items())),
        "cue_types": dict(sorted(Counter(u.cue.cue_type for u in kept).items())),
        "no_consensus": sum(1 for u in utts if u.label == "xxx"),
        "expressiveness": dict(sorted({f"{u.dialog[:5]}_{u.gender}": round(u.expressiveness, 3) for u in utts}.items())),
        "audio_seconds": round(sum(r.duration for r in durations.values()), 3),
    }
