"""Turn manifest utterances + transcripts + cached features into the `Example`s a model sees.

This is the one place where the harness decides what a model may look at: the transcript of the
run's condition (never the gold text unless the condition is gold), the preceding utterances'
transcripts under the same condition, the cached features it asked for, and the gold targets only
for training/validation examples (`label=None`, `soft=None`, `dims=None` for everything given to `predict`):
the consensus label (None where the utterance has none), and the run's task's own target, the annotators'
distribution (`Votes.soft_target`) or arousal/valence/dominance rescaled to [-1, 1] (`Dims.signed`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from dataset_adapters.types import Utterance
from lemer.core.contract import Example, Features

TextFeatures = Mapping[str, tuple[np.ndarray, tuple[int, int]]]
SpeechFeatures = Mapping[str, np.ndarray]


def context_texts(utt: Utterance, transcripts: Mapping[str, str], window: int) -> tuple[str, ...]:
    """Transcripts of the last `window` preceding utterances (oldest first), under the same condition."""
    if window <= 0 or not utt.context:
        return ()
    out = []
    for uid in utt.context[-window:]:
        if uid not in transcripts:
            raise KeyError(f"{utt.uid}: context utterance {uid} has no transcript under this condition")
        out.append(transcripts[uid])
    return tuple(out)


def build_examples(
    utterances: Sequence[Utterance],
    *,
    with_labels: bool,
    task: str = "categorical",
    transcripts: Mapping[str, str] | None = None,
    context_window: int = 0,
    text_features: TextFeatures | None = None,
    speech_features: SpeechFeatures | None = None,
    clip_features: SpeechFeatures | None = None,
) -> list[Example]:
    """Examples for `utterances`; `transcripts=None` means the model reads no text (text = "").

    A requested feature or transcript missing for an utterance is an error naming the uid, never
    a silent drop: a run on a subset would be compared with runs on the full fold.
    """
    out: list[Example] = []
    for u in utterances:
        text = ""
        ctx: tuple[str, ...] = ()
        if transcripts is not None:
            if u.uid not in transcripts:
                raise KeyError(f"{u.uid}: no transcript under this condition")
            text = transcripts[u.uid]
            ctx = context_texts(u, transcripts, context_window)
        features = None
        if text_features is not None or speech_features is not None or clip_features is not None:
            tokens = span = frames = vector = None
            if text_features is not None:
                if u.uid not in text_features:
                    raise KeyError(f"{u.uid}: no cached text features")
                tokens, span = text_features[u.uid]
                span = (int(span[0]), int(span[1]))
            if speech_features is not None:
                if u.uid not in speech_features:
                    raise KeyError(f"{u.uid}: no cached speech features")
                frames = speech_features[u.uid]
            if clip_features is not None:
                if u.uid not in clip_features:
                    raise KeyError(f"{u.uid}: no cached clip features")
                vector = clip_features[u.uid]
            features = Features(text=tokens, text_span=span, speech=frames, clip=vector)
        soft = dims = None
        if with_labels and task == "soft":
            soft = u.votes.soft_target() if u.votes is not None else None
            if soft is None:
                raise ValueError(f"{u.uid}: no soft target (annotator votes) for the soft task")
        if with_labels and task == "dimensional":
            if u.dims is None:
                raise ValueError(f"{u.uid}: no arousal/valence/dominance for the dimensional task")
            dims = u.dims.signed()
        out.append(Example(
            uid=u.uid,
            label=u.label if with_labels else None,
            soft=soft,
            dims=dims,
            text=text,
            audio=u.audio,
            speaker=u.speaker,
            context_text=ctx,
            features=features,
        ))
    return out
