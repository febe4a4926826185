"""LE-MER's attention blocks: shapes, masking (padding never matters), alignment and the constraint loss."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lemer.core.inputs import pool_frames, select_tokens
from lemer.core.layers import masked_softmax, pad_sequences
from lemer.model import LEMERNet, target_positions
from lemer.model.config import LEMERConfig
from lemer.model.fusion import alignment, constraint_loss, label_attention, label_scores

C, DT, DS = 4, 12, 10


def _batch(seed: int = 0) -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(seed)
    text, mask_t = pad_sequences([rng.normal(size=(n, DT)).astype(np.float32) for n in (3, 7, 5)])
    speech, mask_s = pad_sequences([rng.normal(size=(n, DS)).astype(np.float32) for n in (9, 4, 12)])
    with pytest.raises(ValueError, match="outside the 3 tokens"):
        target_positions([(1, 4)], [3])
    index, mask_l = target_positions([(1, 3), (2, 7), (5, 5)], [3, 7, 5])  # the last target is empty, at the end
    return {"text": text, "text_mask": mask_t, "speech": speech, "speech_mask": mask_s,
            "target_index": index, "target_mask": mask_l}


def _net(**switches) -> LEMERNet:
    torch.manual_seed(0)
    net = LEMERNet(LEMERConfig(**switches), C, DT, DS)
    return net.eval()


def _perturb_padding(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = dict(batch)
    for key in ("text", "speech"):
        x = batch[key].clone()
        x[~batch[f"{key}_mask"]] = 1e4
        out[key] = x
    return out


def test_shapes_and_distributions() -> None:
    batch = _batch()
    parts = _net().parts(batch)
    b, t, s = batch["text"].shape[0], batch["text"].shape[1], batch["speech"].shape[1]
    n_target = batch["target_index"].shape[1]
    assert parts["logits"].shape == (b, C)
    assert parts["gt"].shape == (b, t, C) and parts["gs"].shape == (b, s, C)
    assert parts["ar"].shape == (b, n_target, s) and parts["al"].shape == (b, n_target, s)
    assert batch["target_mask"].sum(1).tolist() == [2, 5, 1] and batch["target_index"][2, 0].item() == 4
    mt, ms = batch["text_mask"], batch["speech_mask"]
    ones = torch.ones_like(parts["ar"][..., 0])
    # every label's attention is a distribution over real positions; Ar and Al rows are distributions over real frames
    ml = batch["target_mask"]
    torch.testing.assert_close(parts["gt"].sum(1), torch.ones(b, C))
    torch.testing.assert_close(parts["gs"].sum(1), torch.ones(b, C))
    torch.testing.assert_close(parts["ar"].sum(-1), ones)
    torch.testing.assert_close(parts["al"].sum(-1)[ml], ones[ml])
    assert torch.all(parts["gt"][~mt] == 0) and torch.all(parts["gs"][~ms] == 0)
    assert torch.all(parts["ar"].masked_select(~ms.unsqueeze(1).expand_as(parts["ar"])) == 0)
    assert torch.all(parts["al"].masked_select(~ms.unsqueeze(1).expand_as(parts["al"])) == 0)


@pytest.mark.parametrize("switches", [{}, {"use_label_embeddings": False}, {"modalities": "text"}, {"modalities": "speech"}])
def test_padding_never_changes_the_output(switches: dict) -> None:
    net, batch = _net(**switches), _batch()
    a, b = net.parts(batch), net.parts(_perturb_padding(batch))
    torch.testing.assert_close(a["logits"], b["logits"])
    if "constraint" in a:
        torch.testing.assert_close(a["constraint"], b["constraint"])


def test_padding_is_independent_of_batch_mates() -> None:
    """An utterance's logits do not depend on how much padding a longer batch mate forces on it."""
    net, batch = _net(), _batch()
    alone = {k: v[:1, : int(batch[f"{k.split('_')[0]}_mask"][0].sum())] for k, v in batch.items()}
    assert alone["text"].shape[1] == 3 and alone["target_index"].shape[1] == 2
    torch.testing.assert_close(net(batch)[0][:1], net(alone)[0])


def test_constraint_zero_iff_ar_equals_al() -> None:
    batch = _batch()
    mt, ms = batch["text_mask"], batch["speech_mask"]
    scores = torch.randn(3, mt.shape[1], ms.shape[1])
    ar = masked_softmax(scores, ms.unsqueeze(1))
    assert constraint_loss(ar, ar, mt, ms).item() == 0.0
    al = masked_softmax(torch.randn_like(scores), ms.unsqueeze(1))
    assert constraint_loss(ar, al, mt, ms).item() > 1e-4
    # differences only at padded tokens or padded frames do not count
    noisy = ar.clone()
    noisy[~mt] = 5.0
    noisy[~ms.unsqueeze(1).expand_as(noisy)] = 5.0
    assert constraint_loss(ar, noisy, mt, ms).item() == 0.0


def test_constraint_switch_controls_the_aux_loss() -> None:
    batch = _batch()
    assert _net()(batch)[1] is not None and _net()(batch)[1].item() > 0
    assert _net(use_constraint=False)(batch)[1] is None
    assert _net(use_label_embeddings=False)(batch)[1] is None
    assert _net(modalities="text")(batch)[1] is None
    torch.testing.assert_close(_net(mu4=2.0)(batch)[1], 2.0 * _net(mu4=1.0)(batch)[1])


def test_alignment_goes_through_the_label_space() -> None:
    """One label attending to token 0 and frame 2, another to token 1 and frame 0: Al pairs them accordingly."""
    mt = torch.tensor([[True, True, False]])
    ms = torch.tensor([[True, True, True, False]])
    h_t = torch.tensor([[[10.0, 0.0], [0.0, 10.0], [0.0, 0.0]]])
    h_s = torch.tensor([[[0.0, 10.0], [0.0, 0.0], [10.0, 0.0], [0.0, 0.0]]])
    labels = torch.eye(2)
    gt = label_attention(label_scores(h_t, labels), mt)
    gs = label_attention(label_scores(h_s, labels), ms)
    al = alignment(gt, gs, mt, ms)
    assert al[0, 0].argmax().item() == 2 and al[0, 1].argmax().item() == 0
    assert torch.all(al[0, 2] == 0) and torch.all(al[0, :, 3] == 0)


def test_pool_frames_keeps_every_frame() -> None:
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    np.testing.assert_allclose(pool_frames(x, 2, 100), [[1, 2], [5, 6], [8, 9]])  # last window is the real frame only
    long = np.ones((1000, 3), np.float32)
    assert len(pool_frames(long, 2, 64)) <= 64
    np.testing.assert_allclose(pool_frames(x, 1, 100), x)
    assert pool_frames(np.zeros((0, 3), np.float32), 2, 64).shape == (0, 3)


def test_select_tokens_scopes() -> None:
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    tokens, span = select_tokens(x, (6, 9), "target", 256, "u")
    np.testing.assert_array_equal(tokens, x[6:9])
    assert span == (0, 3)
    tokens, span = select_tokens(x, (6, 9), "all", 5, "u")  # keep the last 5: context cut from the oldest side
    np.testing.assert_array_equal(tokens, x[5:])
    np.testing.assert_array_equal(tokens[span[0]:span[1]], x[6:9])
    assert select_tokens(x, None, "all", 256, "u")[1] == (0, 10)
    with pytest.raises(ValueError, match="u7: text_span"):
        select_tokens(x, (6, 12), "target", 256, "u7")
