"""Hand-made tiny corpus trees in the exact distributed layouts (IEMOCAP, MSP-Podcast, CREMA-D): every tree
builder of the tests lives here (the generated synthetic corpora are `tests/support/synth.py`).

Each builder writes real (very short) WAVs with soundfile and label/text files in the real formats.
IEMOCAP has one builder, `iemocap_tree`, in two flavours:
- the default tree: sessions x 2 speakers x `per_speaker` utterances whose text carries a cue word per
  emotion (with some label noise), so a bag-of-words model beats the majority baseline (run-grid tests);
- `quirky_iemocap`: hand-written rows with the quirks the adapter must handle: header lines, annotator
  lines (an evaluator naming two classes, the actors' self-evaluation lines), non-utterance transcription
  lines, CRLF, a stray latin-1 byte, the per-evaluator EmoEvaluation sub-folders (which agree with the main
  file, plus one line that cannot be compared), scripted ids with part letters (adapter tests).
Every IEMOCAP clip lasts its segment (`end - start`), as the adapter checks; every block carries evaluator
lines in the real format (`annotator_lines`), the consensus bracket being the mean of its `A-E` lines.
MSP-Podcast trees carry `Labels/labels_detailed.csv` (v1.11 `FileName,EmoDetail` layout by default) whose
ratings average to the consensus columns; CREMA-D trees carry `VideoDemographics.csv` and the voice-only
ratings in `processedResults/tabulatedVotes.csv` (or `finishedResponses.csv`).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import soundfile as sf

SR = 16000


def write_tone(path: Path, seconds: float = 0.15, sr: int = SR, channels: int = 1, freq: float = 220.0,
               amplitude: float = 0.3) -> Path:
    """A sine tone WAV (PCM 16), `channels` identical channels; parent folders are created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    x = amplitude * np.sin(2 * np.pi * freq * t).astype(np.float32)
    sf.write(str(path), np.stack([x] * channels, axis=1) if channels > 1 else x, sr, subtype="PCM_16")
    return path


def write_wav(path: Path, seconds: float = 0.15, sr: int = SR) -> Path:
    """A short quiet 220 Hz tone; the default length is just above the encoders' minimum (audio.MIN_SECONDS)."""
    return write_tone(path, seconds, sr, amplitude=0.1)


def truncate(path: Path, keep_fraction: float = 0.5) -> None:
    """Cut a WAV's bytes short while leaving its header (and its declared data size) intact."""
    data = path.read_bytes()
    path.write_bytes(data[: 44 + int((len(data) - 44) * keep_fraction)])


# ---------------------------------------------------------------- IEMOCAP
EVAL_HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]"
CUES = {"neu": "okay", "hap": "wonderful", "ang": "furious", "sad": "tears"}
FILLER = ["well", "so", "I", "think", "maybe", "then", "you", "know", "the", "day"]
LABELS = ("neu", "hap", "ang", "sad")


class Row(NamedTuple):
    """One utterance of a dialogue: times in seconds, id, consensus label, transcript; `annotators` replaces the
    default annotator lines (`annotator_lines`) and `vad` the consensus bracket when given."""

    start: float
    end: float
    uid: str
    label: str
    text: str
    annotators: tuple[str, ...] | None = None
    vad: str = "[2.5000, 3.0000, 2.5000]"


LONG_NAMES = {"neu": "Neutral state", "hap": "Happiness", "exc": "Excited", "sad": "Sadness", "ang": "Anger",
              "fru": "Frustration", "fea": "Fear", "sur": "Surprise", "dis": "Disgust", "oth": "Other"}
# The default dimensional lines: their mean is the default bracket [2.5, 3.0, 2.5] (V, A, D).
DIM_LINES = ("A-E1:\tval 2; act 3; dom  2;\t()", "A-E2:\tval 3; act 3; dom  3;\t(calm)")


def annotator_lines(label: str, quirks: bool = False) -> tuple[str, ...]:
    """Three evaluators naming `label` (no two alike for `xxx`) and two dimensional lines averaging to the default
    bracket; `quirks`: the third evaluator names a second class (Other) and the female actor's self-evaluation
    lines follow (C-F1 / A-F1, never counted as votes)."""
    if label == "xxx":
        cats = ["Anger", "Sadness", "Neutral state"]
    else:
        cats = [LONG_NAMES[label]] * 3
    lines = [f"C-E1:\t{cats[0]};\t()", f"C-E2:\t{cats[1]};\t()",
             f"C-E3:\t{cats[2]}; Other;\t(tired)" if quirks else f"C-E3:\t{cats[2]};\t()"]
    if quirks:
        lines.append("C-F1:\tNeutral state;\t()")
    lines += DIM_LINES
    if quirks:
        lines.append("A-F1:\tval 5; act 1; dom  1;\t()")
    return tuple(lines)


Dialogs = dict[str, list[Row]]  # dialogue name -> its utterances, in file order


def cue_rows(session: int, per_speaker: int, rng: np.random.Generator, seconds: float = 0.15) -> Dialogs:
    """Dialogue Ses0sF_impro01: F and M take turns, 1 s apart, each `seconds` long; 'neu' most frequent; a cue word
    per label (85 %)."""
    dialog = f"Ses0{session}F_impro01"
    rows, t = [], 1.0
    for i in range(per_speaker):
        for g in ("F", "M"):
            label = LABELS[int(rng.integers(0, 4))] if i % 5 else "neu"
            cue = CUES[label] if rng.random() > 0.15 else CUES[LABELS[int(rng.integers(0, 4))]]
            text = " ".join(list(rng.choice(FILLER, size=3)) + [cue]).capitalize() + "."
            rows.append(Row(t, round(t + seconds, 4), f"{dialog}_{g}{i:03d}", label, text))
            t += 1.0
    return {dialog: rows}


def _impro_rows(s: int) -> list[Row]:
    """The utterances of dialogue Ses0sF_impro01; listed out of time order on purpose."""
    d = f"Ses0{s}F_impro01"
    return [
        Row(1.0, 2.0, f"{d}_F000", "neu", "Excuse me."),
        Row(2.5, 3.0, f"{d}_M000", "exc", "Yeah, great [LAUGHTER]."),
        Row(3.5, 4.0, f"{d}_F001", "xxx", "Hm."),
        Row(4.5, 5.0, f"{d}_M001", "ang", "No way."),
        Row(5.5, 6.0, f"{d}_F002", "fru", "Ugh, again."),
        Row(6.5, 7.0, f"{d}_M002", "sad", "I miss her."),
        Row(0.2, 0.8, f"{d}_F003", "hap", "Hi there!"),  # earliest start, listed last
    ]


SCRIPTED = {
    "Ses05M_script01_3": [Row(0.5, 1.5, "Ses05M_script01_3_F000", "neu", "What's that?"),
                          Row(2.0, 3.0, "Ses05M_script01_3_M001", "sad", "Nothing.")],
    "Ses05M_script01_1b": [Row(9.0, 9.5, "Ses05M_script01_1b_M012", "hap", "Sure!")],
}
def iemocap_tree(parent: Path, sessions: int = 3, per_speaker: int = 8, seed: int = 0, clip_seconds: float = 0.15,
                 dialogs: Callable[[int], Dialogs] | None = None, quirks: bool = False) -> Path:
    """Write `parent/IEMOCAP_full_release` and return its path: `sessions` sessions of `dialogs(session)`
    (default: `cue_rows` with `per_speaker` utterances per speaker, drawn from `seed`, each `clip_seconds`
    long), each utterance a tone as long as its segment. `quirks`: the layout quirks of real releases (see
    the module docstring). A tree of fewer than 5 sessions is a partial copy (`LoadReport.missing`)."""
    rng = np.random.default_rng(seed)
    root = parent / "IEMOCAP_full_release"
    for s in range(1, sessions + 1):
        sdir = root / f"Session{s}"
        for dialog, rows in (dialogs(s) if dialogs else cue_rows(s, per_speaker, rng, clip_seconds)).items():
            evals = [EVAL_HEADER, ""]
            for row in rows:
                evals.append(f"[{row.start:.4f} - {row.end:.4f}]\t{row.uid}\t{row.label}\t{row.vad}")
                evals += list(row.annotators if row.annotators is not None else annotator_lines(row.label, quirks))
                evals.append("")
            ev = sdir / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
            ev.parent.mkdir(parents=True, exist_ok=True)
            ev.write_text("\n".join(evals) + "\n")
            lines = [f"{r.uid} [{r.start:08.4f}-{r.end:08.4f}]: {r.text}" for r in rows]
            if quirks:
                lines.insert(2, f"{dialog}_MXX0 [003.1000-003.3000]: [BREATHING]")  # not an utterance
                lines.insert(3, "M: [GARBAGE]")  # no timestamps
            newline = "\r\n" if quirks else "\n"
            tr = sdir / "dialog" / "transcriptions" / f"{dialog}.txt"
            tr.parent.mkdir(parents=True, exist_ok=True)
            tr.write_bytes((newline.join(lines) + newline).encode())
            for row in rows:
                write_wav(sdir / "sentences" / "wav" / dialog / f"{row.uid}.wav", round(row.end - row.start, 4))
            if quirks:  # per-evaluator files of evaluator 2: the main file's facts again, plus one stray line
                ev_dir = sdir / "dialog" / "EmoEvaluation"
                cat = "".join(f"{r.uid} :{'Sadness' if r.label == 'xxx' else LONG_NAMES[r.label]}; ()\n" for r in rows)
                atr = "".join(f"{r.uid} :act 3; val 3; dom 3; ()\n" for r in rows)
                for sub, name, body in (("Categorical", "cat", cat), ("Attribute", "atr", atr)):
                    f = ev_dir / sub / f"{dialog}_e2_{name}.txt"
                    f.parent.mkdir(parents=True, exist_ok=True)
                    f.write_text("[garbage line\n" + body)
        if quirks:  # the actors' self-evaluations: never read
            f = sdir / "dialog" / "EmoEvaluation" / "Self-evaluation" / f"Ses0{s}F_impro01_F.txt"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text("[garbage line\n")
    if quirks:  # one transcript with a stray Windows-1252 / latin-1 byte (0xe9 = é)
        tr = root / "Session1" / "dialog" / "transcriptions" / "Ses01F_impro01.txt"
        tr.write_bytes(tr.read_bytes().replace(b"Excuse me.", b"Excuse me, caf\xe9."))
    return root


def quirky_iemocap(parent: Path, sessions: int = 5) -> Path:
    """The adapter tests' tree: 7 hand-written utterances per session (+3 scripted ones in session 5), with quirks."""
    def dialogs(s: int) -> Dialogs:
        return {f"Ses0{s}F_impro01": _impro_rows(s), **(SCRIPTED if s == 5 else {})}
    return iemocap_tree(parent, sessions, dialogs=dialogs, quirks=True)


# ---------------------------------------------------------------- MSP-Podcast
MSP_ROWS = [  # FileName, EmoClass, SpkrID, Gender, Split_Set
    ("MSP-PODCAST_0001_0003.wav", "N", "10", "Female", "Train"),
    ("MSP-PODCAST_0001_0001.wav", "H", "10", "Female", "Train"),
    ("MSP-PODCAST_0001_0002.wav", "X", "11", "Male", "Train"),
    ("MSP-PODCAST_0001_0004.wav", "A", "11", "Male", "Train"),
    ("MSP-PODCAST_0002_0001.wav", "A", "12", "Male", "Development"),
    ("MSP-PODCAST_0002_0002.wav", "S", "Unknown", "Unknown", "Development"),
    ("MSP-PODCAST_0003_0001.wav", "S", "13", "Female", "Test1"),
    ("MSP-PODCAST_0003_0002.wav", "O", "13", "Female", "Test1"),
    ("MSP-PODCAST_0003_0003.wav", "N", "Unknown", "Unknown", "Test1"),
    ("MSP-PODCAST_0004_0001.wav", "U", "14", "Male", "Test2"),
    ("MSP-PODCAST_0004_0002.wav", "C", "14", "Male", "Test2"),
    ("MSP-PODCAST_0005_0001.wav", "", "Unknown", "Unknown", "Test3"),
]
MSP_TRANSCRIPTS = {"MSP-PODCAST_0001_0001": "so that was  the\nfirst thing", "MSP-PODCAST_0003_0001": "na\xefve idea"}


def msp_transcript(stem: str) -> str:
    """The transcript file text of a segment: the quirky ones above, else a plain sentence naming it."""
    return MSP_TRANSCRIPTS.get(stem, f"segment {stem.rsplit('_', 1)[-1]} of the show")


MSP_CODE_NAMES = {"A": "Angry", "S": "Sad", "H": "Happy", "U": "Surprise", "F": "Fear", "D": "Disgust",
                  "C": "Contempt", "N": "Neutral", "O": "Other-Curious"}
# Five annotators per segment; their ratings average to the consensus columns (4.2, 3.8, 4.0).
MSP_RATINGS = ((4, 4, 4), (4, 4, 4), (4, 3, 4), (5, 4, 4), (4, 4, 4))  # (A, V, D) per annotator


def msp_primaries(code: str) -> list[str]:
    """The five annotators' primary emotions of a segment whose consensus is `code` (3 of 5 agree; X: no plurality)."""
    if code == "X":
        return ["Angry", "Sad", "Happy", "Neutral", "Other-Curious"]
    if not code:  # Test3: no public labels
        return []
    return [MSP_CODE_NAMES[code]] * 3 + ["Neutral" if code != "N" else "Happy", "Other-Curious"]


def msp_detailed(rows: list[tuple], layout: str = "csv") -> str:
    """`labels_detailed` in the v1.11 CSV layout (`FileName,EmoDetail`), the v1.6 column layout (`csv-columns`)
    or the older JSON layout (`json`)."""
    if layout == "json":
        doc = {name: {f"WORKER{w:05d}": {"EmoClass_Major": primary, "EmoAct": a, "EmoVal": v, "EmoDom": d}
                      for w, (primary, (a, v, d)) in enumerate(zip(msp_primaries(code), MSP_RATINGS), start=1)}
               for name, code, *_ in rows if code}
        return json.dumps(doc, indent=2)
    out = (["FileName,EmoDetail"] if layout == "csv"
           else ["FileName,WorkerID,EmoClass_Major,EmoClass_Second,EmoAct,EmoVal,EmoDom"])
    for name, code, *_ in rows:
        for w, (primary, (a, v, d)) in enumerate(zip(msp_primaries(code), MSP_RATINGS), start=1):
            if layout == "csv":
                out.append(f'{name},"WORKER{w:05d}; {primary}; {primary},Concerned; A:{a:.1f}; V:{v:.1f}; D:{d:.1f};"')
            else:
                out.append(f"{name},WORKER{w:05d},{primary},{primary},{a:.1f},{v:.1f},{d:.1f}")
    return "\n".join(out) + "\n"


def make_msp(parent: Path, fmt: str = "csv", spelling: str = "consensus", rows: list[tuple] | None = None,
             transcripts: bool = True, detailed: str | None = "csv") -> Path:
    """An MSP-Podcast tree: `Audios/`, `Labels/labels_<spelling>.<fmt>`, `Labels/labels_detailed.{csv,json}`
    (`detailed`: "csv", "csv-columns", "json" or None for none), `Transcripts/` (one file per segment, as recent
    releases ship it; `transcripts=False`: no folder, as older releases)."""
    root = parent / "MSP-PODCAST"
    rows = MSP_ROWS if rows is None else rows
    for name, *_ in rows:
        write_wav(root / "Audios" / name)
    labels = root / "Labels" / f"labels_{spelling}.{fmt}"
    labels.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with open(labels, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["FileName", "EmoClass", "EmoAct", "EmoVal", "EmoDom", "SpkrID", "Gender", "Split_Set"])
            for name, code, spk, gender, split in rows:
                w.writerow([name, code, "4.2", "3.8", "4.0", spk, gender, split])
    else:  # older JSON: "Validation" instead of "Development"
        doc = {name: {"EmoClass": code, "EmoAct": 4.2, "EmoVal": 3.8, "EmoDom": 4.0, "SpkrID": spk,
                      "Gender": gender, "Split_Set": "Validation" if split == "Development" else split}
               for name, code, spk, gender, split in rows}
        labels.write_text(json.dumps(doc, indent=2))
    if detailed is not None:
        name = "labels_detailed.json" if detailed == "json" else "labels_detailed.csv"
        (labels.parent / name).write_text(msp_detailed(rows, detailed))
    if transcripts:
        for name, *_ in rows:
            stem = name[:-4]
            t = root / "Transcripts" / f"{stem}.txt"
            t.parent.mkdir(parents=True, exist_ok=True)
            t.write_bytes(msp_transcript(stem).encode("latin-1"))
    return root


# ---------------------------------------------------------------- CREMA-D
CREMA_CLIPS = ("DFA_ANG_XX", "IEO_HAP_HI", "IEO_SAD_LO", "TIE_NEU_XX", "ITS_FEA_XX", "WSI_DIS_MD")
CREMA_ACTORS = tuple(str(a) for a in range(1001, 1008))  # 7 actors


CREMA_CODES = {"ANG": "A", "DIS": "D", "FEA": "F", "HAP": "H", "NEU": "N", "SAD": "S"}
TABULATED_HEADER = ('"","A","D","F","H","N","S","fileName","numResponses","agreement","emoVote","meanEmoResp",'
                    '"meanAngerResp","meanDisgustResp","meanFearResp","meanHappyResp","meanNeutralResp","meanSadResp",'
                    '"medianEmoResp","meanEmoRespNorm","meanAngerRespNorm","meanDisgustRespNorm","meanFearRespNorm",'
                    '"meanHappyRespNorm","meanNeutralRespNorm","meanSadRespNorm","medianEmoRespNorm"')
RESPONSES_HEADER = ('"","localid","pos","ans","ttr","queryType","numTries","clipNum","questNum","subType","clipName",'
                    '"sessionNums","respEmo","respLevel","dispEmo","dispVal","dispLevel"')


def crema_voice_votes(stem: str) -> dict[str, int]:
    """Ten voice-only ratings of a clip: 6 for the intended emotion, 3 Neutral (Happy for NEU clips), 1 Sad/Anger."""
    intended = CREMA_CODES[stem.split("_")[2]]
    second = "H" if intended == "N" else "N"
    third = "A" if intended == "S" else "S"
    return {intended: 6, second: 3, third: 1}


def make_crema(parent: Path, actors: tuple[str, ...] = CREMA_ACTORS, votes: str | None = "tabulated") -> Path:
    """A CREMA-D tree: `AudioWAV/` (every actor x `CREMA_CLIPS`), `VideoDemographics.csv` (odd actors Male) and the
    voice-only ratings (`crema_voice_votes`) in `processedResults/tabulatedVotes.csv` (`votes="tabulated"`, with
    face-only rows too, which the adapter must skip), `finishedResponses.csv` (`"responses"`) or nowhere (None)."""
    root = parent / "CREMA-D"
    stems = [f"{actor}_{clip}" for actor in actors for clip in CREMA_CLIPS]
    for stem in stems:
        write_wav(root / "AudioWAV" / f"{stem}.wav")
    (root / "AudioWAV" / ".DS_Store").write_bytes(b"\x00\x01")
    (root / "VideoDemographics.csv").write_text(
        "ActorID,Age,Sex,Race,Ethnicity\n"
        + "".join(f"{a},30,{'Male' if int(a) % 2 else 'Female'},Caucasian,Not Hispanic\n" for a in actors))
    if votes == "tabulated":
        lines = [TABULATED_HEADER]
        for query in (1, 2):  # voice-only rows, then face-only rows (which disagree: all Happy)
            for i, stem in enumerate(stems, start=1):
                counts = crema_voice_votes(stem) if query == 1 else {"H": 10}
                row = [str(counts.get(c, 0)) for c in "ADFHNS"]
                n = sum(counts.values())
                top = max(counts, key=counts.get)  # type: ignore[arg-type]
                lines.append(f'"{query * 100000 + i}",' + ",".join(row) + f',"{stem}",{n},{counts[top] / n},"{top}"'
                             + ",50" * 16)
        path = root / "processedResults" / "tabulatedVotes.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
    elif votes == "responses":
        lines, k = [RESPONSES_HEADER], 0
        for i, stem in enumerate(stems, start=1):
            answers = [c for c, n in crema_voice_votes(stem).items() for _ in range(n)]
            for r, code in enumerate(answers):
                k += 1
                lines.append(f'"{k}","rater{r:03d}",{i},"{code}_50",1500,1,0,{i},{i},4,"{stem}",{r},"{code}",50,'
                             f'"{CREMA_CODES[stem.split("_")[2]]}","{stem.split("_")[3]}",50')
            k += 1  # and one face-only response, which the adapter must skip
            lines.append(f'"{k}","rater999",{i},"H_50",1500,2,0,{i},{i},4,"{stem}",99,"H",50,"H","XX",50')
        (root / "finishedResponses.csv").write_text("\n".join(lines) + "\n")
    return root
