"""Every LE-MER default in one place, each marked as the paper's choice or ours.

The paper (Wang et al., Interspeech 2023, arXiv:2309.02106) fine-tunes BERT-base and wav2vec2-base on
a GPU and does not state the sizes of its fusion layers, the constraint weight or the keyword/frame
counts in any text available offline here. Where the paper is silent we chose values that keep one fit
to a few seconds on a shared 2-core CPU (the demo suite trains LE-MER dozens of times). `SOURCES` below
says, per field, where the value comes from; `describe()` renders the table for docs and reports.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from lemer.core.switches import (
    ConfigError,
    TrainingSwitches,
    check_bool,
    check_choice,
    check_int,
    check_name,
    check_number,
    shared,
)

Modalities = Literal["text", "speech", "both"]
LabelInit = Literal["keywords", "random"]
TextScope = Literal["all", "target"]
FusionAttention = Literal["both", "ar", "al"]

MODALITY_CHOICES = ("text", "speech", "both")
LABEL_INIT_CHOICES = ("keywords", "random")
TEXT_SCOPE_CHOICES = ("all", "target")
FUSION_ATTENTION_CHOICES = ("both", "ar", "al")  # same tuple as lemer.model.fusion's (config must not import torch code)


@dataclass(frozen=True)
class LEMERConfig(TrainingSwitches):
    """The switches of `LEMER(**config)`; unknown keys are an error, never ignored.

    Input and optimisation switches are the ones every model shares (`lemer/core/switches.py`: same names,
    meanings and checks in the baselines); a bad value raises `lemer.core.switches.ConfigError`.
    """

    OWNER = "LE-MER"

    # --- architecture -----------------------------------------------------------------------
    modalities: Modalities = "both"
    use_label_embeddings: bool = True
    use_constraint: bool = True
    fusion_attention: FusionAttention = "both"
    detach_al: bool = False
    d_model: int = 128
    dropout: float = 0.1
    head_hidden: int = 128
    head_dropout: float = 0.2
    # --- label embeddings -------------------------------------------------------------------
    label_init: LabelInit = "keywords"
    k_keywords: int = 10
    k_frames: int = 10
    probe_frames_per_utt: int = 16
    # --- inputs -----------------------------------------------------------------------------
    context_window: int = shared("context_window", 10)
    text_scope: TextScope = "target"
    max_tokens: int = shared("max_tokens", 256)
    speech_pool: int = shared("speech_pool", 2)
    max_frames: int = shared("max_frames", 256)
    # --- loss (equation (9) in lemer/model/fusion.py) ---------------------------------------------
    mu1: float = 1.0  # main cross-entropy
    mu2: float = 0.5  # auxiliary cross-entropy on the label-enhanced text representation
    mu3: float = 0.5  # auxiliary cross-entropy on the label-enhanced speech representation
    mu4: float = 1.0  # attention constraint MSE(Ar, Al) (was `mu`)
    # --- optimisation: lr, weight_decay, max_epochs, patience, batch_size, class_weights, grad_clip,
    # torch_threads come from TrainingSwitches (lemer/core/switches.py), shared with the neural baselines
    # --- encoders (finetune=true: lemer/model/finetune.py) -------------------------------------------
    finetune: bool = False
    text_model: str = "bert-base-uncased"
    speech_model: str = "facebook/wav2vec2-base"
    encoder_lr: float = 2e-5
    warmup_ratio: float = 0.1
    grad_accum: int = 1
    gradient_checkpointing: bool = False
    predict_batch_size: int = 16

    def __post_init__(self) -> None:
        super().__post_init__()  # the shared switches (lemer/core/switches.py)
        owner = self.OWNER
        check_choice(owner, "modalities", self.modalities, MODALITY_CHOICES)
        check_choice(owner, "label_init", self.label_init, LABEL_INIT_CHOICES)
        check_choice(owner, "text_scope", self.text_scope, TEXT_SCOPE_CHOICES)
        check_choice(owner, "fusion_attention", self.fusion_attention, FUSION_ATTENTION_CHOICES)
        if self.fusion_attention == "al" and not self.use_label_embeddings:
            raise ConfigError(f"{owner} config: fusion_attention='al' needs use_label_embeddings=true (Al comes from Gt, Gs)")
        for name in ("d_model", "k_keywords", "k_frames", "probe_frames_per_utt", "head_hidden", "grad_accum",
                     "predict_batch_size"):
            check_int(owner, name, getattr(self, name))
        for name in ("mu1", "mu2", "mu3", "mu4", "dropout", "head_dropout", "encoder_lr"):
            check_number(owner, name, getattr(self, name))
        check_number(owner, "warmup_ratio", self.warmup_ratio, 0.0, 1.0, hi_inclusive=False)
        for name in ("use_label_embeddings", "use_constraint", "detach_al", "finetune", "gradient_checkpointing"):
            check_bool(owner, name, getattr(self, name))
        for name in ("text_model", "speech_model"):
            check_name(owner, name, getattr(self, name))

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> "LEMERConfig":
        """As `Switches.from_dict`, with a pointer for the renamed constraint weight."""
        if "mu" in config:
            raise ConfigError("LE-MER switch 'mu' was renamed 'mu4' (attention-constraint weight); "
                              "mu1..mu3 weight the cross-entropy terms (lemer/model/fusion.py, equation (9))")
        return super().from_dict(config)

    @property
    def uses_text(self) -> bool:
        return self.modalities in ("text", "both")

    @property
    def uses_speech(self) -> bool:
        return self.modalities in ("speech", "both")

    @property
    def effective_fusion_attention(self) -> str:
        """Without label embeddings there is no Al: the fusion reads the speech through Ar alone."""
        return self.fusion_attention if self.use_label_embeddings else "ar"

    @property
    def constraint_active(self) -> bool:
        """The constraint ties text-speech cross-attention to the label alignment: it needs both modalities and labels."""
        return self.use_constraint and self.use_label_embeddings and self.modalities == "both"


# field -> (source, note). "paper" = stated in or implied by the paper's method; "ours" = our choice.
SOURCES: dict[str, tuple[str, str]] = {
    "modalities": ("paper", "text + speech; 'text'/'speech' are the paper's unimodal ablations"),
    "use_label_embeddings": ("paper", "false = the paper's 'w/o label embeddings' models"),
    "use_constraint": ("paper", "attention constraint MSE(Ar, Al)"),
    "fusion_attention": ("paper", "guided fusion reads the speech through Al and Ar together ('both'); 'ar' / 'al' = the "
                         "paper's single-attention-matrix ablation; without label embeddings the fusion uses Ar alone"),
    "detach_al": ("ours", "false = the constraint trains both maps (an MSE between two trainable maps); true = Al is "
                  "a fixed teacher for Ar. Chosen on VALIDATION UA (synthetic IEMOCAP, 5 LOSO folds, seed 0, ~150 "
                  "validation utterances in all): false 0.734, true 0.727, i.e. no measurable difference; false kept "
                  "as the reading closer to the paper. true gives sharper maps (mean test-fold entropies Gs 0.86 vs "
                  "0.95, Al 0.95 vs 0.99, Ar 0.97 vs 1.00): the constraint then stops pulling Gt/Gs toward a flat Ar"),
    "d_model": ("ours", "shared space size; the paper works in BERT/wav2vec2 space (768)"),
    "dropout": ("ours", "after projections"),
    "head_hidden": ("ours", "classifier hidden size"),
    "head_dropout": ("ours", "classifier dropout"),
    "label_init": ("paper", "keywords = TF-IDF keywords / top frames; random = ablation"),
    "k_keywords": ("ours", "top-K TF-IDF keywords per class (paper: top-K, K not given offline)"),
    "k_frames": ("ours", "top-K frames per class (paper: top-K, ranking rule not given)"),
    "probe_frames_per_utt": ("ours", "frames sampled per training utterance for the frame probe"),
    "context_window": ("project", "preceding utterances in the text input; DATASETS.md: LE-MER uses up to 10"),
    "text_scope": ("ours", "'target' = only the target's (context-encoded) tokens are attended; 'all' = context too. "
                   "Measured on synthetic IEMOCAP (5 LOSO folds): text-mode UA 0.447 with 'all' vs 0.560 with "
                   "'target', full model 0.597 vs 0.598"),
    "max_tokens": ("ours", "keep the last N tokens (the target is at the end)"),
    "speech_pool": ("ours", "average-pool frames by 2 (50 -> 25 fps)"),
    "max_frames": ("ours", "pool harder when longer, so a clip is never truncated"),
    "mu1": ("our reading", "weight of the main cross-entropy (paper: weights mu1..mu4, values and roles not given "
            "offline; the assignment of each mu to a term is ours, lemer/model/fusion.py eq. (9))"),
    "mu2": ("our reading", "weight of a label-SPECIFIC auxiliary cross-entropy on the text branch (logit_c from R_t[c] alone, so label c must "
            "find class c's tokens); 0.5 ours: on a planted-cue test problem it lifted the gold label's peak-on-cue share "
            "from ~0.3 to ~0.75 (chance 0.08), the main classifier alone does not tie label c to class c. On VALIDATION UA "
            "(synthetic IEMOCAP, 5 LOSO folds, seed 0) mu2 = mu3 = 0.5 gave 0.734, 0 gave 0.739: no measurable difference"),
    "mu3": ("our reading", "as mu2, for the speech branch (R_s, label-frame attention); 0.5 ours"),
    "mu4": ("our reading", "weight of the attention constraint (formerly `mu`); value ours, not given offline"),
    "lr": ("ours", "AdamW; the paper fine-tunes encoders, we train only the fusion on frozen features"),
    "weight_decay": ("ours", "AdamW"),
    "max_epochs": ("ours", "early stopping on the fold's validation UA"),
    "patience": ("ours", "epochs without validation-UA gain"),
    "batch_size": ("ours", ""),
    "class_weights": ("ours", "plain cross-entropy by default"),
    "grad_clip": ("ours", "gradient-norm clipping"),
    "torch_threads": ("ours", "intra-op threads during fit/predict (restored after): 1 is fastest on a shared CPU"),
    "finetune": ("paper", ("true = the paper's setting: raw text and audio through text_model and speech_model, "
                           "trained end to end with the label mechanism (lemer/model/finetune.py); false = fusion on "
                           "cached features")),
    "text_model": ("paper", "BERT-family encoder fine-tuned when finetune=true (name or local path)"),
    "speech_model": ("paper", ("wav2vec2-family encoder (wav2vec2, HuBERT, WavLM) fine-tuned when finetune=true; "
                               "its CNN feature extractor stays frozen")),
    "encoder_lr": ("ours", ("AdamW lr of both encoders (lr is the head's); the usual BERT/wav2vec2 fine-tuning "
                            "range, the paper's value is not available offline")),
    "warmup_ratio": ("ours", "fraction of the planned updates with a linear lr warm-up, then linear decay (finetune)"),
    "grad_accum": ("ours", "micro-batches per update in finetune mode: batch_size stays the examples per update"),
    "gradient_checkpointing": ("ours", "recompute encoder activations in backward: less memory, ~30% more time"),
    "predict_batch_size": ("ours", "examples per forward pass at validation/prediction time in finetune mode"),
}


def describe() -> str:
    """A markdown table of the defaults and where each comes from."""
    rows = ["| switch | default | source | note |", "|---|---|---|---|"]
    for f in fields(LEMERConfig):
        source, note = SOURCES[f.name]
        rows.append(f"| `{f.name}` | `{f.default!r}` | {source} | {note} |")
    return "\n".join(rows)
