"""LE-MER (Wang et al., Interspeech 2023): label-guided multimodal emotion recognition on cached features.

Pipeline of `LEMERNet.forward` (equations in `lemer/fusion.py`):
1. project text tokens Ht and speech frames Hs into a shared d-dimensional space (LayerNorm-Linear-GELU);
2. project the trainable semantic (text) and tonal (speech) label embeddings with the same projections, so their
   keyword / frame initialisations, which live in the encoders' spaces, land where the tokens and frames land;
3. label-token attention Gt and label-frame attention Gs (softmax over time, learnable sharpness), and the
   label-enhanced representations R_t, R_s (label-wise attentive pooling: one pooled vector per class);
4. emotion-aware alignment Al = rownorm(Gt Gs^T) and semantic cross-attention Ar (target tokens -> frames);
5. guided fusion of each target token with the speech read through Ar and Al (`fusion_attention` = both | ar | al),
   max-pooled over the target tokens; classifier on [R_t; R_s; fused];
6. loss = mu1 CE + mu2 CE(text branch) + mu3 CE(speech branch) + mu4 constraint(Ar, Al) (Al detached iff
   `detach_al`); the training loop adds the plain CE, `forward` returns the rest as the auxiliary loss.

Switches (`lemer/config.py`) turn off the constraint, the label parts, or a modality; with one modality the model is a
label-aware unimodal classifier (or a plain one with `use_label_embeddings=false`). Dialogue context enters through
the text features (`context_window` preceding utterances before the target). Label-token attention sees every token
(context words can carry the emotion), but only the target's tokens are aligned and fused with the frames: the audio
is the target's alone, so pairing context words with it would be meaningless (and would cost ~5x more with 10
context utterances). See `lemer/inputs.py` for the token selection. Fine-tuning the encoders (`finetune=true`, as in
the paper) runs raw text/audio through `text_model`/`speech_model` into this same head: `lemer/finetune.py`.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from lemer.config import LEMERConfig
from lemer.fusion import CrossAttention, GuidedFusion, LabelAware, alignment, constraint_loss
from lemer.inputs import Prepared, prepare
from lemer.interface import Example, FitEnv, Model, ModelInfo, Prediction, Requirements
from lemer.label_embeddings import LabelInit, semantic_init, tonal_init
from lemer.layers import Projection, masked_max, mlp_head, pad_sequences
from lemer.seeding import seed_everything
from lemer.training import (
    TrainConfig,
    TrainHistory,
    fit_module,
    predict_proba,
    probs_to_predictions,
    torch_threads,
)

CITATION = "Wang et al., Leveraging Label Information for Multimodal Emotion Recognition, Interspeech 2023, arXiv:2309.02106"
_MODALITY_TUPLE = {"text": ("text",), "speech": ("speech",), "both": ("text", "speech")}


class LEMERNet(nn.Module):
    """The trainable part of LE-MER on frozen encoder features; `forward` returns (logits, auxiliary loss or None).

    The auxiliary loss is everything but the training loop's own cross-entropy (equation (9) in lemer/fusion.py):
    (mu1 - 1) * CE(main) + mu2 * CE(text branch) + mu3 * CE(speech branch) + mu4 * constraint; the CE terms need the
    batch's gold labels (`batch["y"]`, set by LE-MER's encoder for labelled examples) and are skipped without them.
    """

    def __init__(self, cfg: LEMERConfig, n_classes: int, d_text: int | None, d_speech: int | None,
                 text_labels: np.ndarray | None = None, speech_labels: np.ndarray | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.drop = nn.Dropout(cfg.dropout)
        labels = cfg.use_label_embeddings
        width = 0
        branch = n_classes * d if labels else d  # label-wise pooled (C x d, flattened) or max-pooled (d)
        if cfg.uses_text:
            self._add_branch("t", "text", d_text, text_labels, n_classes)
            width += branch
        if cfg.uses_speech:
            self._add_branch("s", "speech", d_speech, speech_labels, n_classes)
            width += branch
        if cfg.modalities == "both":
            self.cross = CrossAttention(d)
            self.fusion = GuidedFusion(d, cfg.effective_fusion_attention)
            width += d  # the fused target tokens, max-pooled
        self.head = mlp_head(width, n_classes, hidden=cfg.head_hidden, dropout=cfg.head_dropout)
        # auxiliary branch classifiers (mu2, mu3), built only when weighted so the default model's weights do not move
        # (label-specific when labels are on: class c is scored from R[c] alone, so label c must find class c's cues)
        if cfg.uses_text and cfg.mu2 > 0:
            self.head_t = BranchHead(n_classes, d, labels, cfg.head_dropout)
        if cfg.uses_speech and cfg.mu3 > 0:
            self.head_s = BranchHead(n_classes, d, labels, cfg.head_dropout)

    def _add_branch(self, m: str, modality: str, d_in: int | None, init: np.ndarray | None, n_classes: int) -> None:
        """One modality's branch (`m`: "t" or "s"): `proj_m`, and with label embeddings `labels_m` and `aware_m`."""
        if d_in is None:
            raise ValueError(f"LEMERNet: {modality} modality needs d_{modality}")
        setattr(self, f"proj_{m}", Projection(d_in, self.cfg.d_model, dropout=0.0))
        if self.cfg.use_label_embeddings:
            setattr(self, f"labels_{m}", nn.Parameter(_label_tensor(init, n_classes, d_in)))
            setattr(self, f"aware_{m}", LabelAware())

    def _branch_repr(self, out: dict[str, torch.Tensor], m: str, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """A branch's pooled representation: label-wise R (B, C, d) flattened (stores `g<m>`, `r<m>` in `out`), or
        masked max-pooling without label embeddings."""
        if not self.cfg.use_label_embeddings:
            return masked_max(h, mask)
        proj, labels, aware = getattr(self, f"proj_{m}"), getattr(self, f"labels_{m}"), getattr(self, f"aware_{m}")
        out[f"g{m}"], out[f"r{m}"] = aware(h, mask, proj(labels))
        return out[f"r{m}"].flatten(1)

    def parts(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Every intermediate the tests and analyses need: gt (B,T,C), gs (B,S,C), ar/al (B,L,S) over the L target
        tokens, rt/rs (B,C,d) label-enhanced representations, pooled, logits, constraint."""
        cfg, out = self.cfg, {}
        pooled: list[torch.Tensor] = []
        ht = hs = None
        if cfg.uses_text:
            mask_t = batch["text_mask"]
            ht = self.drop(self.proj_t(batch["text"]))
            out["text_repr"] = self._branch_repr(out, "t", ht, mask_t)
            pooled.append(out["text_repr"])
        if cfg.uses_speech:
            mask_s = batch["speech_mask"]
            hs = self.drop(self.proj_s(batch["speech"]))
            out["speech_repr"] = self._branch_repr(out, "s", hs, mask_s)
            pooled.append(out["speech_repr"])
        if ht is not None and hs is not None:
            # only the target's tokens are aligned with (and fused with) the target's frames
            idx, mask_l = batch["target_index"], batch["target_mask"]
            tokens = _gather(ht, idx)
            out["ar"], values = self.cross(tokens, hs, mask_s)
            if cfg.use_label_embeddings:
                out["al"] = alignment(_gather(out["gt"], idx), out["gs"], mask_l, mask_s)
                al = out["al"].detach() if cfg.detach_al else out["al"]
                out["constraint"] = constraint_loss(out["ar"], al, mask_l, mask_s)
            fused = self.fusion(tokens, values, out["ar"], out.get("al"))
            pooled.append(masked_max(fused, mask_l))
        out["pooled"] = torch.cat(pooled, dim=-1)
        out["logits"] = self.head(out["pooled"])
        return out

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        cfg, out = self.cfg, self.parts(batch)
        terms: list[torch.Tensor] = []
        if cfg.constraint_active and "constraint" in out and cfg.mu4 > 0:
            terms.append(cfg.mu4 * out["constraint"])
        y = batch.get("y")
        if y is not None and self.training:
            ce = nn.functional.cross_entropy
            if cfg.mu1 != 1.0:
                terms.append((cfg.mu1 - 1.0) * ce(out["logits"], y))
            if hasattr(self, "head_t"):
                terms.append(cfg.mu2 * ce(self.head_t(out.get("rt", out["text_repr"])), y))
            if hasattr(self, "head_s"):
                terms.append(cfg.mu3 * ce(self.head_s(out.get("rs", out["speech_repr"])), y))
        return out["logits"], (sum(terms) if terms else None)  # type: ignore[return-value]


class BranchHead(nn.Module):
    """Auxiliary classifier of one modality's branch (mu2 / mu3). With label embeddings it is label-specific:
    logit_c = w_c . R[c] + b_c on the label-wise pooled R (B, C, d) (ours); without, a linear layer on the pooled vector."""

    def __init__(self, n_classes: int, d: int, label_wise: bool, dropout: float) -> None:
        super().__init__()
        self.label_wise = label_wise
        self.drop = nn.Dropout(dropout)
        if label_wise:
            self.weight = nn.Parameter(torch.randn(n_classes, d) / d ** 0.5)
            self.bias = nn.Parameter(torch.zeros(n_classes))
        else:
            self.linear = nn.Linear(d, n_classes)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        r = self.drop(r)
        if self.label_wise:
            return torch.einsum("bcd,cd->bc", r, self.weight) + self.bias
        return self.linear(r)


def _gather(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Rows `index` (B, L) of x (B, T, D) -> (B, L, D)."""
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def target_positions(spans: Sequence[tuple[int, int]], n_tokens: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, L) indices of each example's target tokens and their mask, given each example's real token count.

    An empty target (ASR heard nothing) is represented by the one real token at (or, at the end, just before) its
    position, i.e. the closing separator, so pooling is always defined and never reads padding."""
    lengths = [max(1, end - start) for start, end in spans]
    index = torch.zeros(len(spans), max(lengths), dtype=torch.long)
    mask = torch.zeros(len(spans), max(lengths), dtype=torch.bool)
    for i, ((start, end), n, real) in enumerate(zip(spans, lengths, n_tokens)):
        if not 0 <= start <= end <= max(real, 1):
            raise ValueError(f"target span {(start, end)} outside the {real} tokens of example {i} in the batch")
        first = min(start, max(0, real - 1))
        index[i, :n] = torch.arange(first, first + n)
        mask[i, :n] = True
    return index, mask


def _label_tensor(init: np.ndarray | None, n_classes: int, dim: int) -> torch.Tensor:
    """Label-embedding initial values: given rows, or N(0, 1) (the projection starts with LayerNorm, so scale is moot)."""
    if init is None:
        return torch.randn(n_classes, dim)
    if init.shape != (n_classes, dim):
        raise ValueError(f"label-embedding init has shape {init.shape}, expected {(n_classes, dim)}")
    return torch.from_numpy(np.ascontiguousarray(init, dtype=np.float32)).clone()


class LEMER(Model):
    """LE-MER behind the shared model interface; `LEMER(**switches)` with the switches of `LEMERConfig`."""

    info = ModelInfo(
        name="lemer",
        modalities=("text", "speech"),
        description="Label-guided multimodal emotion recognition: TF-IDF keyword and top-frame label embeddings, "
        "label-token/label-frame attention, label alignment constraint on text-speech cross-attention, "
        "label-guided attentive fusion (trained on frozen encoder features)",
        encoders=("text", "speech"),
        citation=CITATION,
    )

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.cfg = LEMERConfig.from_dict(config)
        self.finetuned = None  # finetune=true: the encoders train too (lemer/finetune.py), fit/predict go there
        if self.cfg.finetune:
            from lemer.finetune import FineTunedLEMER

            self.finetuned = FineTunedLEMER(self.cfg)
        self.net: LEMERNet | None = None
        self.placement: tuple[str, str] = ("cpu", "fp32")  # (device, precision) of fit
        self.classes: tuple[str, ...] = ()
        self.history: TrainHistory | None = None
        self.keywords: dict[str, list[str]] = {}
        self.label_inits: dict[str, LabelInit] = {}

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities this instance reads (speech-only instances are transcript-independent)."""
        return _MODALITY_TUPLE[self.cfg.modalities]

    @property
    def requirements(self) -> Requirements:
        if self.finetuned is not None:
            from lemer.finetune import finetune_requirements

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
            if examples and all(e.label in index for e in examples):  # training/validation batches: the mu1..mu3 terms
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
        classes, labels = env.classes, [e.label for e in train]
        text_init = speech_init = None
        if cfg.uses_text:
            if env.embed_words is None:
                env.log("LE-MER: no text encoder to embed keywords (env.embed_words is None): semantic labels random")
            else:
                sem = semantic_init([e.text for e in train], labels, classes, cfg.k_keywords, env.embed_words)  # type: ignore[arg-type]
                if sem.vectors.shape[1] != d_text and not len(sem.missing) == len(classes):
                    raise ValueError(f"env.embed_words gives {sem.vectors.shape[1]}-d vectors, text features are {d_text}-d")
                self.keywords, self.label_inits["text"] = sem.evidence, sem
                text_init = self._fill_missing(sem, d_text, "semantic", env)  # type: ignore[arg-type]
                env.log("LE-MER keywords: " + "; ".join(f"{c}: {' '.join(w)}" for c, w in sem.evidence.items()))
        if cfg.uses_speech:
            frames = [cache[e.uid].speech for e in train]
            ton = tonal_init(frames, labels, classes, cfg.k_frames, cfg.probe_frames_per_utt, env.seed)  # type: ignore[arg-type]
            self.label_inits["speech"] = ton
            speech_init = self._fill_missing(ton, frames[0].shape[1], "tonal", env)  # type: ignore[union-attr]
        return text_init, speech_init

    @staticmethod
    def _fill_missing(init: LabelInit, dim: int, kind: str, env: FitEnv) -> np.ndarray:
        """Random rows (seeded) for classes without keywords/frames in the training fold; logged, never silent."""
        vectors = init.vectors if init.vectors.shape[1] == dim else np.zeros((len(env.classes), dim), np.float32)
        if init.missing:
            env.log(f"LE-MER: no {kind} evidence for {init.missing} in the training fold: random init for those")
            rng = np.random.default_rng(env.seed)
            for c in init.missing:
                vectors[env.classes.index(c)] = rng.standard_normal(dim).astype(np.float32)
        return vectors

    # ---------------------------------------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        with torch_threads(self.cfg.torch_threads):
            if self.finetuned is not None:
                self.history, self.classes = self.finetuned.fit(train, valid, env), tuple(env.classes)
                return
            self._fit(train, valid, env)

    def _fit(self, train: Sequence[Example], valid: Sequence[Example], env: FitEnv) -> None:
        if not train:
            raise ValueError("LE-MER fit: no training examples")
        classes = tuple(env.classes)
        cache = self._prepare(list(train) + list(valid))
        d_text, d_speech = self._dim(cache, "text"), self._dim(cache, "speech")
        text_init, speech_init = self._label_inits(train, cache, env, d_text)
        seed_everything(env.seed)  # before building layers: same seed, same weights
        self.net = LEMERNet(self.cfg, len(classes), d_text, d_speech, text_init, speech_init).to(env.device)
        self.classes = classes
        self.placement = (env.device, env.precision)  # predict() runs where fit() ran
        self.history = fit_module(
            self.net, self._encoder(cache), train, valid, classes, TrainConfig.from_config(self.cfg.to_dict()),
            seed=env.seed, length=self._length(cache), log=env.log, device=env.device, precision=env.precision,
        )

    def diagnostics(self, examples: Sequence[Example], cues: dict[str, dict[str, tuple[float, float]]] | None = None
                    ) -> dict[str, Any] | None:
        """Normalised entropies of Gt, Gs, Al, Ar and (given cue spans) whether the gold class's label attention finds
        them; JSON-able. Input format and the frame-time mapping: `lemer.diagnostics`."""
        from lemer.diagnostics import attention_diagnostics

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
            probs = predict_proba(self.net, self._encoder(cache), examples, length=self._length(cache), device=device,
                                  precision=precision)
        return probs_to_predictions([e.uid for e in examples], probs, self.classes)
