"""Where a neural model computes and at which precision: `auto | cpu | cuda[:N]`, bf16 autocast on GPU.

Why one place: the encoders, LE-MER and every neural baseline must read the same device flag the same
way, and a result must say what it ran on (`benchmarks.runtime.configure_run` records `device` and
`precision`). The device is NOT part of a run's identity: a GPU run and a CPU run of the same spec
should agree up to floating-point numerics (bf16 autocast included), so a result computed on one
machine is reused on another; the record says which it was, and the leaderboard can show it.
torch is imported inside the functions, so checking a device spec (the CLI's preflight, a grid of models that
never use torch) costs no torch import.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lemer.core.errors import InputError

if TYPE_CHECKING:
    import torch

DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")
PRECISIONS = ("fp32", "bf16")


class DeviceError(InputError):
    """A device spec that is malformed or names a GPU torch cannot see."""


def check_device_spec(spec: object) -> str:
    """`spec` when it is `auto`, `cpu`, `cuda` or `cuda:N` (DeviceError otherwise); imports nothing."""
    if not isinstance(spec, str) or not DEVICE_PATTERN.match(spec):
        raise DeviceError(f"device must be auto, cpu, cuda or cuda:N, got {spec!r}")
    return spec


def resolve_device(spec: str = "auto") -> torch.device:
    """`auto` -> the first GPU when torch sees one, else the CPU; `cuda[:N]` must exist."""
    check_device_spec(spec)
    import torch

    if spec == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise DeviceError(f"device {spec!r} requested but torch sees no GPU (torch {torch.__version__}); "
                          "use --device cpu or auto")
    dev = torch.device(spec if ":" in spec else "cuda:0")
    if dev.index is not None and dev.index >= torch.cuda.device_count():
        raise DeviceError(f"device {spec!r}: torch sees {torch.cuda.device_count()} GPU(s)")
    return dev


def precision_for(device: torch.device | str) -> str:
    """bf16 autocast on a GPU that supports it, fp32 otherwise (CPU bf16 is slower on most CPUs here)."""
    import torch

    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp32"


@contextlib.contextmanager
def autocast(device: torch.device | str, precision: str) -> Iterator[None]:
    """Mixed precision for the forward pass when `precision` is bf16; a no-op for fp32."""
    if precision not in PRECISIONS:
        raise DeviceError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32":
        yield
        return
    import torch

    with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16):
        yield


def describe_device(device: torch.device | str) -> str:
    """A human-readable name for the result record: `cpu` or `cuda:0 (NVIDIA H200)`."""
    import torch

    dev = torch.device(device)
    if dev.type != "cuda":
        return str(dev)
    return f"{dev.type}:{dev.index or 0} ({torch.cuda.get_device_name(dev.index or 0)})"


def to_device(batch: dict[str, torch.Tensor], device: torch.device | str) -> dict[str, torch.Tensor]:
    """Every tensor of a batch on `device` (non-tensors pass through); no copy when already there."""
    import torch

    return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
