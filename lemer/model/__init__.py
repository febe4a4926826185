"""LE-MER itself (Wang et al., Interspeech 2023, arXiv 2309.02106): the model behind the shared contract.

`LEMER` (lemer/model/lemer.py) fits and predicts; `LEMERNet` (net.py) is the trainable network; the
equations with their sources are in fusion.py, the switches in config.py, label-embedding initialisation
in label_embeddings.py, end-to-end fine-tuning in finetune.py (encoders.py loads its pretrained models).
"""
from lemer.model.config import LEMERConfig
from lemer.model.lemer import LEMER
from lemer.model.net import LEMERNet, target_positions

__all__ = ["LEMER", "LEMERConfig", "LEMERNet", "target_positions"]
