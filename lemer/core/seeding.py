"""The one way to seed a run: Python's, numpy's and (when loaded) torch's generators.

Why here and torch-lazy: LE-MER and the neural baselines seed themselves before building layers
(same seed, same weights, whoever calls `fit`), and the harness seeds once per run before `fit`
for models that never import torch (importing torch for them would cost seconds per process).
Both go through this function.
"""
from __future__ import annotations

import os
import random
import sys

import numpy as np


def seed_everything(seed: int) -> None:
    """Make CPU training repeatable: same seed, same weights, same predictions."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
