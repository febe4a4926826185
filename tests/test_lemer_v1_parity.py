"""`lemer-v1` is the LE-MER of earlier results, bit for bit.

The network before label-aware fusion is frozen in tests/support/lemer_v1.py (a verbatim copy of lemer/model/{fusion,
net}.py at commit 500602c). LE-MER is trained twice on the same problem and seed, once with the live network under
`lemer-v1`'s switches and once with the frozen one swapped in, and the test probabilities must be EQUAL (not close):
same weights at initialisation, same dropout draws, same arithmetic. Checked against that commit itself when written
(the frozen copy and the live lemer-v1 both reproduced its probabilities exactly, frozen and fine-tuned modes).
"""
from __future__ import annotations

import numpy as np
import pytest

import lemer.model.finetune as finetune_module
import lemer.model.lemer as lemer_module
from benchmarks.models import MODELS
from lemer.model import LEMER
from lemer.model.config import V1_SWITCHES
from tests.support.lemer import CLASSES, make_env, make_examples, unlabelled
from tests.support.lemer_v1 import FrozenV1Net


def _probs(**switches: object) -> np.ndarray:
    train, valid = make_examples(64, 0, "tr", signal=0.5), make_examples(16, 1, "va", signal=0.5)
    test = make_examples(24, 2, "te", signal=0.5)
    m = LEMER(max_epochs=3, patience=3, **switches)
    m.fit(train, valid, make_env(3))
    return np.array([[p.probs[c] for c in CLASSES] for p in m.predict(unlabelled(test))])


def test_registered_lemer_v1_is_the_v1_switches() -> None:
    assert MODELS.defaults("lemer-v1") == V1_SWITCHES


@pytest.mark.parametrize("switches", [{}, {"use_constraint": False}, {"use_label_embeddings": False},
                                      {"fusion_attention": "ar"}, {"modalities": "text"}, {"modalities": "speech"},
                                      {"label_init": "random", "mu4": 3.0}])
def test_lemer_v1_predictions_are_bit_identical_to_the_frozen_network(
        monkeypatch: pytest.MonkeyPatch, switches: dict) -> None:
    config = {**MODELS.defaults("lemer-v1"), **switches}
    live = _probs(**config)
    monkeypatch.setattr(lemer_module, "LEMERNet", FrozenV1Net)
    frozen = _probs(**config)
    np.testing.assert_array_equal(live, frozen)
    # and the new default is a different model on the same problem
    monkeypatch.undo()
    assert not np.array_equal(live, _probs(**switches))


def test_lemer_v1_fine_tuned_head_is_bit_identical(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The fine-tuning mode builds the same head (LEMERNet on the encoders' states): parity holds there too."""
    import soundfile as sf

    from dataset_adapters.audio import read_audio
    from lemer.core.contract import Example, FitEnv
    from tests.support.models import make_tiny_bert, make_tiny_wav2vec2

    bert, w2v = str(make_tiny_bert(tmp_path)), str(make_tiny_wav2vec2(tmp_path))
    rng = np.random.default_rng(0)
    words = {"neu": "okay", "hap": "wonderful", "ang": "furious", "sad": "tears"}
    examples = []
    for i in range(16):
        label = CLASSES[i % 4]
        n = int(16000 * rng.uniform(0.2, 0.4))
        wave = 0.3 * np.sin(2 * np.pi * (150 + 100 * (i % 4)) * np.arange(n) / 16000) + 0.01 * rng.standard_normal(n)
        sf.write(str(tmp_path / f"u{i}.wav"), wave.astype(np.float32), 16000, subtype="PCM_16")
        examples.append(Example(uid=f"u{i}", label=label, text=f"well I think {words[label]}",
                                audio=str(tmp_path / f"u{i}.wav"), context_text=("hello so",)))
    test = [Example(uid=e.uid, label=None, text=e.text, audio=e.audio, context_text=e.context_text)
            for e in examples[12:]]

    def run() -> np.ndarray:
        m = LEMER(finetune=True, text_model=bert, speech_model=w2v, max_epochs=1, batch_size=8, context_window=2,
                  k_keywords=2, k_frames=2, **MODELS.defaults("lemer-v1"))
        m.fit(examples[:10], examples[10:12], FitEnv(classes=CLASSES, seed=0, load_audio=read_audio))
        return np.array([[p.probs[c] for c in CLASSES] for p in m.predict(test)])

    live = run()
    monkeypatch.setattr(finetune_module, "LEMERNet", FrozenV1Net)
    np.testing.assert_array_equal(live, run())
