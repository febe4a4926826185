"""Emotion-bearing English sentences for the synthetic corpora.

Why templates: the text modality must carry the emotion through its words (so a text encoder has
something to learn) while staying plain, grammatical English that a speech recogniser can
transcribe from espeak audio. No digits (recognisers disagree on "9" vs "nine"), few proper names.
Emotions are the unified three-letter codes of `dataset_adapters.labels.VOCAB`.

Since generator v3 the layouts use the neutral TEMPLATES as filler phrases and build the one cue
phrase of an utterance from `CUE_FRAMES` + a cue word of `SYNONYMS` (see compose.py); the emotional
TEMPLATES and `text_emotion` are the v2 design, kept for callers that want single sentences.
"""
from __future__ import annotations

import re

import numpy as np

SLOTS: dict[str, tuple[str, ...]] = {
    "person": (
        "my sister", "my brother", "your mother", "the manager", "our neighbor", "my best friend",
        "the teacher", "my father", "the doctor", "our landlord", "my cousin", "your husband",
    ),
    "thing": (
        "the car", "the letter", "the new job", "the house", "the trip", "the wedding", "the interview",
        "the phone", "the test results", "the package", "the apartment", "the contract",
    ),
    "place": (
        "the office", "the station", "the airport", "the kitchen", "the hospital", "the beach",
        "the store", "the park", "the library", "the garage",
    ),
    "time": (
        "today", "tonight", "this morning", "yesterday", "last week", "tomorrow", "on Monday",
        "this weekend", "last night", "this afternoon",
    ),
    "event": (
        "the meeting", "the party", "the game", "dinner", "the concert", "the flight", "class",
        "the interview", "lunch", "the ceremony",
    ),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "neu": (
        "I think {person} is at {place}.",
        "We need to pick up {thing_obj} first.",
        "Can you tell me where {place} is?",
        "I will call {person} {time}.",
        "{Event} starts a little later.",
        "Let me check the schedule.",
        "I left the keys in {place}.",
        "Is {person} coming to {event}?",
        "I have to fill out these forms.",
        "Okay, I will meet you at {place}.",
        "The bus stops in front of {place}.",
        "We talked about {thing_obj} {time}.",
        "Please send me the address.",
        "I am going to {place} for a minute.",
    ),
    "hap": (
        "I am so happy, {person} is coming home!",
        "This is wonderful news, thank you!",
        "I love it, it is the best gift ever.",
        "We had such a great time {time}.",
        "I am really glad you called.",
        "Oh, that is lovely, I am so proud of you.",
        "What a beautiful day, everything is perfect.",
        "I am delighted that {person} liked it.",
        "That was so much fun!",
        "I feel great, it has been a really good week.",
        "You are the sweetest person I know.",
        "Thank you, this really made me smile.",
    ),
    "exc": (
        "Oh my gosh, we actually got it!",
        "I can't wait, this is going to be amazing!",
        "Yes, I passed the exam!",
        "This is incredible, I am so excited!",
        "We are going to {place}, I can't believe it!",
        "That is fantastic, let's celebrate {time}!",
        "Wow, look at this, it is awesome!",
        "I got the job, I start on Monday!",
    ),
    "ang": (
        "I am so angry, {person} lied to me again!",
        "Don't ever touch my things again!",
        "This is completely unacceptable!",
        "Get out, I don't want to see you!",
        "Why do you keep ignoring me?",
        "You ruined {event} and you know it!",
        "Stop yelling at me, this is your fault!",
        "How dare you talk to me like that!",
        "I am furious, {person} broke my phone.",
        "Shut up and listen to me for once!",
        "I hate it when you lie to me!",
        "I have had enough of your excuses!",
    ),
    "sad": (
        "I miss {person} so much.",
        "I feel so lonely since you left.",
        "Nobody came, I was all alone.",
        "I am sorry, I just can't stop crying.",
        "We lost the house, there is nothing we can do.",
        "It has been a terrible week, I feel so sad.",
        "My old dog died {time}.",
        "I wish things could go back to the way they were.",
        "I am so disappointed, I thought it would work.",
        "He never even said goodbye to me.",
        "Everything I loved is gone now.",
        "I feel like nobody cares about me.",
    ),
    "fru": (
        "Why won't this stupid thing work?",
        "I have been waiting here forever.",
        "I keep trying, but nothing ever changes.",
        "This form is impossible, I give up.",
        "Every single time, the same problem.",
        "Why does this have to be so hard?",
        "I already explained it to you twice.",
    ),
    "sur": (
        "Wait, what? You are getting married?",
        "Really? I had no idea {person} was here!",
        "Oh, wow, I didn't expect to see you!",
        "No way, are you serious?",
        "What? When did that happen?",
    ),
    "fea": (
        "I am scared, someone is outside the door.",
        "Please don't leave me here alone.",
        "What was that noise?",
        "I am terrified of what the doctor will say.",
        "Hurry, lock the door, they are coming back!",
    ),
    "dis": (
        "That is disgusting, get it away from me.",
        "This food smells rotten.",
        "That is gross, how can you stand it?",
        "Yuck, there is something slimy in the sink.",
    ),
    "con": (
        "Oh please, you think you are better than everyone?",
        "Whatever, I don't care what you think.",
        "That is the most pathetic excuse I have ever heard.",
        "Sure, because you always know best.",
    ),
    "oth": (
        "Well, I am not sure how I feel about that.",
        "I guess that is one way to look at it.",
        "Hmm, maybe, we will have to see.",
    ),
}

# Emotions whose words a "misleading" utterance borrows (the four classes every map shares).
CORE = ("neu", "hap", "ang", "sad")

_SLOT = re.compile(r"\{(\w+)\}")


def _fill(template: str, rng: np.random.Generator) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        base = key.lower().removesuffix("_obj")
        value = SLOTS[base][int(rng.integers(len(SLOTS[base])))]
        return value[0].upper() + value[1:] if key[0].isupper() else value

    return _SLOT.sub(sub, template)


def sentence(emotion: str, rng: np.random.Generator) -> str:
    """One sentence whose words express `emotion` (a unified code present in TEMPLATES)."""
    if emotion not in TEMPLATES:
        raise KeyError(f"no sentences for emotion {emotion!r}; known: {', '.join(TEMPLATES)}")
    pool = TEMPLATES[emotion]
    return _fill(pool[int(rng.integers(len(pool)))], rng)


def text_emotion(label: str, rng: np.random.Generator, misleading_share: float) -> tuple[str, str]:
    """Which emotion the words of an utterance labelled `label` express, and why.

    With probability 1 - `misleading_share` the words agree with the label ("congruent"); else
    half the time they are neutral ("neutral-words") and half the time they belong to another
    core emotion ("misleading"). A neutral utterance's off-label words are always another emotion.
    """
    if label not in TEMPLATES:
        raise KeyError(f"no sentences for emotion {label!r}")
    u = float(rng.random())
    if u >= misleading_share:
        return label, "congruent"
    if label != "neu" and u < misleading_share / 2:
        return "neu", "neutral-words"
    others = [e for e in CORE if e != label and e != "neu"] if label != "neu" else [e for e in CORE if e != "neu"]
    return others[int(rng.integers(len(others)))], "misleading"


def spoken_form(text: str) -> str:
    """What the synthesiser should say: the transcript without bracketed tags like [LAUGHTER]."""
    return " ".join(re.sub(r"\[[A-Z_ ]+\]", " ", text).split())


# --- v2: multi-phrase utterances with one cue phrase ----------------------------------------------
#
# An utterance is a few short phrases: neutral filler (the neutral TEMPLATES above) plus ONE cue
# phrase built from an emotion-agnostic first-person frame with one adjective slot. The adjective
# (the cue word) is what carries the emotion in the words; every class, neutral included, uses the
# same frames, so the frame itself says nothing about the class.

# Cue words per emotion: disjoint across emotions, single lowercase words espeak pronounces as words.
# The lists are split into held-out groups (see `synonym_groups`), so keep 10 per emotion.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "neu": ("rested", "fine", "calm", "normal", "alright", "steady", "neutral", "composed", "settled", "ordinary"),
    "hap": ("happy", "glad", "cheerful", "delighted", "joyful", "pleased", "merry", "blissful", "jolly", "overjoyed"),
    "exc": ("excited", "thrilled", "ecstatic", "elated", "eager", "euphoric", "enthusiastic", "exhilarated",
            "energized", "pumped"),
    "ang": ("angry", "furious", "mad", "livid", "irate", "enraged", "outraged", "fuming", "infuriated", "hostile"),
    "sad": ("sad", "unhappy", "miserable", "gloomy", "depressed", "heartbroken", "sorrowful", "downcast",
            "lonely", "devastated"),
    "fru": ("frustrated", "annoyed", "irritated", "exasperated", "bothered", "aggravated", "impatient",
            "discouraged", "thwarted", "stuck"),
    "sur": ("surprised", "amazed", "astonished", "shocked", "stunned", "astounded", "startled", "speechless",
            "bewildered", "dumbfounded"),
    "fea": ("afraid", "scared", "frightened", "terrified", "nervous", "anxious", "fearful", "petrified",
            "panicked", "worried"),
    "dis": ("disgusted", "revolted", "repulsed", "sickened", "nauseated", "appalled", "queasy", "repelled",
            "squeamish", "offended"),
    "con": ("scornful", "dismissive", "disdainful", "contemptuous", "condescending", "sneering", "smug",
            "superior", "mocking", "unimpressed"),
}

# First-person frames for the cue phrase ({W} = the cue word).
CUE_FRAMES: tuple[str, ...] = (
    "Honestly, I feel {W} today.",
    "I was {W} when I heard about it.",
    "Right now I am feeling {W}.",
    "It all left me {W}.",
    "I am {W} about {thing_obj}.",
    "To be honest, I am {W}.",
    "I just feel so {W}.",
    "After that call I was {W}.",
)

# Third-person frames for distractor phrases: someone ELSE's emotion, spoken with neutral prosody.
DISTRACTOR_FRAMES: tuple[str, ...] = (
    "{Person} was {W} about {thing_obj}.",
    "{Person} said they felt {W} {time}.",
    "Apparently {person} seemed {W} at {event}.",
    "{Person} looked {W} {time}.",
)


def synonym_groups(emotion: str, n_groups: int) -> list[tuple[str, ...]]:
    """`emotion`'s cue words dealt round-robin into `n_groups` disjoint held-out groups."""
    if emotion not in SYNONYMS:
        raise KeyError(f"no cue words for emotion {emotion!r}; known: {', '.join(SYNONYMS)}")
    words = SYNONYMS[emotion]
    if not 1 <= n_groups <= len(words):
        raise ValueError(f"cannot split {len(words)} cue words of {emotion!r} into {n_groups} groups")
    return [words[g::n_groups] for g in range(n_groups)]


def frame(frames: tuple[str, ...], word: str, rng: np.random.Generator) -> str:
    """One frame with `word` in its {W} slot and the other slots filled."""
    template = frames[int(rng.integers(len(frames)))]
    return _fill(template.replace("{W}", word), rng)


def filler(rng: np.random.Generator) -> str:
    """One neutral filler phrase."""
    return sentence("neu", rng)
