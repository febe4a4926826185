"""Synthetic corpora in the real on-disk layouts of IEMOCAP, MSP-Podcast and CREMA-D.

Speech comes from libespeak-ng (voices = speakers with their own pitch/rate baselines). Since
generator v3 an utterance is several phrases of which ONE cue phrase carries the emotion — in its
words, its prosody, both, or contradicting (words of another emotion, the label in the prosody) —
at a varying position, with held-out cue synonyms per test group and distractor emotion words in
the dialogue context (design: `compose.py`). Every tree carries a `SYNTHETIC.json` marker (see
`read_marker`) and, next to it, the per-utterance cue ground truth `SYNTHETIC_CUES.jsonl` (see
`cues.read_cues`; the adapters never read it). Since generator v5 every speaker has an expressiveness
and every utterance the votes and arousal/valence/dominance ratings of simulated annotators, written
in the real layouts' annotator files so the same readers load them (design: `annotate.py`). Trees
are byte-identical for a given (layout, scale, seed).

    from dataset_adapters.synth import generate
    summary = generate("iemocap", "/tmp/iemocap-synth", scale="small", seed=0)
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from dataset_adapters.synth import crema_layout, iemocap_layout, msp_layout
from dataset_adapters.synth.cues import CUES_NAME, read_cues
from dataset_adapters.synth.marker import MARKER_NAME, read_marker, write_marker
from dataset_adapters.synth.render import Renderer, tree_bytes

GENERATOR_VERSION = "5"  # bump whenever the same (layout, scale, seed) would give different bytes
SCALES = ("tiny", "small", "full")
_BUILDERS: dict[str, Callable[[Path, str, int, Renderer, bool], dict[str, Any]]] = {
    "iemocap": iemocap_layout.build,
    "msp-podcast": msp_layout.build,
    "crema-d": crema_layout.build,
}
LAYOUTS = tuple(_BUILDERS)

__all__ = ["GENERATOR_VERSION", "LAYOUTS", "SCALES", "generate", "read_marker", "read_cues", "MARKER_NAME",
           "CUES_NAME"]


def _check_plan(layout: str, scale: str) -> None:
    if layout not in _BUILDERS:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join(LAYOUTS)}")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; known: {', '.join(SCALES)}")
    if scale == "full" and layout == "msp-podcast":
        msp_layout.plan(scale, 0)  # raises NotImplementedError with the reason


def _move_into_place(tmp: Path, out: Path) -> None:
    """Replace `out` by `tmp`; an existing `out` must be empty or a tree this generator wrote."""
    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"{out}: exists and is not a folder")
        if any(out.iterdir()):
            if read_marker(out) is None:
                raise FileExistsError(f"{out}: folder is not empty and has no {MARKER_NAME}; refusing to overwrite it")
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, trash / "tree")
            os.replace(tmp, out)
            shutil.rmtree(trash)
            return
        out.rmdir()
    os.replace(tmp, out)


def generate(layout: str, out: Path | str, scale: str = "small", seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Write a synthetic corpus in `layout`'s real on-disk layout at `out`; returns a summary.

    The tree is built in a sibling temporary folder and moved into place at the end, so `out` is
    never half-written; an existing `out` is replaced only if it is empty or itself synthetic.
    Summary keys: layout, scale, seed, root, utterances, labels (raw code counts), speakers,
    sessions/partitions (where the layout has them), cue_types, audio_seconds, bytes, seconds.
    """
    _check_plan(layout, scale)
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.synth-", dir=out.parent))
    try:
        with Renderer() as renderer:
            stats = _BUILDERS[layout](tmp, scale, seed, renderer, progress)
        write_marker(tmp, {
            "synthetic": True, "layout": layout, "scale": scale, "seed": seed,
            "generator_version": GENERATOR_VERSION,
            "utterances": stats["utterances"], "labels": stats["labels"], "cue_file": CUES_NAME,
        })
        size = tree_bytes(tmp)
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"layout": layout, "scale": scale, "seed": seed, "root": str(out), **stats,
            "bytes": size, "seconds": round(time.perf_counter() - t0, 3)}
