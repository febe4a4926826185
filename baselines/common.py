"""Helpers shared by the baselines: input validation, probability alignment, C selection for the
logistic-regression baselines, and the base class of the neural baselines (switches: baselines/config.py).

The neural baselines differ only in the module they build; feature access, training (the shared
`lemer.core.training.fit_module`) and prediction live here once, so every baseline is trained and
selected exactly like LE-MER.
"""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import replace
from typing import Any, Callable, ClassVar, Sequence

import numpy as np
import torch
from torch import nn

from baselines.config import POOLINGS, NeuralConfig
from lemer.core.contract import Example, FitEnv, Model, Prediction, Requirements
from lemer.core.inputs import pool_frames, select_tokens
from lemer.core.layers import AttentivePooling, Projection, masked_mean, pad_sequences
from lemer.core.metrics import unweighted_accuracy
from lemer.core.switches import train_config
from lemer.core.tasks import dim_targets, n_outputs, soft_targets, validation_score
from lemer.core.training import (
    TrainHistory,
    chosen_epochs,
    fit_module,
    outputs_to_predictions,
    predict_outputs,
    probs_to_predictions,
    seed_everything,
    torch_threads,
)

Batch = dict[str, torch.Tensor]


def check_training_labels(model_name: str, examples: Sequence[Example], classes: Sequence[str], split: str) -> None:
    """Every training/validation example needs a label inside `classes`; name the first offender."""
    allowed = set(classes)
    for e in examples:
        if e.label not in allowed:
            raise ValueError(f"{model_name}: {split} example {e.uid!r} has label {e.label!r}, not one of {list(classes)}")


def check_unique_uids(model_name: str, *splits: Sequence[Example]) -> None:
    """Predictions are keyed by uid, so a repeated uid would silently merge two utterances."""
    seen: set[str] = set()
    for split in splits:
        for e in split:
            if e.uid in seen:
                raise ValueError(f"{model_name}: uid {e.uid!r} appears more than once")
            seen.add(e.uid)


def check_fit_inputs(model_name: str, train: Sequence[Example], valid: Sequence[Example], classes: Sequence[str],
                     task: str = "categorical") -> None:
    """The checks every baseline's fit() starts with: some training data, unique uids, the task's targets
    (known labels for the categorical task; `lemer.core.tasks` checks the others' when it reads them)."""
    if not train:
        raise ValueError(f"{model_name}: no training examples")
    check_unique_uids(model_name, train, valid)
    if task == "categorical":
        check_training_labels(model_name, train, classes, "train")
        check_training_labels(model_name, valid, classes, "valid")


def align_probs(probs: np.ndarray, fitted_classes: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """Reorder sklearn's columns (sorted labels seen in training) into `classes`; unseen classes get 0."""
    out = np.zeros((probs.shape[0], len(classes)), dtype=np.float64)
    index = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(fitted_classes):
        out[:, index[c]] = probs[:, j]
    return out


def label_indices(examples: Sequence[Example], classes: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[e.label] for e in examples], dtype=np.int64)  # type: ignore[index]


def select_by_valid_ua(
    candidates: Sequence[Any],
    fit_and_score: Callable[[Any], float],
    log: Callable[[str], None],
    model_name: str,
) -> Any:
    """The candidate with the best validation score (UA, or the task's); ties keep the earlier one (grids run
    simplest first)."""
    best, best_ua = candidates[0], -float("inf")
    for cand in candidates:
        ua = fit_and_score(cand)
        log(f"{model_name}: {cand!r} -> valid UA {ua:.4f}")
        if ua > best_ua + 1e-12:
            best, best_ua = cand, ua
    return best


def valid_ua(probs: np.ndarray, examples: Sequence[Example], classes: Sequence[str]) -> float:
    return unweighted_accuracy(label_indices(examples, classes), probs.argmax(1), len(classes))


# ---------------------------------------------------------------------------------------------
# neural baselines


class PooledEncoder(nn.Module):
    """Projects a (B, T, d_in) sequence into the shared space and pools it to (B, d_model)."""

    def __init__(self, d_in: int, d_model: int, pooling: str, dropout: float) -> None:
        super().__init__()
        self.proj = Projection(d_in, d_model, dropout)
        self.pool = make_pooling(pooling, d_model)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.pool(self.proj(x), mask)


class MeanPooling(nn.Module):
    """Masked average over time (no parameters); the `pooling="mean"` switch."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return masked_mean(x, mask)


def make_pooling(pooling: str, dim: int) -> nn.Module:
    if pooling == "attentive":
        return AttentivePooling(dim)
    if pooling == "mean":
        return MeanPooling()
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")


def pooled_frame_count(n_frames: int, pool: int, max_frames: int) -> int:
    """len(lemer.core.inputs.pool_frames(frames, pool, max_frames)) for `n_frames` frames, without pooling them."""
    if n_frames == 0:
        return 0
    factor = max(pool, -(-n_frames // max_frames))
    return -(-n_frames // factor)


class NeuralBaseline(Model):
    """A baseline on cached encoder features, trained with the shared loop (`fit_module`).

    Subclasses set `info`, `uses_text`/`uses_speech` and implement `build(d_text, d_speech, n_classes)`
    returning a module whose forward(batch) -> (logits, None). The batch holds `text`/`text_mask`
    and/or `speech`/`speech_mask` (float32, padded; mask True = real position).
    """

    uses_text: ClassVar[bool] = False
    uses_speech: ClassVar[bool] = False
    config_class: ClassVar[type[NeuralConfig]] = NeuralConfig

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.cfg = self.config_class.from_dict(config)
        self.module: nn.Module | None = None
        self.classes: tuple[str, ...] = ()
        self.dims: tuple[int, int] = (0, 0)  # (d_text, d_speech) seen at fit time
        self.history: TrainHistory | None = None
        self.placement: tuple[str, str] = ("cpu", "fp32")  # (device, precision) of fit
        self.task = "categorical"

    @property
    def requirements(self) -> Requirements:
        return Requirements(
            text_features=self.uses_text,
            speech_features=self.uses_speech,
            text_context=self.cfg.context_window if self.uses_text else 0,
        )

    @abstractmethod
    def build(self, d_text: int, d_speech: int, n_classes: int) -> nn.Module: ...

    # -- feature access ---------------------------------------------------------------------------
    @property
    def _text_scope(self) -> str:
        """Only the target's tokens without context; the whole `[context] [SEP] target` sequence with it."""
        return "all" if self.cfg.context_window > 0 else "target"

    def _text(self, e: Example) -> np.ndarray:
        """The token rows this model reads: those of `_text_scope`, the last `max_tokens` of them."""
        f = e.features
        assert f is not None and f.text is not None  # checked by _check_features
        return select_tokens(f.text, f.text_span, self._text_scope, self.cfg.max_tokens, e.uid)[0]

    def _speech(self, e: Example) -> np.ndarray:
        """Frames pooled by `speech_pool`, or harder when still over `max_frames` (nothing dropped)."""
        assert e.features is not None and e.features.speech is not None
        return pool_frames(e.features.speech, self.cfg.speech_pool, self.cfg.max_frames)

    def _length(self, e: Example) -> int:
        """len(_text(e)) + len(_speech(e)) without copying the arrays (used to bucket batches by length)."""
        f = e.features
        assert f is not None
        n = 0
        if self.uses_text:
            assert f.text is not None
            start, end = f.text_span if f.text_span is not None and self._text_scope == "target" else (0, len(f.text))
            n += min(end - start, self.cfg.max_tokens)
        if self.uses_speech:
            assert f.speech is not None
            n += pooled_frame_count(len(f.speech), self.cfg.speech_pool, self.cfg.max_frames)
        return n

    def _check_features(self, examples: Sequence[Example], dims: tuple[int, int] | None) -> tuple[int, int]:
        """Every example must carry the arrays this model asked for, 2-D and of one width."""
        d_text, d_speech = dims if dims else (0, 0)
        name = self.info.name
        for e in examples:
            f = e.features
            for kind, wanted in (("text", self.uses_text), ("speech", self.uses_speech)):
                if not wanted:
                    continue
                arr = getattr(f, kind, None) if f is not None else None
                if arr is None:
                    raise ValueError(f"{name}: example {e.uid!r} has no {kind} features (requirements ask for them)")
                if arr.ndim != 2:
                    raise ValueError(f"{name}: example {e.uid!r} {kind} features have shape {arr.shape}, expected (n, d)")
                if kind == "text" and f is not None and f.text_span is not None:
                    start, end = f.text_span
                    if not 0 <= start <= end <= len(arr):
                        raise ValueError(f"{name}: example {e.uid!r} text_span {f.text_span} outside {len(arr)} tokens")
                current = d_text if kind == "text" else d_speech
                if current == 0:
                    current = arr.shape[1]
                elif arr.shape[1] != current:
                    raise ValueError(f"{name}: example {e.uid!r} {kind} features are {arr.shape[1]}-d, expected {current}")
                if kind == "text":
                    d_text = current
                else:
                    d_speech = current
        return d_text, d_speech

    def encode(self, examples: Sequence[Example]) -> Batch:
        """Pad the requested feature arrays (float16 memmaps become float32 copies here, batch by batch)."""
        batch: Batch = {}
        if self.uses_text:
            batch["text"], batch["text_mask"] = pad_sequences([self._text(e) for e in examples])
        if self.uses_speech:
            batch["speech"], batch["speech_mask"] = pad_sequences([self._speech(e) for e in examples])
        return batch

    # -- Model API --------------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        name = self.info.name
        check_fit_inputs(name, train, valid, env.classes, env.task)
        self.dims = self._check_features([*train, *valid], None)
        self.classes = tuple(env.classes)
        self.task = env.task
        with torch_threads(self.cfg.torch_threads):
            seed_everything(env.seed)  # before building layers: same seed, same initial weights
            self.module = self.build(self.dims[0], self.dims[1], n_outputs(env.task, len(self.classes))).to(env.device)
            self.placement = (env.device, env.precision)  # predict() runs where fit() ran
            self.history = fit_module(
                self.module, self.encode, train, valid, self.classes, train_config(self.cfg),
                seed=env.seed, length=self._length, log=env.log, device=env.device, precision=env.precision,
                task=env.task,
            )

    def refit(self, train_valid: Sequence[Example], env: FitEnv) -> None:
        """Train afresh on train + valid for the epochs validation chose (same seed, same initial weights)."""
        self.cfg = replace(self.cfg, max_epochs=chosen_epochs(self.history, self.info.name))
        self.fit(train_valid, [], env)

    def predict_probs(self, examples: Sequence[Example]) -> np.ndarray:
        """(N, C) probabilities over the fitted classes (or (N, 3) dimensions), in the order of `examples`."""
        if self.module is None:
            raise RuntimeError(f"{self.info.name}: predict called before fit")
        if not examples:
            return np.zeros((0, n_outputs(self.task, len(self.classes))))
        self._check_features(examples, self.dims)
        with torch_threads(self.cfg.torch_threads):
            device, precision = self.placement
            return predict_outputs(self.module, self.encode, examples, self.task, length=self._length, device=device,
                                   precision=precision)

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        check_unique_uids(self.info.name, examples)
        return outputs_to_predictions([e.uid for e in examples], self.predict_probs(examples), self.classes, self.task)


# ---------------------------------------------------------------------------------------------
# logistic-regression baselines


def predict_logistic_regression(
    model_name: str, clf: Any, classes: Sequence[str], examples: Sequence[Example],
    features: Callable[[Sequence[Example]], Any],
) -> list[Prediction]:
    """Predictions of a fitted `fit_logistic_regression` classifier on `features(examples)`, over `classes`."""
    if clf is None:
        raise RuntimeError(f"{model_name}: predict called before fit")
    check_unique_uids(model_name, examples)
    if not examples:
        return []
    probs = align_probs(clf.predict_proba(features(examples)), clf.classes_, classes)
    return probs_to_predictions([e.uid for e in examples], probs, classes)


def fit_linear_for_task(
    model_name: str, task: str, x_train: Any, train: Sequence[Example], x_valid: Any, valid: Sequence[Example],
    classes: Sequence[str], c_grid: Sequence[float], log: Callable[[str], None],
) -> tuple[Any, float]:
    """The linear counterparts of logistic regression for the other tasks, C chosen on the task's validation
    score (`lemer.core.tasks.validation_score`; smallest C on ties):
    - `dimensional`: one ridge regression to the three dimensions, alpha = 1 / C (ours: the same grid as C);
    - `soft`: logistic regression on the annotators' distribution, each training utterance one row per class
      with weight q_c (the maximum-likelihood fit of soft targets; sklearn takes only hard labels)."""
    from sklearn.linear_model import LogisticRegression, Ridge

    if task == "dimensional":
        y = dim_targets(train)

        def fit(c: float) -> Any:
            return Ridge(alpha=1.0 / c).fit(x_train, y)

        def outputs(clf: Any, x: Any) -> np.ndarray:
            return clf.predict(x)
    else:
        q = soft_targets(train, classes)
        rows, cols = np.nonzero(q > 0)
        x_rep = x_train[rows]
        y_rep = np.asarray(classes)[cols]

        def fit(c: float) -> Any:
            return LogisticRegression(C=c, max_iter=2000).fit(x_rep, y_rep, sample_weight=q[rows, cols])

        def outputs(clf: Any, x: Any) -> np.ndarray:
            return align_probs(clf.predict_proba(x), clf.classes_, classes)

    grid = sorted(float(c) for c in c_grid)
    if not valid:
        c = grid[len(grid) // 2]
        log(f"{model_name}: no validation examples, C={c}")
        return fit(c), c
    fitted: dict[float, Any] = {}

    def score(c: float) -> float:
        fitted[c] = fit(c)
        return validation_score(task, outputs(fitted[c], x_valid), valid, classes)

    best = select_by_valid_ua(grid, score, log, model_name)
    return fitted[best], best


def predict_linear_for_task(model_name: str, task: str, clf: Any, classes: Sequence[str], examples: Sequence[Example],
                            features: Callable[[Sequence[Example]], Any]) -> list[Prediction]:
    """Predictions of a `fit_linear_for_task` model: the three dimensions, or class probabilities."""
    if clf is None:
        raise RuntimeError(f"{model_name}: predict called before fit")
    check_unique_uids(model_name, examples)
    if not examples:
        return []
    x = features(examples)
    out = clf.predict(x) if task == "dimensional" else align_probs(clf.predict_proba(x), clf.classes_, classes)
    return outputs_to_predictions([e.uid for e in examples], np.asarray(out, dtype=np.float64), classes, task)


def fit_logistic_regression(
    model_name: str,
    x_train: Any,
    train: Sequence[Example],
    x_valid: Any,
    valid: Sequence[Example],
    classes: Sequence[str],
    c_grid: Sequence[float],
    class_weight: str | None,
    log: Callable[[str], None],
) -> tuple[Any, float]:
    """Fit one LogisticRegression per C on train only, keep the best on valid UA (smallest C on ties).

    Without validation examples the grid's middle value is kept (logged) rather than choosing on train.
    """
    from sklearn.linear_model import LogisticRegression

    y_train = [e.label for e in train]
    if len(set(y_train)) < 2:
        raise ValueError(f"{model_name}: training data has a single class {sorted(set(y_train))}; need at least two")

    def fit(c: float) -> Any:
        return LogisticRegression(C=c, max_iter=2000, class_weight=class_weight).fit(x_train, y_train)

    grid = sorted(float(c) for c in c_grid)
    if not grid:
        raise ValueError(f"{model_name}: empty C grid")
    if not valid:
        c = grid[len(grid) // 2]
        log(f"{model_name}: no validation examples, C={c}")
        return fit(c), c
    fitted: dict[float, Any] = {}

    def score(c: float) -> float:
        fitted[c] = fit(c)
        return valid_ua(align_probs(fitted[c].predict_proba(x_valid), fitted[c].classes_, classes), valid, classes)

    best = select_by_valid_ua(grid, score, log, model_name)
    return fitted[best], best
