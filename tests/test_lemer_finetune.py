"""LE-MER with `finetune=true` on tiny randomly initialised BERT and wav2vec2 models (CPU, no network):
the whole model runs forward and backward, gradients reach both encoders but not wav2vec2's frozen CNN,
one epoch on a tiny corpus is deterministic per seed, missing weights fail with a way to fix it, and a
grid run records device and precision."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from dataset_adapters.audio import read_audio
from lemer.core.contract import Example, FitEnv
from lemer.core.inputs import pool_frames
from lemer.core.pretrained import PretrainedUnavailable, resolve_pretrained
from lemer.core.switches import ConfigError
from lemer.model import LEMER
from lemer.model.finetune import EndToEndLEMER, pool_clip_frames, text_rows
from tests.support.models import make_tiny_bert, make_tiny_wav2vec2

CLASSES = ("neu", "hap", "ang", "sad")
WORDS = {"neu": "okay", "hap": "wonderful", "ang": "furious", "sad": "tears"}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("models")
    return str(make_tiny_bert(root)), str(make_tiny_wav2vec2(root))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Example]:
    """24 short clips (0.2-0.5 s, a class-specific tone in noise) with a cue word and one context utterance."""
    root = tmp_path_factory.mktemp("clips")
    rng = np.random.default_rng(0)
    out = []
    for i in range(24):
        label = CLASSES[i % 4]
        n = int(16000 * rng.uniform(0.2, 0.5))
        t = np.arange(n) / 16000
        wave = 0.3 * np.sin(2 * np.pi * (150 + 100 * (i % 4)) * t) + 0.01 * rng.standard_normal(n)
        path = root / f"u{i:02d}.wav"
        sf.write(str(path), wave.astype(np.float32), 16000, subtype="PCM_16")
        text = "" if i == 5 else f"well I think {WORDS[label]}"
        out.append(Example(uid=f"u{i:02d}", label=label, text=text, audio=str(path), speaker=f"s{i % 3}",
                           context_text=("hello so",)))
    return out


def _model(models: tuple[str, str], **extra: object) -> LEMER:
    config = {"max_epochs": 1, "batch_size": 8, "context_window": 2, "k_keywords": 2, "k_frames": 2, **extra}
    return LEMER(finetune=True, text_model=models[0], speech_model=models[1], **config)


def _env(seed: int = 0) -> FitEnv:
    return FitEnv(classes=CLASSES, seed=seed, load_audio=read_audio)


def test_requirements_ask_for_raw_inputs_and_name_the_weights(models: tuple[str, str]) -> None:
    req = _model(models).requirements
    assert not req.text_features and not req.speech_features
    assert req.text_context == 2 and req.pretrained == models
    assert _model(models, modalities="speech").requirements.pretrained == (models[1],)


def test_gradients_reach_both_encoders_but_not_the_frozen_cnn(models: tuple[str, str], corpus: list[Example]) -> None:
    model = _model(models)
    model.fit(corpus[:16], corpus[16:20], _env())
    ft = model.finetuned
    assert ft is not None and isinstance(ft.net, EndToEndLEMER)
    net = ft.net
    net.train()
    net.zero_grad()
    rows = {e.uid: ft._rows(e) for e in corpus[:8]}
    logits, aux = net(ft._encoder(rows)(corpus[:8]))
    assert logits.shape == (8, 4) and aux is not None
    (torch.nn.functional.cross_entropy(logits, torch.tensor([i % 4 for i in range(8)])) + aux).backward()
    text_grads = [p.grad for p in net.text_encoder.parameters() if p.grad is not None]
    assert text_grads and any(float(g.abs().sum()) > 0 for g in text_grads)
    speech = net.speech_encoder
    cnn = list(speech.feature_extractor.parameters())
    assert cnn and all(not p.requires_grad and p.grad is None for p in cnn)
    layers = [p.grad for p in speech.encoder.parameters() if p.grad is not None]
    assert layers and any(float(g.abs().sum()) > 0 for g in layers)
    head_labels = [net.head.labels_t.grad, net.head.labels_s.grad]
    assert all(g is not None and float(g.abs().sum()) > 0 for g in head_labels)


def test_one_epoch_is_deterministic_per_seed_and_predicts_every_test_example(
        models: tuple[str, str], corpus: list[Example]) -> None:
    train, valid = corpus[:16], corpus[16:20]
    test = [Example(uid=e.uid, label=None, text=e.text, audio=e.audio, context_text=e.context_text) for e in corpus[20:]]

    def run(seed: int) -> tuple[np.ndarray, LEMER]:
        m = _model(models)
        m.fit(train, valid, _env(seed))
        preds = m.predict(test)
        assert [p.uid for p in preds] == [e.uid for e in test]
        return np.array([[p.probs[c] for c in CLASSES] for p in preds]), m

    a, m = run(0)
    b, _ = run(0)
    c, _ = run(1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert np.allclose(a.sum(1), 1.0)
    assert m.history is not None and m.history.epochs_run == 1 and len(m.history.valid_ua) == 1
    assert m.finetuned is not None and set(m.finetuned.keywords) <= set(CLASSES)


def test_label_embeddings_come_from_the_training_fold_only(models: tuple[str, str], corpus: list[Example]) -> None:
    """Keywords are the training examples' words; a class absent from training gets a random (logged) row."""
    lines: list[str] = []
    train = [e for e in corpus[:16] if e.label != "sad"]
    m = _model(models)
    m.fit(train, corpus[16:20], FitEnv(classes=CLASSES, seed=0, load_audio=read_audio, log=lines.append))
    assert m.finetuned is not None
    kw = m.finetuned.keywords
    assert "tears" not in {w for ws in kw.values() for w in ws}
    assert any("no semantic evidence for ['sad']" in line for line in lines)
    assert any("no tonal evidence for ['sad']" in line for line in lines)


def test_text_rows_select_the_target_or_the_last_tokens() -> None:
    ids = tuple(range(10))  # [CLS] c c c [SEP] t t t [SEP] ... : target span (5, 8)
    r = text_rows(ids, (5, 8), "target", 256)
    assert r.rows == (5, 8) and r.span == (0, 3)
    r = text_rows(ids, (5, 8), "target", 2)
    assert r.rows == (6, 8) and r.span == (0, 2)
    r = text_rows(ids, (5, 5), "target", 256)  # empty target: its closing [SEP]
    assert r.rows == (5, 6) and r.span == (0, 1)
    r = text_rows(ids, (5, 8), "all", 4)
    assert r.rows == (6, 10) and r.span == (0, 2)


@pytest.mark.parametrize(("n", "pool", "max_frames"), [(1, 2, 256), (7, 2, 256), (9, 1, 4), (50, 2, 8), (6, 3, 256)])
def test_torch_pooling_equals_the_frozen_modes_pooling(n: int, pool: int, max_frames: int) -> None:
    x = np.random.default_rng(n).standard_normal((n, 5)).astype(np.float32)
    got = pool_clip_frames(torch.from_numpy(x), pool, max_frames).numpy()
    np.testing.assert_allclose(got, pool_frames(x, pool, max_frames), rtol=1e-6, atol=1e-6)


def test_missing_weights_say_how_to_point_at_a_local_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          models: tuple[str, str]) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(PretrainedUnavailable, match=r"not available on this machine.*LEMER_MODELS_DIR/bert-base-uncased"):
        resolve_pretrained("bert-base-uncased")
    with pytest.raises(PretrainedUnavailable, match="not a directory"):
        resolve_pretrained(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(PretrainedUnavailable, match="lacks config.json or weights"):
        resolve_pretrained(str(tmp_path / "empty"))
    # $LEMER_MODELS_DIR/<hub name> is found by the hub name
    (tmp_path / "dir" / "org").mkdir(parents=True)
    (tmp_path / "dir" / "org" / "tiny").symlink_to(models[0])
    monkeypatch.setenv("LEMER_MODELS_DIR", str(tmp_path / "dir"))
    assert resolve_pretrained("org/tiny") == Path(models[0]).resolve()


def test_grid_run_records_device_and_preflight_stops_on_missing_weights(
        tmp_path: Path, models: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli import main
    from tests.support.corpora import iemocap_tree

    corpus = iemocap_tree(tmp_path / "corpus", sessions=3, per_speaker=4)
    body = f"""
name = "ft"
seeds = [0]
models = ["lemer"]
transcripts = ["gold"]
max_folds = 1

[model_config.lemer]
finetune = true
text_model = "{models[0]}"
speech_model = "{{speech}}"
max_epochs = 1
batch_size = 8
context_window = 2

[[corpora]]
name = "iemocap"
protocol = "loso"
label_map = "iemocap-4"
"""
    args = ["--corpus", f"iemocap={corpus}", "--cache", str(tmp_path / "cache"), "--no-progress", "--device", "auto"]
    missing = tmp_path / "missing.toml"
    missing.write_text(body.replace("{speech}", str(tmp_path / "no-such-wav2vec2")))
    assert main(["run", "--suite", str(missing), "--out", str(tmp_path / "runs0"), *args]) == 2
    err = capsys.readouterr().err
    assert "pretrained model(s) missing on this machine" in err and "nothing was run" in err and "no-such-wav2vec2" in err and "lemer" in err
    assert not (tmp_path / "runs0").exists() or not list((tmp_path / "runs0").rglob("result.json"))

    good = tmp_path / "good.toml"
    good.write_text(body.replace("{speech}", models[1]))
    code = main(["run", "--suite", str(good), "--out", str(tmp_path / "runs"), *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (result,) = list((tmp_path / "runs").rglob("result.json"))
    record = json.loads(result.read_text())
    assert record["runtime"]["device"] == ("cuda:0" if torch.cuda.is_available() else "cpu")
    assert record["runtime"]["precision"] in ("fp32", "bf16")
    assert record["run"]["model_config"]["finetune"] is True
    assert record["run"]["encoders"] == []  # no cached features: the encoders are in the model config


def test_device_flag_is_checked_before_the_grid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.cli import main

    assert main(["run", "--suite", "demo", "--device", "tpu", "--out", str(tmp_path)]) == 2
    assert "--device must be auto, cpu, cuda or cuda:N" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["run", "--suite", "demo", "--device", "cuda:0", "--out", str(tmp_path)]) == 2
        assert "torch sees no GPU" in capsys.readouterr().err


def test_layer_norm_encoders_get_an_attention_mask_and_checkpointing_trains_the_same(
        tmp_path: Path, models: tuple[str, str], corpus: list[Example]) -> None:
    """WavLM/large-style (layer-norm) speech encoders read the padding mask; gradient checkpointing
    recomputes activations without changing the result."""
    from lemer.model.encoders import load_speech_encoder, uses_attention_mask

    layer = str(make_tiny_wav2vec2(tmp_path, norm="layer"))
    enc, _ = load_speech_encoder(layer)
    assert uses_attention_mask(enc)
    test = [Example(uid=e.uid, label=None, text=e.text, audio=e.audio, context_text=e.context_text) for e in corpus[20:]]
    probs = []
    for ckpt in (False, True):
        m = LEMER(finetune=True, text_model=models[0], speech_model=layer, max_epochs=1, batch_size=8,
                  gradient_checkpointing=ckpt, dropout=0.0, head_dropout=0.0)
        m.fit(corpus[:12], corpus[12:16], _env())
        probs.append(np.array([[p.probs[c] for c in CLASSES] for p in m.predict(test)]))
    np.testing.assert_allclose(probs[0], probs[1], rtol=1e-4, atol=1e-5)


def test_preflight_lists_the_paper_suites_weights_per_model() -> None:
    """The `paper` suite needs BERT-base and wav2vec2-base: fine-tuned by every LE-MER variant and, as the
    suite's [encoders], read as frozen features by the baselines (listed as `<model> (<role> features)`)."""
    from benchmarks.run.preflight import pretrained_needed
    from benchmarks.suite import load_suite

    needed = pretrained_needed(load_suite("paper"))
    assert set(needed) == {"bert-base-uncased", "facebook/wav2vec2-base"}
    for name in needed:
        assert {"lemer", "lemer-no-constraint", "lemer-no-labels"} <= set(needed[name])
    assert "text-only (text features)" in needed["bert-base-uncased"]
    assert "speech-only (speech features)" in needed["facebook/wav2vec2-base"]
    assert not any("speech-only" in m for m in needed["bert-base-uncased"])
    assert not any(m.startswith(("majority", "tfidf-lr", "acoustic-lr")) for ms in needed.values() for m in ms)
    assert pretrained_needed(load_suite("paper"), only_models=["majority"]) == {}


def test_bf16_autocast_path_runs_end_to_end(models: tuple[str, str], corpus: list[Example]) -> None:
    """The GPU precision (bf16 autocast) exercised on the CPU, where torch supports it too: no dtype clash
    between encoders, pooling and head; probabilities finite and normalised."""
    m = _model(models)
    m.fit(corpus[:12], corpus[12:16], FitEnv(classes=CLASSES, seed=0, load_audio=read_audio, precision="bf16"))
    test = [Example(uid=e.uid, label=None, text=e.text, audio=e.audio, context_text=e.context_text) for e in corpus[20:]]
    probs = np.array([[p.probs[c] for c in CLASSES] for p in m.predict(test)])
    assert np.isfinite(probs).all() and np.allclose(probs.sum(1), 1.0, atol=1e-5)


def test_training_moves_the_encoders_but_not_the_cnn_and_lowers_the_loss(models: tuple[str, str],
                                                                         corpus: list[Example]) -> None:
    from transformers import AutoModel

    before_text = AutoModel.from_pretrained(models[0]).state_dict()
    before_speech = AutoModel.from_pretrained(models[1]).state_dict()
    m = _model(models, max_epochs=4, patience=4, encoder_lr=1e-3, lr=3e-3, warmup_ratio=0.0)
    m.fit(corpus[:16], corpus[16:20], _env())
    assert m.history is not None and m.history.train_loss[-1] < m.history.train_loss[0]
    net = m.finetuned.net  # type: ignore[union-attr]
    after_text, after_speech = net.text_encoder.state_dict(), net.speech_encoder.state_dict()
    assert not torch.equal(before_text["encoder.layer.0.attention.self.query.weight"],
                           after_text["encoder.layer.0.attention.self.query.weight"])
    assert not torch.equal(before_speech["encoder.layers.0.attention.q_proj.weight"],
                           after_speech["encoder.layers.0.attention.q_proj.weight"])
    cnn = [k for k in before_speech if k.startswith("feature_extractor.")]
    assert cnn and all(torch.equal(before_speech[k], after_speech[k]) for k in cnn)


def test_run_log_names_the_weights_directories(models: tuple[str, str], corpus: list[Example]) -> None:
    lines: list[str] = []
    _model(models, modalities="text").fit(corpus[:8], [], FitEnv(classes=CLASSES, seed=0, log=lines.append))
    assert any(str(Path(models[0]).resolve()) in line and "device cpu, fp32" in line for line in lines)


def test_pretrain_steps_pretrain_on_the_training_clips_only_then_fine_tune_from_the_checkpoint(
        models: tuple[str, str], corpus: list[Example], tmp_path: Path) -> None:
    train, valid = corpus[:12], corpus[12:16]
    read: list[str] = []

    def reader(path: str) -> np.ndarray:
        read.append(path)
        return read_audio(path)

    log: list[str] = []
    m = _model(models, pretrain_steps=2)
    m.fit(train, valid, FitEnv(classes=CLASSES, seed=0, load_audio=reader, cache_dir=str(tmp_path), log=log.append))
    pretrained = [line for line in log if line.startswith("pre-training: wrote")]
    assert len(pretrained) == 1 and str(tmp_path / "pretrain") in pretrained[0]
    # pre-training read training clips only; fine-tuning then read train and valid (its validation)
    first_valid = min(read.index(e.audio) for e in valid if e.audio in read)
    assert set(read[:first_valid]) <= {e.audio for e in train}
    assert m.history is not None and m.history.epochs_run == 1
    with pytest.raises(ConfigError, match="pretrain_steps"):
        LEMER(pretrain_steps=2)  # the head on cached features has no speech encoder to pre-train
