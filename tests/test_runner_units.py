"""The majority baseline, Example building (labels hidden at predict time), atomic writes, corpus args."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from baselines.majority import Majority
from benchmarks.corpora import describe_root, parse_corpus_args
from benchmarks.run.examples import build_examples
from dataset_adapters.types import Utterance
from lemer.core.atomic import remove_stale_temps, write_json_atomic
from lemer.core.contract import Example, FitEnv
from lemer.core.switches import ConfigError


def _ex(label: str | None, uid: str = "u") -> Example:
    return Example(uid=uid, label=label, text="", audio="")


def test_majority_predicts_most_frequent_class_with_training_frequencies() -> None:
    m = Majority()
    m.fit([_ex("sad"), _ex("ang"), _ex("sad"), _ex("neu")], [], FitEnv(classes=("neu", "hap", "ang", "sad"), seed=0))
    preds = m.predict([_ex(None, "a"), _ex(None, "b")])
    assert [p.label for p in preds] == ["sad", "sad"] and [p.uid for p in preds] == ["a", "b"]
    assert preds[0].probs == {"neu": 0.25, "hap": 0.0, "ang": 0.25, "sad": 0.5}


def test_majority_breaks_ties_by_label_map_order_and_refuses_bad_input() -> None:
    m = Majority()
    m.fit([_ex("ang"), _ex("hap")], [], FitEnv(classes=("neu", "hap", "ang", "sad"), seed=0))
    assert m.predict([_ex(None)])[0].label == "hap"
    with pytest.raises(ValueError, match="outside the label set"):
        Majority().fit([_ex("fru")], [], FitEnv(classes=("neu",), seed=0))
    with pytest.raises(ConfigError, match=r"unknown majority switch.*'alpha'"):
        Majority(alpha=1)
    with pytest.raises(RuntimeError, match="before fit"):
        Majority().predict([_ex(None)])
    assert Majority.info.modalities == ()  # transcript-independent: run once per (corpus, fold, seed)


def _utt(uid: str, label: str, text: str, context: tuple[str, ...] = ()) -> Utterance:
    return Utterance(uid=uid, corpus="iemocap", speaker="Ses01_F", session="Session1", audio=f"/a/{uid}.wav",
                     start=0.0, end=1.0, transcript=text, label=label, label_raw=label, partition=None, context=context)


def test_examples_hide_labels_for_prediction_and_use_the_conditions_text() -> None:
    utts = [_utt("c:a", "neu", "gold a"), _utt("c:b", "sad", "gold b", ("c:a",)), _utt("c:c", "ang", "gold c", ("c:a", "c:b"))]
    asr = {"c:a": "asr a", "c:b": "asr b", "c:c": "asr c"}
    train = build_examples(utts, with_labels=True, transcripts=asr, context_window=1)
    test = build_examples(utts, with_labels=False, transcripts=asr, context_window=1)
    assert [e.label for e in train] == ["neu", "sad", "ang"] and all(e.label is None for e in test)
    assert test[2].text == "asr c" and test[2].context_text == ("asr b",)  # the last 1, same condition
    assert build_examples(utts, with_labels=False, transcripts=asr, context_window=5)[2].context_text == ("asr a", "asr b")
    blind = build_examples(utts, with_labels=False)  # a model that reads no text gets none
    assert all(e.text == "" and e.context_text == () and e.features is None for e in blind)
    feats = {"c:a": (np.zeros((4, 3)), (1, 3))}
    with pytest.raises(KeyError, match="c:b: no cached text features"):
        build_examples(utts, with_labels=True, transcripts=asr, text_features=feats)
    with pytest.raises(KeyError, match="c:c: no transcript"):
        build_examples(utts, with_labels=True, transcripts={"c:a": "x", "c:b": "y"})
    ex = build_examples(utts[:1], with_labels=True, transcripts=asr, text_features=feats,
                        speech_features={"c:a": np.ones((5, 2))})[0]
    assert ex.features.text_span == (1, 3) and ex.features.speech.shape == (5, 2)


def test_atomic_write_and_stale_temp_cleanup(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "d" / "r.json", {"a": 1})
    assert (tmp_path / "d" / "r.json").read_text().strip().startswith("{")
    dead = tmp_path / "d" / ".r.json.999999999.tmp"
    alive = tmp_path / "d" / f".r.json.{os.getppid()}.tmp"  # a live writer's temp must be left alone
    dead.write_text("x"), alive.write_text("y")
    assert remove_stale_temps(tmp_path / "d") == 1
    assert not dead.exists() and alive.exists()


def test_corpus_args_and_honest_display_names(tmp_path: Path) -> None:
    assert parse_corpus_args(["iemocap=/x", "CREMA-D=/y=z"]) == {"iemocap": "/x", "crema-d": "/y=z"}
    with pytest.raises(ValueError, match="NAME=ROOT"):
        parse_corpus_args(["iemocap"])
    with pytest.raises(ValueError, match="unknown corpus 'iemo'"):
        parse_corpus_args(["iemo=/x"])
    assert describe_root("iemocap", tmp_path).display == "iemocap"
    (tmp_path / "SYNTHETIC.json").write_text('{"synthetic": true, "layout": "iemocap", "scale": "tiny", "seed": 0, '
                                            '"generator_version": "1"}')
    root = describe_root("iemocap", tmp_path)
    assert (root.display, root.synthetic) == ("synthetic-iemocap", True)


def test_run_identity_includes_model_defaults() -> None:
    """A run's model_config holds every switch, defaults included, so changing a default redoes the run;
    naming a default explicitly gives the same identity as leaving it implicit."""
    from benchmarks.models import describe
    from lemer.model.config import LEMERConfig

    implicit = describe("lemer").config
    assert implicit["mu4"] == LEMERConfig().mu4 and implicit["text_scope"] == LEMERConfig().text_scope
    assert describe("lemer", {"mu4": LEMERConfig().mu4}).config == implicit
    assert describe("lemer", {"mu4": 2 * LEMERConfig().mu4}).config != implicit
    assert describe("tfidf-lr").config["ngram_max"] >= 1  # baselines' dict configs are resolved too
