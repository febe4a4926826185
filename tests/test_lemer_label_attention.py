"""Issue 11: LE-MER's label mechanism must not be inert.

The reviewed version computed Gt/Gs (softmax over time) only to build a detached Al, so neither they nor the label
embeddings got any gradient, the attentions stayed uniform (normalised entropy 0.99+) and `lemer` and
`lemer-no-constraint` predicted the same labels. These tests would each have failed on it.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lemer.core.contract import Example, Features, FitEnv
from lemer.core.layers import pad_sequences
from lemer.core.training import torch_threads
from lemer.model import LEMER, LEMERNet, target_positions
from lemer.model.config import LEMERConfig
from lemer.model.diagnostics import frame_span, normalised_entropy, pooling_factor
from tests.support.lemer import CLASSES, make_env, make_examples, unlabelled

C, D = len(CLASSES), 16
FAST = {"max_epochs": 8, "patience": 3}


@pytest.fixture(autouse=True)
def _one_thread():
    """LEMER.fit/predict already run on one thread; the direct LEMERNet tests too (spinning threads on a busy CPU)."""
    with torch_threads(1):
        yield


def _batch(seed: int = 0, b: int = 6) -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(seed)
    nt, ns = rng.integers(3, 9, b), rng.integers(5, 15, b)
    text, mask_t = pad_sequences([rng.normal(size=(n, D)).astype(np.float32) for n in nt])
    speech, mask_s = pad_sequences([rng.normal(size=(n, D)).astype(np.float32) for n in ns])
    index, mask_l = target_positions([(0, int(n)) for n in nt], [int(n) for n in nt])
    return {"text": text, "text_mask": mask_t, "speech": speech, "speech_mask": mask_s, "target_index": index,
            "target_mask": mask_l, "y": torch.tensor(rng.integers(0, C, b))}


def _grads(**switches) -> tuple[dict[str, torch.Tensor], LEMERNet]:
    torch.manual_seed(0)
    net = LEMERNet(LEMERConfig(**switches), C, D, D).train()
    batch = _batch()
    parts = net.parts(batch)
    for k in ("gt", "gs"):
        parts[k].retain_grad()
    return parts, net


def test_cross_entropy_alone_reaches_label_embeddings_gt_and_gs() -> None:
    parts, net = _grads(use_constraint=False, dropout=0.0, head_dropout=0.0)
    torch.nn.functional.cross_entropy(parts["logits"], _batch()["y"]).backward()
    for name, g in (("gt", parts["gt"].grad), ("gs", parts["gs"].grad), ("labels_t", net.labels_t.grad),
                    ("labels_s", net.labels_s.grad), ("scale_t", net.aware_t.log_scale.grad),
                    ("scale_s", net.aware_s.log_scale.grad)):
        assert g is not None and float(g.abs().sum()) > 0, f"no gradient reaches {name}"


@pytest.mark.parametrize("detach", [False, True])
def test_constraint_gradient_follows_detach_al(detach: bool) -> None:
    parts, net = _grads(detach_al=detach)
    parts["constraint"].backward()
    reaches_labels = net.labels_t.grad is not None and float(net.labels_t.grad.abs().sum()) > 0
    assert reaches_labels is (not detach)
    assert float(net.cross.q.weight.grad.abs().sum()) > 0  # Ar is always pulled toward Al


def test_auxiliary_losses_follow_mu1_to_mu3() -> None:
    batch = _batch()

    def aux(**sw) -> torch.Tensor:
        torch.manual_seed(0)
        base = {"use_constraint": False, "dropout": 0.0, "head_dropout": 0.0, "mu2": 0.0, "mu3": 0.0}
        net = LEMERNet(LEMERConfig(**{**base, **sw}), C, D, D).train()
        return net(batch)[1]

    assert aux() is None
    ce = torch.nn.functional.cross_entropy
    torch.manual_seed(0)
    net = LEMERNet(LEMERConfig(use_constraint=False, dropout=0.0, head_dropout=0.0, mu2=0.0, mu3=0.0), C, D, D).train()
    torch.testing.assert_close(aux(mu1=3.0), 2.0 * ce(net(batch)[0], batch["y"]))
    assert aux(mu2=0.5).item() > 0 and aux(mu3=0.5).item() > 0
    with pytest.raises(ValueError, match="renamed 'mu4'"):
        LEMERConfig.from_dict({"mu": 1.0})
    with pytest.raises(ValueError, match="fusion_attention"):
        LEMERConfig(fusion_attention="al", use_label_embeddings=False)
    with pytest.raises(ValueError, match="fusion_attention"):
        LEMERConfig(fusion_attention="none")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------------------------
# A planted-cue problem: every token / frame is noise or a distractor direction (shared by all classes); exactly one
# target token and one 0.4 s frame segment carry the class direction. Attending to the cue is the way to solve it.
T_TOK, T_FRAMES, SEG = 12, 40, 4  # 40 frames at 50 fps = 0.8 s; the cue segment is 4 frames (0.08 s) long
N_DISTRACT = 4


def _planted(n: int, seed: int, prefix: str) -> tuple[list[Example], dict[str, dict[str, tuple[float, float]]]]:
    rng = np.random.default_rng(seed)
    dirs = np.random.default_rng(7).normal(size=(C + N_DISTRACT, D)).astype(np.float32) * 2.0
    examples, cues = [], {}
    for i in range(n):
        c = i % C
        tokens = rng.normal(size=(T_TOK, D)).astype(np.float32)
        tokens += dirs[C + rng.integers(0, N_DISTRACT, T_TOK)]  # distractors everywhere
        pos = int(rng.integers(0, T_TOK))
        tokens[pos] = rng.normal(size=D) * 0.5 + dirs[c]
        frames = rng.normal(size=(T_FRAMES, D)).astype(np.float32)
        frames += dirs[C + rng.integers(0, N_DISTRACT, T_FRAMES)]
        start = int(rng.integers(0, T_FRAMES - SEG + 1))
        frames[start:start + SEG] = rng.normal(size=(SEG, D)) * 0.5 + dirs[c]
        uid = f"{prefix}{i}"
        examples.append(Example(uid=uid, label=CLASSES[c], text="", audio=f"/nonexistent/{uid}.wav",
                                features=Features(text=tokens, text_span=(0, T_TOK), speech=frames)))
        cues[uid] = {"tokens": (pos, pos + 1), "time": (start / 50.0, (start + SEG) / 50.0)}
    return examples, cues


PLANTED = {"label_init": "random", "context_window": 0, "speech_pool": 1, "d_model": 32, "head_hidden": 32,
           "max_epochs": 20, "patience": 20, "lr": 3e-3,
           "mu2": 0.5, "mu3": 0.5}


def _fit_planted(seed: int = 0, **sw) -> tuple[LEMER, list[Example], dict]:
    train, _ = _planted(160, 0, "tr")
    test, cues = _planted(48, 2, "te")
    m = LEMER(**{**PLANTED, **sw})
    m.fit(train, [], FitEnv(classes=CLASSES, seed=seed))  # no validation: train every epoch, keep the last
    return m, test, cues


def test_label_attention_finds_planted_cues() -> None:
    m, test, cues = _fit_planted()
    d = m.diagnostics(test, cues)
    tok, time = d["cues"]["tokens"], d["cues"]["time"]
    assert tok["n"] == time["n"] == len(test)
    assert tok["chance"] == pytest.approx(1 / T_TOK) and time["chance"] == pytest.approx(SEG / T_FRAMES)
    # the gold class's label attention peaks on the cue far more often than chance, and puts its mass there
    # (measured at the time of writing: tokens 0.75 / 0.71 against chance 0.08, frames 0.75 / 0.72 against 0.10)
    assert tok["peak_in_span"] >= 0.5 and tok["mass_in_span"] > 4 * tok["chance"], tok
    assert time["peak_in_span"] >= 0.5 and time["mass_in_span"] > 4 * time["chance"], time
    assert d["entropy"]["gt"] < 0.8 and d["entropy"]["gs"] < 0.9, d["entropy"]
    assert all(v is not None and 0.0 <= v <= 1.0 for v in d["entropy"].values())
    # unlabelled examples: entropies still computed, cue statistics skipped with the reason
    d2 = m.diagnostics(unlabelled(test), cues)
    assert d2["entropy"] == d["entropy"] and d2["cues"]["tokens"]["n"] == 0
    assert d2["cues"]["tokens"]["skipped"] == {"no_label": len(test)}


def test_constraint_changes_predictions() -> None:
    """The reviewed version gave `lemer` and `lemer-no-constraint` identical predicted labels on every test utterance.
    A weak signal leaves many borderline utterances, so a constraint that does anything flips some of them (8 of 200
    when written)."""
    train, test = make_examples(80, 0, "tr", signal=0.1), make_examples(200, 2, "te", signal=0.1)
    preds = []
    for sw in ({}, {"use_constraint": False}):
        m = LEMER(**FAST, **sw)
        m.fit(train, [], make_env(0))
        preds.append([p.label for p in m.predict(unlabelled(test))])
    assert sum(a != b for a, b in zip(*preds)) >= 3


def test_same_seed_same_model_and_diagnostics() -> None:
    train, valid, test = make_examples(60, 0, "tr"), make_examples(12, 1, "va"), make_examples(20, 2, "te")
    out = []
    for _ in range(2):
        m = LEMER(**FAST)
        m.fit(train, valid, make_env(5))
        out.append(([p.probs for p in m.predict(unlabelled(test))], m.diagnostics(test)))
    assert out[0] == out[1]


@pytest.mark.parametrize("attention", ["both", "ar", "al"])
def test_every_fusion_attention_trains(attention: str) -> None:
    m = LEMER(max_epochs=15, patience=5, fusion_attention=attention)
    m.fit(make_examples(120, 0, "tr"), make_examples(24, 1, "va"), make_env())
    preds = m.predict(unlabelled(test := make_examples(40, 2, "te")))
    assert np.mean([p.label == e.label for p, e in zip(preds, test)]) > 0.8
    assert m.net is not None and m.net.fusion.attention == attention


def test_frame_and_token_span_mapping() -> None:
    assert normalised_entropy(np.ones(7) / 7) == pytest.approx(1.0)
    assert normalised_entropy(np.eye(5)[2]) == pytest.approx(0.0)
    assert normalised_entropy(np.ones(1)) is None
    # 50 fps pooled by 2: pooled frame j covers [0.04 j, 0.04 (j + 1)) s
    assert pooling_factor(100, 2, 256) == 2 and pooling_factor(1000, 2, 256) == 4
    assert frame_span((0.10, 0.20), 50, 2) == (2, 5)
    assert frame_span((0.0, 99.0), 50, 2) == (0, 50)
    assert frame_span((0.5, 0.5), 50, 2) == (12, 12)  # empty
    assert frame_span((0.02, 0.10), 40, 1) == (1, 5)  # no floating-point spill into the next frame
    assert math.isclose(2 / 50.0 * 5, 0.2)
