"""The single text normalisation used before every WER (and by the noise source to count words).

Documented rule, applied in this order: lower-case; remove bracketed tags (`[LAUGHTER]`,
`[BREATHING]`, `[GARBAGE]`, also `<...>`); turn hyphens/dashes/slashes into spaces; strip every
other punctuation character except apostrophes inside words (`don't` stays one word, quotes go);
collapse whitespace. Numbers are NOT spelled out (an ASR writing "11" for "eleven" is an error).
"""
from __future__ import annotations

import re
import sys
from typing import Mapping, Sequence, overload

from dataset_adapters.types import Utterance

_TAG = re.compile(r"\[[^\]]*\]|<[^>]*>")
_SPACERS = re.compile(r"[-\u2010-\u2015/]+")
_NON_WORD = re.compile(r"[^\w\s']+")
_EDGE_APOS = re.compile(r"(?<!\w)'+|'+(?!\w)")


def normalize_text(text: str) -> str:
    """Lower-cased, tag-free, punctuation-free, single-spaced text (see module docstring)."""
    t = (text or "").lower().replace("\u2019", "'")
    t = _TAG.sub(" ", t)
    t = _SPACERS.sub(" ", t)
    t = _NON_WORD.sub(" ", t.replace("_", " "))
    t = _EDGE_APOS.sub(" ", t)
    return " ".join(t.split())


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(edit operations, reference words) between two texts after normalisation (jiwer alignment)."""
    import jiwer

    r, h = normalize_text(ref), normalize_text(hyp)
    n_ref = len(r.split())
    if n_ref == 0:
        return len(h.split()), 0  # jiwer refuses empty references: every hypothesis word is an insertion
    if not h:
        return n_ref, n_ref
    out = jiwer.process_words(r, h)
    return out.substitutions + out.deletions + out.insertions, n_ref


def wer_of_texts(refs: Sequence[str], hyps: Sequence[str]) -> float | None:
    """Corpus WER = total edits / total reference words; None when there are no reference words."""
    if len(refs) != len(hyps):
        raise ValueError(f"WER needs as many hypotheses as references ({len(hyps)} != {len(refs)})")
    errs = words = 0
    for r, h in zip(refs, hyps):
        e, n = word_errors(r, h if h is not None else "")
        errs += e
        words += n
    return errs / words if words else None


@overload
def corpus_wer(utterances: Sequence[Utterance], hyps: Mapping[str, str]) -> float | None: ...
@overload
def corpus_wer(utterances: Sequence[str], hyps: Sequence[str]) -> float | None: ...


def corpus_wer(utterances, hyps):  # type: ignore[no-untyped-def]
    """jiwer WER of `hyps` against gold over all utterances; None (and a stderr note) if any gold is missing.

    Also accepts two parallel lists of strings (references, hypotheses).
    """
    if isinstance(hyps, Mapping):
        utts = list(utterances)
        missing = [u.uid for u in utts if u.transcript is None]
        if missing:
            print(f"WER undefined: {len(missing)} of {len(utts)} utterances have no gold transcript "
                  f"(e.g. {missing[0]})", file=sys.stderr)
            return None
        absent = [u.uid for u in utts if u.uid not in hyps]
        if absent:
            raise KeyError(f"no hypothesis for {len(absent)} utterance(s), e.g. {absent[0]}")
        return wer_of_texts([u.transcript or "" for u in utts], [hyps[u.uid] or "" for u in utts])
    return wer_of_texts(list(utterances), list(hyps))
