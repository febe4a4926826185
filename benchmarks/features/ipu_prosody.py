"""Utterance-normalised prosody of inter-pausal units (IPUs): where in a clip the voice departs from itself.

Why: emotion in speech is a departure from the speaker's own neutral voice, and speakers differ by more
than emotions move them (a calm high voice is higher than an angry low one). Two facts were measured on
the synthetic IEMOCAP tree (v3, 300 utterances, leave-one-session-out logistic regression on eGeMAPS
descriptors, scored on the utterances whose emotion is in the cue phrase's prosody only):
- contrast is what makes prosody readable: the TRUE cue phrase's mean descriptors score 0.43
  (chance 0.40); the same minus the rest of the clip's, 0.81;
- localisation is the hard part: that contrast taken half a phrase off the cue scores 0.43;
  the pause-delimited unit holding the cue's midpoint (found without ground truth) scores 0.79.
So this encoder cuts a clip at its pauses (the IPU, the standard unit of prosodic analysis) and gives
every 10 ms frame the descriptors of the unit it lies in minus those of the whole clip. A pooling that
attends to frames can pick the unit that departs most. Mean pooling over a clip cancels the duration-
weighted means (loudness, spectral shape) but not all of it: a unit's F0 spread is smaller than the
clip's by the spread BETWEEN units, so the mean still says how far some unit departs, not which (on the
demo's IEMOCAP, speech-only with attentive pooling 49.3 UA, with mean pooling 50.2; the oracle pooling
only the true cue, 62.9).

Nothing is fitted: pauses are found relative to the clip's own noise floor, the descriptors are the
eGeMAPS ones already divided by fixed units (`opensmile.LLD_UNITS`), and the contrast units in
FEATURES are fixed too (one unit = a clearly audible change). No corpus statistic enters, so a cache
entry is one clip's.
"""
from __future__ import annotations

import numpy as np

# A pause: at least PAUSE_FRAMES (10 ms each) whose loudness is under PAUSE_FLOOR x the clip's quietest
# frames (the 3rd percentile of loudness: the recording's noise floor, whatever its level).
PAUSE_FRAMES = 10
PAUSE_FLOOR = 1.2
FLOOR_PERCENTILE = 3
MIN_UNIT_FRAMES = 25  # a unit shorter than 250 ms (a click, a stray syllable) carries no contour: left at 0

# (descriptor name, statistic, unit). Descriptor values are already in the fixed units of LLD_UNITS; the
# unit here scales the CONTRAST (unit minus clip) to about +-1 for a clear change. F0 statistics use
# voiced frames only (openSMILE writes 0 when unvoiced), the others the unit's non-pause frames.
FEATURES: tuple[tuple[str, str, float], ...] = (
    ("F0semitoneFrom27.5Hz_sma3nz", "mean", 1 / 6),  # 2 semitones (the descriptor is in octaves)
    ("F0semitoneFrom27.5Hz_sma3nz", "std", 1 / 6),  # 2 semitones of pitch range
    ("Loudness_sma3", "mean", 0.25),
    ("spectralFlux_sma3", "mean", 0.25),
    ("alphaRatio_sma3", "mean", 0.2),  # 2 dB
    ("hammarbergIndex_sma3", "mean", 0.2),
    ("slope0-500_sma3", "mean", 0.2),
    ("mfcc1_sma3", "mean", 0.25),
    ("HNRdBACF_sma3nz", "mean", 0.2),
    ("jitterLocal_sma3nz", "mean", 0.5),
    ("shimmerLocaldB_sma3nz", "mean", 0.5),
    ("voiced", "share", 0.1),  # share of the unit's speech frames that are voiced
)
N_FEATURES = len(FEATURES)
VERSION = "ipu-v2"  # part of the cache key: bump when anything above changes (v1: pauses at the edges
# needed 100 ms like inner ones)


def pause_mask(loudness: np.ndarray) -> np.ndarray:
    """True for 10 ms frames inside a pause: a run of >= PAUSE_FRAMES quiet frames, or any quiet run at an edge."""
    quiet = loudness < PAUSE_FLOOR * np.percentile(loudness, FLOOR_PERCENTILE)
    out = np.zeros_like(quiet)
    start = None
    for t, q in enumerate(np.append(quiet, False)):
        if q and start is None:
            start = t
        elif not q and start is not None:
            if t - start >= PAUSE_FRAMES or start == 0 or t == len(quiet):
                out[start:t] = True
            start = None
    return out


def units(pauses: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frame ranges of the speech between pauses, each at least MIN_UNIT_FRAMES long."""
    spans, start = [], None
    for t, p in enumerate(np.append(pauses, True)):
        if not p and start is None:
            start = t
        elif p and start is not None:
            if t - start >= MIN_UNIT_FRAMES:
                spans.append((start, t))
            start = None
    return spans


def _stats(lld: np.ndarray, columns: dict[str, int]) -> np.ndarray:
    """FEATURES' statistics over the given frames (speech frames only; F0 ones over voiced frames)."""
    voiced = lld[:, columns["F0semitoneFrom27.5Hz_sma3nz"]] > 0
    out = np.zeros(N_FEATURES, dtype=np.float64)
    for i, (name, stat, _) in enumerate(FEATURES):
        if name == "voiced":
            out[i] = voiced.mean()
            continue
        col = lld[:, columns[name]]
        if name.endswith("nz"):
            col = col[voiced]
        if col.size == 0:
            continue
        out[i] = col.std() if stat == "std" else col.mean()
    return out


def ipu_contrast_frames(lld: np.ndarray, names: list[str]) -> np.ndarray:
    """(n_frames, N_FEATURES) float32: each 10 ms frame gets (its unit's statistics - the clip's) / unit.

    `lld` are eGeMAPS descriptors in fixed units, one row per 10 ms, columns named by `names`. Pause
    frames and frames of too-short units are 0; a clip with fewer than two units is all 0 (nothing to
    contrast: a single unit's departure from itself is zero by definition).
    """
    columns = {n: i for i, n in enumerate(names)}
    missing = [n for n, _, _ in FEATURES if n != "voiced" and n not in columns]
    if missing:
        raise ValueError(f"IPU prosody needs eGeMAPS descriptors {missing}; got {names}")
    out = np.zeros((len(lld), N_FEATURES), dtype=np.float32)
    if len(lld) == 0:
        return out
    pauses = pause_mask(lld[:, columns["Loudness_sma3"]])
    spans = units(pauses)
    if len(spans) < 2:
        return out
    speech = np.concatenate([lld[a:b] for a, b in spans])
    clip = _stats(speech, columns)
    scale = np.array([u for _, _, u in FEATURES])
    for a, b in spans:
        out[a:b] = ((_stats(lld[a:b], columns) - clip) / scale).astype(np.float32)
    return out
