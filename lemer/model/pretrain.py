"""Second-stage pre-training of a wav2vec 2.0 speech encoder on ONE fold's training audio (the summary's "second-stage
pre-training of wav2vec 2.0 on the training set"; tier: summary, a hint, not evidence: the paper's own recipe,
steps and data are not reachable).

`pretrain_for_training_set(clips, load_audio, base_model, settings, cache_dir) -> Path` continues the base model's
own self-supervised objective (transformers' `Wav2Vec2ForPreTraining`: contrastive loss over masked time steps
against quantised targets and sampled distractors, plus the codebook diversity loss; masks and distractors from
`_compute_mask_indices` / `_sample_negative_indices` of transformers' wav2vec2 modeling module) on `clips` only, and
saves the result with `save_pretrained` in a folder that `LEMER(finetune=true, speech_model=<that folder>)` loads like
any wav2vec2 checkpoint (`AutoModel` reads the encoder and ignores the pre-training heads).

LEAKAGE: give it the TRAINING clips of one fold, never a validation or a test speaker's audio. Pre-training on all of
IEMOCAP (the easy reading of "the training set") would let the encoder adapt to the test speakers' voices and
recordings before they are tested, the same leak as a speaker-dependent split. The harness calls this once per fold
with that fold's training clips; the CLI (`lemer-bench pretrain`, benchmarks/cli/pretrain.py) takes a fold's train
split and reads nothing else.

Cache: the output folder is named by a hash of (the sorted content hashes of the clips, the base model's weight and
config files, the identity part of `PretrainSettings`, this module's FORMAT), so the same training set, base and
settings give the same folder and a second call computes nothing (the clip files are hashed, not decoded). The
folder is built under a temporary name in `cache_dir` and renamed into place when complete (a crash leaves only a
`.tmp-*` folder, cleared by a later call), so a reader never sees a half-written checkpoint. `device` and
`precision` are not part of the identity (as everywhere in this project: lemer/core/devices.py).

Only wav2vec2 models have a pre-training head in transformers; HuBERT and WavLM (whose objectives need k-means or
teacher targets) are refused with that reason.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from lemer.core.atomic import write_json_atomic
from lemer.core.devices import autocast
from lemer.core.errors import InputError
from lemer.core.pretrained import resolve_pretrained
from lemer.core.seeding import seed_everything
from lemer.model.encoders import normalize_audio, uses_attention_mask

FORMAT = 1
MANIFEST = "lemer_pretrain.json"
PREPROCESSOR = "preprocessor_config.json"
SAMPLE_RATE = 16000
AudioLoader = Callable[[str], np.ndarray]


@dataclass(frozen=True)
class PretrainSettings:
    """Switches of the continued pre-training; `PRETRAIN_SOURCES` says where each default comes from."""

    steps: int = 2000
    lr: float = 5e-5
    batch_size: int = 8
    mask_prob: float = 0.65
    mask_length: int = 10
    max_seconds: float = 5.0
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_gumbel_temperature: float = 2.0
    min_gumbel_temperature: float = 0.5
    gumbel_temperature_decay: float = 0.999995
    grad_clip: float = 1.0
    freeze_feature_encoder: bool = False
    seed: int = 0
    device: str = "cpu"
    precision: str = "fp32"

    NOT_IDENTITY = ("device", "precision")  # a class attribute (not annotated): no dataclass field

    def __post_init__(self) -> None:
        def bad(name: str, want: str) -> ValueError:
            return ValueError(f"pre-training setting {name}={getattr(self, name)!r}: expected {want}")

        for name in ("steps", "batch_size", "mask_length"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise bad(name, "an integer >= 1")
        for name in ("warmup_steps", "seed"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise bad(name, "an integer >= 0")
        for name in ("lr", "max_seconds", "max_gumbel_temperature", "min_gumbel_temperature", "grad_clip"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not np.isfinite(v) or v <= 0:
                raise bad(name, "a number > 0")
        if not 0.0 < self.mask_prob <= 1.0:
            raise bad("mask_prob", "a number in (0, 1]")
        if not 0.0 < self.gumbel_temperature_decay <= 1.0:
            raise bad("gumbel_temperature_decay", "a number in (0, 1]")
        if not isinstance(self.weight_decay, (int, float)) or self.weight_decay < 0:
            raise bad("weight_decay", "a number >= 0")
        if not isinstance(self.freeze_feature_encoder, bool):
            raise bad("freeze_feature_encoder", "true or false")
        if self.precision not in ("fp32", "bf16"):
            raise bad("precision", "fp32 or bf16")

    def identity(self) -> dict[str, Any]:
        """The settings that change the checkpoint (everything but where and at which precision it ran)."""
        return {k: v for k, v in asdict(self).items() if k not in self.NOT_IDENTITY}


# setting -> (tier, where the default comes from). Tiers as in lemer/model/config.py.
PRETRAIN_SOURCES: dict[str, tuple[str, str]] = {
    "steps": ("ours", "updates; not measured: ~3.6 passes over a 4.4k-clip IEMOCAP training fold at batch 8 "
              "(transformers' pre-training example runs 3 epochs by default)"),
    "lr": ("ours", "transformers' pre-training example's default (5e-5), for continuing from a pre-trained "
           "checkpoint (from scratch the wav2vec 2.0 base recipe uses 5e-4 with 32k warm-up updates)"),
    "batch_size": ("ours", "clips per update: transformers' pre-training example's per-device default (8)"),
    "mask_prob": ("ours", "wav2vec 2.0 paper / fairseq base recipe: p = 0.065 of the time steps start a span, in "
                  "transformers' convention mask_prob = p x M = 0.65 (~49% of the steps masked after overlaps)"),
    "mask_length": ("ours", "wav2vec 2.0 paper: spans of M = 10 time steps"),
    "max_seconds": ("ours", "each clip is cut to a random window of at most this many seconds (the example keeps "
                    "clips of 3-5 s; cutting instead of dropping uses every training clip)"),
    "warmup_steps": ("ours", "transformers' pre-training example's default (0), then linear decay to 0"),
    "weight_decay": ("ours", "transformers' pre-training example's default (0)"),
    "max_gumbel_temperature": ("ours", "wav2vec 2.0 paper / transformers' example: Gumbel softmax temperature 2 "
                               "annealed to 0.5 by a factor 0.999995 per update"),
    "min_gumbel_temperature": ("ours", "as max_gumbel_temperature"),
    "gumbel_temperature_decay": ("ours", "as max_gumbel_temperature"),
    "grad_clip": ("ours", "gradient-norm clipping at 1 (as lemer/core/training.py); not measured"),
    "freeze_feature_encoder": ("ours", "false: the CNN feature encoder trains too, as in the example (LE-MER's "
                               "fine-tuning freezes it afterwards)"),
    "seed": ("ours", "seeds batch order, crops, masks, distractors, dropout and Gumbel noise"),
    "device": ("ours", "where it runs; not part of the cache key"),
    "precision": ("ours", "fp32 or bf16 autocast (GPU); not part of the cache key"),
}


class PretrainUnsupported(InputError):
    """The base model has no self-supervised pre-training head in transformers."""


def file_hash(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes (clips are hashed as stored: decoding is not needed to know they are the same)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_hash(directory: Path) -> str:
    """sha256 over a model folder's config and weight files (name and content), sorted by name."""
    h = hashlib.sha256()
    files = sorted(p for p in directory.iterdir() if p.is_file() and (
        p.name == "config.json" or p.suffix in (".safetensors", ".bin") or p.name.endswith(".index.json")))
    for p in files:
        h.update(p.name.encode() + b"\0" + file_hash(p).encode() + b"\0")
    return h.hexdigest()


def cache_key(clip_hashes: Sequence[str], base_hash: str, settings: PretrainSettings) -> str:
    """The training set's content hash: sorted clip hashes + base weights + settings (+ FORMAT)."""
    doc = {"format": FORMAT, "clips": sorted(clip_hashes), "base": base_hash, "settings": settings.identity()}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _valid(folder: Path, key: str) -> bool:
    try:
        return json.loads((folder / MANIFEST).read_text())["key"] == key
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _remove_stale_temps(cache_dir: Path) -> None:
    """Temp folders of writers that are no longer alive (`.tmp-<key>-<pid>`)."""
    for p in cache_dir.glob(".tmp-*"):
        pid = p.name.rpartition("-")[2]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # still writing
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        shutil.rmtree(p, ignore_errors=True)


def pretrain_for_training_set(clips: Sequence[str], load_audio: AudioLoader, base_model: str,
                              settings: PretrainSettings | None = None, cache_dir: str | os.PathLike[str] = ".",
                              log: Callable[[str], None] = lambda msg: None) -> Path:
    """The folder of `base_model` pre-trained further on `clips` (a fold's TRAINING clips only: module docstring).

    Reused when the same clips (by content), base weights and settings were pre-trained before in `cache_dir`;
    otherwise computed, saved under a temporary name and renamed into place. `load_audio(path)` decodes a clip to
    float32 mono at 16 kHz (the harness's reader); it is called for the given clips only."""

    settings = settings or PretrainSettings()
    if not clips:
        raise ValueError("second-stage pre-training needs at least one training clip")
    base_dir = resolve_pretrained(base_model)
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    key = cache_key([file_hash(c) for c in clips], model_hash(base_dir), settings)
    final = cache / f"wav2vec2-pt-{key[:20]}"
    if _valid(final, key):
        log(f"pre-training: reusing {final} ({len(clips)} clips, same content, base and settings)")
        return final
    _remove_stale_temps(cache)
    tmp = cache / f".tmp-{key[:20]}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        record = _pretrain(list(clips), load_audio, base_dir, settings, tmp, log)
        record.update({"format": FORMAT, "key": key, "base_model": base_model, "base_hash": model_hash(base_dir),
                       "settings": asdict(settings), "n_clips": len(clips)})

        write_json_atomic(tmp / MANIFEST, record)
        if final.exists():  # another writer finished first, or a folder without a valid manifest
            if _valid(final, key):
                shutil.rmtree(tmp, ignore_errors=True)
                return final
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"pre-training: wrote {final}")
    return final


def _pretrain(clips: list[str], load_audio: AudioLoader, base_dir: Path, settings: PretrainSettings, out: Path,
              log: Callable[[str], None]) -> dict[str, Any]:
    """Run the updates and save the model (and the base's preprocessor config) into `out`; returns the record."""
    import torch  # torch and transformers here: the settings above are read by the CLI's help, without them
    from transformers import AutoConfig, Wav2Vec2ForPreTraining  # heavy optional dependency
    from transformers.models.wav2vec2.modeling_wav2vec2 import (  # heavy optional dependency
        _compute_mask_indices,
        _sample_negative_indices,
    )
    from transformers.utils import logging as hf_logging  # (transformers: heavy, optional)


    hf_logging.disable_progress_bar()
    config = AutoConfig.from_pretrained(str(base_dir))
    if config.model_type != "wav2vec2":
        raise PretrainUnsupported(
            f"{base_dir}: model type {config.model_type!r} has no self-supervised pre-training head in transformers "
            "(only wav2vec2 has one, Wav2Vec2ForPreTraining); HuBERT / WavLM objectives need k-means or teacher targets")
    seed_everything(settings.seed)  # numpy's global generator drives _compute_mask_indices / _sample_negative_indices
    rng = np.random.default_rng(settings.seed)
    model = Wav2Vec2ForPreTraining.from_pretrained(str(base_dir))
    if settings.freeze_feature_encoder:
        model.freeze_feature_encoder()
    device = torch.device(settings.device)
    model.to(device).train()
    model.set_gumbel_temperature(settings.max_gumbel_temperature)
    normalize = True
    if (base_dir / PREPROCESSOR).is_file():
        normalize = bool(json.loads((base_dir / PREPROCESSOR).read_text()).get("do_normalize", True))
    pass_mask = uses_attention_mask(model.wav2vec2)
    min_frames = max(settings.mask_length, 2)
    max_samples = int(settings.max_seconds * SAMPLE_RATE)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    warm, total = settings.warmup_steps, settings.steps
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (total - s) / max(1, total - warm)))

    too_short: set[str] = set()
    order: list[int] = []
    losses: list[float] = []
    contrastive: list[float] = []
    diversity: list[float] = []
    started = time.perf_counter()
    step = 0
    while step < settings.steps:
        batch_clips: list[np.ndarray] = []
        while len(batch_clips) < settings.batch_size:
            if not order:
                order = list(rng.permutation(len(clips)))
                if len(too_short) == len(clips):
                    raise ValueError(f"every one of the {len(clips)} clips is shorter than {min_frames} encoder frames "
                                     f"(mask_length={settings.mask_length}): nothing to pre-train on")
            path = clips[order.pop()]
            if path in too_short:
                continue
            x = np.asarray(load_audio(path), dtype=np.float32)
            if normalize:
                x = normalize_audio(x)
            if len(x) > max_samples:
                start = int(rng.integers(0, len(x) - max_samples + 1))
                x = x[start:start + max_samples]
            if int(model._get_feat_extract_output_lengths(torch.tensor(len(x)))) < min_frames:
                too_short.add(path)
                continue
            batch_clips.append(x)
        n = torch.tensor([len(x) for x in batch_clips])
        audio = torch.zeros((len(batch_clips), int(n.max())))
        mask = torch.zeros(audio.shape, dtype=torch.long)
        for i, x in enumerate(batch_clips):
            audio[i, : len(x)] = torch.from_numpy(x)
            mask[i, : len(x)] = 1
        seq_len = int(model._get_feat_extract_output_lengths(torch.tensor(audio.shape[1])))
        frame_mask = model._get_feature_vector_attention_mask(seq_len, mask)
        masked = _compute_mask_indices((len(batch_clips), seq_len), settings.mask_prob, settings.mask_length,
                                       attention_mask=frame_mask, min_masks=2)
        negatives = _sample_negative_indices((len(batch_clips), seq_len), model.config.num_negatives,
                                             mask_time_indices=masked)
        masked_t = torch.tensor(masked, dtype=torch.bool, device=device)
        kwargs = {"attention_mask": mask.to(device)} if pass_mask else {}
        with autocast(device, settings.precision):
            res = model(audio.to(device), mask_time_indices=masked_t,
                        sampled_negative_indices=torch.tensor(negatives, dtype=torch.long, device=device), **kwargs)
        n_masked = masked_t.sum().clamp(min=1)
        loss = res.loss.float() / n_masked  # transformers' example divides by the number of masked steps too
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
        opt.step()
        sched.step()
        step += 1
        model.set_gumbel_temperature(max(settings.max_gumbel_temperature * settings.gumbel_temperature_decay ** step,
                                         settings.min_gumbel_temperature))
        losses.append(float(loss.detach()))
        contrastive.append(float(res.contrastive_loss.detach().float() / n_masked))
        diversity.append(float(res.diversity_loss.detach().float() / n_masked))
        if step == 1 or step % 100 == 0 or step == settings.steps:
            log(f"pre-training step {step}/{settings.steps}: loss {losses[-1]:.4f} "
                f"(contrastive {contrastive[-1]:.4f}, diversity {diversity[-1]:.4f})")
    model.save_pretrained(str(out))
    if (base_dir / PREPROCESSOR).is_file():
        shutil.copy2(base_dir / PREPROCESSOR, out / PREPROCESSOR)
    return {"steps": step, "loss": losses, "contrastive_loss": contrastive, "diversity_loss": diversity,
            "n_clips_too_short": len(too_short), "seconds": round(time.perf_counter() - started, 3),
            "settings_sources": {f.name: PRETRAIN_SOURCES[f.name][0] for f in fields(PretrainSettings)}}


__all__ = ["PretrainSettings", "PRETRAIN_SOURCES", "PretrainUnsupported", "pretrain_for_training_set", "cache_key",
           "file_hash", "model_hash"]
