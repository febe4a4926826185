"""`lemer-bench transcripts` and `lemer-bench features`: fill the transcript and feature caches for a corpus.

Both print, as their LAST stdout line, one JSON object a script can parse:
    transcripts -> {"source": KEY, "wer": <float|null>, "n": <int>, "corrupt_recomputed": <int>}
    features    -> {"speech": {"computed": c, "reused": r, ...}, "text": {...}, "n": <int>, ...}
WER is null (with a note on stderr) when some utterance has no gold transcript: it is undefined then.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.features.store import FeatureStore
from benchmarks.transcripts import corpus_wer, get_source
from dataset_adapters.base import get_adapter
from dataset_adapters.types import Utterance
from lemer.core.atomic import refuse_folder, write_jsonl_atomic
from lemer.core.options import integer
from lemer.core.pretrained import cache_root


def _utterances(args: argparse.Namespace) -> list[Utterance]:
    report = get_adapter(args.corpus).load(args.root, label_map=args.label_map)
    return list(report.utterances)


def cmd_transcripts(args: argparse.Namespace) -> int:
    cache_root(args.cache)  # a cache path that is a file: one line before the corpus is read
    refuse_folder(args.out)  # and an --out that is a folder
    utts = _utterances(args)
    source = get_source(args.source, cache_dir=args.cache)
    t0 = time.perf_counter()
    texts = source.transcribe(utts, progress=not args.quiet)
    seconds = time.perf_counter() - t0
    write_jsonl_atomic(Path(args.out), ({"uid": u.uid, "text": texts[u.uid]} for u in utts))
    wer = corpus_wer(utts, texts)  # None, with a note on stderr, when some gold transcript is missing
    stats = getattr(source, "stats", None)  # only cached (ASR) sources have one
    corrupt = stats.corrupt if stats else 0
    extra = f", computed {stats.computed}, reused {stats.reused}" if stats else ""
    extra += f", {corrupt} corrupt cache entries recomputed" if corrupt else ""
    print(f"wrote {len(utts)} transcripts to {args.out} in {seconds:.1f} s{extra}", file=sys.stderr)
    print(json.dumps({"source": args.source, "wer": None if wer is None else round(wer, 4), "n": len(utts),
                      "corrupt_recomputed": corrupt}))
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    cache_root(args.cache)  # a cache path that is a file: one line before the corpus is read
    utts = _utterances(args)
    none = {"none", "None", ""}
    store = FeatureStore(args.cache, text_encoder=None if args.text_encoder in none else args.text_encoder,
                         speech_encoder=None if args.speech_encoder in none else args.speech_encoder,
                         progress=not args.quiet, device=args.device)
    report: dict[str, object] = {"n": len(utts), "text_encoder": store.text_encoder_name,
                                 "speech_encoder": store.speech_encoder_name, "source": args.source}
    if store.speech_encoder_name is not None:
        before = (store.computed, store.reused)
        t0 = time.perf_counter()
        store.speech(utts)
        report["speech"] = {"computed": store.computed - before[0], "reused": store.reused - before[1],
                            "seconds": round(time.perf_counter() - t0, 2)}
    if store.text_encoder_name is not None:
        texts = get_source(args.source, cache_dir=args.cache, device=args.device).transcribe(
            utts, progress=not args.quiet)
        missing = [u.uid for u in utts if texts.get(u.uid) is None]
        if missing:
            raise ValueError(f"transcript source {args.source!r} has no text for {len(missing)} utterance(s), "
                             f"e.g. {missing[0]}; choose another --source")
        by_uid = {u.uid: u for u in utts}
        items = [(u.uid, texts[u.uid], [texts[c] for c in u.context if c in by_uid][-args.context:] if args.context else [])
                 for u in utts]
        before = (store.computed, store.reused)
        t0 = time.perf_counter()
        store.text(items, args.context)
        report["text"] = {"computed": store.computed - before[0], "reused": store.reused - before[1],
                          "seconds": round(time.perf_counter() - t0, 2)}
    report["corrupt_recomputed"] = store.corrupt
    print(json.dumps(report))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", help="corpus name: iemocap, msp-podcast, crema-d")
    p.add_argument("--root", required=True, help="the corpus's root folder, in its distributed layout")
    p.add_argument("--label-map", default=None, help="label map name (default: the corpus's default)")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="cache folder for features, transcripts and degraded audio (default: $LEMER_CACHE or the "
                        "user cache dir)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("transcripts", help="transcribe a corpus with one transcript source; prints its WER")
    _common(p)
    p.add_argument("--source", required=True, help="gold | asr:whisper-tiny.en | asr:pocketsphinx | noise:wer=X[,seed=N]")
    p.add_argument("--out", required=True, help="output .jsonl: one {uid, text} per utterance")
    p.set_defaults(func=cmd_transcripts)

    p = sub.add_parser("features", help="fill the feature cache for a corpus; reports computed vs reused")
    _common(p)
    p.add_argument("--text-encoder", default="default", help="BERT-family HF name/path, 'default' (all-MiniLM-L6-v2) or 'none'")
    p.add_argument("--speech-encoder", default="default",
                   help="'default' (Whisper tiny.en encoder), wav2vec2-family HF name/path[@layer=K|@mean], "
                        "'opensmile:egemaps' (25 eGeMAPS descriptors per 10 ms), 'opensmile:egemaps-ipu' (each "
                        "pause-delimited unit's prosody minus the clip's; the demo's), SPEC+opensmile:egemaps[-ipu] "
                        "(e.g. whisper-tiny.en+opensmile:egemaps-ipu), or 'none'")
    p.add_argument("--source", default="gold", help="transcript source feeding the text encoder (default gold)")
    p.add_argument("--context", type=integer(0), default=0,
                   help="preceding utterances in the text input, >= 0 (default 0; LE-MER reads up to 10)")
    p.add_argument("--device", default="auto", metavar="auto|cpu|cuda[:N]",
                   help="where the encoders run (default auto: a GPU when one is seen); features are cached "
                        "under the same key on every device (same values up to numerics)")
    p.set_defaults(func=cmd_features)
