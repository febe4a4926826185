"""Measure `speech-only` accuracy per speech encoder on one corpus, to choose the default speech encoder.

    python -m benchmarks.perf.choose_speech_encoder iemocap --root /data/synth/IEMOCAP_full_release \
        [--encoders whisper-tiny.en-encoder,opensmile:egemaps-ipu,whisper-tiny.en+opensmile:egemaps-ipu] \
        [--model speech-only] [--model-config '{"pooling": "mean"}'] [--protocol loso] [--max-folds 0] [--seed 0] [--out choice.json]

For each encoder: fill the feature cache, then for every fold of the corpus's protocol fit the model on
train (selecting on valid, as the harness does) and predict the test fold; predictions are pooled over
folds and scored (WA, UA, macro-F1). When the corpus root holds `SYNTHETIC_CUES.jsonl` (one JSON object
per line with at least `uid` and `cue_type`), the pooled scores are also broken down by cue type, so one
can see which encoder hears which kind of cue (e.g. prosody-only vs lexical ones); without the file there is
no breakdown. Utterances without a cue entry are counted under `(no cue)`, cue entries matching no
utterance are counted in `unmatched_cues`: nothing is dropped silently.

Honesty: this picks an encoder on the test folds of the corpus it is given. Run it on a tree generated with
a different seed from the one later reported (or on a development corpus), and say so where the default is
changed; the output records whether the corpus is synthetic. Switching the default is one line:
`DEFAULT_SPEECH_SPEC` in `benchmarks/features/speech_encoder.py`.

Training budget matters for small inputs: on a 300-utterance synthetic IEMOCAP tree, `speech-only` on the
25-d `opensmile:egemaps` frames stopped (patience 5) before leaving the majority class in 4 of 5 folds
(UA 0.27), but reached UA 0.52 with `--model-config '{"patience": 30, "max_epochs": 60}'`; compare
encoders under a budget that lets each converge, and record it (the report keeps `model_config`).

Prints a table on stderr and, as its LAST stdout line, the whole report as one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

CUES_FILE = "SYNTHETIC_CUES.jsonl"
NO_CUE = "(no cue)"
DEFAULT_CANDIDATES = ("whisper-tiny.en-encoder", "opensmile:egemaps", "whisper-tiny.en+opensmile:egemaps",
                      "opensmile:egemaps-ipu", "whisper-tiny.en+opensmile:egemaps-ipu")


def read_cues(root: str | Path, uids: Sequence[str]) -> tuple[dict[str, str], int] | None:
    """uid -> cue_type from `root/SYNTHETIC_CUES.jsonl` (None when absent), and the count of entries that
    match no utterance. A cue uid may be corpus-prefixed (`iemocap:Ses01F_...`) or bare (`Ses01F_...`).
    A malformed line raises ValueError naming file and line."""
    path = Path(root) / CUES_FILE
    if not path.is_file():
        return None
    bare = {u.split(":", 1)[-1]: u for u in uids}
    known = set(uids)
    cues: dict[str, str] = {}
    unmatched = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON ({e.msg})") from None
            if not isinstance(row, dict) or not isinstance(row.get("uid"), str) or not isinstance(row.get("cue_type"), str):
                raise ValueError(f"{path}:{n}: expected an object with string 'uid' and 'cue_type'")
            uid = row["uid"] if row["uid"] in known else bare.get(row["uid"])
            if uid is None:
                unmatched += 1
                continue
            if uid in cues and cues[uid] != row["cue_type"]:
                raise ValueError(f"{path}:{n}: uid {row['uid']!r} already has cue_type {cues[uid]!r}")
            cues[uid] = row["cue_type"]
    return cues, unmatched


def score(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> dict[str, Any]:
    from leaderboard.metrics import score_labels

    s = score_labels(list(gold), list(pred), list(classes))
    return {"wa": round(s.wa, 4), "ua": round(s.ua, 4), "macro_f1": round(s.macro_f1, 4), "n": s.n}


def evaluate_encoder(spec: str, utts: Sequence[Any], folds: Sequence[Any], classes: Sequence[str], model_name: str,
                     seed: int, cache_dir: str | None, progress: bool,
                     model_config: dict[str, Any] | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """Pooled test predictions (uid -> label) of `model_name` on `spec`'s features over `folds`, and timings."""
    from benchmarks.features.store import FeatureStore
    from benchmarks.models import MODELS
    from benchmarks.run.examples import build_examples
    from lemer.core.contract import FitEnv

    store = FeatureStore(cache_dir, text_encoder=None, speech_encoder=spec, progress=progress)
    t0 = time.perf_counter()
    feats = store.speech(utts)
    info: dict[str, Any] = {"features_s": round(time.perf_counter() - t0, 2), "computed": store.computed,
                            "reused": store.reused, "dim": int(next(iter(feats.values())).shape[1]), "folds": {}}
    by_uid = {u.uid: u for u in utts}
    preds: dict[str, str] = {}
    cls = MODELS.get(model_name)
    t0 = time.perf_counter()
    for fold in folds:
        pick = lambda ids: [by_uid[i] for i in ids]  # noqa: E731
        train = build_examples(pick(fold.train), with_labels=True, speech_features=feats)
        valid = build_examples(pick(fold.valid), with_labels=True, speech_features=feats)
        test = build_examples(pick(fold.test), with_labels=False, speech_features=feats)
        model = cls.from_config({**MODELS.defaults(model_name), **(model_config or {})})
        model.fit(train, valid, FitEnv(classes=tuple(classes), seed=seed))
        fold_preds = {p.uid: p.label for p in model.predict(test)}
        preds.update(fold_preds)
        info["folds"][fold.name] = score([by_uid[u].label for u in fold.test], [fold_preds[u] for u in fold.test], classes)
    info["fit_predict_s"] = round(time.perf_counter() - t0, 2)
    return preds, info


def breakdown(preds: dict[str, str], gold: dict[str, str], cues: dict[str, str] | None,
              classes: Sequence[str]) -> dict[str, Any]:
    """Pooled scores, and per cue type when cues are given (utterances without one under NO_CUE)."""
    uids = sorted(preds)
    out: dict[str, Any] = {"pooled": score([gold[u] for u in uids], [preds[u] for u in uids], classes)}
    if cues is not None:
        groups: dict[str, list[str]] = {}
        for u in uids:
            groups.setdefault(cues.get(u, NO_CUE), []).append(u)
        out["by_cue"] = {c: score([gold[u] for u in g], [preds[u] for u in g], classes) for c, g in sorted(groups.items())}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", help="iemocap, msp-podcast or crema-d (the tree's layout)")
    ap.add_argument("--root", required=True)
    ap.add_argument("--encoders", default=",".join(DEFAULT_CANDIDATES), help="comma-separated speech encoder specs")
    ap.add_argument("--model", default="speech-only", help="a registered model reading speech features only")
    ap.add_argument("--model-config", default="{}", help='JSON switches for the model, e.g. \'{"pooling": "mean"}\'')
    ap.add_argument("--label-map", default=None)
    ap.add_argument("--protocol", default=None, help="default: the corpus's first protocol")
    ap.add_argument("--max-folds", type=int, default=0, help="use only the first K folds (0 = all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--out", default=None, help="also write the report JSON here (atomically)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    from benchmarks.models import describe
    from dataset_adapters.base import get_adapter, get_label_map
    from dataset_adapters.synth.marker import read_marker
    from lemer.core.atomic import write_json_atomic

    try:
        model_config = json.loads(args.model_config)
    except json.JSONDecodeError as e:
        raise SystemExit(f"error: --model-config is not JSON ({e.msg})") from None
    if not isinstance(model_config, dict):
        raise SystemExit("error: --model-config must be a JSON object")
    facts = describe(args.model, model_config)
    if facts.reads_text or not facts.speech_features:
        raise SystemExit(f"error: model {args.model!r} must read speech features and no text")
    adapter = get_adapter(args.corpus)
    label_map = args.label_map or adapter.info.default_label_map
    report = adapter.load(args.root, label_map=label_map)
    utts = list(report.utterances)
    classes = get_label_map(label_map, args.corpus).classes
    protocol = args.protocol or adapter.info.default_protocol
    folds = adapter.folds(utts, protocol)
    if args.max_folds > 0:
        folds = folds[: args.max_folds]
    read = read_cues(args.root, [u.uid for u in utts])
    cues, unmatched = read if read is not None else (None, 0)
    gold = {u.uid: str(u.label) for u in utts}
    out: dict[str, Any] = {
        "corpus": args.corpus, "root": str(args.root), "synthetic": read_marker(args.root) is not None,
        "label_map": label_map, "protocol": protocol, "folds": [f.name for f in folds], "model": args.model,
        "model_config": facts.config,
        "seed": args.seed, "n_utterances": len(utts), "cues_file": CUES_FILE if cues is not None else None,
        "cue_counts": dict(Counter(cues.get(u.uid, NO_CUE) for u in utts)) if cues is not None else None,
        "unmatched_cues": unmatched, "encoders": {},
        "note": "chosen on this corpus's test folds: report final numbers on a different tree/seed",
    }
    for spec in [e.strip() for e in args.encoders.split(",") if e.strip()]:
        print(f"[{spec}] features + {len(folds)} fold(s) of {args.model} ...", file=sys.stderr)
        preds, info = evaluate_encoder(spec, utts, folds, classes, args.model, args.seed, args.cache_dir, not args.quiet,
                                       model_config)
        out["encoders"][spec] = {**breakdown(preds, gold, cues, classes), **info}
    _print_table(out)
    if args.out:
        write_json_atomic(args.out, out)
    print(json.dumps(out))
    return 0


def _print_table(out: dict[str, Any]) -> None:
    kind = "SYNTHETIC " if out["synthetic"] else ""
    print(f"\n{kind}{out['corpus']} ({out['n_utterances']} utterances, {out['protocol']}, {len(out['folds'])} folds), "
          f"{out['model']}, pooled test predictions:", file=sys.stderr)
    cue_types = sorted(out["cue_counts"] or {})
    head = f"{'encoder':45s} {'UA':>6s} {'WA':>6s}" + "".join(f" {c[:14]:>14s}" for c in cue_types)
    print(head, file=sys.stderr)
    for spec, r in out["encoders"].items():
        row = f"{spec:45s} {r['pooled']['ua']:6.3f} {r['pooled']['wa']:6.3f}"
        row += "".join(f" {r['by_cue'][c]['wa']:14.3f}" if c in r.get("by_cue", {}) else f" {'-':>14s}" for c in cue_types)
        print(row, file=sys.stderr)
    if cue_types:
        print("(per cue type: accuracy = WA within the group)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
