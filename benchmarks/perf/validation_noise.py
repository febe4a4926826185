"""How noisy is model selection under a protocol's validation split? (a measurement script, not a test)

    python -m benchmarks.perf.validation_noise --corpus iemocap=ROOT --protocol loso --seeds 0 1 2

For every fold, seed and validation rule (IEMOCAP loso: `session` = the whole next session vs
`speaker` = one speaker of it; CREMA-D speaker-5fold: `group` vs `half-group`), it fits `text-only`
or `speech-only` (the demo's switches: 10 epochs, patience 3, lr 0.003) and records the chosen epoch's validation UA and the
test UA. Selection is noisy when validation UA tells little about test UA: we report, per rule,
the mean absolute gap |valid UA - test UA|, the standard deviation of that gap over folds x seeds,
the spread (std over seeds, averaged over folds) of the test UA, and the mean test UA (a larger
validation split takes training data away, so it must not cost much accuracy).

Measured 2026-12-01 on the synthetic `small` corpora (shared 2-core machine, load ~7-8; the numbers
are UA fractions, not timings, so the load does not bias them):

| IEMOCAP loso, text-only, lr 0.001, 5 folds x 10 seeds | session (new) | speaker (old) |
|---|---|---|
| validation / training utterances                     | 60 / 180      | 29 / 211      |
| mean (valid UA - test UA): selection optimism        | 0.046         | 0.114         |
| mean abs gap                                         | 0.067         | 0.125         |
| std of the gap                                       | 0.074         | 0.091         |
| test UA spread over seeds (std, mean over folds)     | 0.041         | 0.057         |
| mean test UA                                         | 0.348         | 0.356         |

The whole held-out session halves the optimism of the chosen epoch's validation UA and makes the
chosen model's test UA less seed-dependent, for 0.9 points of mean test UA (less training data).
| CREMA-D speaker-5fold, speech-only, lr 0.003, 5 folds x 3 seeds | group (new) | half-group (old) |
|---|---|---|
| validation / training clips                          | 60 / 180      | 30 / 210      |
| mean (valid UA - test UA)                            | 0.019         | 0.037         |
| mean abs gap                                         | 0.030         | 0.043         |
| std of the gap                                       | 0.033         | 0.044         |
| test UA spread over seeds                            | 0.034         | 0.031         |
| mean test UA (6 classes, chance 0.167)               | 0.210         | 0.192         |

(speech-only is the only modality with signal on CREMA-D, whose 12 sentences are the same for every
emotion; at lr 0.001 it stayed at chance, so that first CREMA-D measurement said nothing.)
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from benchmarks.corpora import CorpusRoot
from benchmarks.run.examples import build_examples
from benchmarks.run.inputs import DataConfig, RunData
from dataset_adapters.base import get_label_map
from dataset_adapters.protocols import leave_one_session_out, speaker_kfold
from lemer.core.contract import FitEnv

RULES = {"loso": ("session", "speaker"), "speaker-5fold": ("group", "half-group")}
LABEL_MAPS = {"iemocap": "iemocap-4", "crema-d": "crema-6"}


def folds_for(protocol: str, utterances: list[Any], rule: str) -> list[Any]:
    if protocol == "loso":
        return leave_one_session_out(utterances, validation=rule)
    return speaker_kfold(utterances, validation=rule)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True, help="NAME=ROOT (iemocap or crema-d)")
    ap.add_argument("--protocol", required=True, choices=sorted(RULES))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--cache", default=None)
    ap.add_argument("--model", default="text-only", choices=("text-only", "speech-only"))
    ap.add_argument("--lr", type=float, default=0.003, help="the demo suite's learning rate")
    args = ap.parse_args()
    name, _, root = args.corpus.partition("=")
    label_map = LABEL_MAPS[name]
    data = RunData(DataConfig(roots={name: CorpusRoot(name, root, f"synthetic-{name}", True)}, cache_dir=args.cache,
                              progress=False))
    corpus = data.corpus(name, label_map)
    text = args.model == "text-only"
    trans = data.transcripts(name, label_map, "gold") if text else None
    tfeats = data.text_features(name, label_map, "gold", 0) if text else None
    sfeats = None if text else data.speech_features(name, label_map)
    classes = tuple(get_label_map(label_map).classes)
    from baselines.unimodal import SpeechOnly, TextOnly

    rows = []
    for rule in RULES[args.protocol]:
        for fold in folds_for(args.protocol, corpus.utterances, rule):
            def ex(uids: tuple[str, ...], labels: bool, pick: dict[str, Any] = corpus.by_uid) -> list[Any]:
                return build_examples([pick[u] for u in uids], with_labels=labels, transcripts=trans, context_window=0,
                                      text_features=tfeats, speech_features=sfeats)

            train, valid, test = ex(fold.train, True), ex(fold.valid, True), ex(fold.test, False)
            gold = [corpus.by_uid[u].label for u in fold.test]
            for seed in args.seeds:
                t0 = time.perf_counter()
                m = (TextOnly if text else SpeechOnly)(max_epochs=10, patience=3, lr=args.lr)
                m.fit(train, valid, FitEnv(classes=classes, seed=seed))
                preds = {p.uid: p.label for p in m.predict(test)}
                recalls = [statistics.mean([preds[u] == c for u, g in zip(fold.test, gold) if g == c])
                           for c in classes if c in gold]
                rows.append({"rule": rule, "fold": fold.name, "seed": seed, "n_train": len(train), "n_valid": len(valid),
                             "valid_ua": m.history.best_valid_ua, "test_ua": statistics.mean(recalls),
                             "best_epoch": m.history.best_epoch, "s": round(time.perf_counter() - t0, 1)})
                print(json.dumps(rows[-1]), flush=True)
    for rule in RULES[args.protocol]:
        r = [x for x in rows if x["rule"] == rule]
        gaps = [x["valid_ua"] - x["test_ua"] for x in r]
        by_fold: dict[str, list[float]] = {}
        for x in r:
            by_fold.setdefault(x["fold"], []).append(x["test_ua"])
        spread = statistics.mean(statistics.stdev(v) for v in by_fold.values()) if len(args.seeds) > 1 else float("nan")
        print(json.dumps({"rule": rule, "runs": len(r), "n_valid_mean": statistics.mean(x["n_valid"] for x in r),
                          "n_train_mean": statistics.mean(x["n_train"] for x in r),
                          "mean_gap": round(statistics.mean(gaps), 4),
                          "mean_abs_gap": round(statistics.mean(abs(g) for g in gaps), 4),
                          "gap_std": round(statistics.stdev(gaps), 4),
                          "test_ua_seed_spread": round(spread, 4),
                          "test_ua_mean": round(statistics.mean(x["test_ua"] for x in r), 4)}))


if __name__ == "__main__":
    main()
