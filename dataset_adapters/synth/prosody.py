"""Speakers (espeak voices) and how each emotion bends their prosody.

Why this shape: speech must carry the emotion, but not perfectly. Every clip draws an intensity
(how strongly the emotion is acted) and independent jitter on rate, pitch, range and volume, and
every speaker has their own baseline, so classes overlap on any single cue and a speech model
cannot reach 100% — which is what leaves room for the words (and fusion) to help.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataset_adapters.synth.espeak import Prosody

# espeak voice variants, best understood by whisper tiny.en first (measured on six hard sentences at
# neutral prosody: WER 0.19-0.45; "Alicia" 0.60 and "Andy" 0.64 were dropped).
FEMALE_VARIANTS = ("f3", "f1", "f2", "linda", "f5", "Andrea", "aunty", "f4", "Annie")
MALE_VARIANTS = ("m4", "m5", "john", "m6", "m1", "Mike", "m3", "m2", "m7")


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: one espeak voice variant plus a personal baseline."""

    sid: str
    gender: str  # "F" or "M"
    variant: str
    pitch: float  # espeak 0..100 baseline
    rate: float  # words per minute baseline
    range: float  # espeak 0..100 baseline
    gain: float  # recording level (linear, applied after synthesis)


@dataclass(frozen=True)
class Profile:
    """How an emotion moves prosody away from the speaker's neutral baseline (at intensity 1)."""

    rate: float  # multiplicative, e.g. 1.10 = 10% faster
    pitch: float  # additive, espeak pitch units
    range: float  # additive, espeak range units
    volume: float  # multiplicative on espeak volume 100
    wordgap: float  # additive, 10 ms units


PROFILES: dict[str, Profile] = {
    "neu": Profile(1.00, 0, 0, 1.00, 0),
    "hap": Profile(1.08, 10, 22, 1.12, 0),
    "exc": Profile(1.15, 14, 30, 1.25, 0),
    "ang": Profile(1.10, 4, 8, 1.45, 0),
    "sad": Profile(0.78, -10, -28, 0.70, 3),
    "fru": Profile(1.02, -2, 6, 1.25, 1),
    "sur": Profile(1.05, 18, 35, 1.15, 0),
    "fea": Profile(1.18, 14, -15, 0.80, 0),
    "dis": Profile(0.88, -6, 10, 1.05, 2),
    "con": Profile(0.90, -4, 14, 0.95, 2),
    "oth": Profile(1.00, 2, 4, 1.00, 0),
}


# Per-speaker baselines (v2 widened them from 7 and 12): a speaker's neutral voice can be higher or
# faster than another's emotional one, so only a comparison WITHIN the speaker (or the clip) is reliable.
SPEAKER_PITCH_SD = 9.0  # espeak pitch units
SPEAKER_RATE_SD = 16.0  # words per minute


def make_speakers(prefix_ids: list[tuple[str, str]], rng: np.random.Generator) -> list[Speaker]:
    """Speakers for (sid, gender) pairs; voices cycle through the variants of that gender."""
    out: list[Speaker] = []
    n = {"F": 0, "M": 0}
    for sid, gender in prefix_ids:
        variants = FEMALE_VARIANTS if gender == "F" else MALE_VARIANTS
        variant = variants[n[gender] % len(variants)]
        n[gender] += 1
        base_pitch = 55.0 if gender == "F" else 42.0
        out.append(Speaker(
            sid=sid, gender=gender, variant=variant,
            pitch=float(np.clip(base_pitch + rng.normal(0, SPEAKER_PITCH_SD), 25, 75)),
            rate=float(np.clip(178 + rng.normal(0, SPEAKER_RATE_SD), 140, 215)),
            range=float(np.clip(50 + rng.normal(0, 8), 30, 70)),
            gain=float(10 ** (rng.normal(0, 2.5) / 20)),
        ))
    return out


def _profile(emotion: str, rng: np.random.Generator) -> Profile:
    """`emotion`'s profile; `xxx` (annotators disagreed) is a blend of two random emotions at half strength."""
    if emotion == "xxx":
        a, b = rng.choice(list(PROFILES), size=2, replace=False)
        pa, pb = PROFILES[str(a)], PROFILES[str(b)]
        p = Profile(*((x + y) / 2 for x, y in zip(
            (pa.rate, pa.pitch, pa.range, pa.volume, pa.wordgap), (pb.rate, pb.pitch, pb.range, pb.volume, pb.wordgap))))
    elif emotion in PROFILES:
        p = PROFILES[emotion]
    else:
        raise KeyError(f"no prosody profile for emotion {emotion!r}; known: {', '.join(PROFILES)}")
    return p


def clip_prosody(speaker: Speaker, emotion: str, intensity: float, rng: np.random.Generator) -> Prosody:
    """Prosody for one clip: the speaker's baseline moved by `intensity` x the emotion's profile, plus jitter.

    `emotion` may be `xxx` (annotators disagreed): a blend of two random emotions at half strength.
    """
    p = _profile(emotion, rng)
    k = intensity
    rate = speaker.rate * (1 + k * (p.rate - 1)) * float(np.exp(rng.normal(0, 0.06)))
    pitch = speaker.pitch + k * p.pitch + rng.normal(0, 4)
    range_ = speaker.range + k * p.range + rng.normal(0, 8)
    volume = 100 * (1 + k * (p.volume - 1)) * float(np.exp(rng.normal(0, 0.10)))
    wordgap = k * p.wordgap + abs(rng.normal(0, 0.6))
    return Prosody(
        voice=f"en-us+{speaker.variant}", rate=int(round(rate)), pitch=int(round(pitch)),
        range=int(round(range_)), volume=int(round(min(volume, 170))), wordgap=int(round(wordgap)),
    ).clamped()


def draw_intensity(rng: np.random.Generator) -> float:
    """How strongly a clip acts its emotion: mostly clear, sometimes faint (then close to neutral)."""
    return float(np.clip(rng.normal(0.85, 0.3), 0.2, 1.4))


def blend(a: str, b: str) -> Profile:
    """The profile halfway between emotions `a` and `b` (how an `xxx` utterance's cue is acted)."""
    pa, pb = PROFILES[a], PROFILES[b]
    return Profile(*((x + y) / 2 for x, y in zip(
        (pa.rate, pa.pitch, pa.range, pa.volume, pa.wordgap), (pb.rate, pb.pitch, pb.range, pb.volume, pb.wordgap))))


def draw_blend(rng: np.random.Generator) -> tuple[str, str]:
    """Two different emotions of `PROFILES` for an `xxx` (no agreement) utterance's blended prosody."""
    a, b = rng.choice(list(PROFILES), size=2, replace=False)
    return str(a), str(b)


def phrase_prosodies(speaker: Speaker, emotion: str, intensity: float,
                     rng: np.random.Generator, profile: Profile | None = None) -> tuple[Prosody, Prosody]:
    """(neutral, cue) prosody for one multi-phrase utterance (generator v3).

    Both start from the same utterance-level draw around the speaker's baseline (the speaker's
    day-to-day jitter); the cue phrase is that draw moved by `intensity` x `emotion`'s profile, with
    only a little extra jitter, so inside one clip the cue phrase differs from the filler phrases in
    the direction of the profile. `emotion` "neu" gives the same prosody twice (the jitter is still
    drawn, so the number of draws does not depend on the emotion). `profile` replaces the emotion's
    own (generator v5 passes `blend(...)` for `xxx`, so the blend is known to the annotators).
    """
    p = profile if profile is not None else _profile(emotion, rng)
    rate = speaker.rate * float(np.exp(rng.normal(0, 0.05)))
    pitch = speaker.pitch + rng.normal(0, 3)
    range_ = speaker.range + rng.normal(0, 6)
    volume = 100 * float(np.exp(rng.normal(0, 0.08)))
    wordgap = abs(rng.normal(0, 0.6))
    k = intensity
    voice = f"en-us+{speaker.variant}"
    neutral = Prosody(voice=voice, rate=int(round(rate)), pitch=int(round(pitch)), range=int(round(range_)),
                      volume=int(round(min(volume, 170))), wordgap=int(round(wordgap))).clamped()
    cue = Prosody(
        voice=voice,
        rate=int(round(rate * (1 + k * (p.rate - 1)) * float(np.exp(rng.normal(0, 0.02))))),
        pitch=int(round(pitch + k * p.pitch + rng.normal(0, 1))),
        range=int(round(range_ + k * p.range + rng.normal(0, 2))),
        volume=int(round(min(volume * (1 + k * (p.volume - 1)), 170))),
        wordgap=int(round(wordgap + k * p.wordgap)),
    ).clamped()
    return neutral, (neutral if emotion == "neu" else cue)
