"""CREMA-D adapter: `AudioWAV/<actor>_<sentence>_<emotion>_<level>.wav`, label = the intended emotion.

Facts relied on (the release's own README, CheyneyComputerScience/CREMA-D, and its R scripts
`processFinishedResponses.R` / `tabulateVotesV2.r`):
- `VideoDemographics.csv`: `ActorID, Age, Sex, Race, Ethnicity` (Sex Male / Female) -> `Utterance.gender`.
- Per-rater responses: `finishedResponses.csv` (one row per response: an unnamed row index, then
  `localid` (rater), `pos`, `ans`, `ttr`, `queryType` (1 voice only, 2 face only, 3 audio-visual),
  `numTries`, `clipNum`, `questNum`, `subType`, `clipName`, `sessionNums`, `respEmo` (A D F H N S),
  `respLevel`, `dispEmo`, `dispVal`, `dispLevel`) and their tabulation
  `processedResults/tabulatedVotes.csv` (one row per clip and query type, its row name being
  100000 x queryType + clipNum; columns `A D F H N S` (vote counts), `fileName`, `numResponses`,
  `agreement`, `emoVote`, mean/median levels). `processedResults/summaryTable.csv` only holds the
  majority votes (`VoiceVote`, `FaceVote`, `MultiModalVote`) and is not needed.
- CREMA-D has NO arousal/valence/dominance ratings (`respLevel` is the rated intensity of the
  chosen emotion, not arousal): the dimensional task is unavailable (`CorpusInfo.tasks`).

How it is read:
- Votes are the VOICE-ONLY ratings (queryType 1): what a listener heard, the speech task's soft
  label. From `tabulatedVotes.csv` when present (the authors' own tabulation, which also drops
  responses whose first click came after 10 s), else tallied from `finishedResponses.csv` (every
  voice-only row; a rater answering the same clip twice counts once, a `duplicate-annotation` note).
  A rated clip that is not in `AudioWAV/` is a problem ("label without audio"); a clip without
  voice ratings is a `no-votes` note; rows that name no clip (the practice items) are `not-a-clip` notes.
- The transcript is the fixed sentence named by the file (12 sentences, identical across emotions,
  so text alone carries no emotion here). There is no dialogue, hence no context. The uid comes from
  the file name, so names that differ only in case (`X.wav`, `X.WAV`) are problems, not two clips.
- An actor listed in VideoDemographics.csv without any clip is in `LoadReport.missing`; a clip
  whose actor is not listed has gender None (a `no-gender` note).
"""
from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from dataset_adapters.check import (
    UNKNOWN,
    ProblemLog,
    Read,
    TreeAdapter,
    audio_problem,
    fatal,
    make_votes,
    route_label,
)
from dataset_adapters.files import is_folder, is_present
from dataset_adapters.labels import LabelMap
from dataset_adapters.types import CorpusInfo, Problem, Utterance

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
    tasks=("categorical", "soft"),  # no arousal/valence/dominance ratings exist for CREMA-D
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
RESPONSE_CODES = {"A": "ang", "D": "dis", "F": "fea", "H": "hap", "N": "neu", "S": "sad"}
VOICE_QUERY = 1
TABULATED = Path("processedResults") / "tabulatedVotes.csv"
RESPONSES = Path("finishedResponses.csv")
DEMOGRAPHICS = Path("VideoDemographics.csv")
SEXES = {"female": "F", "male": "M"}


def find_root(root: str | Path) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise fatal(root, "corpus root does not exist or is not a folder")
    for candidate in (root, root / "CREMA-D"):
        if is_folder(candidate / "AudioWAV"):
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


def _csv_rows(path: Path, log: ProblemLog, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]] | None:
    """(line, row) of a CSV with a header naming `required`; None (problem logged) when unreadable."""
    text = log.text(path, "file")
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    absent = [c for c in required if c not in header]
    if absent:
        log.add(path, 1, f"header lacks column(s) {', '.join(absent)} (got {header})")
        return None
    rows = []
    for row in reader:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            log.add(path, reader.line_num, f"expected {len(header)} fields, got {len(row)}")
            continue
        rows.append((reader.line_num, {h: c.strip() for h, c in zip(header, row)}))
    return rows


def read_demographics(path: Path, log: ProblemLog) -> dict[str, str] | None:
    """ActorID -> "F" | "M" from VideoDemographics.csv; None when the file is absent."""
    if not is_present(path):
        return None
    rows = _csv_rows(path, log, ("ActorID", "Sex"))
    out: dict[str, str] = {}
    for n, row in rows or []:
        sex = SEXES.get(row["Sex"].lower())
        if not re.fullmatch(r"\d{4}", row["ActorID"]) or sex is None:
            log.add(path, n, f"expected a 4-digit ActorID and Sex Male/Female, got {row['ActorID']!r}, {row['Sex']!r}")
            continue
        if row["ActorID"] in out:
            log.add(path, n, f"actor {row['ActorID']} listed twice")
            continue
        out[row["ActorID"]] = sex
    return out


def read_voice_votes(base: Path, log: ProblemLog) -> tuple[dict[str, tuple[dict[str, float], int, int]], Path] | None:
    """clip stem -> (votes by unified code, number of raters, line) of the voice-only ratings, and the file
    they came from; None when the release copy has no rater file."""
    tab = base / TABULATED
    if is_present(tab):
        return _tabulated(tab, log), tab
    resp = base / RESPONSES
    if is_present(resp):
        return _responses(resp, log), resp
    return None


def _tabulated(path: Path, log: ProblemLog) -> dict[str, tuple[dict[str, float], int, int]]:
    out: dict[str, tuple[dict[str, float], int, int]] = {}
    rows = _csv_rows(path, log, ("", *RESPONSE_CODES, "fileName", "numResponses"))
    for n, row in rows or []:
        try:
            query = int(row[""]) // 100000
        except ValueError:
            log.add(path, n, f"row name {row['']!r} is not 100000 x queryType + clipNum")
            continue
        if query != VOICE_QUERY:
            continue
        stem = row["fileName"]
        if not CLIP_NAME.match(stem):
            log.note("not-a-clip", path, n, f"voice row for {stem!r}, which names no clip (a practice item?)")
            continue
        try:
            counts = {RESPONSE_CODES[c]: float(int(row[c])) for c in RESPONSE_CODES}
            total = int(row["numResponses"])
        except ValueError:
            log.add(path, n, f"vote counts of {stem} are not whole numbers")
            continue
        if any(v < 0 for v in counts.values()) or sum(counts.values()) != total:
            log.add(path, n, f"vote counts of {stem} ({sum(counts.values()):g}) do not add up to numResponses {total}")
            continue
        if stem in out:
            log.add(path, n, f"second voice-only row for {stem} (first at line {out[stem][2]})")
            continue
        out[stem] = ({k: v for k, v in counts.items() if v}, total, n)
    return out


def _responses(path: Path, log: ProblemLog) -> dict[str, tuple[dict[str, float], int, int]]:
    out: dict[str, tuple[dict[str, float], int, int]] = {}
    raters: dict[tuple[str, str], int] = {}
    rows = _csv_rows(path, log, ("localid", "queryType", "clipName", "respEmo"))
    for n, row in rows or []:
        if row["queryType"] != str(VOICE_QUERY):
            if row["queryType"] not in ("2", "3"):
                log.add(path, n, f"unknown queryType {row['queryType']!r} (1 voice, 2 face, 3 audio-visual)")
            continue
        stem = row["clipName"]
        if not CLIP_NAME.match(stem):
            log.note("not-a-clip", path, n, f"voice response for {stem!r}, which names no clip (a practice item?)")
            continue
        code = RESPONSE_CODES.get(row["respEmo"])
        if code is None:
            log.add(path, n, f"unknown respEmo {row['respEmo']!r} (known: {', '.join(RESPONSE_CODES)})")
            continue
        key = (row["localid"], stem)
        if key in raters:
            log.note("duplicate-annotation", path, n, f"rater {row['localid']} answered {stem} again (first at line "
                                                     f"{raters[key]}); the first answer counts")
            continue
        raters[key] = n
        counts, total, first = out.get(stem, ({}, 0, n))
        counts[code] = counts.get(code, 0.0) + 1.0
        out[stem] = (counts, total + 1, first)
    return out


class CremaDAdapter(TreeAdapter):
    info = INFO
    find_root = staticmethod(find_root)
    unit = "clips"

    def read(self, base: Path, lmap: LabelMap, log: ProblemLog, filtered: dict[str, int], verify_audio: bool,
             verify_samples: bool) -> Read:
        kept: list[Utterance] = []
        entries = log.entries(base / "AudioWAV", "clip folder") or []
        wavs = [p for p in entries if p.suffix.lower() == ".wav"]
        for p in entries:
            if p not in wavs:
                log.note("ignored-file", p, None, "not a .wav clip")
        colliding = set(_case_collisions(wavs))
        for wav in sorted(colliding):
            others = ", ".join(p.name for p in wavs if p != wav and p.stem.casefold() == wav.stem.casefold())
            log.add(wav, None, f"clip id {NAME}:{wav.stem} also given by {others} (names differ only in case)")
        sexes = read_demographics(base / DEMOGRAPHICS, log)
        if sexes is None:
            log.note("no-gender", base / DEMOGRAPHICS, None, "absent: clips carry no gender")
        voted = read_voice_votes(base, log)
        if voted is None:
            log.note("no-votes", base, None, f"no {TABULATED} or {RESPONSES}: clips carry no votes")
        votes_by_clip, votes_file = voted if voted is not None else ({}, None)
        actors_seen: set[str] = set()
        for wav in wavs:
            if wav in colliding:
                continue
            try:
                actor, sentence, emotion, _level = parse_clip_name(wav.stem)
            except ValueError as e:
                log.add(wav, None, str(e))
                continue
            actors_seen.add(actor)
            label = route_label(NAME, emotion, lmap, filtered, log, wav, None)
            if label is UNKNOWN:
                continue
            if verify_audio or verify_samples:
                why = audio_problem(wav, samples=verify_samples)
                if why:
                    log.add(wav, None, why)
                    continue
            votes = None
            if votes_file is not None:
                if wav.stem in votes_by_clip:
                    counts, n, _ = votes_by_clip[wav.stem]
                    votes = make_votes(counts, n, lmap)
                else:
                    log.note("no-votes", votes_file, None, f"{wav.stem} has no voice-only rating")
            gender = (sexes or {}).get(actor)
            if sexes is not None and gender is None:
                log.note("no-gender", base / DEMOGRAPHICS, None, f"actor {actor} ({wav.name}) is not listed")
            kept.append(Utterance(
                uid=f"{NAME}:{wav.stem}", corpus=NAME, speaker=actor, session=None, audio=os.path.abspath(wav),
                start=None, end=None, transcript=SENTENCES[sentence], label=label, label_raw=emotion,  # type: ignore[arg-type]
                partition=None, gender=gender, votes=votes,
            ))
        stems = {p.stem for p in wavs}
        for stem, (_, _, n) in sorted(votes_by_clip.items()):
            if stem not in stems:
                log.add(base / "AudioWAV" / f"{stem}.wav", None, f"audio file missing (rated at {votes_file}:{n})")
        missing = [Problem(str(base / DEMOGRAPHICS), None, f"actor {a} is listed but has no clip in AudioWAV/")
                   for a in sorted(set(sexes or {}) - actors_seen)]
        kept.sort(key=lambda u: u.uid)
        return Read(kept, base / "AudioWAV", missing)
