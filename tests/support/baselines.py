"""Tiny synthetic data for the baseline tests: class signal planted in text features, speech
features, transcripts or audio files, so each baseline must learn from its own modality; generated
harmonic tones for the eGeMAPS tests (real voiced-like signals openSMILE measures pitch on)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.features.store import FeatureStore
from dataset_adapters.types import Utterance
from lemer.core.contract import Example, Features, FitEnv

CLASSES = ("ang", "hap", "neu", "sad")
CONTEXT_TOKENS = 3  # tokens before the target span (stand-in for [CLS] + context)


def env(seed: int = 0, classes: tuple[str, ...] = CLASSES) -> FitEnv:
    return FitEnv(classes=classes, seed=seed)


def accuracy(preds, examples_with_gold: list[str]) -> float:
    return float(np.mean([p.label == g for p, g in zip(preds, examples_with_gold)]))


def feature_examples(
    n: int, seed: int, signal: str, *, labelled: bool = True, d_text: int = 16, d_speech: int = 12,
    strength: float = 1.2, prefix: str = "u",
) -> tuple[list[Example], list[str]]:
    """Examples with random float16 features; `signal` says where the class shows:

    "text"   -> target-span tokens shifted along dim k (k = class index); context tokens stay noise
    "speech" -> frames shifted along dim k
    "split"  -> text shows class // 2, speech shows class % 2: only both together identify the class
    "none"   -> nothing (pure noise)
    Returns (examples, gold labels); labels on the examples are None when `labelled` is False.
    """
    rng = np.random.default_rng(seed)
    out, gold = [], []
    for i in range(n):
        k = i % len(CLASSES)
        n_tok, n_frames = int(rng.integers(4, 16)), int(rng.integers(6, 30))
        text = rng.normal(size=(CONTEXT_TOKENS + n_tok + 1, d_text))
        speech = rng.normal(size=(n_frames, d_speech))
        span = (CONTEXT_TOKENS, CONTEXT_TOKENS + n_tok)
        if signal in ("text", "both"):
            text[span[0] : span[1], k] += strength
        if signal in ("speech", "both"):
            speech[:, k] += strength
        if signal == "split":
            text[span[0] : span[1], k // 2] += strength
            speech[:, k % 2] += strength
        feats = Features(text=text.astype(np.float16), text_span=span, speech=speech.astype(np.float16))
        label = CLASSES[k]
        out.append(Example(uid=f"{prefix}{seed}_{i}", label=label if labelled else None, text="", audio="", features=feats))
        gold.append(label)
    return out, gold


CLASS_WORDS = {
    "ang": ["furious", "hate", "stop it", "unacceptable"],
    "hap": ["wonderful", "love it", "great news", "yay"],
    "neu": ["the meeting", "at noon", "okay then", "the report"],
    "sad": ["miss her", "lonely", "so sorry", "cried"],
}
FILLER = ["i", "you", "we", "think", "really", "just", "well", "that", "is", "was", "and", "so"]


def text_examples(n: int, seed: int, *, labelled: bool = True, prefix: str = "t") -> tuple[list[Example], list[str]]:
    """Transcripts of filler words with one class phrase mixed in."""
    rng = np.random.default_rng(seed)
    out, gold = [], []
    for i in range(n):
        label = CLASSES[i % len(CLASSES)]
        words = list(rng.choice(FILLER, size=int(rng.integers(3, 9))))
        words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(CLASS_WORDS[label])))
        out.append(Example(uid=f"{prefix}{seed}_{i}", label=label if labelled else None, text=" ".join(words), audio=""))
        gold.append(label)
    return out, gold


def tone(freq: float, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return 0.3 * np.sin(2 * np.pi * freq * t) + 0.02 * rng.normal(size=t.shape)


def audio_examples(
    root: Path, n: int, seed: int, *, labelled: bool = True, prefix: str = "a"
) -> tuple[list[Example], list[str]]:
    """Short clips whose class is the source: 200 Hz tone, 1 kHz tone, white noise, 3 kHz tone.

    Sample rates and channel counts vary (8, 16, 22.05 kHz; mono/stereo) to exercise resampling.
    """
    rng = np.random.default_rng(seed)
    out, gold = [], []
    rates = (8000, 16000, 22050)
    for i in range(n):
        k = i % len(CLASSES)
        sr = rates[int(rng.integers(0, 3))]
        seconds = float(rng.uniform(0.2, 0.6))
        jitter = float(rng.uniform(0.9, 1.1))
        if k == 2:
            x = 0.1 * rng.normal(size=int(seconds * sr))
        else:
            x = tone({0: 200.0, 1: 1000.0, 3: 3000.0}[k] * jitter, seconds, sr, rng)
        x *= float(rng.uniform(0.3, 1.0))
        if i % 5 == 0:
            x = np.stack([x, x], axis=1)
        path = root / f"{prefix}{seed}_{i}.wav"
        sf.write(path, x, sr)
        label = CLASSES[k]
        out.append(Example(uid=f"{prefix}{seed}_{i}", label=label if labelled else None, text="", audio=str(path)))
        gold.append(label)
    return out, gold


# ---------------------------------------------------------------- eGeMAPS: pitch classes
SR = 16000


def harmonic(f0: float, seconds: float, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """A harmonic complex (1/k amplitudes up to 4 kHz) with slight vibrato, a random level and a little noise."""
    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, int(4000 // f0) + 1))
    x = x / np.abs(x).max() * float(rng.uniform(0.2, 0.5))
    return (x + 0.005 * rng.normal(size=t.shape)).astype(np.float32)


def pitch_examples(root: Path, n: int, seed: int, *, labelled: bool = True) -> tuple[list[Example], list[str]]:
    """Two classes that differ only in F0: "low" ~120 Hz and "high" ~220 Hz (+-5 %), random level and length."""
    rng = np.random.default_rng(seed)
    out, gold = [], []
    for i in range(n):
        label = ("low", "high")[i % 2]
        f0 = (120.0 if label == "low" else 220.0) * float(rng.uniform(0.95, 1.05))
        path = root / f"p{seed}_{i}.wav"
        sf.write(path, harmonic(f0, float(rng.uniform(0.4, 0.8)), rng), SR)
        out.append(Example(uid=f"p{seed}_{i}", label=label if labelled else None, text="", audio=str(path)))
        gold.append(label)
    return out, gold


def with_clip_features(examples: list[Example], spec: str, cache_dir: Path) -> list[Example]:
    """`examples` with `Features.clip` filled by the feature store from their audio, as the harness does
    for a model whose `Requirements.clip_features` is `spec`."""
    utts = [Utterance(uid=e.uid, corpus="test", speaker=None, session=None, audio=e.audio, start=None, end=None,
                      transcript=None, label="neu", label_raw="neu", partition=None) for e in examples]
    vectors = FeatureStore(cache_dir, text_encoder=None, speech_encoder=None, progress=False).clip(utts, spec)
    return [Example(uid=e.uid, label=e.label, text=e.text, audio=e.audio, speaker=e.speaker,
                    context_text=e.context_text, features=Features(clip=vectors[e.uid])) for e in examples]
