"""Loading Hugging Face models from local directories, quietly.

transformers draws its own "Loading weights" progress bar on every load; in a grid where each
worker process loads the encoders, those bars bury the harness's own progress bar.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any


def load_local_model(model_dir: Path) -> Any:
    """`AutoModel.from_pretrained(model_dir)` in eval mode, with transformers' progress bars off."""
    from transformers import AutoModel  # heavy optional dependency: only when a model is loaded
    from transformers.utils import logging as hf_logging  # (transformers: heavy, optional)

    hf_logging.disable_progress_bar()
    return AutoModel.from_pretrained(str(model_dir)).eval()
