"""The on-disk contract between the runner and the leaderboard (version 1).

A run directory holds two files, both written atomically (temp file + rename) by the runner,
`predictions.jsonl` first and `result.json` last, so a directory with a `result.json` is complete:

predictions.jsonl — one object per test utterance:
    {"uid": "iemocap:Ses01F_impro01_F000", "gold": "neu", "pred": "hap", "probs": {"neu": 0.1, ...}}
    (`probs` optional for users' own files.)

result.json:
    {
      "schema_version": 1,
      "run_id": "<stable hash of the run spec>",
      "run": {
        "suite": "demo",
        "model": "lemer",                    # registry name (variants have their own names)
        "model_config": {...},               # the full switches the model ran with
        "ablation": null | {"param": "k_keywords", "value": 5},
        "corpus": "synthetic-iemocap",       # display name of the TEST corpus; synthetic ones are prefixed
        "train_corpus": "synthetic-iemocap", # differs from corpus only in cross-corpus runs
        "synthetic": true,
        "protocol": "loso",                  # or "cross-corpus"
        "label_map": "iemocap-4",
        "fold": "test=Session1",
        "transcript": "gold",                # gold | asr:whisper-tiny.en | asr:pocketsphinx | noise:wer=0.1
        "transcript_independent": false,     # true for models that read no text: valid under every transcript
        "seed": 0,
        "text_encoder": "all-MiniLM-L6-v2" | null,
        "speech_encoder": "whisper-tiny.en-encoder" | null
      },
      "labels": ["neu", "hap", "ang", "sad"],
      "metrics": {"wa": 0.61, "ua": 0.58, "macro_f1": 0.57, "n": 212},
      "wer": 0.083 | null,                   # WER of the transcript condition on this fold's test set (null: undefined)
      "n_train": 600, "n_valid": 80, "n_test": 212,
      "package_version": "0.1.0", "git_hash": "abc123" | null,
      "manifest_hash": "<sha256 of the corpus manifest>",
      "timings": {"fit_s": 3.2, "predict_s": 0.1, "total_s": 3.5},
      "created": "2026-11-24T21:00:00Z"
    }

Path convention (informative; the leaderboard reads the keys above, never the path):
    runs/<suite>/<corpus>/<protocol>/<label_map>/<transcript>/<model>/seed=<s>/<fold>/
with ':' in transcript keys written as '-' in the path.
"""
from __future__ import annotations

SCHEMA_VERSION = 1
RESULT_FILE = "result.json"
PREDICTIONS_FILE = "predictions.jsonl"
RUN_KEYS = (
    "suite", "model", "model_config", "ablation", "corpus", "train_corpus", "synthetic", "protocol",
    "label_map", "fold", "transcript", "transcript_independent", "seed", "text_encoder", "speech_encoder",
)
