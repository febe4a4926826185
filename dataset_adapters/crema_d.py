"""CREMA-D adapter: `AudioWAV/<actor>_<sentence>_<emotion>_<level>.wav`, label = the intended emotion.

The transcript is the fixed sentence named by the file (12 sentences, identical across emotions,
so text alone carries no emotion here). There is no dialogue, hence no context. The uid comes
from the file name, so names that differ only in case (`X.wav`, `X.WAV`) are problems, not two clips.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from dataset_adapters.check import ProblemLog, TreeAdapter, audio_problem, fatal, map_label
from dataset_adapters.labels import LabelMap
from dataset_adapters.types import CorpusInfo, Utterance

NAME = "crema-d"


RAW_CODES: dict[str, str | None] = {"ANG": "ang", "DIS": "dis", "FEA": "fea", "HAP": "hap", "NEU": "neu", "SAD": "sad"}
INFO = CorpusInfo(
    name=NAME,
    version="CREMA-D (AudioWAV)",
    env_var="LEMER_DATA_CREMA_D",
    expected_root="the CREMA-D folder (holding AudioWAV/)",
    protocols=("speaker-5fold",),
    default_protocol="speaker-5fold",
    label_maps=(
    LabelMap("crema-6", ("ang", "dis", "fea", "hap", "neu", "sad"), (), (NAME,)),
    ),
    default_label_map="crema-6",
    raw_codes=RAW_CODES,
)
SENTENCES: dict[str, str] = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}
LEVELS = ("LO", "MD", "HI", "XX")  # XX = unspecified (only IEO has graded levels)
CLIP_NAME = re.compile(r"^(?P<actor>\d{4})_(?P<sentence>[A-Z]{3})_(?P<emotion>[A-Z]{3})_(?P<level>[A-Z]{2})$")


def find_root(root: str | Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise fatal(root, "corpus root does not exist or is not a folder")
    for candidate in (root, root / "CREMA-D"):
        if (candidate / "AudioWAV").is_dir():
            return candidate
    raise fatal(root, "not a CREMA-D root: no AudioWAV/ folder found")


def parse_clip_name(stem: str) -> tuple[str, str, str, str]:
    """`1001_DFA_ANG_XX` -> (actor, sentence, emotion, level); ValueError naming what is wrong."""
    m = CLIP_NAME.match(stem)
    if not m:
        raise ValueError(f"file name {stem!r} is not <actor>_<sentence>_<emotion>_<level>")
    if m["sentence"] not in SENTENCES:
        raise ValueError(f"unknown sentence code {m['sentence']!r} (known: {', '.join(SENTENCES)})")
    if m["level"] not in LEVELS:
        raise ValueError(f"unknown intensity level {m['level']!r} (known: {', '.join(LEVELS)})")
    return m["actor"], m["sentence"], m["emotion"], m["level"]


def _case_collisions(wavs: list[Path]) -> list[Path]:
    """Files whose clip ids differ only in case (`X.wav` and `X.WAV`): which one is meant is unknown,
    and on a case-insensitive file system they are one file, so none of them is kept."""
    groups: dict[str, list[Path]] = {}
    for p in wavs:
        groups.setdefault(p.stem.casefold(), []).append(p)
    return [p for group in groups.values() if len(group) > 1 for p in group]


class CremaDAdapter(TreeAdapter):
    info = INFO
    find_root = staticmethod(find_root)
    unit = "clips"

    def read(self, base: Path, lmap: LabelMap, log: ProblemLog, filtered: dict[str, int], verify_audio: bool,
             verify_samples: bool) -> tuple[list[Utterance], Path]:
        kept: list[Utterance] = []
        # Hidden files (macOS `._*`, `.DS_Store`) and non-WAV files are not clips.
        wavs = sorted(p for p in (base / "AudioWAV").iterdir() if p.suffix.lower() == ".wav" and not p.name.startswith("."))
        colliding = set(_case_collisions(wavs))
        for wav in sorted(colliding):
            others = ", ".join(p.name for p in wavs if p != wav and p.stem.casefold() == wav.stem.casefold())
            log.add(wav, None, f"clip id {NAME}:{wav.stem} also given by {others} (names differ only in case)")
        for wav in wavs:
            if wav in colliding:
                continue
            try:
                actor, sentence, emotion, _level = parse_clip_name(wav.stem)
            except ValueError as e:
                log.add(wav, None, str(e))
                continue
            label = map_label(NAME, emotion, lmap, filtered, log, wav, None)
            if label is None:
                continue
            if verify_audio or verify_samples:
                why = audio_problem(wav, samples=verify_samples)
                if why:
                    log.add(wav, None, why)
                    continue
            kept.append(Utterance(
                uid=f"{NAME}:{wav.stem}", corpus=NAME, speaker=actor, session=None, audio=os.path.abspath(wav),
                start=None, end=None, transcript=SENTENCES[sentence], label=label, label_raw=emotion, partition=None,
            ))
        kept.sort(key=lambda u: u.uid)
        return kept, base / "AudioWAV"
