"""Random-feature Examples with a learnable class signal, for LE-MER tests that need no encoders.

Each class has its own keywords in the transcript, a text direction added to its tokens and a speech
direction added to a few of its frames, so a working model can learn it and label embeddings have
something real to find.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from lemer.core.contract import Example, Features, FitEnv

CLASSES = ("neu", "hap", "ang", "sad")
WORDS = {
    "neu": ["okay", "table", "schedule"],
    "hap": ["wonderful", "great", "love"],
    "ang": ["furious", "hate", "stupid"],
    "sad": ["miss", "lonely", "cry"],
}
FILLER = ["well", "then", "thing", "today", "maybe", "really", "people", "time"]
D_TEXT, D_SPEECH = 24, 20


def make_examples(n: int, seed: int, prefix: str = "u", signal: float = 1.5, context: int = 2) -> list[Example]:
    """`n` labelled examples, classes cycling; token features = [context] [SEP] target with a target span."""
    rng = np.random.default_rng(seed)
    t_dirs = np.random.default_rng(100).normal(size=(len(CLASSES), D_TEXT)).astype(np.float32)
    s_dirs = np.random.default_rng(101).normal(size=(len(CLASSES), D_SPEECH)).astype(np.float32)
    out = []
    for i in range(n):
        c = i % len(CLASSES)
        label = CLASSES[c]
        words = list(rng.choice(FILLER, size=3)) + [str(rng.choice(WORDS[label]))]
        rng.shuffle(words)
        n_ctx, n_tgt = int(rng.integers(0, 6)) * (context > 0), int(rng.integers(3, 9))
        tokens = rng.normal(size=(n_ctx + 1 + n_tgt, D_TEXT)).astype(np.float32)
        tokens[n_ctx + 1 :] += signal * t_dirs[c]
        frames = rng.normal(size=(int(rng.integers(6, 40)), D_SPEECH)).astype(np.float32)
        hot = rng.choice(len(frames), size=max(2, len(frames) // 3), replace=False)
        frames[hot] += 2 * signal * s_dirs[c]
        feats = Features(text=tokens.astype(np.float16), text_span=(n_ctx + 1, n_ctx + 1 + n_tgt), speech=frames.astype(np.float16))
        out.append(Example(uid=f"{prefix}{i}", label=label, text=" ".join(words), audio=f"/nonexistent/{prefix}{i}.wav",
                           speaker=f"spk{i % 3}", features=feats))
    return out


def unlabelled(examples: Sequence[Example]) -> list[Example]:
    """What predict() receives: the same examples with label None."""
    return [Example(uid=e.uid, label=None, text=e.text, audio=e.audio, speaker=e.speaker, features=e.features) for e in examples]


def hash_embed(words: Sequence[str]) -> np.ndarray:
    """A deterministic stand-in for the text encoder's word embedding (a real function of the word, not a constant)."""
    rows = []
    for w in words:
        seed = int.from_bytes(hashlib.sha256(w.encode()).digest()[:8], "little")
        rows.append(np.random.default_rng(seed).normal(size=D_TEXT).astype(np.float32))
    return np.stack(rows)


def make_env(seed: int = 0, embed: bool = True, log: list[str] | None = None) -> FitEnv:
    sink = log if log is not None else []
    return FitEnv(classes=CLASSES, seed=seed, embed_words=hash_embed if embed else None, log=sink.append)
