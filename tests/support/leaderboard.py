"""Builds fake runs directories written exactly per leaderboard/schema.py (no harness involved)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE, SCHEMA_VERSION, _run_v2_to_v3

LABELS4 = ["neu", "hap", "ang", "sad"]


def write_predictions(path: Path, uids: Sequence[str], gold: Sequence[str], pred: Sequence[str],
                      probs: bool = False, speakers: Sequence[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for i, (u, g, p) in enumerate(zip(uids, gold, pred)):
            row: dict[str, Any] = {"uid": u, "gold": g, "pred": p}
            if probs:
                row["probs"] = {p: 0.9}
            if speakers is not None:
                row["speaker"] = speakers[i]
            f.write(json.dumps(row) + "\n")


def write_run(root: Path, *, model: str, corpus: str, fold: str, seed: int, uids: Sequence[str],
              gold: Sequence[str], pred: Sequence[str], transcript: str = "gold", protocol: str = "loso",
              label_map: str = "iemocap-4", labels: Sequence[str] = LABELS4, train_corpus: str | None = None,
              transcript_independent: bool = False, wer: float | None = None, ablation: dict | None = None,
              synthetic: bool | None = None, schema_version: int = SCHEMA_VERSION,
              diagnostics: dict | None = None, rows: Sequence[dict] | None = None,
              run_extra: dict | None = None, speakers: Sequence[str] | None = None) -> Path:
    """Write one run directory (predictions.jsonl, then result.json) and return it.

    `rows`: the prediction lines as written (instead of uid/gold/pred with a probability): speakers, votes, the
    soft and dimensional tasks' keys; `run_extra`: keys of the version-3 run record (`task`, `audio`, `refit`)."""
    abl = "" if ablation is None else f"-{ablation['param']}={ablation['value']}"
    extra = "".join(f"-{k}={v}" for k, v in sorted((run_extra or {}).items()))
    d = (root / "suite" / corpus / protocol / label_map / transcript.replace(":", "-") / (model + abl + extra)
         / f"train={train_corpus or corpus}" / f"seed={seed}" / fold)
    if rows is None:
        write_predictions(d / PREDICTIONS_FILE, uids, gold, pred, probs=True, speakers=speakers)
    else:
        d.mkdir(parents=True, exist_ok=True)
        (d / PREDICTIONS_FILE).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    wa = float(np.mean([g == p for g, p in zip(gold, pred)]))
    result = {
        "schema_version": schema_version,
        "run_id": f"{model}-{corpus}-{fold}-{seed}-{transcript}{abl}{extra}",
        "run": {
            "suite": "suite", "model": model, "model_config": {}, "ablation": ablation, "corpus": corpus,
            "train_corpus": train_corpus or corpus,
            "synthetic": corpus.startswith("synthetic-") if synthetic is None else synthetic,
            "protocol": protocol, "label_map": label_map, "fold": fold, "transcript": transcript,
            "transcript_independent": transcript_independent, "seed": seed,
            "text_encoder": None if transcript_independent else "all-MiniLM-L6-v2",
            "speech_encoder": "whisper-tiny.en-encoder",
        },  # version 2's record; made a version-3 record below unless an older version is asked for
        "labels": list(labels),
        "metrics": {"wa": wa, "ua": wa, "macro_f1": wa, "n": len(uids)},
        "wer": wer, "n_train": 100, "n_valid": 10, "n_test": len(uids), "package_version": "0.1.0",
        "git_hash": None, "manifest_hash": "0" * 64, "timings": {"fit_s": 1.0, "predict_s": 0.1, "total_s": 1.1},
        "created": "2026-11-24T21:00:00Z",
    }
    if schema_version >= 3:
        result["run"] = {**_run_v2_to_v3(result["run"]), **(run_extra or {})}
        result["run"]["model_config"] = {}
    if diagnostics is not None:
        result["diagnostics"] = diagnostics
    (d / RESULT_FILE).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return d


def noisy_predictions(gold: Sequence[str], accuracy: float, rng: np.random.Generator,
                      labels: Sequence[str] = LABELS4) -> list[str]:
    """Each prediction right with probability `accuracy`, otherwise a random wrong label."""
    out = []
    for g in gold:
        if rng.random() < accuracy:
            out.append(g)
        else:
            out.append(str(rng.choice([x for x in labels if x != g])))
    return out


def fold_data(corpus: str, n_folds: int, per_fold: int, seed: int = 123) -> dict[str, tuple[list[str], list[str]]]:
    """fold name -> (uids, gold): fixed test sets shared by every model of a cell."""
    rng = np.random.default_rng(seed)
    out = {}
    for f in range(1, n_folds + 1):
        uids = [f"{corpus}:S{f}_{i:04d}" for i in range(per_fold)]
        gold = [LABELS4[i % 4] if rng.random() < 0.8 else LABELS4[0] for i in range(per_fold)]
        out[f"test=Session{f}"] = (uids, gold)
    return out


TRANSCRIPTS = {"gold": None, "asr:whisper-tiny.en": 0.12, "noise:wer=0.3": 0.3}
# model -> (accuracy on gold transcripts, accuracy lost per unit of WER, transcript independent)
MODELS = {"lemer": (0.78, 0.5, False), "text-only": (0.62, 0.9, False), "audio-only": (0.55, 0.0, True),
          "majority": (0.25, 0.0, False)}


def make_runs_dir(root: Path, *, corpus: str = "synthetic-iemocap", n_folds: int = 5, per_fold: int = 60,
                  seeds: Sequence[int] = (0, 1, 2), models: dict[str, tuple[float, float, bool]] = MODELS,
                  transcripts: dict[str, float | None] = TRANSCRIPTS, incomplete: str | None = "partial",
                  cross_corpus: bool = True, ablation: bool = True, speakers_per_fold: int = 0) -> Path:
    """A realistic runs tree: models × folds × seeds × transcript conditions, plus extras.

    `incomplete` names an extra model missing one fold×seed run in the gold cell; cross-corpus
    runs (synthetic-crema-d <-> synthetic-iemocap) and a k_keywords ablation sweep are optional;
    `speakers_per_fold` > 0 names that many speakers per fold in the main models' rows (IEMOCAP: 2), so the
    cells get the "new speakers" reading.
    """
    data = fold_data(corpus, n_folds, per_fold)
    rng = np.random.default_rng(7)
    for model, (acc, slope, ti) in models.items():
        for transcript, wer in (transcripts.items() if not ti else [("gold", None)]):
            for seed in seeds:
                for fold, (uids, gold) in data.items():
                    p = max(0.2, acc - slope * (wer or 0.0))
                    spk = [f"{fold}-{i % speakers_per_fold}" for i in range(len(uids))] if speakers_per_fold else None
                    write_run(root, model=model, corpus=corpus, fold=fold, seed=seed, uids=uids, gold=gold,
                              pred=noisy_predictions(gold, p, rng), transcript=transcript, wer=wer,
                              transcript_independent=ti, speakers=spk)
    if incomplete:
        for seed in seeds:
            for fold, (uids, gold) in data.items():
                if seed == seeds[-1] and fold == "test=Session1":
                    continue
                write_run(root, model=incomplete, corpus=corpus, fold=fold, seed=seed, uids=uids, gold=gold,
                          pred=noisy_predictions(gold, 0.9, rng))
    if cross_corpus:
        other = "synthetic-crema-d"
        odata = fold_data(other, 1, 80, seed=5)
        for model, (acc, _, ti) in models.items():
            for (test_c, train_c, dd) in ((other, corpus, odata), (corpus, other, data)):
                for seed in seeds:
                    for fold, (uids, gold) in dd.items():
                        write_run(root, model=model, corpus=test_c, train_corpus=train_c, protocol="cross-corpus",
                                  label_map="shared-4", fold=fold, seed=seed, uids=uids, gold=gold,
                                  pred=noisy_predictions(gold, acc * 0.7, rng), transcript_independent=ti)
    if ablation:
        for k, acc in ((1, 0.6), (3, 0.7), (5, 0.78), (10, 0.74)):
            for seed in seeds:
                for fold, (uids, gold) in data.items():
                    write_run(root, model="lemer", corpus=corpus, fold=fold, seed=seed, uids=uids, gold=gold,
                              pred=noisy_predictions(gold, acc, rng), ablation={"param": "k_keywords", "value": k})
    return root


# The demo's shape (11 models, 5 transcript conditions, constant predictors that tie): the widest page
DEMO_MODELS = {"lemer": (0.62, 0.4, False), "late-fusion": (0.64, 0.5, False), "early-fusion": (0.58, 0.5, False),
               "cross-attention": (0.6, 0.5, False), "lemer-no-constraint": (0.6, 0.4, False),
               "lemer-no-labels": (0.57, 0.4, False), "text-only": (0.6, 0.9, False), "tfidf-lr": (0.48, 0.6, False),
               "speech-only": (0.5, 0.0, True), "acoustic-lr": (0.47, 0.0, True)}
DEMO_TRANSCRIPTS = {"gold": None, "noise:wer=0.1": 0.11, "asr:whisper-tiny.en": 0.145, "noise:wer=0.3": 0.304,
                    "asr:pocketsphinx": 0.52}


def make_demo_like_runs_dir(root: Path, *, per_fold: int = 30, seeds: Sequence[int] = (0, 1)) -> Path:
    """A runs tree shaped like `lemer-bench demo`: many models and transcript conditions, two models that
    always predict 'neu' (an exact UA tie), a noise-only corpus and cross-corpus runs."""
    make_runs_dir(root, per_fold=per_fold, seeds=seeds, models=DEMO_MODELS, transcripts=DEMO_TRANSCRIPTS,
                  incomplete="partial", cross_corpus=True, ablation=True)
    make_runs_dir(root, corpus="synthetic-msp-podcast", n_folds=1, per_fold=2 * per_fold, seeds=seeds,
                  models={k: DEMO_MODELS[k] for k in ("lemer", "text-only", "speech-only")},
                  transcripts={"gold": None, "noise:wer=0.1": 0.1, "noise:wer=0.3": 0.3}, incomplete=None,
                  cross_corpus=False, ablation=False)
    for corpus, n_folds in (("synthetic-iemocap", 5), ("synthetic-msp-podcast", 1)):
        data = fold_data(corpus, n_folds, per_fold if n_folds > 1 else 2 * per_fold)
        for model in ("majority", "constant-neu"):
            for seed in seeds:
                for fold, (uids, gold) in data.items():
                    write_run(root, model=model, corpus=corpus, fold=fold, seed=seed, uids=uids, gold=gold,
                              pred=["neu"] * len(uids), transcript_independent=True)
    return root
