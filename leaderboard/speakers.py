"""Who spoke each test utterance: the resampling unit of the "new speakers" reading (`clusters.py`).

Rules (the adapters' own, so a cell's speakers are the ones its folds were split by):
- IEMOCAP `iemocap:Ses01F_impro01_F000` -> speaker `Ses01_F`, gender `F`: the session plus the gender
  letter of the utterance SUFFIX (`_F000`), not the dialogue prefix (`Ses01F`: who opened the dialogue).
- CREMA-D `crema-d:1001_DFA_ANG_XX` -> speaker `1001` (the actor), gender None: the actor's sex is in
  `VideoDemographics.csv` (`read_crema_demographics`), not in the clip name.
- MSP-Podcast `msp-podcast:...` -> (None, None): speaker and gender live in its labels file
  (`SpkrID`, `Gender`); pass them in a speakers file (`read_speakers_file`).
- Any other prefix -> (None, None). A known prefix with a malformed id is bad input (the adapters never
  write one) and raises ValueError naming it.
The synthetic corpora are written in the real layouts and read by the same adapters, so their uids follow
the same rules. `leaderboard/` imports nothing from `dataset_adapters/` (docs/architecture.md), so the two
id patterns are repeated here; tests/test_leaderboard_speakers.py checks they equal the adapters' ones.
"""
from __future__ import annotations

import csv
import io
import os
import re
from typing import Iterable, Mapping

from leaderboard.reading import read_user_text
from leaderboard.schema import ResultError

# Same patterns as dataset_adapters.iemocap.UTT_ID and dataset_adapters.crema_d.CLIP_NAME.
IEMOCAP_UTT_ID = re.compile(r"^(?P<dialog>Ses(?P<session>\d\d)[FM]_[A-Za-z0-9_]+?)_(?P<gender>[FM])\d{3}$")
CREMA_CLIP_NAME = re.compile(r"^(?P<actor>\d{4})_(?P<sentence>[A-Z]{3})_(?P<emotion>[A-Z]{3})_(?P<level>[A-Z]{2})$")
GENDERS = ("F", "M")
_GENDER_WORDS = {"f": "F", "m": "M", "female": "F", "male": "M"}

Speaker = tuple[str | None, str | None]  # (speaker id, gender "F"/"M") - either may be unknown


def speaker_from_uid(uid: str) -> Speaker:
    """(speaker, gender) of one uid by the adapters' rules; (None, None) where the id does not say."""
    corpus, sep, local = uid.partition(":")
    if not sep:
        return None, None
    if corpus == "iemocap":
        m = IEMOCAP_UTT_ID.match(local)
        if not m:
            raise ValueError(f"{uid!r} is not an IEMOCAP utterance id (Ses<nn><F|M>_<dialogue>_<F|M><nnn>)")
        return f"Ses{m['session']}_{m['gender']}", m["gender"]
    if corpus == "crema-d":
        m = CREMA_CLIP_NAME.match(local)
        if not m:
            raise ValueError(f"{uid!r} is not a CREMA-D clip id (<actor>_<sentence>_<emotion>_<level>)")
        return m["actor"], None
    return None, None


def parse_gender(value: str) -> str | None:
    """'F'/'female' -> 'F', 'M'/'male' -> 'M', '' / 'unknown' -> None; anything else is a ValueError."""
    v = value.strip().lower()
    if v in ("", "unknown", "na", "n/a"):
        return None
    if v in _GENDER_WORDS:
        return _GENDER_WORDS[v]
    raise ValueError(f"gender {value!r} is not one of F, M, female, male (or empty for unknown)")


def _rows(path: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and numbered rows of a CSV, or of a TSV when the name ends in .tsv or the header holds a tab."""
    text = read_user_text(path, "speakers file")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ResultError(f"{path}:1: no header (expected uid,speaker[,gender])")
    delimiter = "\t" if path.endswith(".tsv") or "\t" in lines[0] else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as e:
        raise ResultError(f"{path}:{reader.line_num}: {e}") from None
    return header, rows


def read_speakers_file(path: str | os.PathLike[str], uids: Iterable[str] | None = None) -> dict[str, Speaker]:
    """uid -> (speaker, gender) from a `uid,speaker[,gender]` CSV/TSV with that header.

    Blank lines are skipped; every other problem is a ResultError naming file and line: a wrong header,
    a wrong number of fields, an empty uid or speaker, an unknown gender, a uid listed twice. With `uids`
    given, each of them must be in the file (the file may list more, e.g. a whole corpus).
    """
    path = str(path)
    header, rows = _rows(path)
    if header not in (["uid", "speaker"], ["uid", "speaker", "gender"]):
        raise ResultError(f"{path}:1: header {header} is not uid,speaker[,gender]")
    out: dict[str, Speaker] = {}
    first_line: dict[str, int] = {}
    for line, row in rows:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ResultError(f"{path}:{line}: {len(row)} field(s), expected {len(header)} ({','.join(header)})")
        uid, speaker = row[0].strip(), row[1].strip()
        if not uid or not speaker:
            raise ResultError(f"{path}:{line}: empty {'uid' if not uid else 'speaker'}")
        try:
            gender = parse_gender(row[2]) if len(row) == 3 else None
        except ValueError as e:
            raise ResultError(f"{path}:{line}: {e}") from None
        if uid in out:
            raise ResultError(f"{path}:{line}: duplicate uid {uid!r} (first on line {first_line[uid]})")
        out[uid] = (speaker, gender)
        first_line[uid] = line
    if not out:
        raise ResultError(f"{path}: no speakers (only a header)")
    if uids is not None:
        missing = [u for u in uids if u not in out]
        if missing:
            raise ResultError(f"{path}: {len(missing)} test uid(s) have no speaker, e.g. {missing[0]!r}")
    return out


def read_crema_demographics(path: str | os.PathLike[str]) -> dict[str, str | None]:
    """CREMA-D actor -> gender ('F'/'M') from `VideoDemographics.csv` (columns ActorID, ..., Sex, ...)."""
    path = str(path)
    header, rows = _rows(path)
    if "actorid" not in header or "sex" not in header:
        raise ResultError(f"{path}:1: header {header} lacks ActorID and Sex")
    ia, isex = header.index("actorid"), header.index("sex")
    out: dict[str, str | None] = {}
    for line, row in rows:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ResultError(f"{path}:{line}: {len(row)} field(s), expected {len(header)}")
        actor = row[ia].strip()
        if not actor:
            raise ResultError(f"{path}:{line}: empty ActorID")
        if actor in out:
            raise ResultError(f"{path}:{line}: duplicate ActorID {actor!r}")
        try:
            out[actor] = parse_gender(row[isex])
        except ValueError as e:
            raise ResultError(f"{path}:{line}: {e}") from None
    return out


def resolve_speakers(uids: Iterable[str], table: Mapping[str, Speaker] | None = None,
                     actor_gender: Mapping[str, str | None] | None = None) -> tuple[list[str], list[str | None]]:
    """Speaker and gender per uid: from `table` (a speakers file) where given, else from the uid itself.

    `actor_gender` (CREMA-D demographics) fills in genders the id does not carry. A uid whose speaker
    stays unknown is a ValueError: the speaker reading cannot place it in any cluster.
    """
    speakers: list[str] = []
    genders: list[str | None] = []
    for uid in uids:
        speaker, gender = table[uid] if table is not None and uid in table else speaker_from_uid(uid)
        if speaker is None:
            raise ValueError(f"no speaker known for {uid!r}: pass a speakers file (uid,speaker[,gender])")
        if gender is None and actor_gender is not None:
            gender = actor_gender.get(speaker)
        speakers.append(speaker)
        genders.append(gender)
    return speakers, genders
