"""The folds file `lemer-bench data folds` writes, read back to check external prediction files against it.

A prediction file made outside the harness can silently test on the wrong split (a published split of another
paper, a fold with a speaker left out, an utterance twice). `score` / `compare --folds FILE` refuse it unless its
uids are exactly the test uids of the folds named (all folds pooled, or `--fold NAME`), and the fold of each uid
becomes the stratum the paired tests resample within. The file is JSON: `{"corpus", "protocol", "label_map",
"folds": [{"name", "train", "valid", "test"}, ...]}` (`dataset_adapters.types.Fold.to_json`); `leaderboard/`
reads it as a file and imports nothing from the adapters.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Callable, Sequence

from leaderboard.reading import read_user_text
from leaderboard.schema import ResultError


@dataclass(frozen=True)
class FoldsFile:
    path: str
    corpus: str
    protocol: str
    label_map: str
    fold_of: dict[str, str]  # test uid -> the fold that tests it (pooled over the folds asked for)

    @property
    def card(self) -> str:
        return f"{self.corpus} {self.protocol} {self.label_map} ({len(set(self.fold_of.values()))} fold(s))"


def read_folds_file(path: str | os.PathLike[str], only: str | None = None) -> FoldsFile:
    """The test uids of every fold (or of fold `only`) with their fold; a malformed file is an error naming it."""
    path = str(path)
    text = read_user_text(path, "folds file (write one with `lemer-bench data folds`)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ResultError(f"{path}: not a folds file (invalid JSON: {e})") from None
    folds = doc.get("folds") if isinstance(doc, dict) else None
    if not isinstance(folds, list) or not folds or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("test"), list) for f in folds):
        raise ResultError(f"{path}: expected {{'corpus', 'protocol', 'label_map', 'folds': [{{'name', 'test', ...}}]}} "
                          "as `lemer-bench data folds` writes")
    names = [f["name"] for f in folds]
    if only is not None and only not in names:
        raise ResultError(f"{path}: no fold {only!r} (folds: {', '.join(names)})")
    fold_of: dict[str, str] = {}
    for f in folds:
        if only is not None and f["name"] != only:
            continue
        for uid in f["test"]:
            if uid in fold_of:
                raise ResultError(f"{path}: uid {uid!r} is tested by folds {fold_of[uid]!r} and {f['name']!r}")
            fold_of[str(uid)] = f["name"]
    return FoldsFile(path=path, corpus=str(doc.get("corpus", "?")), protocol=str(doc.get("protocol", "?")),
                     label_map=str(doc.get("label_map", "?")), fold_of=fold_of)


def check_uids(pred_path: str, uids: Sequence[str], folds: FoldsFile, line_of: Callable[[str], int]) -> list[str]:
    """The fold of each uid (in `uids` order); an extra uid is an error naming its line, a missing one naming the
    fold that tests it (duplicates were refused when the prediction file was read)."""
    extra = [u for u in uids if u not in folds.fold_of]
    if extra:
        raise ResultError(f"{pred_path}:{line_of(extra[0])}: uid {extra[0]!r} is not a test utterance of "
                          f"{folds.card} in {folds.path} ({len(extra)} such uid(s))")
    have = set(uids)
    missing = [u for u in folds.fold_of if u not in have]
    if missing:
        raise ResultError(f"{pred_path}: {len(missing)} test utterance(s) of {folds.card} missing, e.g. "
                          f"{missing[0]!r} (fold {folds.fold_of[missing[0]]!r} in {folds.path})")
    return [folds.fold_of[u] for u in uids]
