"""One LE-MER fine-tuning update with the paper's encoder SIZES (random weights: BERT-base 12x768,
wav2vec2-base 12x768 with its 7-layer CNN), to project the `paper` suite's cost.

What is timed: `lemer.core.training.fit_module` for one epoch over N_UTTS utterances of CLIP_S seconds of
noise (written as 16 kHz wav files, read through the harness's reader) with a `[CLS] 10-utterance context
[SEP] target [SEP]` text input of ~TEXT_TOKENS tokens, batch_size = N_UTTS, grad_accum = N_UTTS / MICRO,
i.e. exactly one optimiser update in micro-batches of MICRO (the paper suite's setting), no validation
pass, on `$LEMER_DEVICE` (default cpu; `auto`/`cuda` on a GPU machine, with bf16 autocast there). Weights are random: the cost of a step does not depend on
their values. Loading/saving models is not timed; label-embedding initialisation (one inference pass
over the training clips) is not included.

Reported in `extra_info`: seconds per utterance (forward + backward + update), peak RSS of the process.
Projection (`project`): the paper grid is 5531 utterances x 5 folds x 3 seeds; a fold trains on ~4/5 and
predicts ~1/5 plus validation, so one epoch ~ (train x t_step + (valid + test) x t_infer); t_infer ~ t_step / 3
(forward only). See README "Fine-tuning LE-MER" for the formula and the numbers measured here.

    python -m pytest benchmarks/perf/test_finetune_epoch.py --benchmark-only -s
"""
from __future__ import annotations

import os
import resource

import numpy as np
import pytest
import soundfile as sf
import torch

from dataset_adapters.audio import read_audio
from lemer.core.contract import Example
from lemer.core.devices import precision_for, resolve_device
from lemer.core.training import StepPlan, TrainConfig, fit_module
from lemer.model import LEMERNet
from lemer.model.config import LEMERConfig
from lemer.model.finetune import EndToEndLEMER, FineTunedLEMER

N_UTTS = 16
MICRO = 8
CLIP_S = 3.0
TEXT_TOKENS = 128
CLASSES = ("neu", "hap", "ang", "sad")
IEMOCAP_UTTS, FOLDS, SEEDS = 5531, 5, 3


def project(sec_per_utt_train: float, epochs: int, utts: int = IEMOCAP_UTTS, folds: int = FOLDS, seeds: int = SEEDS,
            infer_ratio: float = 1 / 3) -> float:
    """Hours for one model x one transcript condition of the paper grid: every fold trains on the other
    sessions (~ utts x (folds-1)/folds, validation included at inference cost) and predicts its test session."""
    per_epoch = utts * (folds - 1) / folds * sec_per_utt_train * (1 + 0.1 * infer_ratio)  # ~10% valid
    test = utts / folds * sec_per_utt_train * infer_ratio
    return folds * seeds * (epochs * per_epoch + test) / 3600


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """(config, the fine-tuning wrapper, the end-to-end net, its text rows per uid, the examples)."""
    from transformers import BertConfig, BertModel, BertTokenizer, Wav2Vec2Config, Wav2Vec2Model  # heavy, optional

    root = tmp_path_factory.mktemp("ft")
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(200)]
    (root / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    tok = BertTokenizer(str(root / "vocab.txt"))
    examples = []
    per_utt = max(1, TEXT_TOKENS // 11 - 1)  # 10 context utterances + the target, each ~per_utt words
    for i in range(N_UTTS):
        path = root / f"u{i}.wav"
        sf.write(str(path), (0.1 * rng.standard_normal(int(16000 * CLIP_S))).astype(np.float32), 16000)
        say = lambda: " ".join(rng.choice(words, per_utt))
        examples.append(Example(uid=f"u{i}", label=CLASSES[i % 4], text=say(), audio=str(path),
                                context_text=tuple(say() for _ in range(10))))
    cfg = LEMERConfig(finetune=True, batch_size=N_UTTS, grad_accum=N_UTTS // MICRO, max_epochs=1, context_window=10)
    torch.manual_seed(0)
    text, speech = BertModel(BertConfig()), Wav2Vec2Model(Wav2Vec2Config())
    for p in speech.feature_extractor.parameters():
        p.requires_grad = False
    ft = FineTunedLEMER(cfg)
    ft.tokenizer, ft.load_audio, ft.max_length = tok, read_audio, 512
    net = EndToEndLEMER(cfg, LEMERNet(cfg, 4, 768, 768), text, speech)
    rows = {e.uid: ft._rows(e) for e in examples}
    return cfg, ft, net, rows, examples


def test_finetune_update_base_sizes(benchmark, setup: tuple) -> None:  # noqa: ANN001
    cfg, ft, net, rows, examples = setup
    torch.set_num_threads(2)
    device = resolve_device(os.environ.get("LEMER_DEVICE", "cpu"))
    precision = precision_for(device)
    net.to(device)
    plan = StepPlan(param_groups=({"params": net.encoder_parameters(), "lr": cfg.encoder_lr},
                                  {"params": list(net.head.parameters()), "lr": cfg.lr}), grad_accum=cfg.grad_accum)

    def one_update() -> float:
        hist = fit_module(net, ft._encoder(rows), examples, [], CLASSES, TrainConfig.from_config(cfg.to_dict()),
                          seed=0, length=ft._length(rows), plan=plan, device=device, precision=precision)
        return hist.train_loss[-1]

    loss = benchmark.pedantic(one_update, rounds=1, iterations=1, warmup_rounds=0)
    assert np.isfinite(loss)
    sec = benchmark.stats.stats.mean / N_UTTS
    rss_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    benchmark.extra_info.update({
        "sec_per_utterance_train": round(sec, 3), "peak_rss_gib": round(rss_gib, 2), "utterances": N_UTTS,
        "device": str(device), "precision": precision, "clip_seconds": CLIP_S, "text_tokens": TEXT_TOKENS, "micro_batch": MICRO, "torch_threads": torch.get_num_threads(),
        "projection_cpu_hours_10_epochs_per_model_condition": round(project(sec, 10), 1),
    })
    print(f"\nfine-tuning update: {sec:.2f} s/utterance, peak RSS {rss_gib:.2f} GiB, "
          f"paper grid (one model x one condition, 10 epochs) ~ {project(sec, 10):.0f} h on this CPU")
