"""`noise:wer=<x>[,seed=N]`: gold text corrupted by seeded word substitutions, deletions and insertions.

Why this design: a transcript condition with a known WER lets a benchmark plot accuracy against WER
without an ASR engine. Per utterance, the number of edits is x times its word count, rounded
stochastically (so the corpus WER is x in expectation, not per-utterance rounded), split as ASR errors
usually are: 60% substitutions, 25% deletions, 15% insertions. Substitutes come from a small list of
acoustically confusable words, else frequent function words; they never equal the word they replace
or its neighbours, so the jiwer alignment counts exactly the edits made. Tags such as `[LAUGHTER]`
are kept and never edited. The generator is seeded by (seed, uid): an utterance's noisy text does
not depend on which other utterances are in the run.
"""
from __future__ import annotations

import hashlib
import sys
from typing import Sequence

import numpy as np

from benchmarks.transcripts.base import TranscriptSource
from benchmarks.transcripts.normalize import corpus_wer, normalize_text
from dataset_adapters.audio import FILE_AUDIO, ClipReader
from dataset_adapters.types import Utterance

SHARE = {"sub": 0.60, "del": 0.25, "ins": 0.15}
SHORTFALL = 0.02  # measured WER this far below the target is said (stderr)
_GROUPS = (
    "to two too the", "their there they're", "your you're you", "its it's it is", "then than them",
    "where were we're wear", "for four far", "a an and", "in and on an", "of off have", "i eye i'm",
    "know no now", "hear here", "right write", "would wood", "our hour are", "by buy bye",
    "this these is", "that at", "was is as", "we'll will well", "can can't", "do don't due",
    "won one", "whole hole", "week weak", "see sea", "meet meat", "new knew", "not knot", "so sew",
    "mad man made", "sad said", "glad grad", "bad bat bet", "fine find", "feel field fill",
    "hate ate eight", "happy happen", "angry hungry", "great grade", "love loved of", "just adjust",
)
FREQUENT = ("the", "a", "and", "to", "of", "in", "it", "is", "that", "i", "you", "uh", "um", "yeah",
            "oh", "so", "but", "on", "for", "with", "be", "this", "have", "we", "not", "they")
CONFUSIONS: dict[str, tuple[str, ...]] = {}
for _g in _GROUPS:
    _ws = _g.split()
    for _w in _ws:
        CONFUSIONS[_w] = tuple(dict.fromkeys(CONFUSIONS.get(_w, ()) + tuple(x for x in _ws if x != _w)))


def utterance_rng(seed: int, uid: str) -> np.random.Generator:
    """A generator seeded by (seed, uid) only."""
    digest = hashlib.sha256(f"{seed}\0{uid}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _pick(rng: np.random.Generator, word: str, avoid: set[str]) -> str:
    pool = [w for w in CONFUSIONS.get(word, ()) if w not in avoid]
    if not pool or rng.random() < 0.3:  # frequent function words also stand in for misheard words
        pool = pool + [w for w in FREQUENT if w not in avoid]
    return str(pool[int(rng.integers(len(pool)))])


def corrupt(text: str, wer: float, rng: np.random.Generator) -> str:
    """`text` with about `wer` x (its word count) word edits (see module docstring)."""
    tokens = text.split()
    words = [i for i, t in enumerate(tokens) if normalize_text(t)]  # tags and lone punctuation stay as they are
    n = len(words)
    if n == 0 or wer <= 0:
        return text
    k = int(np.floor(wer * n + rng.random()))  # stochastic rounding: E[k] = wer * n
    kinds = rng.choice(list(SHARE), size=k, p=list(SHARE.values()))
    n_ins = int((kinds == "ins").sum())
    n_sd = k - n_ins
    if n_sd > n:  # more substitutions/deletions than words: the rest become insertions
        n_ins += n_sd - n
        n_sd = n
    pos = rng.choice(n, size=n_sd, replace=False)
    sd_kinds = [kinds_i for kinds_i in kinds if kinds_i != "ins"][:n_sd]
    sd_kinds += ["sub"] * (n_sd - len(sd_kinds))
    action = {words[int(p)]: str(kd) for p, kd in zip(pos, sd_kinds)}
    norm = [normalize_text(t) for t in tokens]
    out: list[str] = []
    for i, tok in enumerate(tokens):
        a = action.get(i)
        if a == "del":
            continue
        if a == "sub":
            avoid = {norm[i], *(norm[j] for j in (i - 1, i + 1) if 0 <= j < len(tokens))}
            out.append(_pick(rng, norm[i], avoid))
        else:
            out.append(tok)
    for _ in range(n_ins):
        at = int(rng.integers(len(out) + 1))
        neighbours = {normalize_text(out[j]) for j in (at - 1, at) if 0 <= j < len(out)}
        anchor = normalize_text(out[at]) if at < len(out) else ""
        out.insert(at, _pick(rng, anchor, neighbours))
    return " ".join(out)


class NoiseSource(TranscriptSource):
    """Deterministic corruption of gold transcripts; cheap, so computed on the fly (no disk cache)."""

    def __init__(self, key: str, wer: float, seed: int = 0) -> None:
        if not 0.0 <= wer <= 1.0:
            raise ValueError(f"{key}: wer must be within [0, 1], got {wer}")
        self.key, self.wer, self.seed = key, wer, seed

    def transcribe(self, utterances: Sequence[Utterance], progress: bool = True,
                   reader: ClipReader = FILE_AUDIO) -> dict[str, str]:
        """Gold text corrupted to the target WER (the audio, clean or degraded, is not read)."""
        missing = [u.uid for u in utterances if u.transcript is None]
        if missing:
            raise ValueError(f"{self.key} corrupts gold transcripts, but {len(missing)} utterance(s) have none "
                             f"(e.g. {missing[0]}); use an asr: source for this corpus")
        out = {u.uid: corrupt(u.transcript or "", self.wer, utterance_rng(self.seed, u.uid)) for u in utterances}
        self._say_shortfall(utterances, out)
        return out

    def _say_shortfall(self, utterances: Sequence[Utterance], out: dict[str, str]) -> None:
        """Say so (stderr) when the measured WER falls short of the target by more than SHORTFALL: at high rates
        some edits cancel in the minimal alignment (a deletion next to an insertion counts as one substitution),
        so e.g. wer=0.9 measures about 0.82. Results record the measured WER, never the target."""
        if not utterances:
            return
        achieved = corpus_wer(list(utterances), out)
        if achieved is not None and self.wer - achieved > SHORTFALL:
            print(f"{self.key}: the target WER {self.wer:g} cannot be met exactly; measured {achieved:.3f} on "
                  f"{len(utterances)} utterances (some edits cancel in the alignment at high rates; few words vary); results "
                  "record the measured WER", file=sys.stderr)


class GoldSource(TranscriptSource):
    """The corpus's own transcript; None for utterances that have none (their WER is undefined)."""

    key = "gold"

    def transcribe(self, utterances: Sequence[Utterance], progress: bool = True,  # type: ignore[override]
                   reader: ClipReader = FILE_AUDIO) -> dict[str, str | None]:
        """The corpus's own text (the audio, clean or degraded, is not read)."""
        return {u.uid: u.transcript for u in utterances}
