"""LE-MER fine-tuned end to end, the paper's setting (`finetune=true`): raw text and raw audio go through a
pretrained BERT-family text encoder and a wav2vec2-family speech encoder whose hidden states feed the same
label-guided head (`LEMERNet`, built with d_text/d_speech = the encoders' hidden sizes) as the frozen mode;
encoders and head train together under the one training loop (`lemer.core.training.fit_module`).

What the frozen mode's inputs become here:
- text: the encoder reads `[CLS] context.. [SEP] target [SEP]` (`lemer.model.encoders.build_text_input`, the
  same input the feature cache builds); the head sees the target's hidden states (`text_scope="target"`)
  or all of them (`"all"`), the last `max_tokens`. An empty target (ASR heard nothing) is represented by
  its closing [SEP] state (the frozen mode uses one zero row; here a learned state is more useful).
- speech: the clip, normalised per clip when the model's preprocessor says so, through the encoder with
  its CNN frozen; each clip's real frames are average-pooled exactly like `lemer.core.inputs.pool_frames`
  (`speech_pool`, harder when over `max_frames`), per clip, so pooling never depends on the batch.
- label embeddings: initialised as in the frozen mode, from the TRAINING examples only, with the
  encoders' initial weights: semantic = mean `text_model` embedding of each class's TF-IDF keywords,
  tonal = mean of the top frames of the frame probe on `speech_model`'s (pooled) training frames.

Audio is read through `FitEnv.load_audio` (the harness's reader: `lemer/` imports no harness code), one
batch at a time, so memory holds a batch of audio, not the corpus; batches are bucketed by file size (a
proxy for duration). wav2vec2-base-style encoders get no attention mask (transformers' rule for them), so
a clip's padding partners can change its frames slightly; bucketing keeps padding small.
Optimisation: AdamW with `encoder_lr` for the encoders and `lr` for the head, linear warm-up
(`warmup_ratio`) and decay, `grad_accum` micro-batches per update, optional gradient checkpointing;
the epoch is chosen on validation UA only (as every model here).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from lemer.core.contract import Example, FitEnv, Prediction, Requirements
from lemer.core.inputs import pool_frames
from lemer.core.pretrained import cache_root, resolve_pretrained
from lemer.core.text_input import build_text_input, text_max_length
from lemer.core.training import (
    StepPlan,
    TrainConfig,
    TrainHistory,
    fit_module,
    predict_proba,
    probs_to_predictions,
    seed_everything,
)
from lemer.model.config import LEMERConfig
from lemer.model.encoders import (
    embed_strings,
    frame_counts,
    load_speech_encoder,
    load_text_encoder,
    normalize_audio,
    uses_attention_mask,
)
from lemer.model.label_embeddings import fill_missing, semantic_init, tonal_init
from lemer.model.net import LEMERNet, target_positions
from lemer.model.pretrain import PretrainSettings, pretrain_for_training_set

AudioLoader = Callable[[str], np.ndarray]


def finetune_requirements(cfg: LEMERConfig) -> Requirements:
    """Raw text (with `context_window` preceding utterances) and raw audio; no cached features."""
    pretrained = tuple(n for n, used in ((cfg.text_model, cfg.uses_text), (cfg.speech_model, cfg.uses_speech)) if used)
    return Requirements(text_features=False, speech_features=False,
                        text_context=cfg.context_window if cfg.uses_text else 0, pretrained=pretrained)


@dataclass(frozen=True)
class TextRows:
    """One example's encoder input and the rows of its hidden states the head reads."""

    ids: tuple[int, ...]
    rows: tuple[int, int]  # half-open range of hidden-state rows given to the head
    span: tuple[int, int]  # the target's tokens inside those rows


def text_rows(ids: tuple[int, ...], span: tuple[int, int], scope: str, max_tokens: int) -> TextRows:
    """The frozen mode's `lemer.core.inputs.select_tokens`, as row indices into the encoder's output."""
    start, end = span
    if scope == "target":
        lo, hi = (start, end) if end > start else (end, end + 1)  # empty target: its closing [SEP]
        lo = max(lo, hi - max_tokens)
        return TextRows(ids, (lo, hi), (0, hi - lo) if end > start else (0, 1))
    lo = max(0, len(ids) - max_tokens)
    return TextRows(ids, (lo, len(ids)), (max(0, start - lo), max(0, end - lo)))


def pool_clip_frames(h: torch.Tensor, pool: int, max_frames: int) -> torch.Tensor:
    """`lemer.core.inputs.pool_frames` in torch (differentiable): average windows of `factor` frames, the last
    window averaging only its real frames."""
    n = h.shape[0]
    factor = max(pool, -(-n // max_frames)) if n else pool
    if factor <= 1 or n == 0:
        return h
    n_out = -(-n // factor)
    padded = torch.cat([h, h.new_zeros(n_out * factor - n, h.shape[1])]) if n_out * factor > n else h
    counts = torch.full((n_out, 1), float(factor), dtype=h.dtype, device=h.device)
    counts[-1] = n - (n_out - 1) * factor
    return padded.reshape(n_out, factor, -1).sum(1) / counts


def _pad(seqs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(s) for s in seqs], device=seqs[0].device)
    out = nn.utils.rnn.pad_sequence(list(seqs), batch_first=True)
    mask = torch.arange(out.shape[1], device=out.device)[None, :] < lengths[:, None]
    return out, mask


class EndToEndLEMER(nn.Module):
    """Encoders + LE-MER head; `forward(batch)` -> (logits, auxiliary loss or None) like `LEMERNet`."""

    def __init__(self, cfg: LEMERConfig, head: LEMERNet, text_encoder: nn.Module | None,
                 speech_encoder: nn.Module | None) -> None:
        super().__init__()
        self.cfg = cfg
        self.head = head
        self.text_encoder = text_encoder
        self.speech_encoder = speech_encoder
        self.speech_mask = speech_encoder is not None and uses_attention_mask(speech_encoder)

    def encoder_parameters(self) -> list[nn.Parameter]:
        encs = [m for m in (self.text_encoder, self.speech_encoder) if m is not None]
        return [p for m in encs for p in m.parameters() if p.requires_grad]

    def speech_frames(self, audio: torch.Tensor, audio_mask: torch.Tensor, n_samples: torch.Tensor) -> list[torch.Tensor]:
        """Each clip's real encoder frames, pooled (a list: clips differ in length)."""
        assert self.speech_encoder is not None
        kwargs = {"attention_mask": audio_mask} if self.speech_mask else {}
        hs = self.speech_encoder(audio, **kwargs).last_hidden_state
        n_frames = frame_counts(self.speech_encoder, n_samples).clamp(min=1, max=hs.shape[1])
        return [pool_clip_frames(hs[i, : int(n)], self.cfg.speech_pool, self.cfg.max_frames)
                for i, n in enumerate(n_frames.tolist())]

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        head_in: dict[str, torch.Tensor] = {}
        if self.text_encoder is not None:
            ht = self.text_encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            index, mask = batch["row_index"], batch["row_mask"]
            rows = ht.gather(1, index.unsqueeze(-1).expand(-1, -1, ht.shape[-1]))
            head_in["text"] = rows * mask.unsqueeze(-1).to(rows.dtype)
            head_in["text_mask"] = mask
            head_in["target_index"], head_in["target_mask"] = batch["target_index"], batch["target_mask"]
        if self.speech_encoder is not None:
            head_in["speech"], head_in["speech_mask"] = _pad(
                self.speech_frames(batch["audio"], batch["audio_mask"], batch["n_samples"]))
        if "y" in batch:  # gold labels of a training batch, for the label-specific branch losses (mu2, mu3)
            head_in["y"] = batch["y"]
        return self.head(head_in)


class FineTunedLEMER:
    """LE-MER's `fit`/`predict` when `finetune=true` (the `LEMER` model dispatches here)."""

    def __init__(self, cfg: LEMERConfig) -> None:
        self.cfg = cfg
        self.net: EndToEndLEMER | None = None
        self.classes: tuple[str, ...] = ()
        self.tokenizer: Any = None
        self.max_length = 512
        self.normalize = True
        self.load_audio: AudioLoader | None = None
        self.device, self.precision = "cpu", "fp32"
        self.keywords: dict[str, list[str]] = {}

    # -------------------------------------------------------------------------------- inputs
    def _rows(self, e: Example) -> TextRows:
        inp = build_text_input(self.tokenizer, e.text, e.context_text, self.cfg.context_window, self.max_length)
        return text_rows(inp.ids, inp.span, self.cfg.text_scope, self.cfg.max_tokens)

    def _audio(self, e: Example) -> np.ndarray:
        assert self.load_audio is not None
        x = np.asarray(self.load_audio(e.audio), dtype=np.float32)
        if x.ndim != 1 or len(x) == 0:
            raise ValueError(f"{e.uid}: load_audio returned shape {x.shape} for {e.audio}, expected (n_samples,)")
        return normalize_audio(x) if self.normalize else x

    def _encoder(self, rows: dict[str, TextRows]) -> Callable[[Sequence[Example]], dict[str, torch.Tensor]]:
        def encode(examples: Sequence[Example]) -> dict[str, torch.Tensor]:
            batch: dict[str, torch.Tensor] = {}
            if self.cfg.uses_text:
                items = [rows[e.uid] for e in examples]
                width = max(len(r.ids) for r in items)
                pad = self.tokenizer.pad_token_id or 0
                batch["input_ids"] = torch.full((len(items), width), pad, dtype=torch.long)
                batch["attention_mask"] = torch.zeros((len(items), width), dtype=torch.long)
                n_rows = [r.rows[1] - r.rows[0] for r in items]
                batch["row_index"] = torch.zeros((len(items), max(n_rows)), dtype=torch.long)
                batch["row_mask"] = torch.zeros((len(items), max(n_rows)), dtype=torch.bool)
                for i, r in enumerate(items):
                    batch["input_ids"][i, : len(r.ids)] = torch.tensor(r.ids)
                    batch["attention_mask"][i, : len(r.ids)] = 1
                    batch["row_index"][i, : n_rows[i]] = torch.arange(*r.rows)
                    batch["row_mask"][i, : n_rows[i]] = True
                batch["target_index"], batch["target_mask"] = target_positions([r.span for r in items], n_rows)
            if self.cfg.uses_speech:
                clips = [self._audio(e) for e in examples]
                n = torch.tensor([len(c) for c in clips])
                batch["audio"] = torch.zeros((len(clips), int(n.max())))
                batch["audio_mask"] = torch.zeros((len(clips), int(n.max())), dtype=torch.long)
                for i, c in enumerate(clips):
                    batch["audio"][i, : len(c)] = torch.from_numpy(c)
                    batch["audio_mask"][i, : len(c)] = 1
                batch["n_samples"] = n
            index = {c: k for k, c in enumerate(self.classes)}
            if examples and all(e.label in index for e in examples):  # labelled batches: the mu1..mu3 terms
                batch["y"] = torch.tensor([index[e.label] for e in examples], dtype=torch.long)
            return batch

        return encode

    def _length(self, rows: dict[str, TextRows]) -> Callable[[Example], int]:
        """Bucketing key: audio file size (a proxy for duration; 0 when unreadable, then load_audio says
        why) plus the token count."""
        def length(e: Example) -> int:
            size = 0
            if self.cfg.uses_speech:
                try:
                    size = os.path.getsize(e.audio) // 640  # ~ 16-bit 16 kHz samples / 320 = frames
                except OSError:
                    size = 0
            return size + (len(rows[e.uid].ids) if self.cfg.uses_text else 0)

        return length

    # -------------------------------------------------------------------------------- label inits
    def _label_inits(self, train: Sequence[Example], env: FitEnv, text_enc: nn.Module | None,
                     speech_enc: nn.Module | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Label embeddings from the TRAINING examples and the encoders' initial weights (None = random)."""
        cfg = self.cfg
        if not cfg.use_label_embeddings or cfg.label_init == "random":
            return None, None
        classes, labels = env.classes, [str(e.label) for e in train]
        text_init = speech_init = None
        if text_enc is not None:
            sem = semantic_init([e.text for e in train], labels, classes, cfg.k_keywords,
                                lambda words: embed_strings(self.tokenizer, text_enc, words, self.device, self.max_length))
            self.keywords = sem.evidence
            text_init = fill_missing(sem, int(text_enc.config.hidden_size), "semantic", env.classes, env.seed, env.log)
            env.log("LE-MER keywords: " + "; ".join(f"{c}: {' '.join(w)}" for c, w in sem.evidence.items()))
        if speech_enc is not None:
            frames = self._training_frames(train, speech_enc)
            ton = tonal_init(frames, labels, classes, cfg.k_frames, cfg.probe_frames_per_utt, env.seed)
            speech_init = fill_missing(ton, int(speech_enc.config.hidden_size), "tonal", env.classes, env.seed, env.log)
        return text_init, speech_init

    def _training_frames(self, train: Sequence[Example], speech_enc: nn.Module) -> list[np.ndarray]:
        """Pooled frames of every training clip under the initial weights, one clip at a time (no padding),
        held as float16 like the frozen mode's cached features."""
        speech_enc.eval()
        out = []
        with torch.inference_mode():
            for e in train:
                x = torch.from_numpy(self._audio(e))[None].to(self.device)
                h = speech_enc(x).last_hidden_state[0].float().cpu().numpy()
                out.append(pool_frames(h, self.cfg.speech_pool, self.cfg.max_frames).astype(np.float16))
        speech_enc.train()
        return out

    # -------------------------------------------------------------------------------- fit / predict
    def _speech_model(self, train: Sequence[Example], env: FitEnv) -> str:
        """`speech_model`, or with `pretrain_steps` its second-stage pre-training on the TRAINING clips given here
        (never a validation or test clip: `fit` is never given them as training data), cached by content under the
        run's cache folder (`FitEnv.cache_dir`/pretrain)."""
        if not self.cfg.pretrain_steps:
            return self.cfg.speech_model
        assert env.load_audio is not None  # checked by fit
        settings = PretrainSettings(steps=self.cfg.pretrain_steps, seed=env.seed, device=env.device,
                                    precision=env.precision)
        return str(pretrain_for_training_set([e.audio for e in train], env.load_audio, self.cfg.speech_model,
                                             settings, cache_root(env.cache_dir) / "pretrain", log=env.log))

    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> TrainHistory:
        cfg = self.cfg
        if not train:
            raise ValueError("LE-MER fit: no training examples")
        if env.task != "categorical":
            raise ValueError(f"LE-MER finetune=true is trained for the categorical task only, not {env.task!r}")
        uids = [e.uid for e in [*train, *valid]]
        if len(set(uids)) != len(uids):
            raise ValueError("duplicate utterance ids among the examples given to LE-MER")
        if cfg.uses_speech and env.load_audio is None:
            raise ValueError("LE-MER finetune=true reads raw audio: the harness must give FitEnv.load_audio")
        self.load_audio, self.device, self.precision = env.load_audio, env.device, env.precision
        self.classes = tuple(env.classes)
        text_enc = speech_enc = None
        if cfg.uses_text:
            self.tokenizer, text_enc = load_text_encoder(cfg.text_model, cfg.gradient_checkpointing)
            self.max_length = text_max_length(self.tokenizer, text_enc.config)
            text_enc.to(self.device)
        if cfg.uses_speech:
            speech_enc, self.normalize = load_speech_encoder(self._speech_model(train, env), cfg.gradient_checkpointing)
            speech_enc.to(self.device)
        # the resolved directories (a Hugging Face snapshot path holds the hub commit) say which weights ran
        where = {n: str(resolve_pretrained(n)) for n in finetune_requirements(cfg).pretrained}
        env.log(f"LE-MER finetune: {where}, device {self.device}, {self.precision}")
        text_init, speech_init = self._label_inits(train, env, text_enc, speech_enc)
        seed_everything(env.seed)  # before building the head: same seed, same weights
        head = LEMERNet(cfg, len(self.classes), None if text_enc is None else int(text_enc.config.hidden_size),
                        None if speech_enc is None else int(speech_enc.config.hidden_size), text_init, speech_init)
        self.net = EndToEndLEMER(cfg, head, text_enc, speech_enc).to(self.device)
        encoder_params = self.net.encoder_parameters()
        plan = StepPlan(param_groups=({"params": encoder_params, "lr": cfg.encoder_lr},
                                      {"params": [p for p in head.parameters() if p.requires_grad], "lr": cfg.lr}),
                        warmup_ratio=cfg.warmup_ratio, grad_accum=cfg.grad_accum)
        rows = {e.uid: self._rows(e) for e in [*train, *valid]} if cfg.uses_text else {}
        return fit_module(self.net, self._encoder(rows), train, valid, self.classes,
                          TrainConfig.from_config(cfg.to_dict()), seed=env.seed, length=self._length(rows),
                          log=env.log, device=self.device, precision=self.precision, plan=plan,
                          predict_batch_size=cfg.predict_batch_size)

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        if self.net is None:
            raise RuntimeError("LE-MER predict called before fit")
        if not examples:
            return []
        rows = {e.uid: self._rows(e) for e in examples} if self.cfg.uses_text else {}
        probs = predict_proba(self.net, self._encoder(rows), examples, self.cfg.predict_batch_size,
                              self._length(rows), self.device, self.precision)
        return probs_to_predictions([e.uid for e in examples], probs, self.classes)
