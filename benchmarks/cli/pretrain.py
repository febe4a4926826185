"""`lemer-bench pretrain`: second-stage pre-training of a wav2vec2 encoder on ONE fold's training audio.

    lemer-bench pretrain --corpus iemocap=/data/IEMOCAP_full_release --fold Session1 \\
        --base /models/facebook/wav2vec2-base --out /cache/pretrained [--steps 2000 --lr 5e-5 ...]

The corpus is read with the adapter's own checks (labels, speakers) but WITHOUT opening any clip
(`verify_audio=False`); the fold comes from the corpus's protocol (`--protocol`, default the corpus's own:
IEMOCAP `loso`), and only its TRAIN split's clips are hashed and decoded: validation and test speakers'
audio is never read (pre-training on it would leak the test speakers into the encoder,
lemer/model/pretrain.py). The checkpoint folder under `--out` is named by the training set's content hash
and reused when it exists; its path is the LAST stdout line, as JSON: {"checkpoint": PATH, "fold": NAME,
"n_clips": N, "reused": BOOL}. Give that path to LE-MER as `speech_model` (with `finetune = true`).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from dataset_adapters.audio import read_audio
from dataset_adapters.base import CORPORA, get_adapter
from dataset_adapters.load import load_report
from lemer.core.devices import precision_for, resolve_device
from lemer.core.options import integer, number
from lemer.model.pretrain import PRETRAIN_SOURCES, PretrainSettings, pretrain_for_training_set


def _corpus(spec: str) -> tuple[str, str]:
    name, sep, root = spec.partition("=")
    if not sep or not name or not root:
        raise ValueError(f"--corpus must be NAME=ROOT (e.g. iemocap=/data/IEMOCAP_full_release), got {spec!r}")
    return name, root


def _fold(folds: list, wanted: str):  # type: ignore[no-untyped-def]
    names = [f.name for f in folds]
    for f in folds:
        if wanted in (f.name, f.name.partition("=")[2]):
            return f
    raise ValueError(f"no fold {wanted!r}; this protocol's folds: {', '.join(names)}")


def cmd_pretrain(args: argparse.Namespace) -> int:
    name, root = _corpus(args.corpus)
    adapter = get_adapter(name)
    report = load_report(adapter.info.name, root, label_map=args.label_map, verify_audio=False)
    fold = _fold(adapter.folds(report.utterances, args.protocol or adapter.info.default_protocol), args.fold)
    by_uid = {u.uid: u for u in report.utterances}
    clips = [by_uid[uid].audio for uid in fold.train]
    device = resolve_device(args.device)
    settings = PretrainSettings(
        steps=args.steps, lr=args.lr, batch_size=args.batch_size, mask_prob=args.mask_prob,
        mask_length=args.mask_length, max_seconds=args.max_seconds, warmup_steps=args.warmup_steps,
        seed=args.seed, device=str(device), precision=precision_for(device))
    print(f"{adapter.info.name} {fold.name}: pre-training {args.base} on the {len(clips)} training clips "
          f"(valid {len(fold.valid)} and test {len(fold.test)} clips are not read), {device}", file=sys.stderr)
    started = time.perf_counter()
    lines: list[str] = []

    def log(msg: str) -> None:
        lines.append(msg)
        print(msg, file=sys.stderr)

    path = pretrain_for_training_set(clips, read_audio, args.base, settings, args.out, log=log)
    reused = any(line.startswith("pre-training: reusing") for line in lines)
    print(f"done in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(json.dumps({"checkpoint": str(path), "fold": fold.name, "n_clips": len(clips), "reused": reused}))
    return 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    d = PretrainSettings()

    def why(name: str, kind: object = None) -> str:
        allowed = f"{kind.range_text}, " if kind is not None else ""  # type: ignore[attr-defined]
        return f"{allowed}default {getattr(d, name)}: {PRETRAIN_SOURCES[name][1]}".replace("%", "%%")

    steps, lr, batch, mask_prob = integer(1), number(0, lo_open=True), integer(1), number(0, 1, lo_open=True, hi_open=True)
    mask_length, max_seconds, warmup, seed = integer(1), number(0, lo_open=True), integer(0), integer(0)

    p = sub.add_parser("pretrain", help="continue wav2vec2 pre-training on one fold's training audio (no leakage)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True, metavar="NAME=ROOT",
                   help=f"corpus and its root ({', '.join(CORPORA.names())}), e.g. iemocap=/data/IEMOCAP_full_release")
    p.add_argument("--fold", required=True, help="the fold by name, e.g. Session1 or test=Session1")
    p.add_argument("--protocol", default=None, help="fold protocol (default: the corpus's own, e.g. IEMOCAP loso)")
    p.add_argument("--label-map", default=None, help="label map (default: the corpus's own); it decides which "
                   "utterances are in the corpus, hence in the fold's training split")
    p.add_argument("--base", required=True, help="wav2vec2 model to start from: a local folder, or a name under "
                   "$LEMER_MODELS_DIR or in the local Hugging Face cache (never downloaded)")
    p.add_argument("--out", required=True, help="cache folder; the checkpoint goes in a sub-folder named by the "
                   "training set's content hash")
    p.add_argument("--steps", type=steps, default=d.steps, help=why("steps", steps))
    p.add_argument("--lr", type=lr, default=d.lr, help=why("lr", lr))
    p.add_argument("--batch-size", type=batch, default=d.batch_size, help=why("batch_size", batch))
    p.add_argument("--mask-prob", type=mask_prob, default=d.mask_prob, help=why("mask_prob", mask_prob))
    p.add_argument("--mask-length", type=mask_length, default=d.mask_length, help=why("mask_length", mask_length))
    p.add_argument("--max-seconds", type=max_seconds, default=d.max_seconds, help=why("max_seconds", max_seconds))
    p.add_argument("--warmup-steps", type=warmup, default=d.warmup_steps, help=why("warmup_steps", warmup))
    p.add_argument("--seed", type=seed, default=d.seed, help=why("seed", seed))
    p.add_argument("--device", default="auto", help="auto (default: the first GPU, else the CPU), cpu, cuda or cuda:N")
    p.set_defaults(func=cmd_pretrain)
