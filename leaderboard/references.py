"""Published results, kept apart from our runs: shown only as reference rows for REAL corpora.

They are never ranked with our runs (protocols, encoders and splits differ), and never shown
next to synthetic corpora. The built-in list copies /work/shared/DATASETS.md "Published
reference points"; users may add their own with `--references FILE.toml`:

    [[reference]]
    corpus = "iemocap"            # real corpus name as it appears in result.json run.corpus
    model = "WavLM-large"
    protocol = "4-class, leave-one-session-out, speech only"
    source = "Chen et al. 2022, arXiv:2110.13900"
    wa = 70.0                     # percent; any of wa / ua / macro_f1, at least one
    note = "linear probe"         # optional
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass

from leaderboard.reading import read_user_text

REFERENCE_KEYS = {"corpus", "model", "protocol", "source", "wa", "ua", "macro_f1", "note"}


@dataclass(frozen=True)
class Reference:
    corpus: str
    model: str
    protocol: str
    source: str
    wa: float | None = None  # percent
    ua: float | None = None
    macro_f1: float | None = None
    note: str = ""


_E2V = "emotion2vec paper (Ma et al. 2023, arXiv:2312.15185)"
_EMOBOX = "EmoBox (Ma et al., Interspeech 2024, arXiv:2406.07162)"
_IEMO_PROBE = "4-class, leave-one-session-out, speech only, linear probe"

BUILTIN: tuple[Reference, ...] = (
    Reference("iemocap", "wav2vec2-base", _IEMO_PROBE, _E2V, wa=63.4),
    Reference("iemocap", "HuBERT-large", _IEMO_PROBE, _E2V, wa=67.6),
    Reference("iemocap", "WavLM-large", _IEMO_PROBE, _E2V, wa=70.0),
    Reference("iemocap", "emotion2vec", _IEMO_PROBE, _E2V, wa=71.8),
    Reference("iemocap", "Whisper-large-v3", "EmoBox recipe, speech only", _EMOBOX, wa=72.9, ua=73.5),
    Reference("iemocap", "WavLM-large", "EmoBox recipe, speech only", _EMOBOX, wa=69.1, ua=69.5),
    Reference("crema-d", "Whisper-large-v3", "EmoBox speaker-DEPENDENT split (all actors in train and test)",
              _EMOBOX, wa=76.5, ua=76.8, note="not comparable with speaker-independent folds"),
    Reference("msp-podcast", "challenge baseline", "8-class, Test3", "Odyssey 2024 SER challenge", macro_f1=31.1),
    Reference("msp-podcast", "best team", "8-class, Test3", "Odyssey 2024 SER challenge", macro_f1=35.7),
)


def load_references(path: str | os.PathLike[str]) -> list[Reference]:
    """Read `[[reference]]` tables from a TOML file; any malformed entry is an error naming the file."""
    path = str(path)
    try:
        data = tomllib.loads(read_user_text(path, "references file"))
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML ({e})") from None
    entries = data.get("reference")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: expected one or more [[reference]] tables")
    out: list[Reference] = []
    for i, e in enumerate(entries, 1):
        where = f"{path}: [[reference]] #{i}"
        if not isinstance(e, dict):
            raise ValueError(f"{where}: expected a table of {', '.join(sorted(REFERENCE_KEYS))}, got "
                             f"{type(e).__name__} {e!r}")
        unknown = set(e) - REFERENCE_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        for key in ("corpus", "model", "protocol", "source"):
            if not isinstance(e.get(key), str) or not e[key]:
                raise ValueError(f"{where}: missing or non-string {key!r}")
        nums = {k: e.get(k) for k in ("wa", "ua", "macro_f1")}
        if all(v is None for v in nums.values()):
            raise ValueError(f"{where}: give at least one of wa, ua, macro_f1 (percent)")
        for k, v in nums.items():
            if v is not None and (not isinstance(v, (int, float)) or not 0 <= v <= 100):
                raise ValueError(f"{where}: {k} must be a number in [0, 100] (percent), got {v!r}")
        out.append(Reference(e["corpus"], e["model"], e["protocol"], e["source"],
                             *(None if v is None else float(v) for v in nums.values()), note=str(e.get("note", ""))))
    return out
