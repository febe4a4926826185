"""The device path: spec parsing, bf16 only on GPU, the result record, device outside the run identity,
and the fine-tuning step plan (gradient accumulation equals one big batch; warm-up then decay)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from benchmarks.runtime import configure_run
from lemer.core.contract import Example
from lemer.core.devices import (
    DeviceError,
    autocast,
    precision_for,
    resolve_device,
    to_device,
)
from lemer.core.training import StepPlan, TrainConfig, _lr_lambda, fit_module


@pytest.mark.parametrize("spec", ["gpu", "cuda:", "CPU", "cuda:x", "", "auto "])
def test_malformed_device_specs_are_refused(spec: str) -> None:
    with pytest.raises(DeviceError, match="auto, cpu, cuda or cuda:N"):
        resolve_device(spec)


def test_auto_and_cpu_resolve_and_cpu_stays_fp32() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert precision_for("cpu") == "fp32"
    with autocast("cpu", "fp32"):
        assert not torch.is_autocast_enabled("cpu")
    with pytest.raises(DeviceError), autocast("cpu", "fp16"):
        pass
    batch = to_device({"x": torch.ones(2), "n": 3}, "cpu")  # type: ignore[dict-item]
    assert batch["n"] == 3 and batch["x"].device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_cuda_without_a_gpu_says_so() -> None:
    with pytest.raises(DeviceError, match="torch sees no GPU"):
        resolve_device("cuda:0")


def test_result_record_names_device_and_precision() -> None:
    rec = configure_run(0, None, "cpu")
    assert (rec["device"], rec["device_name"], rec["precision"]) == ("cpu", "cpu", "fp32")


def test_device_is_recorded_but_not_part_of_the_run_identity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A grid run with --device cpu is complete for --device auto: the second run skips everything."""
    from benchmarks.cli import main
    from tests.support.corpora import iemocap_tree

    corpus = iemocap_tree(tmp_path / "c", sessions=3, per_speaker=4)
    suite = tmp_path / "s.toml"
    suite.write_text('name = "d"\nseeds = [0]\nmodels = ["majority"]\ntranscripts = ["gold"]\nmax_folds = 1\n'
                     '[[corpora]]\nname = "iemocap"\nprotocol = "loso"\nlabel_map = "iemocap-4"\n')
    common = ["run", "--suite", str(suite), "--corpus", f"iemocap={corpus}", "--out", str(tmp_path / "runs"), "--no-progress"]
    assert main([*common, "--device", "cpu"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main([*common, "--device", "auto"]) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["runs_done"] == 1 and second["runs_skipped"] == 1 and second["runs_done"] == 0
    (result,) = (tmp_path / "runs").rglob("result.json")
    assert json.loads(result.read_text())["runtime"]["device"] == "cpu"


class _Linear(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, None]:
        return self.lin(batch["x"]), None


def _fit(plan: StepPlan | None) -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((8, 3)).astype(np.float32)
    examples = [Example(uid=f"u{i}", label="ab"[i % 2], text="", audio="") for i in range(8)]
    index = {e.uid: i for i, e in enumerate(examples)}
    torch.manual_seed(0)
    module = _Linear()
    encode = lambda ex: {"x": torch.from_numpy(xs[[index[e.uid] for e in ex]])}
    cfg = TrainConfig(lr=0.1, weight_decay=0.0, max_epochs=3, batch_size=8, grad_clip=0.0)
    fit_module(module, encode, examples, [], ("a", "b"), cfg, seed=0, plan=plan)
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_gradient_accumulation_equals_one_big_batch() -> None:
    one, four = _fit(None), _fit(StepPlan(grad_accum=4))
    for k in one:
        torch.testing.assert_close(one[k], four[k], rtol=1e-5, atol=1e-6)


def test_warmup_rises_linearly_then_decays_to_zero() -> None:
    f = _lr_lambda(total_steps=10, warmup_ratio=0.2)
    assert [round(f(s), 3) for s in range(10)] == [0.5, 1.0, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]
    assert _lr_lambda(10, 0.0)(0) == 1.0


def test_ctranslate2_engines_get_the_device() -> None:
    """The Whisper encoder and Whisper ASR (CTranslate2) take the run's device; pocketsphinx stays on the CPU."""
    import ctranslate2

    from benchmarks.features.spec import EncoderSpec
    from benchmarks.features.whisper import ct2_device
    from benchmarks.transcripts import get_source

    assert ct2_device("cpu") == ("cpu", 0)
    gpus = ctranslate2.get_cuda_device_count()
    assert ct2_device("auto") == (("cuda", 0) if gpus else ("cpu", 0))
    if not gpus:
        with pytest.raises(ValueError, match="CTranslate2 sees 0 GPU"):
            ct2_device("cuda:0")
    assert get_source("asr:whisper-tiny.en", device="auto").device == "auto"  # type: ignore[attr-defined]
    assert get_source("asr:pocketsphinx", device="auto") is not None
    assert EncoderSpec.parse("default", "speech").build(device="auto").device == "auto"  # type: ignore[attr-defined]


def test_neural_baselines_train_under_the_envs_precision() -> None:
    """bf16 autocast (the GPU precision) through a feature baseline on the CPU: finite, normalised output."""
    from baselines.fusion import EarlyFusion
    from lemer.core.contract import FitEnv
    from tests.support.lemer import CLASSES, make_examples, unlabelled

    model = EarlyFusion(max_epochs=2)
    model.fit(make_examples(24, 0), make_examples(8, 1, "v"), FitEnv(classes=CLASSES, seed=0, precision="bf16"))
    assert model.placement == ("cpu", "bf16")
    probs = model.predict_probs(unlabelled(make_examples(8, 2, "t")))
    assert np.isfinite(probs).all() and np.allclose(probs.sum(1), 1.0, atol=1e-5)
