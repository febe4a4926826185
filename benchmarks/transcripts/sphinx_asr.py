"""`asr:pocketsphinx`: CMU PocketSphinx with the en-us model bundled in its wheel (a deliberately noisy engine).

Fed 16 kHz int16 directly (no files, no resampling inside the engine). The decoder runs with a
narrowed search (`fwdflat` pass off, at most 3000 HMMs and 5 word exits per frame): ~2.5x faster
than the defaults at about the same WER on espeak speech (see report). With `workers > 1` clips are
split across forked processes (Linux), each holding its own Decoder (a Decoder is not thread-safe).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from benchmarks.transcripts.base import CachedAsrSource

DECODER_OPTIONS: dict[str, Any] = {"fwdflat": False, "maxhmmpf": 3000, "maxwpf": 5}
_DECODER = None


def _decoder():  # noqa: ANN202 - pocketsphinx.Decoder, one per process
    global _DECODER
    if _DECODER is None:
        from pocketsphinx import Decoder

        _DECODER = Decoder(samprate=16000, loglevel="FATAL", **DECODER_OPTIONS)
    return _DECODER


def decode_one(clip: np.ndarray) -> str:
    """The best hypothesis for one 16 kHz float32 clip ("" when the engine hears nothing)."""
    d = _decoder()
    pcm = (np.clip(clip, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    d.start_utt()
    d.process_raw(pcm, full_utt=True)
    d.end_utt()
    hyp = d.hyp()
    return hyp.hypstr if hyp is not None else ""


class PocketsphinxAsr(CachedAsrSource):
    def __init__(self, key: str = "asr:pocketsphinx", workers: int | None = None, cache_dir: str | Path | None = None) -> None:
        super().__init__(key, cache_dir)
        env = os.environ.get("LEMER_ASR_WORKERS")
        self.workers = workers or (int(env) if env else min(2, os.cpu_count() or 1))

    @property
    def settings(self) -> dict[str, Any]:
        import pocketsphinx

        return {"pocketsphinx": getattr(pocketsphinx, "__version__", "5"), "model": "en-us", **DECODER_OPTIONS}

    def decode(self, clips: Sequence[np.ndarray], progress: bool) -> list[str]:
        bar = None
        if progress and sys.stderr.isatty():  # no cursor escapes in logs
            from tqdm.auto import tqdm

            bar = tqdm(total=len(clips), desc=self.key, unit="clip", file=sys.stderr, leave=False)
        out: list[str] = []
        if self.workers <= 1 or len(clips) < 8 or sys.platform != "linux":
            for c in clips:
                out.append(decode_one(c))
                if bar:
                    bar.update(1)
        else:
            import multiprocessing as mp

            # fork, not spawn: spawn re-imports the caller's __main__ (breaks unguarded scripts); the
            # children only run pocketsphinx, never torch/ctranslate2, so forking their parent is safe.
            with mp.get_context("fork").Pool(self.workers) as pool:
                for text in pool.imap(decode_one, clips, chunksize=4):
                    out.append(text)
                    if bar:
                        bar.update(1)
        if bar:
            bar.close()
        return out
