"""Generator v5: speakers who differ in expressiveness, and the annotators who perceive them.

Three things every synthetic utterance now carries beyond its class, each derived from what the
clip actually expresses (its cue, `compose.py`) so that a method is rewarded only for reading
what is there:

1. Expressiveness (per speaker). Real speakers differ widely in how strongly they voice and word
   emotion (per-speaker accuracies on IEMOCAP spread by many points; the v4 speakers barely did).
   Each generated speaker draws once `E = exp(N(0, EXPRESSIVENESS_LOG_SD))`, clipped to
   `EXPRESSIVENESS_RANGE`, from a generator keyed by (seed, layout, speaker id), so a speaker's E
   does not depend on anything else in the plan. E scales the cue phrase's prosodic intensity
   (`scaled_intensity`: intensity x E, kept in [0.15, 1.5]) and, below 1, mutes the emotional word of
   the cue with probability `mute_probability(E)` = min(0.6 x (1 - E), 0.35) (the speaker says a
   neutral word instead: a `words` cue becomes `muted`, a `both` or `contradict` cue becomes
   `prosody`; recorded in the cue sidecar). Both channels weaken together, so a reserved speaker is
   harder for text and speech models alike: the spread changes realism, not which model should win;
   the median E is 1, so the corpus-wide cue strength stays close to v4's. The spread is OUR choice:
   no published per-speaker table was found to fit it to; a log-SD of 0.35 over 10 IEMOCAP speakers
   gives E from about 0.6 to 1.6, i.e. prosodic intensities differing by a factor ~2.5 between the
   most and least expressive speaker, and up to a third of the least expressive speaker's word cues
   muted.
2. Dimensions (true arousal, valence, dominance). Offsets per emotion on a [-1, 1] PAD scale
   (`PAD`: valence, arousal, dominance). Directions follow the three-factor ratings of emotion terms
   of Russell & Mehrabian (1977) and the circumplex (Russell 1980): anger unpleasant / aroused /
   dominant (the commonly cited (-0.51, +0.59, +0.25)), fear unpleasant / aroused / submissive
   ((-0.64, +0.60, -0.43)), sadness unpleasant / calm / submissive, happiness pleasant / moderately
   aroused / dominant, excitement pleasant / highly aroused, neutral at the origin; the other
   magnitudes are ours, and the arousal offsets rank the emotions as their prosody profiles' loudness
   and rate changes do (`prosody.PROFILES`), not fitted to any corpus. An utterance's truth is
   arousal = 0.85 kp A(prosody) + 0.15 kw A(words), valence = 0.35 kp V(prosody) + 0.65 kw V(words),
   dominance = 0.5 kp D(prosody) + 0.5 kw D(words), plus N(0, 0.06) each, where kp is the cue's
   prosodic intensity (0 where the prosody is neutral) and kw is 1 where the cue's words carry an
   emotion. So arousal is what the PROSODY of the clip expresses (near neutral when only the words
   carry the emotion: "speech-only CCC on arousal well above zero" is a fair check) and valence is
   carried mostly by the WORDS (a `contradict` utterance's valence follows its words). The truth is
   written on the corpus's scale (`on_scale`) and each rater reports it with noise (IEMOCAP: integer
   1-5, SD 0.45 points; MSP-Podcast: integer 1-7, SD 0.6 points); the consensus is the mean of the
   raters, as in the real files. CREMA-D has no dimensional ratings.
3. Categorical votes of several annotators (IEMOCAP 3 evaluators, a 4th for 15 % of turns, plus the
   actor's self-evaluation for 35 %; MSP-Podcast 5-7; CREMA-D 6-12 voice-only raters, as in the real
   corpora). An annotator names the label with probability `base + gain x s`, where s in [0, 1] is
   how clearly the clip expresses the label (`label_clarity`: the words carrying it count 0.8, the
   prosody 0.75 x min(intensity, 1), combined as independent chances; neutral 0.6). A disagreeing
   annotator names the cue's word emotion for a `contradict` cue (60 %), else neutral (50 %), else a
   random other class. So agreement is LOWER where the cue is weak (low intensity, low E, muted) or
   contradicting. The planned label stays the consensus: votes are redrawn (up to 50 times, then the
   fewest votes needed are set to the label) until the corpus's own rule gives it: IEMOCAP a class
   named by most evaluators and by more of them than any other class, MSP-Podcast a strict
   plurality; CREMA-D's label is the intended emotion, so its votes are never conditioned. The
   utterances planned without consensus (IEMOCAP `xxx`, MSP-Podcast `X`: the planned share, about 6 %
   of IEMOCAP small, 3 % of MSP-Podcast small; the real corpora have ~25 % and ~15 %, kept lower
   because they serve only the soft and dimensional tasks and cost rendering time) get votes drawn
   from their blended prosody's two emotions, their words' emotion and neutral, redrawn until no
   class wins. An IEMOCAP evaluator names a second class with probability 0.12 (half from the
   disagreement pool, half neutral): the reader splits such a vote.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataset_adapters.synth.compose import Composed, family
from dataset_adapters.synth.render import stable_seed

# (valence, arousal, dominance) offsets in [-1, 1]; see the module docstring for where they come from.
PAD: dict[str, tuple[float, float, float]] = {
    "neu": (0.0, 0.0, 0.0),
    "hap": (0.70, 0.35, 0.30),
    "exc": (0.60, 0.75, 0.35),
    "ang": (-0.51, 0.59, 0.25),
    "sad": (-0.60, -0.45, -0.35),
    "fru": (-0.45, 0.35, -0.10),
    "sur": (0.25, 0.65, -0.10),
    "fea": (-0.64, 0.60, -0.43),
    "dis": (-0.55, 0.25, 0.15),
    "con": (-0.40, 0.05, 0.35),
    "oth": (0.0, 0.10, 0.0),
}
AROUSAL_FROM = (0.85, 0.15)  # (prosody, words)
VALENCE_FROM = (0.35, 0.65)
DOMINANCE_FROM = (0.50, 0.50)
TRUTH_NOISE = 0.06

EXPRESSIVENESS_LOG_SD = 0.35
EXPRESSIVENESS_RANGE = (0.5, 1.8)
MUTE_SLOPE, MUTE_MAX = 0.6, 0.35
INTENSITY_RANGE = (0.15, 1.5)
CONFLICT = 0.6  # label clarity kept when the words name another emotion than the label


@dataclass(frozen=True)
class Scheme:
    """How one layout's annotators work (see the module docstring)."""

    n_votes: tuple[int, int]  # inclusive range of categorical annotators
    extra_vote_share: float  # IEMOCAP: share of turns with one more evaluator than n_votes[0]
    base: float  # P(names the label) = base + gain * clarity
    gain: float
    rule: str  # "majority" (IEMOCAP), "plurality" (MSP-Podcast), "none" (CREMA-D: the label is intended)
    second_class: float  # P(an annotator names a second class on the same line)
    scale: tuple[float, float] | None  # dimensional rating scale (None: no dimensional ratings)
    n_raters: tuple[int, int]  # dimensional raters (IEMOCAP: A-E lines)
    extra_rater_share: float
    rater_sd: float  # in points of the scale
    self_share: float  # IEMOCAP: share of turns with the actor's self-evaluation lines


SCHEMES: dict[str, Scheme] = {
    "iemocap": Scheme((3, 3), 0.15, 0.35, 0.55, "majority", 0.12, (1.0, 5.0), (2, 2), 0.2, 0.45, 0.35),
    "msp-podcast": Scheme((5, 7), 0.0, 0.30, 0.50, "plurality", 0.0, (1.0, 7.0), (0, 0), 0.0, 0.6, 0.0),
    "crema-d": Scheme((6, 12), 0.0, 0.20, 0.50, "none", 0.0, None, (0, 0), 0.0, 0.0, 0.0),
}


@dataclass(frozen=True)
class Annotation:
    """What the annotators of one utterance wrote down."""

    votes: tuple[tuple[str, ...], ...]  # per annotator: the unified codes they named (usually one)
    ratings: tuple[tuple[int, int, int], ...]  # per dimensional rater: (arousal, valence, dominance) on the scale
    self_vote: tuple[str, ...] | None  # IEMOCAP: the actor's own categorical line (never a vote)
    self_rating: tuple[int, int, int] | None
    true_dims: tuple[float, float, float] | None  # (arousal, valence, dominance) on the scale, before rater noise
    agreement: float  # share of annotators who named the label

    @property
    def consensus(self) -> tuple[float, float, float] | None:
        """Mean (arousal, valence, dominance) of the raters (the corpus's consensus dims)."""
        if not self.ratings:
            return None
        return tuple(float(np.mean([r[i] for r in self.ratings])) for i in range(3))  # type: ignore[return-value]


def expressiveness(seed: int, layout: str, sid: str) -> float:
    """A speaker's expressiveness E (median 1), drawn once from (seed, layout, speaker id)."""
    rng = np.random.default_rng(stable_seed(seed, layout, "expressiveness", sid))
    return float(np.clip(np.exp(rng.normal(0.0, EXPRESSIVENESS_LOG_SD)), *EXPRESSIVENESS_RANGE))


def mute_probability(e: float) -> float:
    """P(a cue's emotional word is replaced by a neutral one) for a speaker of expressiveness `e`."""
    return float(np.clip(MUTE_SLOPE * (1.0 - e), 0.0, MUTE_MAX))


def scaled_intensity(intensity: float, e: float) -> float:
    """The cue phrase's prosodic intensity as a speaker of expressiveness `e` acts it."""
    return float(np.clip(intensity * e, *INTENSITY_RANGE))


def _pad(emotion: str, blend: tuple[str, str] | None) -> np.ndarray:
    if emotion == "xxx":
        a, b = blend if blend is not None else ("neu", "neu")
        return (np.array(PAD[a]) + np.array(PAD[b])) / 2
    return np.array(PAD.get(emotion, PAD["oth"]))


def true_dims(cue: Composed, intensity: float, blend: tuple[str, str] | None,
              rng: np.random.Generator) -> tuple[float, float, float]:
    """(arousal, valence, dominance) in [-1, 1] of an utterance: arousal from its prosody, valence mostly
    from its words (see the module docstring)."""
    kp = intensity if cue.prosody_emotion != "neu" else 0.0
    kw = 1.0 if cue.word_emotion != "neu" else 0.0
    p, w = _pad(cue.prosody_emotion, blend), _pad(cue.word_emotion, None)
    v = VALENCE_FROM[0] * kp * p[0] + VALENCE_FROM[1] * kw * w[0]
    a = AROUSAL_FROM[0] * kp * p[1] + AROUSAL_FROM[1] * kw * w[1]
    d = DOMINANCE_FROM[0] * kp * p[2] + DOMINANCE_FROM[1] * kw * w[2]
    noisy = np.array([a, v, d]) + rng.normal(0.0, TRUTH_NOISE, size=3)
    return tuple(float(x) for x in np.clip(noisy, -1.0, 1.0))  # type: ignore[return-value]


def on_scale(x: float, scale: tuple[float, float]) -> float:
    """[-1, 1] -> the corpus's scale (its midpoint at 0)."""
    lo, hi = scale
    return lo + (x + 1.0) * (hi - lo) / 2.0


def label_clarity(label: str, cue: Composed, intensity: float) -> float:
    """How clearly the clip expresses `label` (0..1): its words and its prosody as independent chances."""
    if label == "neu":
        return 0.6
    words = 0.8 if cue.word_emotion != "neu" and family(cue.word_emotion) == family(label) else 0.0
    prosody = 0.75 * min(intensity, 1.0) if cue.prosody_emotion == label else 0.0
    clarity = 1.0 - (1.0 - words) * (1.0 - prosody)
    conflict = cue.word_emotion != "neu" and family(cue.word_emotion) != family(label)
    return clarity * CONFLICT if conflict else clarity


def _winner(votes: list[tuple[str, ...]], rule: str) -> str | None:
    """The consensus class under `rule` ("majority": named by most annotators and more than any other;
    "plurality": strictly more votes than any other), or None."""
    named: dict[str, int] = {}
    for v in votes:
        for c in set(v):
            named[c] = named.get(c, 0) + 1
    ranked = sorted(named.items(), key=lambda kv: -kv[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    top, n = ranked[0]
    if rule == "majority" and n * 2 <= len(votes):
        return None
    return top


def annotate(layout: str, uid: str, seed: int, label: str, cue: Composed, intensity: float,
             pool: tuple[str, ...], blend: tuple[str, str] | None = None) -> Annotation:
    """The annotators of utterance `uid` labelled `label` (unified code; `xxx` = no consensus).

    `pool`: the classes annotators may name in this layout (unified codes); `blend`: the two emotions an
    `xxx` utterance's prosody mixes. Deterministic for (seed, layout, uid).
    """
    sch = SCHEMES[layout]
    rng = np.random.default_rng(stable_seed(seed, layout, "annotators", uid))
    n = int(rng.integers(sch.n_votes[0], sch.n_votes[1] + 1)) + int(rng.random() < sch.extra_vote_share)
    kp = intensity if cue.prosody_emotion != "neu" else 0.0
    clarity = label_clarity(label, cue, kp)
    p_label = sch.base + sch.gain * clarity
    others = [c for c in pool if c != label]
    word = cue.word_emotion if cue.word_emotion in pool else None

    def disagree() -> str:
        if cue.cue_type == "contradict" and word and word != label and rng.random() < 0.6:
            return word
        if label != "neu" and "neu" in pool and rng.random() < 0.5:
            return "neu"
        return others[int(rng.integers(len(others)))]

    def one() -> tuple[str, ...]:
        if label == "xxx":
            choices = [c for c in (*(blend or ()), word or "neu", "neu") if c in pool] or list(pool)
            first = choices[int(rng.integers(len(choices)))]
        else:
            first = label if rng.random() < p_label else disagree()
        if rng.random() < sch.second_class:
            second = "neu" if rng.random() < 0.5 else disagree()
            if second != first:
                return (first, second)
        return (first,)

    votes: list[tuple[str, ...]] = []
    for _ in range(50):
        votes = [one() for _ in range(n)]
        won = _winner(votes, sch.rule if sch.rule != "none" else "plurality")
        if sch.rule == "none" or (label == "xxx" and won is None) or (label != "xxx" and won == label):
            break
    else:  # the fewest changes that make the planned consensus hold
        if label == "xxx":
            votes = [(pool[i % len(pool)],) for i in range(n)]
        else:
            need = n // 2 + 1
            votes = [(label,)] * need + [v if label not in v else (others[0],) for v in votes[need:]]
    agreement = sum(label in v for v in votes) / n if label != "xxx" else 0.0

    ratings: list[tuple[int, int, int]] = []
    truth = None
    self_rating = None
    if sch.scale is not None:
        lo, hi = sch.scale
        truth = tuple(on_scale(x, sch.scale) for x in true_dims(cue, kp, blend, rng))
        n_raters = (sch.n_raters[0] + int(rng.random() < sch.extra_rater_share)) or n

        def rate() -> tuple[int, int, int]:
            return tuple(int(np.clip(round(t + rng.normal(0.0, sch.rater_sd)), lo, hi)) for t in truth)  # type: ignore[return-value]

        ratings = [rate() for _ in range(n_raters)]
        if rng.random() < sch.self_share:
            self_rating = rate()
    self_vote = None
    if sch.self_share and self_rating is not None:
        self_vote = (label if label != "xxx" and rng.random() < p_label else disagree(),)
    return Annotation(votes=tuple(votes), ratings=tuple(ratings), self_vote=self_vote, self_rating=self_rating,
                      true_dims=truth, agreement=round(agreement, 4))  # type: ignore[arg-type]
