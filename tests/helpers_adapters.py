"""Hand-made tiny corpus trees in the exact distributed layouts, with the quirks the adapters must handle.

Each builder writes real (very short) WAVs with soundfile and label/text files in the real formats:
header lines, annotator lines, non-utterance transcription lines, stray latin-1 bytes, the
per-annotator EmoEvaluation sub-folders that must be ignored, scripted ids with part letters.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16000


def write_wav(path: Path, seconds: float = 0.15, sr: int = SR) -> Path:
    """A short 220 Hz tone; the default length is just above the encoders' minimum (audio.MIN_SECONDS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    sf.write(str(path), (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr, subtype="PCM_16")
    return path


def truncate(path: Path, keep_fraction: float = 0.5) -> None:
    """Cut a WAV's bytes short while leaving its header (and its declared data size) intact."""
    data = path.read_bytes()
    path.write_bytes(data[: 44 + int((len(data) - 44) * keep_fraction)])


# ---------------------------------------------------------------- IEMOCAP
EVAL_HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"


def _impro_rows(s: int) -> list[tuple[float, float, str, str, str]]:
    """(start, end, utt id, label, text) of dialogue Ses0sF_impro01; listed out of time order on purpose."""
    d = f"Ses0{s}F_impro01"
    return [
        (1.0, 2.0, f"{d}_F000", "neu", "Excuse me."),
        (2.5, 3.0, f"{d}_M000", "exc", "Yeah, great [LAUGHTER]."),
        (3.5, 4.0, f"{d}_F001", "xxx", "Hm."),
        (4.5, 5.0, f"{d}_M001", "ang", "No way."),
        (5.5, 6.0, f"{d}_F002", "fru", "Ugh, again."),
        (6.5, 7.0, f"{d}_M002", "sad", "I miss her."),
        (0.2, 0.8, f"{d}_F003", "hap", "Hi there!"),  # earliest start, listed last
    ]


SCRIPTED = {
    "Ses05M_script01_3": [(0.5, 1.5, "Ses05M_script01_3_F000", "neu", "What's that?"),
                          (2.0, 3.0, "Ses05M_script01_3_M001", "sad", "Nothing.")],
    "Ses05M_script01_1b": [(9.0, 9.5, "Ses05M_script01_1b_M012", "hap", "Sure!")],
}


def _eval_text(rows: list[tuple[float, float, str, str, str]]) -> str:
    out = EVAL_HEADER
    for start, end, uid, label, _ in rows:
        out += f"[{start:.4f} - {end:.4f}]\t{uid}\t{label}\t[2.5000, 3.0000, 2.5000]\n"
        out += "C-E2:\tNeutral;\t()\nC-E3:\tNeutral; Other;\t(tired)\nA-E3:\tval 3; act 2; dom  2;\t()\n\n"
    return out


def make_iemocap(parent: Path, sessions: int = 5) -> Path:
    """An `IEMOCAP_full_release/` tree; returns its path."""
    root = parent / "IEMOCAP_full_release"
    dialogs: dict[int, dict[str, list]] = {s: {f"Ses0{s}F_impro01": _impro_rows(s)} for s in range(1, sessions + 1)}
    if sessions >= 5:
        dialogs[5].update(SCRIPTED)
    for s, by_dialog in dialogs.items():
        sdir = root / f"Session{s}"
        for dialog, rows in by_dialog.items():
            ev = sdir / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
            ev.parent.mkdir(parents=True, exist_ok=True)
            ev.write_text(_eval_text(rows))
            tr = sdir / "dialog" / "transcriptions" / f"{dialog}.txt"
            tr.parent.mkdir(parents=True, exist_ok=True)
            lines = [f"{uid} [{start:08.4f}-{end:08.4f}]: {text}".encode() for start, end, uid, _, text in rows]
            lines.insert(2, f"{dialog}_MXX0 [003.1000-003.3000]: [BREATHING]".encode())  # not an utterance
            lines.insert(3, b"M: [GARBAGE]")  # no timestamps
            tr.write_bytes(b"\r\n".join(lines) + b"\r\n")
            for _, _, uid, _, _ in rows:
                write_wav(sdir / "sentences" / "wav" / dialog / f"{uid}.wav")
        # Per-annotator sub-folders: content that would be malformed if it were read as consensus.
        for sub in ("Categorical", "Attribute", "Self-evaluation"):
            f = sdir / "dialog" / "EmoEvaluation" / sub / f"Ses0{s}F_impro01_e2_cat.txt"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(f"[garbage line\nSes0{s}F_impro01_F000 :Neutral state; ()\n")
    # One transcript with a stray Windows-1252 / latin-1 byte (0xe9 = é).
    tr = root / "Session1" / "dialog" / "transcriptions" / "Ses01F_impro01.txt"
    tr.write_bytes(tr.read_bytes().replace(b"Excuse me.", b"Excuse me, caf\xe9."))
    return root


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


def make_msp(parent: Path, fmt: str = "csv", spelling: str = "consensus", rows: list[tuple] | None = None,
             transcripts: bool = True) -> Path:
    """An MSP-Podcast tree: `Audios/`, `Labels/labels_<spelling>.<fmt>`, `Transcripts/` (one file per
    segment, as recent releases ship it; `transcripts=False`: no folder, as older releases)."""
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


def make_crema(parent: Path, actors: tuple[str, ...] = CREMA_ACTORS) -> Path:
    root = parent / "CREMA-D"
    for actor in actors:
        for clip in CREMA_CLIPS:
            write_wav(root / "AudioWAV" / f"{actor}_{clip}.wav")
    (root / "AudioWAV" / ".DS_Store").write_bytes(b"\x00\x01")
    (root / "VideoDemographics.csv").write_text(
        "ActorID,Age,Sex,Race,Ethnicity\n" + "".join(f"{a},30,Female,Caucasian,Not Hispanic\n" for a in actors))
    return root
