from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.features.hf_speech import HFSpeechEncoder
from benchmarks.features.store import FeatureStore
from benchmarks.features.text import TextEncoder
from benchmarks.features.whisper import WhisperEncoder, n_output_frames
from dataset_adapters.audio import read_audio
from lemer.core.pretrained import PretrainedUnavailable as EncoderUnavailable
from tests.support.corpora import write_tone
from tests.support.features import make_utt, tiny_bert, tiny_speech_model
from tests.support.features import speech_encoder as get_speech_encoder


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_bert(tmp_path_factory.mktemp("bert"))


def test_bert_context_is_cut_from_the_oldest_side(bert_dir: Path) -> None:
    enc = TextEncoder(str(bert_dir))
    tok = enc.tokenizer
    context = [f"old utterance number {i} with quite a few words in it" for i in range(12)]
    inp = enc.build("the target words", context, context_window=10)
    assert len(inp.ids) <= 64 and inp.ids[0] == tok.cls_token_id and inp.ids[-1] == tok.sep_token_id
    s, e = inp.span
    assert tok.decode(inp.ids[s:e]) == "the target words"
    window = context[-10:]
    full_ctx = [t for u in window for t in tok.encode(u, add_special_tokens=False) + [tok.sep_token_id]]
    assert len(inp.ids) == 64  # the context filled all the room left by the target
    assert list(inp.ids[1:s]) == full_ctx[len(full_ctx) - (s - 1):]  # kept part = the newest tokens
    assert "number 2 " not in tok.decode(inp.ids)  # the oldest in-window utterance was cut
    no_ctx = enc.build("the target words", context, context_window=0)
    assert no_ctx.span == (1, 1 + e - s)


def test_bert_features_and_word_embeddings(bert_dir: Path, tmp_path: Path) -> None:
    store = FeatureStore(tmp_path, text_encoder=str(bert_dir), speech_encoder=None, progress=False)
    items = [("a", "I am so happy", ["hello", "how are you"]), ("b", "no", [])]
    got = store.text(items, context_window=2)
    arr, span = got["a"]
    assert arr.shape[1] == 32 and span[1] == arr.shape[0] - 1 and span[0] > 1
    assert got["b"][0].shape == (3, 32) and got["b"][1] == (1, 2)
    # padding inside a length-sorted batch must not change an item's features
    alone = TextEncoder(str(bert_dir)).encode([TextEncoder(str(bert_dir)).build("no", [], 0)])[0]
    assert np.allclose(np.asarray(got["b"][0], dtype=np.float32), alone, atol=2e-2)
    w = store.embed_words(["happy", "very sad", "angry"])
    assert w.shape == (3, 32) and w.dtype == np.float32 and not np.allclose(w[0], w[1])


@pytest.mark.parametrize("kind", ["wav2vec2", "hubert", "wavlm"])
def test_wav2vec2_family_layers_and_trimming(kind: str, tmp_path: Path) -> None:
    model_dir = tiny_speech_model(tmp_path / kind, kind)
    clip = read_audio(write_tone(tmp_path / "a.wav", 1.01))
    last = HFSpeechEncoder(str(model_dir)).encode([clip])[0]
    first = get_speech_encoder(f"{model_dir}@layer=0").encode([clip])[0]
    mean = get_speech_encoder(f"{model_dir}@mean").encode([clip])[0]
    assert last.shape[1] == 32 and len(last) <= n_output_frames(len(clip)) == 51
    assert first.shape == last.shape == mean.shape and not np.allclose(first, last) and not np.allclose(mean, last)
    with pytest.raises(ValueError, match="layer=5|0..2"):
        get_speech_encoder(f"{model_dir}@layer=5").encode([clip])


def test_default_encoders_load_from_their_packages(tmp_path: Path) -> None:
    text = TextEncoder("default")
    assert text.name == "all-MiniLM-L6-v2" and text.dim == 384
    enc = WhisperEncoder()
    clips = [read_audio(write_tone(tmp_path / f"{s}.wav", s)) for s in (0.1, 1.0, 2.37)]
    outs = [enc.encode([c])[0] for c in clips]
    assert [o.shape for o in outs] == [(5, 384), (50, 384), (119, 384)]  # 50 frames/s, cut to the real length
    padded = WhisperEncoder(padded=True).encode([clips[2]])[0]
    assert padded.shape == (119, 384)


def test_unreachable_encoder_name_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EncoderUnavailable, match="not-a-real/model-xyz"):
        TextEncoder("not-a-real/model-xyz")
    with pytest.raises(EncoderUnavailable, match="is not a directory"):
        get_speech_encoder(__file__)


def test_speech_store_batches_equal_lengths_identically(tmp_path: Path) -> None:
    # two clips of equal length share a batch; the result equals encoding each alone
    a = write_tone(tmp_path / "a.wav", 1.5, freq=200)
    b = write_tone(tmp_path / "b.wav", 1.5, freq=400)
    store = FeatureStore(tmp_path / "c", text_encoder=None, progress=False, dtype="float32")
    got = store.speech([make_utt("a", a), make_utt("b", b)])
    alone = WhisperEncoder().encode([read_audio(b)])[0]
    assert np.allclose(got["b"], alone, atol=1e-4)


def test_whisper_features_do_not_depend_on_the_processs_blas_threads(tmp_path: Path) -> None:
    """The same clip gives the same feature bits whatever BLAS thread count the computing process has.

    Why: the Ray executor's 1-CPU preparation tasks run with one OpenBLAS thread (Ray sets OMP_NUM_THREADS=1)
    while the local driver has one per core; faster-whisper's log-mel matmul rounded differently under the
    two (1 ULP), and the int8 encoder amplified that to feature differences of up to 0.2 (measured)."""
    from threadpoolctl import threadpool_limits

    clips = [read_audio(write_tone(tmp_path / f"{i}.wav", 0.3 + 0.01 * (i % 7), freq=150 + 10 * i)) for i in range(16)]
    enc = WhisperEncoder()
    runs = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            runs.append([enc.encode([c])[0] for c in clips])
    differ = [i for i, (a, b) in enumerate(zip(*runs)) if a.tobytes() != b.tobytes()]
    assert not differ, f"{len(differ)} of {len(clips)} clips got other feature bits under 2 BLAS threads than under 1"
    assert enc.identity["mel_blas_threads"] == "1"  # entries computed before the pin are not reused


def test_text_features_do_not_depend_on_their_batch_mates(tmp_path: Path) -> None:
    """An input encoded alone and among inputs of other lengths gives the same bits (no padding ever), so a Ray
    shard and the local driver, whose batches hold other inputs, cache the same features. (With padded batches
    61 of 64 context-10 inputs of the synthetic IEMOCAP differed, in float32, between the two.)"""
    enc = TextEncoder()
    words = "well i really did not expect that from you after the meeting at noon okay then".split()
    inputs = [enc.build(" ".join(words[: 3 + i % 13]), [" ".join(words[: 2 + (i * 7) % 14])] * (i % 5), i % 5)
              for i in range(24)]
    together = enc.encode(inputs)
    assert all(np.array_equal(enc.encode([x])[0], y) for x, y in zip(inputs, together))
    assert enc.identity.get("batching") == "exact-length"  # entries of the padded batching are not reused
