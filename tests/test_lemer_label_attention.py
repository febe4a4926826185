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


def _nonzero(t: torch.Tensor | None) -> bool:
    return t is not None and float(t.abs().sum()) > 0


@pytest.mark.parametrize("attention", ["both", "ar"])
def test_label_embeddings_get_gradient_through_the_fused_stream(attention: str) -> None:
    """The default classifier reads only the fused streams (no label-pooled R_t / R_s), so the main CE reaches the
    label embeddings only through the fusion: through the label-enhanced sequences Ht~, Hs~ it reads (and, with
    Al in the fusion, through Al too). With the fusion through Ar alone the ONLY path is Ht~ / Hs~: on the plain
    sequences (lemer-v1's fusion input) the label embeddings then get no gradient at all."""
    sw = {"use_constraint": False, "dropout": 0.0, "head_dropout": 0.0, "fusion_attention": attention}
    parts, net = _grads(**sw)
    assert not net.cfg.classifier_branches and net.cfg.mu2 == net.cfg.mu3 == 0  # the literal default
    for k in ("ht_enh", "hs_enh"):
        parts[k].retain_grad()
    torch.nn.functional.cross_entropy(parts["logits"], _batch()["y"]).backward()
    assert _nonzero(parts["ht_enh"].grad) and _nonzero(parts["hs_enh"].grad)
    assert _nonzero(net.labels_t.grad) and _nonzero(net.labels_s.grad)
    assert _nonzero(net.aware_t.log_scale.grad) and _nonzero(net.aware_s.log_scale.grad)
    plain, net = _grads(**sw, fusion_input="plain")
    torch.nn.functional.cross_entropy(plain["logits"], _batch()["y"]).backward()
    if attention == "ar":
        assert not _nonzero(net.labels_t.grad) and not _nonzero(net.labels_s.grad)
    else:  # only the rank <= C map Al carries label information into the plain fusion
        assert _nonzero(net.labels_t.grad)


def test_label_enhanced_sequences_add_each_positions_label_read_out() -> None:
    """(4): H~ = H + A L with A the label attention G row-normalised over the classes (rows sum to 1 on real
    positions, 0 on padding), computed without underflow."""
    from lemer.model.fusion import label_attention, label_enhance, label_mixture, label_scores

    batch = _batch()
    mask = batch["text_mask"]
    h, labels = torch.randn(*batch["text"].shape[:2], D), torch.randn(C, D)
    scores = label_scores(h, labels)
    g = label_attention(scores, mask)
    a = label_mixture(scores, mask)
    torch.testing.assert_close(a[mask], (g / g.sum(-1, keepdim=True))[mask])
    assert torch.all(a[~mask] == 0) and torch.allclose(a[mask].sum(-1), torch.ones(int(mask.sum())))
    torch.testing.assert_close(label_enhance(h, a, labels), h + a @ labels)
    sharp = label_mixture(scores * 1e4, mask)  # G underflows to exact zeros here; the mixture stays a distribution
    assert torch.isfinite(sharp).all() and torch.allclose(sharp[mask].sum(-1), torch.ones(int(mask.sum())))


@pytest.mark.parametrize(("fusion_input", "detach"), [("plain", True), ("plain", False), ("label_enhanced", True)])
def test_constraint_gradient_follows_detach_al(fusion_input: str, detach: bool) -> None:
    """Al detached (the default, Al the target) gets no gradient from the constraint; on the plain fusion input the
    label embeddings then get none either, while on the label-enhanced input they still do, through Ar's inputs."""
    parts, net = _grads(detach_al=detach, fusion_input=fusion_input)
    parts["al"].retain_grad()
    parts["constraint"].backward()
    assert _nonzero(parts["al"].grad) is (not detach)
    assert _nonzero(net.labels_t.grad) is (not detach or fusion_input == "label_enhanced")
    assert float(net.cross.q.weight.grad.abs().sum()) > 0  # Ar is always pulled toward Al


def test_constraint_is_the_element_mean_over_real_token_frame_pairs() -> None:
    from lemer.model.fusion import constraint_loss

    batch = _batch()
    parts, _ = _grads()
    ar, al, ml, ms = parts["ar"].detach(), parts["al"].detach(), batch["target_mask"], batch["speech_mask"]
    pairs = [(b, i, j) for b in range(len(ml)) for i in range(ml.shape[1]) for j in range(ms.shape[1])
             if ml[b, i] and ms[b, j]]
    by_hand = sum(float(ar[b, i, j] - al[b, i, j]) ** 2 for b, i, j in pairs) / len(pairs)
    assert float(parts["constraint"].detach()) == pytest.approx(by_hand, rel=1e-5)
    scaled = constraint_loss(ar, al, ml, ms, "frame_scaled")  # lemer-v1's: S x the per-token sum over frames
    n = ms.sum(1, keepdim=True)
    per_token = ((ar - al) ** 2 * (ml.unsqueeze(-1) & ms.unsqueeze(1))).sum(-1) * n
    assert float(scaled) == pytest.approx(float(per_token[ml].mean()), rel=1e-5)


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
# target token (the word "cue<class>") and one short frame segment carry the class direction. Attending to the cue is
# the way to solve it. `embed` stands in for the text encoder: a word's embedding is its token's direction, so the
# summary's keyword initialisation (mean embedding of the class's top-k TF-IDF keywords) has something to find.
T_TOK, T_FRAMES, SEG = 12, 40, 4  # 40 frames at 50 fps = 0.8 s; the cue segment is 4 frames (0.08 s) long
N_DISTRACT = 4
DIRS = np.random.default_rng(7).normal(size=(C + N_DISTRACT, D)).astype(np.float32) * 2.0


def _word(k: int) -> str:
    return f"cue{'abcd'[k]}" if k < C else f"distract{'abcd'[k - C]}"


def _embed(words) -> np.ndarray:
    index = {_word(k): k for k in range(C + N_DISTRACT)}
    return np.stack([DIRS[index[w]] for w in words])


def _planted(n: int, seed: int, prefix: str) -> tuple[list[Example], dict[str, dict[str, tuple[float, float]]]]:
    rng = np.random.default_rng(seed)
    examples, cues = [], {}
    for i in range(n):
        c = i % C
        which = C + rng.integers(0, N_DISTRACT, T_TOK)
        tokens = rng.normal(size=(T_TOK, D)).astype(np.float32) + DIRS[which]  # distractors everywhere
        words = [_word(int(k)) for k in which]
        pos = int(rng.integers(0, T_TOK))
        tokens[pos] = rng.normal(size=D) * 0.5 + DIRS[c]
        words[pos] = _word(c)
        frames = rng.normal(size=(T_FRAMES, D)).astype(np.float32)
        frames += DIRS[C + rng.integers(0, N_DISTRACT, T_FRAMES)]
        start = int(rng.integers(0, T_FRAMES - SEG + 1))
        frames[start:start + SEG] = rng.normal(size=(SEG, D)) * 0.5 + DIRS[c]
        uid = f"{prefix}{i}"
        examples.append(Example(uid=uid, label=CLASSES[c], text=" ".join(words), audio=f"/nonexistent/{uid}.wav",
                                features=Features(text=tokens, text_span=(0, T_TOK), speech=frames)))
        cues[uid] = {"tokens": (pos, pos + 1), "time": (start / 50.0, (start + SEG) / 50.0)}
    return examples, cues


# one cue word per class, so k = 1 keyword (the default K = 10 would average in distractor words whose TF-IDF class
# score is positive by chance)
PLANTED = {"context_window": 0, "speech_pool": 1, "d_model": 32, "head_hidden": 32, "max_epochs": 20, "patience": 20,
           "lr": 3e-3, "k_keywords": 1}


def _fit_planted(seed: int = 0, **sw) -> tuple[LEMER, list[Example], dict]:
    train, _ = _planted(160, 0, "tr")
    test, cues = _planted(48, 2, "te")
    m = LEMER(**{**PLANTED, **sw})
    m.fit(train, [], FitEnv(classes=CLASSES, seed=seed, embed_words=_embed))  # no validation: keep the last epoch
    return m, test, cues


def _finds_the_cue(d: dict) -> None:
    tok, time = d["cues"]["tokens"], d["cues"]["time"]
    assert tok["chance"] == pytest.approx(1 / T_TOK) and time["chance"] == pytest.approx(SEG / T_FRAMES)
    # the gold class's label attention peaks on the cue far more often than chance, and puts its mass there
    assert tok["peak_in_span"] >= 0.5 and tok["mass_in_span"] > 4 * tok["chance"], tok
    assert time["peak_in_span"] >= 0.5 and time["mass_in_span"] > 4 * time["chance"], time


def test_label_attention_finds_planted_cues() -> None:
    """The default `lemer` (label-enhanced fusion, no auxiliary heads, keyword / top-frame label init): the gold
    class's Gt and Gs peak on the planted cue (measured when written, seeds 0-2: peak / mass tokens 0.96-1.0 /
    0.77-0.84, frames 1.0 / 0.76-0.80, against chance 0.08 / 0.10), and the gold label dominates the label read-out
    there (its share of A at the cue: tokens 0.54-0.73 vs 0.04-0.06 elsewhere, frames 0.64-0.68 vs 0.05-0.08)."""
    m, test, cues = _fit_planted()
    d = m.diagnostics(test, cues)
    assert d["cues"]["tokens"]["n"] == d["cues"]["time"]["n"] == len(test)
    _finds_the_cue(d)
    for kind in ("tokens", "time"):  # the label-enhanced sequence adds mostly the gold label's embedding at the cue
        cue = d["cues"][kind]
        assert cue["mix_in_span"] > 0.5 and cue["mix_in_span"] > 2 * cue["mix_outside"], cue
    assert d["entropy"]["gt"] < 0.85 and d["entropy"]["gs"] < 0.9, d["entropy"]
    assert all(v is not None and 0.0 <= v <= 1.0 for v in d["entropy"].values())
    assert d["fusion"] == {"input": "label_enhanced", "directions": "both", "attention": "both"}
    # unlabelled examples: entropies still computed, cue statistics skipped with the reason
    d2 = m.diagnostics(unlabelled(test), cues)
    assert d2["entropy"] == d["entropy"] and d2["cues"]["tokens"]["n"] == 0
    assert d2["cues"]["tokens"]["skipped"] == {"no_label": len(test)}


def test_auxiliary_heads_tie_random_labels_to_their_classes() -> None:
    """Without the keyword / frame init nothing in CE + constraint ties label c to class c (any permutation of the
    labels classifies as well: the default with random init, seed 0, peaked on the cue for 0.27 of the tokens and 0.0
    of the frames); lemer-v1's label-specific auxiliary heads (mu2 = mu3 = 0.5) do (measured when written, seed 0:
    0.75 tokens, 0.75 frames; seeds 1 / 2: 0.73 / 1.0, 0.5 / 0.5)."""
    from lemer.model.config import V1_SWITCHES

    m, test, cues = _fit_planted(**V1_SWITCHES, label_init="random", k_keywords=10)
    _finds_the_cue(m.diagnostics(test, cues))


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
