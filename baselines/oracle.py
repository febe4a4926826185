"""`oracle-cue-pool`: an ORACLE that reads ground truth. It exists only to validate the benchmark.

It is `speech-only` with mean pooling, except that it averages only the speech frames inside the
TRUE cue phrase of each utterance (`time_span` of `SYNTHETIC_CUES.jsonl`, handed over by the harness
through `FitEnv.cue_spans`, for training AND test utterances). Its twin `speech-only-meanpool` has
identical switches and averages every frame. If the synthetic corpus is built as designed, the
emotion lives in the cue phrase and the filler phrases only dilute it, so the oracle must beat its
twin (validity check (b) of `leaderboard/validity.py`); if it does not, either the cue spans do not
line up with the audio features or the cue carries no more signal than the rest.

Why speech rather than text: mean pooling of words already finds a cue word wherever it sits (the
other words are neutral and few), while prosody is a property of frames that mean pooling averages
with 2-4 phrases of neutral speech; and the time span is the ground truth most likely to be
misaligned (segment offsets, encoder frame rate), so it is the one worth checking. CREMA-D has
prosody cues only, so a text oracle would be useless there.

The leaderboard never ranks an oracle (its results say `diagnostics.oracle`); the harness refuses
it on corpora without cue ground truth, and suites skip it on real corpora.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from baselines.config import POOLINGS, SpeechOnlyConfig
from baselines.unimodal import SpeechOnly
from lemer.core.contract import CueSpan, Example, FitEnv, ModelInfo, Requirements
from lemer.core.inputs import pool_frames
from lemer.core.switches import ConfigError, check_choice, switch

TWIN = "speech-only-meanpool"


@dataclass(frozen=True)
class OracleCuePoolConfig(SpeechOnlyConfig):
    """speech-only's switches with mean pooling by default, so the twin differs only in what it pools."""

    OWNER = "oracle-cue-pool"

    pooling: str = switch("mean", partial(check_choice, choices=POOLINGS))


def cue_frames(n_frames: int, span: CueSpan) -> tuple[int, int]:
    """[start, end) frame indices covering `span.seconds` in a clip of `n_frames` frames over `span.duration`
    seconds (the encoder's frame rate is read off the clip, so any encoder works); at least one frame."""
    if n_frames <= 0:
        raise ValueError("a clip without speech frames has no cue frames")
    rate = n_frames / span.duration if span.duration > 0 else 0.0
    start = min(max(math.floor(span.seconds[0] * rate), 0), n_frames - 1)
    end = min(max(math.ceil(span.seconds[1] * rate), start + 1), n_frames)
    return start, end


class OracleCuePool(SpeechOnly):
    info = ModelInfo(
        name="oracle-cue-pool",
        modalities=("speech",),
        description="ORACLE (validation only; reads ground-truth cue spans): speech-only with mean pooling "
                    "over the frames of the true cue phrase",
        encoders=("speech",),
    )
    config_class = OracleCuePoolConfig

    def __init__(self, **config: Any) -> None:
        if "pooling" in config and config["pooling"] != "mean":
            raise ConfigError(f"oracle-cue-pool config: pooling is fixed to 'mean' (its twin {TWIN} "
                              f"pools the same way over every frame), got {config['pooling']!r}")
        super().__init__(**config)
        self.spans: Mapping[str, CueSpan] = {}
        # Written into the run's result, so the leaderboard can keep the oracle out of every ranking.
        self.diagnostics = {"oracle": {"reads": "cue time_span (SYNTHETIC_CUES.jsonl)", "twin": TWIN}}

    @property
    def requirements(self) -> Requirements:
        base = super().requirements
        return Requirements(text_features=base.text_features, speech_features=base.speech_features,
                            text_context=base.text_context, cue_spans=True)

    def _cue(self, e: Example) -> np.ndarray:
        assert e.features is not None and e.features.speech is not None
        span = self.spans.get(e.uid)
        if span is None:
            raise ValueError(f"{self.info.name}: no cue span for {e.uid!r} (the harness fills FitEnv.cue_spans)")
        start, end = cue_frames(len(e.features.speech), span)
        return e.features.speech[start:end]

    def _speech(self, e: Example) -> np.ndarray:
        return pool_frames(self._cue(e), self.cfg.speech_pool, self.cfg.max_frames)

    def _length(self, e: Example) -> int:
        start, end = cue_frames(len(e.features.speech), self.spans[e.uid])  # type: ignore[union-attr]
        return end - start

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        if env.cue_spans is None:
            raise ValueError(f"{self.info.name} is an oracle: it needs FitEnv.cue_spans (cue ground truth), "
                             "which only generated synthetic corpora have")
        self.spans = env.cue_spans
        super().fit(train, valid, env)
