"""Contract tests over everything registered: a new corpus adapter, transcript condition, ASR
engine, label map or suite is tested here without anyone listing it.

(Every registered model's switch contract is in `test_model_switches.py`.)
"""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.suite import SUITES, load_suite
from benchmarks.transcripts import ASR_ENGINES, TranscriptSource, examples, parse_condition
from dataset_adapters.base import (
    CORPORA,
    CorpusAdapter,
    check_protocol,
    corpus_info,
    get_adapter,
    get_label_map,
    label_maps,
)
from dataset_adapters.labels import VOCAB, unify
from dataset_adapters.types import CorpusError
from lemer.core.registry import Registry, UnknownName


@pytest.mark.parametrize("name", CORPORA.names())
def test_every_corpus_adapter_declares_consistent_facts(name: str, tmp_path: Path) -> None:
    adapter = get_adapter(name)
    assert isinstance(adapter, CorpusAdapter)
    info = corpus_info(name)
    assert info.name == name and info.env_var.startswith("LEMER_DATA_") and info.expected_root
    assert info.default_protocol in info.protocols
    for protocol in info.protocols:
        assert check_protocol(name, protocol) == protocol
    with pytest.raises(UnknownName, match="did you mean"):
        check_protocol(name, info.default_protocol + "x")
    for lm in info.label_maps:
        assert get_label_map(lm.name, name) is lm  # registered under its own name, applies to its corpus
        assert set(lm.classes) <= set(VOCAB)
    for raw, unified in info.raw_codes.items():
        assert unify(name, corpus_info(name).raw_codes, raw) == unified and (unified is None or unified in VOCAB)
    with pytest.raises(CorpusError, match="does not exist"):  # a bad root is named, never a traceback
        adapter.load(tmp_path / "nope")


def test_label_maps_do_not_cross_corpora() -> None:
    maps = label_maps()
    for name in maps:
        lm = maps.get(name)
        for corpus in CORPORA:
            if lm.applies_to(corpus):
                assert get_label_map(name, corpus) is lm
            else:
                with pytest.raises(ValueError, match="does not apply"):
                    get_label_map(name, corpus)


@pytest.mark.parametrize("key", [k for k in examples() if "<" not in k] + ["noise:wer=0.2", "noise:wer=0.2,seed=3"])
def test_every_transcript_condition_parses_to_its_canonical_key(key: str) -> None:
    cond = parse_condition(key)
    assert cond.key == key and parse_condition(cond.key) == cond


@pytest.mark.parametrize("engine", ASR_ENGINES.names())
def test_every_asr_engine_is_a_transcript_source(engine: str) -> None:
    cls = ASR_ENGINES.get(engine)
    assert issubclass(cls, TranscriptSource)
    assert ASR_ENGINES.description(engine)


@pytest.mark.parametrize("bad, hint", [
    ("asr:whisper-base", "did you mean asr:whisper-tiny.en"),
    ("nosie:wer=0.1", "did you mean noise:wer=0.1"),
    ("noise:wer=1.5", "within [0, 1]"),
    ("Gold", "did you mean gold"),
])
def test_condition_typos_fail_with_a_hint(bad: str, hint: str) -> None:
    with pytest.raises(UnknownName) as e:
        parse_condition(bad)
    assert hint in str(e.value)


@pytest.mark.parametrize("name", SUITES.names())
def test_every_bundled_suite_parses(name: str) -> None:
    suite = load_suite(name)
    assert suite.name and (suite.corpora or suite.cross_corpus)


def test_registry_refuses_duplicates_and_overlays_leave_nothing_behind() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("one", 1)
    with pytest.raises(ValueError, match="duplicate thing name 'one'"):
        reg.register("one", 2)
    with reg.overlay({"two": 2}):
        assert reg.get("two") == 2
    assert "two" not in reg
    with pytest.raises(UnknownName, match="did you mean one"):
        reg.get("onee")
