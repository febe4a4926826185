"""LE-MER itself (Wang et al., Interspeech 2023, arXiv 2309.02106): the model behind the shared contract.

`LEMER` (lemer/model/lemer.py) fits and predicts; `LEMERNet` (net.py) is the trainable network; the
equations with their tiers are in fusion.py, the switches in config.py, label-embedding initialisation
in label_embeddings.py, end-to-end fine-tuning in finetune.py (encoders.py loads its pretrained models),
second-stage wav2vec2 pre-training on a fold's training audio in pretrain.py.

The names below are imported on first use, so `lemer.model.pretrain`'s settings (read by the CLI's help)
load without torch.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lemer.model.config import LEMERConfig
    from lemer.model.lemer import LEMER
    from lemer.model.net import LEMERNet, target_positions

_WHERE = {"LEMER": "lemer.model.lemer", "LEMERConfig": "lemer.model.config", "LEMERNet": "lemer.model.net",
          "target_positions": "lemer.model.net"}
__all__ = ["LEMER", "LEMERConfig", "LEMERNet", "target_positions"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'lemer.model' has no attribute {name!r}")
