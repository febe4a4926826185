"""Test fixtures for the run grid: a hand-made tiny IEMOCAP tree, tiny test-only models, suite files.

The tree is in the real IEMOCAP layout (read by the real adapter); its text carries a cue word per
emotion (with some label noise), so a bag-of-words model beats the majority baseline. The models
here are test-only and named as such (`test-*`); they are registered into the real registry.

Run as `python -m tests.helpers_runner ARGS...` it registers the test models and then behaves
exactly like `lemer-bench ARGS...` (used by the kill/restart test, which needs a subprocess).
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import soundfile as sf

from lemer.interface import Example, FitEnv, Model, ModelInfo, Prediction

CUES = {"neu": "okay", "hap": "wonderful", "ang": "furious", "sad": "tears"}
FILLER = ["well", "so", "I", "think", "maybe", "then", "you", "know", "the", "day"]
LABELS = ("neu", "hap", "ang", "sad")


def make_iemocap_tree(root: Path, sessions: int = 3, per_speaker: int = 8, seed: int = 0) -> Path:
    """Write IEMOCAP_full_release with `sessions` sessions × 2 speakers × `per_speaker` utterances."""
    rng = np.random.default_rng(seed)
    base = root / "IEMOCAP_full_release"
    wave = (0.05 * np.sin(np.linspace(0, 180, 2400))).astype(np.float32)  # 150 ms at 16 kHz (>= audio.MIN_SECONDS)
    for s in range(1, sessions + 1):
        dialog = f"Ses0{s}F_impro01"
        sdir = base / f"Session{s}" / "dialog"
        (sdir / "EmoEvaluation").mkdir(parents=True, exist_ok=True)
        (sdir / "transcriptions").mkdir(parents=True, exist_ok=True)
        evals = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
        trans = []
        t = 1.0
        for i in range(per_speaker):
            for g in ("F", "M"):
                uid = f"{dialog}_{g}{i:03d}"
                label = LABELS[int(rng.integers(0, 4))] if i % 5 else "neu"  # neu most frequent
                cue = CUES[label] if rng.random() > 0.15 else CUES[LABELS[int(rng.integers(0, 4))]]
                words = list(rng.choice(FILLER, size=3)) + [cue]
                text = " ".join(words).capitalize() + "."
                evals += [f"[{t:.4f} - {t + 0.5:.4f}]\t{uid}\t{label}\t[2.5000, 3.0000, 2.5000]",
                          f"C-E1:\t{label.capitalize()};\t()", ""]
                trans.append(f"{uid} [{t:08.4f}-{t + 0.5:08.4f}]: {text}")
                wav = base / f"Session{s}" / "sentences" / "wav" / dialog / f"{uid}.wav"
                wav.parent.mkdir(parents=True, exist_ok=True)
                sf.write(str(wav), wave, 16000, subtype="PCM_16")
                t += 1.0
        (sdir / "EmoEvaluation" / f"{dialog}.txt").write_text("\n".join(evals) + "\n")
        (sdir / "transcriptions" / f"{dialog}.txt").write_text("\n".join(trans) + "\n")
    return base


class KeywordText(Model):
    """Test-only text model: per-class word counts (add-one), argmax log-likelihood; ties by seeded noise."""

    info = ModelInfo(name="test-keyword-text", modalities=("text",), description="test-only bag-of-words model")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        self.classes = env.classes
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        for ex in train:
            self.counts[ex.label].update(_words(ex.text))
        self.noise = np.random.default_rng(env.seed)  # seeded by the harness's seed, not by a global

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        out = []
        vocab = set().union(*self.counts.values()) if self.counts else set()
        for ex in examples:
            assert ex.label is None, "predict() must not see gold labels"
            scores = np.array([sum(np.log((self.counts[c][w] + 1) / (sum(self.counts[c].values()) + len(vocab) + 1))
                                   for w in _words(ex.text)) for c in self.classes])
            scores = scores + 1e-9 * self.noise.random(len(scores))
            p = np.exp(scores - scores.max())
            p /= p.sum()
            out.append(Prediction(ex.uid, self.classes[int(p.argmax())], dict(zip(self.classes, p.tolist()))))
        return out


class Failing(Model):
    """Test-only model that raises in fit() (to check that failures are recorded, not fatal)."""

    info = ModelInfo(name="test-failing", modalities=(), description="test-only: always fails")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        raise RuntimeError("test-failing model fails on purpose")

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        raise AssertionError("unreachable")


class Slow(Model):
    """Test-only model that sleeps `seconds` in fit(), then predicts the first class (kill/restart test)."""

    info = ModelInfo(name="test-slow", modalities=(), description="test-only: slow constant model")

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        time.sleep(float(self.config.get("seconds", 0.3)))
        self.label = env.classes[0]

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        return [Prediction(ex.uid, self.label, {self.label: 1.0}) for ex in examples]


def _words(text: str) -> list[str]:
    return [w.strip(".,!?").lower() for w in text.split() if w.strip(".,!?")]


TEST_MODELS = {
    "test-keyword-text": "tests.helpers_runner:KeywordText",
    "test-failing": "tests.helpers_runner:Failing",
    "test-slow": "tests.helpers_runner:Slow",
}


def write_suite(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


def check_grid_complete(out: Path, total: int) -> None:
    """`out` holds exactly `total` valid runs with distinct ids, and no temporary or error files."""
    from leaderboard.results import read_result
    from leaderboard.schema import RESULT_FILE

    results = sorted(out.rglob(RESULT_FILE))
    assert len(results) == total
    ids = [read_result(p).result["run_id"] for p in results]  # validates result + predictions
    assert len(set(ids)) == total
    assert not list(out.rglob("*.tmp")) and not list(out.rglob("error.txt"))


def suite_toml(name: str, seeds: Sequence[int], models: Sequence[str], corpus: str = "iemocap", *,
               transcripts: Sequence[str] = (), model_config: dict[str, dict[str, Any]] | None = None,
               protocol: str | None = None, label_map: str | None = None) -> str:
    """The text of a one-corpus suite file, laid out as a person would write it."""
    lines = [f"name = {json.dumps(name)}", f"seeds = {list(seeds)}", f"models = {json.dumps(list(models))}"]
    if transcripts:
        lines.append(f"transcripts = {json.dumps(list(transcripts))}")
    for model, switches in (model_config or {}).items():
        lines += ["", f"[model_config.{model}]"] + [f"{k} = {json.dumps(v)}" for k, v in switches.items()]
    lines += ["", "[[corpora]]", f"name = {json.dumps(corpus)}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in (("protocol", protocol), ("label_map", label_map)) if v is not None]
    return "\n" + "\n".join(lines) + "\n"


def slow_suite(seeds: int, seconds: float, name: str = "k") -> str:
    """`seeds` seeds of `test-slow` (sleeping `seconds` in fit) on every fold of an IEMOCAP tree."""
    return suite_toml(name, range(seeds), ["test-slow"], model_config={"test-slow": {"seconds": seconds}})


SMALL_SUITE = suite_toml("t", [0, 1], ["majority", "test-keyword-text"], transcripts=["gold"],
                         protocol="loso", label_map="iemocap-4")


if __name__ == "__main__":  # the CLI with the test models, for subprocess tests (kill/restart)
    from benchmarks.cli import main
    from benchmarks.models import MODELS

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with MODELS.overlay(dict(TEST_MODELS)):
        code = main(sys.argv[1:])
    sys.exit(code)
