"""Ground truth of where each synthetic utterance carries its emotion: `SYNTHETIC_CUES.jsonl`.

Generator v3 builds every utterance from a few phrases of which ONE is the cue phrase (see
`compose.py` for the design). The generator writes, next to `SYNTHETIC.json` at the corpus root,
one JSON object per line, sorted by uid, keyed by the uid the corpus adapter produces
(`iemocap:Ses01F_impro01_F000`, `msp-podcast:MSP-PODCAST_0001_0008`, `crema-d:1001_DFA_ANG_XX`). It
has a line for EVERY utterance the generator wrote, including those a label map filters out
(xxx, fru, oth, X, O...): `label_raw` tells which. The adapters never read this file; it is for
diagnostics (does label guidance attend to the cue tokens/frames?).

Fields of one line (all present on every line; `null` where noted):
- `uid`: the adapter's uid; `label_raw`: the raw label as written in the corpus's label file;
  `emotion`: that label as a unified three-letter code (`dataset_adapters.labels`), `xxx`/`oth` kept.
- `cue_type`: `words` | `prosody` | `both` | `contradict` | `none` | `ambiguous` (see compose.py).
- `word_emotion`: unified code of the emotion the cue phrase's WORDS express (`neu` when neutral).
- `prosody_emotion`: unified code of the emotion the cue phrase's PROSODY expresses (`neu` when
  neutral; `xxx` = a blend of two random emotions).
- `cue_word`: the emotion-bearing word inside the cue phrase, or null where the words are fixed
  by the corpus (CREMA-D's 12 sentences).
- `position`: `start` | `middle` | `end` — where the cue phrase sits among the utterance's phrases.
- `n_phrases`: how many phrases the utterance has (tags like [LAUGHTER] are not phrases).
- `token_span`: [start, end) word indices of the cue phrase in the GOLD transcript as the adapter
  returns it, split on whitespace (`transcript.split()`): IEMOCAP's text after `: ` of the
  transcription line, tags such as `[LAUGHTER]` counting as tokens; MSP-Podcast's transcript file
  whitespace-normalised; CREMA-D's fixed sentence. Tokens keep their punctuation (`today.`).
- `time_span`: [start, end) seconds of the cue phrase's speech, relative to the utterance's own
  audio start (IEMOCAP: the start of the utterance's own `sentences/wav/<dialog>/<uid>.wav`, i.e. the
  segment start of the turn; the others: the file's start). `duration`: the clip's length in seconds.
- `intensity`: how strongly the cue phrase's prosody acts `prosody_emotion` (0 when neutral).
- `synonym_group`: which held-out group the utterance's cue (and distractor) words come from
  (IEMOCAP `Session<k>`, MSP-Podcast `Train+Development` / `Test1` / `Test2`), null for CREMA-D.
- `distractor_word`, `distractor_emotion`, `distractor_token_span`: an extra third-person phrase
  mentioning ANOTHER emotion, spoken neutrally (so later utterances of the same dialogue have other
  emotions' words in their context); all three null when the utterance has none.
- Since generator v5 (`annotate.py`; absent from older sidecars, read back as null/false):
  `expressiveness`: the speaker's expressiveness E (median 1; scales the cue's prosodic intensity
  and mutes some word cues); `words_muted`: the speaker said a neutral word where the cue's emotion
  word was planned (cue type `muted`, or `prosody` for a muted `both`/`contradict`); `dims`: the true
  [arousal, valence, dominance] on the corpus's scale before rater noise (null for CREMA-D, which
  has no dimensional ratings); `agreement`: the share of annotators who named the label (0 for
  utterances planned without consensus).
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CUES_NAME = "SYNTHETIC_CUES.jsonl"
CUE_TYPES = ("words", "prosody", "both", "contradict", "none", "ambiguous", "muted")
POSITIONS = ("start", "middle", "end")


@dataclass(frozen=True)
class CueTruth:
    """Where one synthetic utterance carries its emotion (one line of SYNTHETIC_CUES.jsonl)."""

    uid: str
    label_raw: str
    emotion: str
    cue_type: str
    word_emotion: str
    prosody_emotion: str
    cue_word: str | None
    position: str
    n_phrases: int
    token_span: tuple[int, int]
    time_span: tuple[float, float]
    duration: float
    intensity: float
    synonym_group: str | None
    distractor_word: str | None = None
    distractor_emotion: str | None = None
    distractor_token_span: tuple[int, int] | None = None
    expressiveness: float | None = None
    words_muted: bool = False
    dims: tuple[float, float, float] | None = None
    agreement: float | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)


_STR = ("uid", "label_raw", "emotion", "cue_type", "word_emotion", "prosody_emotion", "position")
_OPT_STR = ("cue_word", "synonym_group", "distractor_word", "distractor_emotion")


def _parse(obj: Any) -> CueTruth:
    """A CueTruth from one decoded line; ValueError saying what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("line is not a JSON object")
    known = set(CueTruth.__dataclass_fields__)
    optional = ("distractor_word", "distractor_emotion", "distractor_token_span", "expressiveness", "words_muted",
                "dims", "agreement")
    missing = [k for k in known if k not in obj and k not in optional]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(sorted(missing))}")
    extra = sorted(set(obj) - known)
    if extra:
        raise ValueError(f"unknown field(s) {', '.join(extra)}")
    for k in _STR:
        if not isinstance(obj[k], str) or not obj[k]:
            raise ValueError(f"{k} must be a non-empty string, got {obj[k]!r}")
    for k in _OPT_STR:
        if obj.get(k) is not None and not isinstance(obj[k], str):
            raise ValueError(f"{k} must be a string or null, got {obj[k]!r}")
    if obj["cue_type"] not in CUE_TYPES:
        raise ValueError(f"cue_type {obj['cue_type']!r} is not one of {', '.join(CUE_TYPES)}")
    if obj["position"] not in POSITIONS:
        raise ValueError(f"position {obj['position']!r} is not one of {', '.join(POSITIONS)}")

    def span(key: str, kind: type) -> tuple[Any, Any] | None:
        v = obj.get(key)
        if v is None and key == "distractor_token_span":
            return None
        ok_types = (int,) if kind is int else (int, float)
        if (not isinstance(v, list) or len(v) != 2 or any(isinstance(x, bool) or not isinstance(x, ok_types) for x in v)
                or not 0 <= v[0] < v[1]):
            raise ValueError(f"{key} must be [start, end) with 0 <= start < end, got {v!r}")
        return (kind(v[0]), kind(v[1]))

    for k in ("n_phrases",):
        if isinstance(obj[k], bool) or not isinstance(obj[k], int) or obj[k] < 1:
            raise ValueError(f"{k} must be a positive integer, got {obj[k]!r}")
    for k in ("duration", "intensity"):
        if isinstance(obj[k], bool) or not isinstance(obj[k], (int, float)) or obj[k] < 0:
            raise ValueError(f"{k} must be a non-negative number, got {obj[k]!r}")
    for k in ("expressiveness", "agreement"):
        v = obj.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0):
            raise ValueError(f"{k} must be a non-negative number or null, got {v!r}")
    if not isinstance(obj.get("words_muted", False), bool):
        raise ValueError(f"words_muted must be true or false, got {obj['words_muted']!r}")
    dims = obj.get("dims")
    if dims is not None and (not isinstance(dims, list) or len(dims) != 3
                             or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in dims)):
        raise ValueError(f"dims must be [arousal, valence, dominance] or null, got {dims!r}")
    t = span("time_span", float)
    assert t is not None
    if t[1] > float(obj["duration"]) + 1e-6:
        raise ValueError(f"time_span {list(t)} ends after the clip's duration {obj['duration']}")
    return CueTruth(
        uid=obj["uid"], label_raw=obj["label_raw"], emotion=obj["emotion"], cue_type=obj["cue_type"],
        word_emotion=obj["word_emotion"], prosody_emotion=obj["prosody_emotion"], cue_word=obj["cue_word"],
        position=obj["position"], n_phrases=int(obj["n_phrases"]), token_span=span("token_span", int),  # type: ignore[arg-type]
        time_span=t, duration=float(obj["duration"]), intensity=float(obj["intensity"]),
        synonym_group=obj["synonym_group"], distractor_word=obj.get("distractor_word"),
        distractor_emotion=obj.get("distractor_emotion"),
        distractor_token_span=span("distractor_token_span", int),  # type: ignore[arg-type]
        expressiveness=None if obj.get("expressiveness") is None else float(obj["expressiveness"]),
        words_muted=bool(obj.get("words_muted", False)),
        dims=None if dims is None else (float(dims[0]), float(dims[1]), float(dims[2])),
        agreement=None if obj.get("agreement") is None else float(obj["agreement"]),
    )


def read_cues(root: str | Path) -> dict[str, CueTruth] | None:
    """uid -> CueTruth from `root/SYNTHETIC_CUES.jsonl`; None when the file is absent (a real corpus,
    or a tree from generator v2 or older). A malformed line raises ValueError naming file and line."""
    path = Path(root) / CUES_NAME
    if not path.is_file():
        return None
    out: dict[str, CueTruth] = {}
    with open(path, "rb") as f:
        for n, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8").strip()
                if not line:
                    continue
                cue = _parse(json.loads(line))
            except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as e:
                raise ValueError(f"{path}:{n}: malformed cue line ({e})") from None
            if cue.uid in out:
                raise ValueError(f"{path}:{n}: duplicate uid {cue.uid!r}")
            out[cue.uid] = cue
    return out


def write_cues(root: Path, cues: Iterable[CueTruth]) -> Path:
    """Write the sidecar atomically (temp file + os.replace), one line per cue, sorted by uid."""
    items = sorted(cues, key=lambda c: c.uid)
    uids = [c.uid for c in items]
    if len(set(uids)) != len(uids):
        raise ValueError("duplicate uids in cue ground truth")
    path = Path(root) / CUES_NAME
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(c.to_json() + "\n" for c in items)
    os.replace(tmp, path)
    return path
