"""Generator v3: utterances of several phrases where ONE cue phrase carries the emotion.

Why: in v2 emotional prosody covered the whole clip and most utterances were one templated
sentence, so any pooling found the keywords and a speech model heard words rather than prosody.
Now an utterance (IEMOCAP, MSP-Podcast) is 2-4 phrases (more at IEMOCAP's `full` scale): neutral
filler phrases plus one cue phrase at the start, in the middle or at the end. Only the cue phrase
may carry emotion, in its words, its prosody, or both:

| cue_type     | cue phrase words (frame + adjective)  | cue phrase prosody  | who can recover the label |
|--------------|---------------------------------------|---------------------|---------------------------|
| `words`      | the label's emotion                   | neutral             | text                      |
| `prosody`    | neutral adjective                     | the label's emotion | speech                    |
| `both`       | the label's emotion                   | the label's emotion | either                    |
| `contradict` | ANOTHER emotion (never neutral)       | the label's emotion | speech only: the PROSODY carries the true label; the words name a wrong one |
| `none`       | neutral adjective                     | neutral             | (class `neu` only: its "cue" is a neutral phrase in the same frame, for uniform bookkeeping) |
| `ambiguous`  | a random core emotion (neu included)  | the label's profile (`xxx`: a blend) | nobody (labels `xxx`/`oth`/`X`/`O`, which the label maps drop) |
| `muted`      | neutral adjective                     | neutral             | nobody: a `words` cue whose speaker said a neutral word instead (generator v5, `annotate.py`) |

Generator v5: a speaker of low expressiveness (`annotate.expressiveness`) mutes the emotional word of
a cue with probability `annotate.mute_probability(E)`: `words` becomes `muted`, `both` and
`contradict` become `prosody` (the words are then neutral); `Composed.words_muted` records it.

Filler phrases are always spoken with the utterance's neutral prosody. Every class, neutral
included, uses the same first-person frames (`lexicon.CUE_FRAMES`), so frame presence says nothing;
`prosody` and `none` utterances have the same kind of words, so text alone cannot separate them.

Mix per emotional class: `CUE_MIX`. Distractors: with `DISTRACTOR_SHARE` an utterance in a
layout with dialogue context gets one more phrase in a THIRD-person frame naming an emotion that is
neither its own label's nor the NEXT utterance's of the same dialogue, spoken neutrally: later
utterances see other emotions' words in their context (and this one sees a non-cue emotion word).

Held-out synonyms: each emotion's ten cue words (`lexicon.SYNONYMS`) are dealt into disjoint
groups, one per test group of the corpus's protocol (IEMOCAP: one per session; MSP-Podcast:
Train+Development, Test1, Test2); an utterance draws its cue and distractor words from its group
only, so the words seen in a test fold's cue phrases never occur in the training folds' cue phrases.
CREMA-D's words are fixed by the corpus, so there it has no synonym groups (cue type `prosody` or
`none` only; see crema_layout.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataset_adapters.synth import lexicon
from dataset_adapters.synth.cues import CueTruth

# Share of each cue type among the utterances of an emotional (non-neutral, non-ambiguous) class.
CUE_MIX: dict[str, float] = {"words": 0.30, "prosody": 0.30, "both": 0.25, "contradict": 0.15}
POSITIONS = ("start", "middle", "end")  # uniform
DISTRACTOR_SHARE = 0.25
CUE_MIN_INTENSITY = 0.4  # a prosody-bearing cue phrase is acted at least this strongly
# Emotions a `contradict` cue's words and a distractor may name; exc counts as hap (iemocap-4 merges them).
WORD_POOL = ("hap", "ang", "sad")
FAMILY = {"exc": "hap"}
AMBIGUOUS = ("xxx", "oth")


def family(emotion: str) -> str:
    return FAMILY.get(emotion, emotion)


@dataclass(frozen=True)
class Composed:
    """The words of one utterance and what each phrase is for."""

    phrases: tuple[str, ...]
    roles: tuple[str, ...]  # "cue" | "filler" | "distractor", one per phrase
    cue_type: str
    position: str
    word_emotion: str
    prosody_emotion: str
    cue_word: str | None  # None where the corpus fixes the words (CREMA-D)
    distractor_word: str | None
    distractor_emotion: str | None
    words_muted: bool = False  # the speaker said a neutral word where the cue's emotion word was planned

    @property
    def cue_index(self) -> int:
        return self.roles.index("cue")

    @property
    def text(self) -> str:
        return " ".join(self.phrases)


def draw_cue_type(emotion: str, rng: np.random.Generator) -> str:
    if emotion == "neu":
        return "none"
    if emotion in AMBIGUOUS:
        return "ambiguous"
    u, acc = float(rng.random()), 0.0
    for kind, share in CUE_MIX.items():
        acc += share
        if u < acc:
            return kind
    return kind


def emotions_of(emotion: str, cue_type: str, rng: np.random.Generator) -> tuple[str, str]:
    """(word emotion, prosody emotion) of the cue phrase of an utterance labelled `emotion`."""
    if cue_type == "none":
        return "neu", "neu"
    if cue_type == "words":
        return emotion, "neu"
    if cue_type == "prosody":
        return "neu", emotion
    if cue_type == "both":
        return emotion, emotion
    if cue_type == "contradict":
        others = [e for e in WORD_POOL if e != family(emotion)]
        return others[int(rng.integers(len(others)))], emotion
    if cue_type == "ambiguous":
        return lexicon.CORE[int(rng.integers(len(lexicon.CORE)))], emotion
    raise ValueError(f"unknown cue type {cue_type!r}")


def distractor_emotion(emotion: str, next_emotion: str | None, rng: np.random.Generator) -> str | None:
    """With DISTRACTOR_SHARE, an emotion to mention in a third-person phrase (not this or the next label's)."""
    if rng.random() >= DISTRACTOR_SHARE:
        return None
    banned = {family(emotion)} | ({family(next_emotion)} if next_emotion else set())
    pool = [e for e in WORD_POOL if e not in banned]
    return pool[int(rng.integers(len(pool)))] if pool else None


MUTED_TYPE = {"words": "muted", "both": "prosody", "contradict": "prosody"}  # what a muted word cue leaves


def compose(emotion: str, n_phrases: int, group: int, n_groups: int, rng: np.random.Generator,
            text_rng: np.random.Generator | None = None, distractor: str | None = None, mute: float = 0.0) -> Composed:
    """The phrases of one utterance labelled `emotion` (unified code).

    `rng` draws the structure (cue type, position, emotions); `text_rng` (default `rng`) the words,
    so scripted dialogues can repeat their filler lines across sessions. `group`/`n_groups` pick the
    held-out synonym group; `distractor` (from `distractor_emotion`) adds a third-person phrase;
    `mute` is the probability that the speaker says a neutral word instead of the cue's emotion word
    (`MUTED_TYPE`; the draw is made whatever `mute` is, so the plan's other draws do not depend on it).
    """
    trng = text_rng if text_rng is not None else rng
    cue_type = draw_cue_type(emotion, rng)
    w_emo, p_emo = emotions_of(emotion, cue_type, rng)
    muted = bool(rng.random() < mute) and cue_type in MUTED_TYPE
    if muted:
        cue_type, w_emo = MUTED_TYPE[cue_type], "neu"
    position = POSITIONS[int(rng.integers(len(POSITIONS)))]
    n = max(n_phrases, 3 if position == "middle" else 2)
    n_fill = n - 1 - (1 if distractor else 0)
    if position == "start":
        cue_at = 0
    elif position == "end":
        cue_at = n - 1
    else:
        cue_at = int(rng.integers(1, n - 1))
    words = lexicon.synonym_groups(w_emo, n_groups)[group]
    cue_word = words[int(trng.integers(len(words)))]
    cue = lexicon.frame(lexicon.CUE_FRAMES, cue_word, trng)
    others: list[tuple[str, str]] = [(lexicon.filler(trng), "filler") for _ in range(max(n_fill, 0))]
    d_word = None
    if distractor:
        d_words = lexicon.synonym_groups(distractor, n_groups)[group]
        d_word = d_words[int(trng.integers(len(d_words)))]
        others.insert(int(rng.integers(len(others) + 1)), (lexicon.frame(lexicon.DISTRACTOR_FRAMES, d_word, trng), "distractor"))
    others.insert(cue_at, (cue, "cue"))
    return Composed(
        phrases=tuple(p for p, _ in others), roles=tuple(r for _, r in others), cue_type=cue_type,
        position=position, word_emotion=w_emo, prosody_emotion=p_emo, cue_word=cue_word,
        distractor_word=d_word, distractor_emotion=distractor if d_word else None, words_muted=muted,
    )


def token_span(phrases: tuple[str, ...], index: int, offset: int = 0) -> tuple[int, int]:
    """[start, end) whitespace-token indices of phrase `index` in `" ".join(phrases)`, shifted by `offset`."""
    start = offset + sum(len(p.split()) for p in phrases[:index])
    return start, start + len(phrases[index].split())


def text_kind(emotion: str, c: Composed) -> str:
    """The v2 bookkeeping of what the words say about the label (kept for the summaries)."""
    if c.cue_type == "ambiguous":
        return "ambiguous"
    if family(c.word_emotion) == family(emotion):
        return "congruent"
    return "neutral-words" if c.word_emotion == "neu" else "misleading"


def n_phrases_small(rng: np.random.Generator) -> int:
    """Phrases per utterance at the tiny/small scales: 2 (40%), 3 (45%) or 4 (15%)."""
    return int(rng.choice((2, 3, 4), p=(0.40, 0.45, 0.15)))


def truth(uid: str, label_raw: str, emotion: str, c: Composed, tag_offset: int, duration: float,
          spans: tuple[tuple[float, float], ...], intensity: float, group: str | None,
          expressiveness: float | None = None, dims: tuple[float, float, float] | None = None,
          agreement: float | None = None) -> CueTruth:
    """The sidecar line of one rendered utterance (`spans`: per-phrase seconds from the renderer;
    `expressiveness`: the speaker's E; `dims`: the true (arousal, valence, dominance) on the corpus's scale;
    `agreement`: the share of annotators who named the label)."""
    i = c.cue_index
    d = c.roles.index("distractor") if "distractor" in c.roles else None
    return CueTruth(
        uid=uid, label_raw=label_raw, emotion=emotion, cue_type=c.cue_type, word_emotion=c.word_emotion,
        prosody_emotion=c.prosody_emotion, cue_word=c.cue_word, position=c.position, n_phrases=len(c.phrases),
        token_span=token_span(c.phrases, i, tag_offset),
        time_span=(round(spans[i][0], 4), round(spans[i][1], 4)), duration=round(duration, 4),
        intensity=round(intensity if c.prosody_emotion != "neu" else 0.0, 3), synonym_group=group,
        distractor_word=c.distractor_word, distractor_emotion=c.distractor_emotion,
        distractor_token_span=token_span(c.phrases, d, tag_offset) if d is not None else None,
        expressiveness=None if expressiveness is None else round(expressiveness, 4), words_muted=c.words_muted,
        dims=None if dims is None else tuple(round(x, 4) for x in dims), agreement=agreement,  # type: ignore[arg-type]
    )
