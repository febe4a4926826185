"""One training loop for LE-MER and every neural baseline: AdamW, early stopping on the validation
split's UA, best-epoch selection, deterministic for a seed on CPU.

Device and precision (`lemer/core/devices.py`) are arguments: batches are moved to `device` here and the
forward pass runs under bf16 autocast when `precision="bf16"` (GPU); losses and probabilities are
computed in float32. Fine-tuning pretrained encoders adds a `StepPlan`: parameter groups with their
own learning rates, linear warm-up then linear decay, and gradient accumulation.

Model selection never looks at test data: `fit_module` receives only the fold's train and valid
examples. When a fold has no validation examples the loop trains for `max_epochs` and keeps the
last state (logged), rather than inventing a selection criterion.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from lemer.core.contract import Example, Prediction
from lemer.core.devices import autocast, to_device
from lemer.core.metrics import DIMENSIONS, unweighted_accuracy
from lemer.core.seeding import seed_everything
from lemer.core.tasks import dim_targets, soft_targets, validation_score

Batch = dict[str, torch.Tensor]
# encode(examples) -> tensors for the module; the module returns (logits, auxiliary loss or None).
Encoder = Callable[[Sequence[Example]], Batch]


@dataclass
class TrainConfig:
    """Optimisation defaults (ours; the LE-MER paper does not state them for frozen encoders).

    LE-MER's config and the neural baselines' defaults take their values from here, so all neural
    models train under the same defaults unless a suite overrides them.
    """

    lr: float = 1e-3
    weight_decay: float = 1e-2
    max_epochs: int = 30
    patience: int = 5
    batch_size: int = 32
    class_weights: bool = False
    grad_clip: float = 1.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "TrainConfig":
        """Pick this dataclass's fields out of a model's flat config dict."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in config.items() if k in names})


@dataclass(frozen=True)
class StepPlan:
    """Optimiser extras for fine-tuning (None in `fit_module` = one group, constant lr, one step per batch).

    `param_groups`: AdamW groups (`{"params": [...], "lr": ...}`), e.g. encoders at 2e-5 and the head
    at 1e-3; `warmup_ratio`: fraction of all planned steps (max_epochs x updates per epoch) with a
    linearly rising lr, after which it decays linearly to 0; `grad_accum`: each batch of `batch_size`
    examples is split into this many micro-batches whose gradients add up before one update (so
    `batch_size` means examples per update in every mode, and memory scales with the micro-batch).
    """

    param_groups: tuple[dict[str, Any], ...] = ()
    warmup_ratio: float = 0.0
    grad_accum: int = 1


def _lr_lambda(total_steps: int, warmup_ratio: float) -> Callable[[int], float]:
    warm = round(total_steps * warmup_ratio)

    def factor(step: int) -> float:
        if warm and step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))

    return factor


@dataclass
class TrainHistory:
    """Per epoch: training loss and the validation score early stopping maximises (`valid_ua`: UA for the
    categorical task, minus the soft cross-entropy for `soft`, the mean CCC for `dimensional`; `metric` says)."""

    best_epoch: int = -1
    best_valid_ua: float | None = None
    epochs_run: int = 0
    train_loss: list[float] = field(default_factory=list)
    valid_ua: list[float] = field(default_factory=list)
    metric: str = "ua"


def chosen_epochs(history: TrainHistory | None, owner: str) -> int:
    """How many epochs the validation split chose (best epoch + 1): what a refit on train + valid trains for."""
    if history is None or history.epochs_run == 0:
        raise RuntimeError(f"{owner}: refit called before fit")
    return history.best_epoch + 1


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with `n` torch intra-op threads and `n` BLAS/OpenMP threads (numpy, sklearn), then restore.

    Small fusion models gain nothing from more threads, and on a shared machine threads that wait
    for a busy core make each step far slower (measured here under load: a 32x40x128 attention
    step took 30x longer with 2 threads than with 1; a logistic regression on 3300x384 frames 21 s
    with the default BLAS threads vs 0.7 s with one). None = leave everything as it is.
    """
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)


def length_bucketed_batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator, pool: int = 20
) -> list[np.ndarray]:
    """Shuffled batches of similar length: shuffle, sort within pools of `pool` batches, shuffle batches.

    Padding cost drops to near zero while every epoch still sees a different order.
    """
    order = rng.permutation(len(lengths))
    batches: list[np.ndarray] = []
    span = batch_size * pool
    for start in range(0, len(order), span):
        chunk = order[start : start + span]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches


def _labels(examples: Sequence[Example], classes: Sequence[str]) -> torch.Tensor:
    index = {c: i for i, c in enumerate(classes)}
    missing = [e.uid for e in examples if e.label not in index]
    if missing:
        raise ValueError(f"{len(missing)} training example(s) have labels outside {list(classes)}, e.g. {missing[0]}")
    return torch.tensor([index[e.label] for e in examples], dtype=torch.long)  # type: ignore[index]


def _targets_and_loss(task: str, train: Sequence[Example], classes: Sequence[str], cfg: TrainConfig,
                      device: str | torch.device) -> tuple[torch.Tensor, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]:
    """The training targets on `device` and the loss of `task` (see `lemer.core.tasks`)."""
    if task == "soft":
        q = torch.tensor(soft_targets(train, classes), dtype=torch.float32, device=device)
        return q, lambda logits, target: -(target * torch.log_softmax(logits, dim=-1)).sum(-1).mean()
    if task == "dimensional":
        return torch.tensor(dim_targets(train), dtype=torch.float32, device=device), ccc_loss
    y = _labels(train, classes).to(device)
    weight = None
    if cfg.class_weights:
        counts = torch.bincount(y, minlength=len(classes)).float()
        weight = counts.sum() / (len(classes) * counts.clamp(min=1.0))
    return y, nn.CrossEntropyLoss(weight=None if weight is None else weight.to(device))


def ccc_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - mean over dimensions of the batch's concordance correlation coefficient (differentiable)."""
    mp, mt = pred.mean(0), target.mean(0)
    vp, vt = pred.var(0, unbiased=False), target.var(0, unbiased=False)
    cov = ((pred - mp) * (target - mt)).mean(0)
    return 1.0 - (2 * cov / (vp + vt + (mp - mt) ** 2 + 1e-8)).mean()


def predict_outputs(
    module: nn.Module, encode: Encoder, examples: Sequence[Example], task: str = "categorical", batch_size: int = 64,
    length: Callable[[Example], int] | None = None, device: str | torch.device = "cpu", precision: str = "fp32",
) -> np.ndarray:
    """Class probabilities (N, C), or (N, 3) dimensions for the dimensional task, in the order of `examples`."""
    if task != "dimensional":
        return predict_proba(module, encode, examples, batch_size, length, device, precision)
    module.eval()
    order = np.argsort([length(e) for e in examples], kind="stable") if length else np.arange(len(examples))
    out = np.zeros((len(examples), 3), dtype=np.float64)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            with autocast(device, precision):
                values, _ = module(to_device(encode([examples[i] for i in idx]), device))
            out[idx] = values.float().cpu().numpy()
    return out


def outputs_to_predictions(uids: Sequence[str], outputs: np.ndarray, classes: Sequence[str],
                           task: str = "categorical") -> list[Prediction]:
    """Prediction records of `predict_outputs`: argmax class and probabilities, or the three dimensions."""
    if task != "dimensional":
        return probs_to_predictions(uids, outputs, classes)
    return [Prediction(uid=u, label="", probs={}, dims={d: float(v) for d, v in zip(DIMENSIONS, row)})
            for u, row in zip(uids, outputs)]


def predict_proba(
    module: nn.Module, encode: Encoder, examples: Sequence[Example], batch_size: int = 64,
    length: Callable[[Example], int] | None = None, device: str | torch.device = "cpu", precision: str = "fp32",
) -> np.ndarray:
    """Class probabilities (N, C) in the order of `examples`; batched by length when `length` is given."""
    module.eval()
    order = np.argsort([length(e) for e in examples], kind="stable") if length else np.arange(len(examples))
    out: np.ndarray | None = None
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            with autocast(device, precision):
                logits, _ = module(to_device(encode([examples[i] for i in idx]), device))
            probs = torch.softmax(logits.float(), dim=-1).cpu().numpy()
            if out is None:
                out = np.zeros((len(examples), probs.shape[1]), dtype=np.float64)
            out[idx] = probs
    assert out is not None, "predict_proba needs at least one example"
    return out


def fit_module(
    module: nn.Module,
    encode: Encoder,
    train: Sequence[Example],
    valid: Sequence[Example],
    classes: Sequence[str],
    cfg: TrainConfig,
    seed: int,
    length: Callable[[Example], int] | None = None,
    log: Callable[[str], None] = lambda msg: None,
    device: str | torch.device = "cpu",
    precision: str = "fp32",
    plan: StepPlan | None = None,
    predict_batch_size: int = 64,
    task: str = "categorical",
) -> TrainHistory:
    """Train `module` (already on `device`) in place and leave it at its best validation epoch (the task's score:
    `lemer.core.tasks`); the module's output is C logits, or 3 values for the dimensional task."""
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    plan = plan or StepPlan()
    y_train, loss_fn = _targets_and_loss(task, train, classes, cfg, device)
    y_valid = (_labels(valid, classes).numpy() if valid else None) if task == "categorical" else (valid or None)
    groups = list(plan.param_groups) or [{"params": [p for p in module.parameters() if p.requires_grad]}]
    opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    lengths = [length(e) for e in train] if length else [0] * len(train)
    sched = None
    if plan.param_groups or plan.warmup_ratio:
        total = cfg.max_epochs * -(-len(train) // cfg.batch_size)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(total, plan.warmup_ratio))
    hist = TrainHistory(metric={"categorical": "ua", "soft": "-soft_ce", "dimensional": "ccc"}[task])
    best_state: dict[str, torch.Tensor] | None = None
    stale = 0
    for epoch in range(cfg.max_epochs):
        module.train()
        total, seen = 0.0, 0
        for idx in length_bucketed_batches(lengths, cfg.batch_size, rng):
            opt.zero_grad()
            micro = -(-len(idx) // plan.grad_accum)
            for m0 in range(0, len(idx), micro):
                part = idx[m0 : m0 + micro]
                with autocast(device, precision):
                    logits, aux = module(to_device(encode([train[i] for i in part]), device))
                loss = loss_fn(logits.float(), y_train[part])
                if aux is not None:
                    loss = loss + aux.float()
                (loss * (len(part) / len(idx))).backward()
                total += float(loss.detach()) * len(part)
                seen += len(part)
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(module.parameters(), cfg.grad_clip)
            opt.step()
            if sched is not None:
                sched.step()
        hist.train_loss.append(total / max(seen, 1))
        hist.epochs_run = epoch + 1
        if y_valid is None:
            continue
        outputs = predict_outputs(module, encode, valid, task, predict_batch_size, length, device, precision)
        ua = (unweighted_accuracy(y_valid, outputs.argmax(1), len(classes)) if task == "categorical"  # type: ignore[arg-type]
              else validation_score(task, outputs, valid, classes))
        hist.valid_ua.append(ua)
        if hist.best_valid_ua is None or ua > hist.best_valid_ua + 1e-9:
            hist.best_valid_ua, hist.best_epoch, stale = ua, epoch, 0
            best_state = _cpu_copy(module.state_dict())
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    if best_state is not None:
        module.load_state_dict(best_state)
    else:
        hist.best_epoch = hist.epochs_run - 1
        log("no validation examples: kept the last epoch")
    label = "UA" if task == "categorical" else hist.metric
    log(f"trained {hist.epochs_run} epochs, best epoch {hist.best_epoch}, valid {label} {hist.best_valid_ua}")
    return hist


def _cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A snapshot of a state dict in CPU memory (a GPU copy of two fine-tuned encoders would double their
    memory on the device); `load_state_dict` copies it back in place."""
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


def probs_to_predictions(uids: Sequence[str], probs: np.ndarray, classes: Sequence[str]) -> list[Prediction]:
    """Turn a (N, C) probability matrix into Prediction records (argmax label, all class probabilities)."""
    return [
        Prediction(uid=u, label=classes[int(p.argmax())], probs={c: float(x) for c, x in zip(classes, p)})
        for u, p in zip(uids, probs)
    ]
