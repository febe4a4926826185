"""Cue ground truth in runs: per-cue-type accuracy of every run, and cue spans for oracle models.

Synthetic corpora (generator v3) ship `SYNTHETIC_CUES.jsonl` at their root, saying for each
utterance whether its emotion sits in the words, the prosody, both, neither... (see
`dataset_adapters/synth/compose.py`). The corpus adapters never read it; only the harness does,
after the model has predicted, so no model can use it unless it declares (as a validation oracle)
`Requirements.cue_spans`. Real corpora have no sidecar: their runs get no `by_cue_type` block.

The `by_cue_type` block stored in `RunResult.diagnostics` (computed on the TEST predictions):

    {"words": {"n": 40, "correct": 31, "gold": {"ang": 12, "hap": 15, "sad": 13}}, "prosody": {...}, ...}

`gold` counts the test utterances of that cue type per gold label, so a reader can tell chance
(the best constant guess) from skill. Test utterances without a line in the sidecar (a sidecar
from another generation of the corpus) are counted in `diagnostics["cue_truth"]["uncovered"]`,
never silently dropped.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dataset_adapters.synth.cues import CUES_NAME, CueTruth, read_cues
from lemer.core.contract import CueSpan

Cues = Mapping[str, CueTruth]


def load_cues(root: str | Path) -> dict[str, CueTruth] | None:
    """uid -> cue truth of the corpus at `root`, None for a corpus without the sidecar (every real one)."""
    return read_cues(root)


def by_cue_type(cues: Cues, uids: Sequence[str], gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """{"by_cue_type": {type: {n, correct, gold}}, "cue_truth": {...}} for test predictions (parallel lists)."""
    n: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    per_gold: dict[str, Counter[str]] = {}
    uncovered = 0
    for uid, g, p in zip(uids, gold, pred, strict=True):
        cue = cues.get(uid)
        if cue is None:
            uncovered += 1
            continue
        n[cue.cue_type] += 1
        correct[cue.cue_type] += int(g == p)
        per_gold.setdefault(cue.cue_type, Counter())[g] += 1
    block = {t: {"n": n[t], "correct": correct[t], "gold": dict(sorted(per_gold[t].items()))} for t in sorted(n)}
    return {"by_cue_type": block, "cue_truth": {"file": CUES_NAME, "uncovered": uncovered}}


def cue_spans(cues: Cues, uids: Sequence[str], corpus: str) -> dict[str, CueSpan]:
    """uid -> CueSpan for every uid; a uid without cue truth is an error naming it (an oracle cannot guess)."""
    missing = [u for u in uids if u not in cues]
    if missing:
        raise ValueError(f"{corpus}: {len(missing)} utterance(s) have no line in {CUES_NAME} "
                         f"(e.g. {missing[0]}); regenerate the synthetic corpus")
    out = {}
    for u in uids:
        c = cues[u]
        out[u] = CueSpan(tokens=c.token_span, seconds=c.time_span, duration=c.duration)
    return out


def attention_cues(cues: Cues | None, uids: Sequence[str]) -> dict[str, dict[str, tuple[float, float]]] | None:
    """The cue time spans of the test utterances whose emotion has a cue (not `none`, `ambiguous` or `muted`), in the
    form `lemer.model.diagnostics` takes (`{uid: {"time": (t0, t1)}}`) to measure whether label attention finds
    them. Word spans are left out: the cached text features carry no word -> subword-token mapping."""
    if cues is None:
        return None
    return {u: {"time": tuple(cues[u].time_span)} for u in uids
            if u in cues and cues[u].cue_type not in ("none", "ambiguous", "muted") and cues[u].time_span is not None}


def merge_diagnostics(model_diag: Mapping[str, Any] | None, harness_diag: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The run's diagnostics: what the model reported plus the harness's blocks; a key clash is an error."""
    if not model_diag and not harness_diag:
        return None
    out = dict(model_diag or {})
    clash = sorted(set(out) & set(harness_diag or {}))
    if clash:
        raise ValueError(f"model diagnostics use reserved key(s) {', '.join(clash)}")
    out.update(harness_diag or {})
    return out
