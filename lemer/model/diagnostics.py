"""Attention diagnostics for a fitted LE-MER: how peaked Gt, Gs, Al and Ar are, and whether they find known cues.

Entry point: `attention_diagnostics(model, examples, cues=None)` (also `LEMER.diagnostics(examples, cues)`); the result
is a JSON-able dict (plain floats, ints, None, str). Nothing here imports the harness.

Normalised entropy H(p) / log(n) of a distribution over n real positions: 1 = uniform, 0 = one position. Per utterance:
- `gt`: mean over classes of the entropy of Gt[:, c] over the real tokens (every token the model attends to: the
  target's only under the default `text_scope="target"`, context too under "all");
- `gs`: likewise for Gs[:, c] over the real (pooled) frames;
- `al`, `ar`: mean over the target's tokens of the entropy of that token's row over the real frames (Ar is computed
  between the label-enhanced tokens and frames under the default `fusion_input="label_enhanced"`, between the plain
  ones under "plain"; Al from Gt and Gs either way: lemer/model/fusion.py (5), (6)).
Each is then averaged over the utterances where it is defined (n > 1 positions); `n_defined` says over how many.
`fusion` says which fusion produced them: {"input", "directions", "attention"} (the config's switches).

Cue spans (optional): `cues = {uid: {"tokens": (start, end), "time": (t0, t1)}}`, either key may be absent.
- "tokens": a half-open range of TARGET-token positions (0 = the first subword token of the target utterance in the
  text features, i.e. position `text_span[0]` of `Features.text`; the encoder's subword tokens, not words: the
  cached features carry no word -> token mapping, so a caller with word-level cues must map them with the same
  tokenizer). Positions cut off by `max_tokens` are dropped from the span.
- "time": (t0, t1) in seconds from the start of the clip's speech features. The speech encoder runs at
  `frame_rate` = 50 frames/s (Whisper / wav2vec2 style encoders: 20 ms per frame); LE-MER average-pools frames by
  f = max(speech_pool, ceil(n_frames / max_frames)) (lemer/core/inputs.py), so pooled frame j covers
  [j f / 50, (j + 1) f / 50) s. A pooled frame is in the span when that interval overlaps [t0, t1).
For each kind, over the utterances with a gold label (`example.label` in the model's classes) and a non-empty span:
- `peak_in_span`: the share whose most-attended position for the GOLD class (argmax of Gt[:, gold] / Gs[:, gold])
  lies in the span;
- `mass_in_span`: the mean attention mass sum_{t in span} G[t, gold];
- `chance`: the mean span share |span| / n_positions (what both would be under uniform attention);
- `mix_in_span` / `mix_outside` (label-enhanced fusion only): the gold label's mean share of the label read-out
  A[t, gold] (lemer/model/fusion.py (4): what the label-enhanced sequence adds at position t) over the span's
  positions / over the others (None when the span covers everything); chance is 1 / C;
- `n`: how many utterances entered; `skipped`: uids left out with the reason, e.g. {"no_label": 3, "empty_span": 1}.
Pass labelled examples (the harness holds the gold labels of its test utterances); entropies need no labels.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from lemer.core.contract import Example

FRAME_RATE = 50.0  # speech-encoder frames per second before LE-MER's pooling


def normalised_entropy(p: np.ndarray) -> float | None:
    """H(p) / log(len(p)) for a distribution over len(p) > 1 positions (renormalised); None when undefined."""
    p = np.asarray(p, dtype=np.float64)
    n = len(p)
    total = p.sum()
    if n < 2 or total <= 0:
        return None
    p = p / total
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum() / math.log(n))


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def pooling_factor(n_raw_frames: int, speech_pool: int, max_frames: int) -> int:
    """The average-pooling factor lemer.core.inputs.pool_frames applies to a clip of `n_raw_frames` frames."""
    return max(speech_pool, -(-n_raw_frames // max_frames)) if n_raw_frames else speech_pool


def frame_span(time: tuple[float, float], n_frames: int, factor: int, frame_rate: float = FRAME_RATE) -> tuple[int, int]:
    """Pooled frames [a, b) whose time interval overlaps [t0, t1) seconds (see module docstring)."""
    t0, t1 = float(time[0]), float(time[1])
    step = factor / frame_rate
    a = min(n_frames, max(0, int(math.floor(t0 / step + 1e-9))))
    if t1 <= t0:
        return a, a
    b = min(n_frames, int(math.ceil(t1 / step - 1e-9)))  # the tolerance keeps 0.08 s / 0.02 s at 4 frames, not 5
    return a, max(a, b)


def attention_diagnostics(model: Any, examples: Sequence[Example],
                          cues: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
                          frame_rate: float = FRAME_RATE, n_examples: int = 3) -> dict[str, Any]:
    """See the module docstring. `model` is a fitted `lemer.model.LEMER`.

    `n_examples`: how many labelled utterances (first by uid) keep their gold-class maps Gt[:, gold] and
    Gs[:, gold] in the output (`examples`), for the attention figure a paper would print."""
    net = model.net
    if net is None:
        raise RuntimeError("LE-MER diagnostics called before fit")
    cfg, classes = model.cfg, tuple(model.classes)
    cache = model._prepare(examples)
    encode = model._encoder(cache)
    ents: dict[str, list[float]] = {k: [] for k in ("gt", "gs", "al", "ar")}
    found: dict[str, dict[str, list[float]]] = {
        k: {"peak": [], "mass": [], "chance": [], "mix_in": [], "mix_out": []} for k in ("tokens", "time")}
    skipped: dict[str, dict[str, int]] = {"tokens": {}, "time": {}}

    def skip(kind: str, why: str) -> None:
        skipped[kind][why] = skipped[kind].get(why, 0) + 1

    def cue_stats(kind: str, g: np.ndarray, mix: np.ndarray | None, span: tuple[int, int], gold: int) -> None:
        a, b = span
        if b <= a:
            skip(kind, "empty_span")
            return
        col = g[:, gold]
        found[kind]["peak"].append(float(a <= int(col.argmax()) < b))
        found[kind]["mass"].append(float(col[a:b].sum()))
        found[kind]["chance"].append((b - a) / len(col))
        if mix is not None:
            share = mix[:, gold]
            found[kind]["mix_in"].append(float(share[a:b].mean()))
            if b - a < len(share):
                found[kind]["mix_out"].append(float(np.concatenate([share[:a], share[b:]]).mean()))

    kept: list[dict[str, Any]] = []
    keep = {e.uid for e in sorted((e for e in examples if e.label in classes), key=lambda e: e.uid)[:n_examples]}
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            for e in examples:  # one at a time: no padding to reason about, and the sets are small
                batch = encode([e])
                batch.pop("y", None)
                parts = net.parts(batch)
                prep = cache[e.uid]
                gold = classes.index(e.label) if e.label in classes else None
                cue = (cues or {}).get(e.uid, {})
                for key, kind in (("gt", "tokens"), ("gs", "time")):  # label attention over tokens / frames
                    if key not in parts:
                        continue
                    g = parts[key][0].numpy()
                    mix_key = "a" + key[1]  # at / as: the label mixture of the label-enhanced sequence
                    mix = parts[mix_key][0].numpy() if mix_key in parts else None
                    vals = [normalised_entropy(g[:, c]) for c in range(g.shape[1])]
                    if vals[0] is not None:
                        ents[key].append(float(np.mean(vals)))
                    if kind in cue:
                        if gold is None:
                            skip(kind, "no_label")
                        else:
                            cue_stats(kind, g, mix, _cue_span(kind, e, prep.span, cue, len(g), cfg, frame_rate), gold)
                if e.uid in keep and gold is not None:
                    kept.append(_example_maps(e, parts, prep, gold, classes, cue, cfg, frame_rate))
                for key in ("al", "ar"):
                    if key in parts:
                        rows = parts[key][0][batch["target_mask"][0]].numpy()
                        vals = [v for v in (normalised_entropy(r) for r in rows) if v is not None]
                        if vals:
                            ents[key].append(float(np.mean(vals)))
    finally:
        net.train(was_training)

    out: dict[str, Any] = {
        "n": len(examples),
        "entropy": {k: _mean(v) for k, v in ents.items()},
        "n_defined": {k: len(v) for k, v in ents.items()},
        "label_scale": {m: float(getattr(net, f"aware_{m[0]}").log_scale.detach().exp()) for m in ("text", "speech")
                        if hasattr(net, f"aware_{m[0]}")},
        "fusion": {"input": cfg.fusion_input, "directions": cfg.fusion_directions,
                   "attention": cfg.effective_fusion_attention},
        "frame_rate": frame_rate,
        "examples": sorted(kept, key=lambda k: k["uid"]),
        "speech_pool": cfg.speech_pool,
        "max_frames": cfg.max_frames,
    }
    if cues is not None:
        out["cues"] = {
            kind: {"n": len(f["peak"]), "peak_in_span": _mean(f["peak"]), "mass_in_span": _mean(f["mass"]),
                   "chance": _mean(f["chance"]), "mix_in_span": _mean(f["mix_in"]), "mix_outside": _mean(f["mix_out"]),
                   "skipped": skipped[kind]}
            for kind, f in found.items()
        }
    return out


def _example_maps(e: Example, parts: dict[str, Any], prep: Any, gold: int, classes: Sequence[str],
                  cue: Mapping[str, tuple[float, float]], cfg: Any, frame_rate: float) -> dict[str, Any]:
    """One utterance's gold-class label attention over its tokens and frames (rounded, JSON-able)."""
    out: dict[str, Any] = {"uid": e.uid, "gold": classes[gold]}
    if "gt" in parts:
        gt = parts["gt"][0].numpy()
        out["gt"] = [round(float(v), 4) for v in gt[:, gold]]
        if "tokens" in cue:
            out["cue_tokens"] = list(_token_span(e, prep.span, cue["tokens"], len(gt)))
    if "gs" in parts:
        gs = parts["gs"][0].numpy()
        out["gs"] = [round(float(v), 4) for v in gs[:, gold]]
        out["seconds_per_frame"] = _clip_pooling_factor(e, cfg) / frame_rate
        if "time" in cue:
            out["cue_time"] = [float(cue["time"][0]), float(cue["time"][1])]
    return out


def _clip_pooling_factor(e: Example, cfg: Any) -> int:
    """The pooling factor LE-MER applied to this example's speech frames."""
    n_raw = len(e.features.speech) if e.features is not None and e.features.speech is not None else 0
    return pooling_factor(n_raw, cfg.speech_pool, cfg.max_frames)


def _cue_span(kind: str, e: Example, prepared_span: tuple[int, int] | None, cue: Mapping[str, tuple[float, float]],
              n_positions: int, cfg: Any, frame_rate: float) -> tuple[int, int]:
    """The cue of `kind` ("tokens" or "time") as positions [a, b) of the attended tokens or pooled frames."""
    if kind == "tokens":
        return _token_span(e, prepared_span, cue["tokens"], n_positions)
    return frame_span(cue["time"], n_positions, _clip_pooling_factor(e, cfg), frame_rate)


def _token_span(e: Example, prepared_span: tuple[int, int] | None, tokens: tuple[float, float],
                n_tokens: int) -> tuple[int, int]:
    """Target-token positions [start, end) -> indices into the tokens LE-MER attended to (see module docstring).

    Truncation (`max_tokens`) only cuts from the front, so the target's END keeps its place: position p of a target
    of length m sits at prepared_end - m + p."""
    feats = e.features
    if prepared_span is None:
        return 0, 0
    if feats is not None and feats.text_span is not None:
        m = feats.text_span[1] - feats.text_span[0]
    elif feats is not None and feats.text is not None:
        m = len(feats.text)  # no span: the features are the target alone
    else:
        m = prepared_span[1] - prepared_span[0]
    offset = prepared_span[1] - m
    a = max(prepared_span[0], offset + int(tokens[0]), 0)
    b = min(prepared_span[1], offset + int(tokens[1]), n_tokens)
    return a, max(a, b)


__all__ = ["FRAME_RATE", "attention_diagnostics", "normalised_entropy", "pooling_factor", "frame_span"]
