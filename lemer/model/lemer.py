"""LE-MER (Wang et al., Interspeech 2023): label-guided multimodal emotion recognition on cached features.

Pipeline of `LEMERNet.forward` under the default switches (equations, shapes and their marks in
`lemer/model/fusion.py`; tiers: paper (abstract), summary, ours):
1. project text tokens Ht and speech frames Hs into a shared d-dimensional space (LayerNorm-Linear-GELU);
2. project the trainable text and speech label embeddings with the same projections, so their keyword / top-frame
   initialisations, which live in the encoders' spaces, land where the tokens and frames land;
3. label-token attention Gt and label-frame attention Gs (softmax over time, learnable sharpness);
4. label-enhanced sequences Ht~ = Ht + At Lt, Hs~ = Hs + As Ls (each position plus its label read-out: the label
   embeddings weighted by the position's share of each label's attention);
5. emotion-aware alignment Al = rownorm(Gt Gs^T) and semantic cross-attention Ar between the label-enhanced target
   tokens and frames;
6. guided fusion reading the label-enhanced sequences on both sides: target tokens read the frames, frames read the
   target tokens (through Ar and Al, `fusion_attention` = both | ar | al), each side max-pooled; classifier on both;
7. loss = CE + mu4 MSE(Ar, Al) with Al the target (detached), the plain element mean over real token-frame pairs;
   `forward` returns the constraint as the auxiliary loss, the training loop adds the CE.
`lemer-v1` (benchmarks/models.py) is the earlier model, bit for bit: the fusion on the plain sequences, text side only,
the label-pooled R_t / R_s in the classifier, a frame-scaled two-way constraint and label-specific auxiliary heads.

Switches (`lemer/model/config.py`) turn off the constraint, the label parts, or a modality; with one modality the model
is a label-aware unimodal classifier (its label-enhanced sequence max-pooled; a plain one with
`use_label_embeddings=false`). Dialogue context enters through the text features (`context_window` preceding
utterances before the target). Label-token attention sees every attended token, but only the target's tokens are
aligned and fused with the frames: the audio is the target's alone, so pairing context words with it would be
meaningless (and would cost ~5x more with 10 context utterances). See `lemer/core/inputs.py` for the token
selection. Fine-tuning the encoders (`finetune=true`, the summary's setting) runs raw text/audio through
`text_model`/`speech_model` into this same head: `lemer/model/finetune.py`; a wav2vec2 checkpoint pre-trained further
on a fold's training audio (the summary's second-stage pre-training) comes from `lemer/model/pretrain.py`.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import numpy as np
import torch

from lemer.core.contract import Example, FitEnv, Model, ModelInfo, Prediction, Requirements
from lemer.core.inputs import Prepared, prepare
from lemer.core.layers import pad_sequences
from lemer.core.seeding import seed_everything
from lemer.core.tasks import TASKS, n_outputs
from lemer.core.training import (
    TrainConfig,
    TrainHistory,
    chosen_epochs,
    fit_module,
    outputs_to_predictions,
    predict_outputs,
    torch_threads,
)
from lemer.model.config import LEMERConfig
from lemer.model.diagnostics import attention_diagnostics
from lemer.model.finetune import FineTunedLEMER, finetune_requirements
from lemer.model.label_embeddings import LabelInit, fill_missing, semantic_init, tonal_init
from lemer.model.net import LEMERNet, target_positions

CITATION = "Wang et al., Leveraging Label Information for Multimodal Emotion Recognition, Interspeech 2023, arXiv:2309.02106"
_MODALITY_TUPLE = {"text": ("text",), "speech": ("speech",), "both": ("text", "speech")}


class LEMER(Model):
    """LE-MER behind the shared model interface; `LEMER(**switches)` with the switches of `LEMERConfig`."""

    info = ModelInfo(
        name="lemer",
        modalities=("text", "speech"),
        description="Label-guided multimodal emotion recognition: TF-IDF keyword and top-frame label embeddings, "
        "label-token/label-frame attention, label-enhanced token and frame sequences fused by a label-guided "
        "attentive fusion (Ar, Al), attention constraint MSE(Ar, Al) with Al the target",
        encoders=("text", "speech"),
        citation=CITATION,
        tasks=TASKS,
    )

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.cfg = LEMERConfig.from_dict(config)
        self.finetuned = None  # finetune=true: the encoders train too (lemer/model/finetune.py), fit/predict go there
        if self.cfg.finetune:
            self.finetuned = FineTunedLEMER(self.cfg)
        self.net: LEMERNet | None = None
        self.placement: tuple[str, str] = ("cpu", "fp32")  # (device, precision) of fit
        self.classes: tuple[str, ...] = ()
        self.task = "categorical"
        self.history: TrainHistory | None = None
        self.keywords: dict[str, list[str]] = {}
        self.label_inits: dict[str, LabelInit] = {}

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities this instance reads (speech-only instances are transcript-independent)."""
        return _MODALITY_TUPLE[self.cfg.modalities]

    @property
    def tasks(self) -> tuple[str, ...]:
        """Every task on encoder outputs; the end-to-end fine-tuned model is categorical only (ours: not built)."""
        return ("categorical",) if self.finetuned is not None else TASKS

    @property
    def requirements(self) -> Requirements:
        if self.finetuned is not None:
            return finetune_requirements(self.cfg)
        return Requirements(
            text_features=self.cfg.uses_text,
            speech_features=self.cfg.uses_speech,
            text_context=self.cfg.context_window if self.cfg.uses_text else 0,
        )

    # ---------------------------------------------------------------------------------------------------------
    def _prepare(self, examples: Sequence[Example]) -> dict[str, Prepared]:
        cfg, cache = self.cfg, {}
        for e in examples:
            if e.uid in cache:
                raise ValueError(f"duplicate utterance id {e.uid!r} among the examples given to LE-MER")
            cache[e.uid] = prepare(e, cfg.uses_text, cfg.uses_speech, cfg.text_scope, cfg.max_tokens,
                                   cfg.speech_pool, cfg.max_frames)
        return cache

    def _encoder(self, cache: dict[str, Prepared]):
        def encode(examples: Sequence[Example]) -> dict[str, torch.Tensor]:
            batch: dict[str, torch.Tensor] = {}
            items = [cache[e.uid] for e in examples]
            if self.cfg.uses_text:
                batch["text"], batch["text_mask"] = pad_sequences([p.text for p in items])  # type: ignore[misc]
                spans = [p.span or (0, len(p.text)) for p in items]  # type: ignore[arg-type]
                real = batch["text_mask"].sum(1).tolist()  # an empty text counts as one (zero) token
                batch["target_index"], batch["target_mask"] = target_positions(spans, real)
            if self.cfg.uses_speech:
                batch["speech"], batch["speech_mask"] = pad_sequences([p.speech for p in items])  # type: ignore[misc]
            index = {c: i for i, c in enumerate(self.classes)}
            # categorical training/validation batches: the mu1..mu3 terms (the other tasks train the head alone)
            if self.task == "categorical" and examples and all(e.label in index for e in examples):
                batch["y"] = torch.tensor([index[e.label] for e in examples], dtype=torch.long)  # type: ignore[index]
            return batch

        return encode

    @staticmethod
    def _length(cache: dict[str, Prepared]):
        return lambda e: sum(len(a) for a in (cache[e.uid].text, cache[e.uid].speech) if a is not None)

    @staticmethod
    def _dim(cache: dict[str, Prepared], attr: str) -> int | None:
        """The feature size of one modality, checked to be the same for every example."""
        dims = {uid: getattr(p, attr).shape[1] for uid, p in cache.items() if getattr(p, attr) is not None}
        if not dims:
            return None
        first = next(iter(dims.values()))
        bad = [uid for uid, d in dims.items() if d != first]
        if bad:
            raise ValueError(f"{attr} features have inconsistent sizes: {bad[0]} has {dims[bad[0]]}, others {first}")
        return first

    def _label_inits(self, train: Sequence[Example], cache: dict[str, Prepared], env: FitEnv,
                     d_text: int | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Initial label embeddings from the TRAINING examples only (None = random init)."""
        cfg = self.cfg
        if not cfg.use_label_embeddings or cfg.label_init == "random":
            return None, None
        classes = env.classes
        train, labels = init_examples(train, classes, env.task)
        if not train:
            env.log(f"LE-MER: no training utterance has a class for the label embeddings ({env.task} task): random")
            return None, None
        text_init = speech_init = None
        if cfg.uses_text:
            if env.embed_words is None:
                env.log("LE-MER: no text encoder to embed keywords (env.embed_words is None): semantic labels random")
            else:
                sem = semantic_init([e.text for e in train], labels, classes, cfg.k_keywords, env.embed_words)  # type: ignore[arg-type]
                if sem.vectors.shape[1] != d_text and not len(sem.missing) == len(classes):
                    raise ValueError(f"env.embed_words gives {sem.vectors.shape[1]}-d vectors, text features are {d_text}-d")
                self.keywords, self.label_inits["text"] = sem.evidence, sem
                text_init = fill_missing(sem, d_text, "semantic", env.classes, env.seed, env.log)  # type: ignore[arg-type]
                env.log("LE-MER keywords: " + "; ".join(f"{c}: {' '.join(w)}" for c, w in sem.evidence.items()))
        if cfg.uses_speech:
            frames = [cache[e.uid].speech for e in train]
            ton = tonal_init(frames, labels, classes, cfg.k_frames, cfg.probe_frames_per_utt, env.seed)  # type: ignore[arg-type]
            self.label_inits["speech"] = ton
            speech_init = fill_missing(ton, frames[0].shape[1], "tonal", env.classes, env.seed, env.log)  # type: ignore[union-attr]
        return text_init, speech_init

    # ---------------------------------------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        with torch_threads(self.cfg.torch_threads):
            if self.finetuned is not None:
                self.history, self.classes = self.finetuned.fit(train, valid, env), tuple(env.classes)
                return
            self._fit(train, valid, env)

    def refit(self, train_valid: Sequence[Example], env: FitEnv) -> None:
        """Train afresh on train + valid for the epochs validation chose: label embeddings initialised from train +
        valid (the whole training data now), same seed (ours: the refit protocol, issue 22)."""
        self.cfg = replace(self.cfg, max_epochs=chosen_epochs(self.history, self.info.name))
        if self.finetuned is not None:
            self.finetuned = FineTunedLEMER(self.cfg)
        self.fit(train_valid, [], env)

    def _fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        if not train:
            raise ValueError("LE-MER fit: no training examples")
        classes = tuple(env.classes)
        cache = self._prepare(list(train) + list(valid))
        d_text, d_speech = self._dim(cache, "text"), self._dim(cache, "speech")
        text_init, speech_init = self._label_inits(train, cache, env, d_text)
        seed_everything(env.seed)  # before building layers: same seed, same weights
        self.net = LEMERNet(self.cfg, len(classes), d_text, d_speech, text_init, speech_init,
                            n_outputs(env.task, len(classes))).to(env.device)
        self.classes, self.task = classes, env.task
        self.placement = (env.device, env.precision)  # predict() runs where fit() ran
        self.history = fit_module(
            self.net, self._encoder(cache), train, valid, classes, TrainConfig.from_config(self.cfg.to_dict()),
            seed=env.seed, length=self._length(cache), log=env.log, device=env.device, precision=env.precision,
            task=env.task,
        )

    def diagnostics(self, examples: Sequence[Example], cues: dict[str, dict[str, tuple[float, float]]] | None = None
                    ) -> dict[str, Any] | None:
        """Normalised entropies of Gt, Gs, Al, Ar and (given cue spans) whether the gold class's label attention finds
        them; JSON-able. Input format and the frame-time mapping: `lemer.model.diagnostics`."""
        if self.finetuned is not None:
            return None  # not yet computed for the end-to-end encoders (their maps live inside EndToEndLEMER)
        if self.net is not None:
            self.net.cpu()  # diagnostics read the maps on the CPU, one utterance at a time (after predict)
        with torch_threads(self.cfg.torch_threads):
            return attention_diagnostics(self, examples, cues)

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        if self.finetuned is not None:
            with torch_threads(self.cfg.torch_threads):
                return self.finetuned.predict(examples)
        if self.net is None:
            raise RuntimeError("LE-MER predict called before fit")
        if not examples:
            return []
        cache = self._prepare(examples)
        with torch_threads(self.cfg.torch_threads):
            device, precision = self.placement
            out = predict_outputs(self.net, self._encoder(cache), examples, self.task, length=self._length(cache),
                                  device=device, precision=precision)
        return outputs_to_predictions([e.uid for e in examples], out, self.classes, self.task)


def init_examples(train: Sequence[Example], classes: Sequence[str], task: str) -> tuple[list[Example], list[str]]:
    """The training examples the label embeddings are initialised from, with the class each stands for (ours for
    the other tasks; the paper's task is categorical): categorical and dimensional, those with a consensus class
    (the dimensional task keeps utterances without one, which then only train the regression); soft, every example
    under the plurality class of its annotators' distribution (the first of tied classes in label-map order)."""
    if task != "soft":
        kept = [e for e in train if e.label in classes]
        return kept, [e.label for e in kept]  # type: ignore[misc]

    def plurality(q: Any) -> str:
        return max(classes, key=lambda c: (q.get(c, 0.0), -list(classes).index(c)))

    return list(train), [plurality(e.soft) for e in train]
