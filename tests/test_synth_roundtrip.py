"""Round trip: the corpus adapters read back exactly what the generator says it wrote."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from dataset_adapters.base import CorpusAdapter, corpus_info, get_adapter, get_label_map
from dataset_adapters.labels import unify
from dataset_adapters.types import LoadReport
from tests.support.synth import tiny_tree


def _expected(corpus: str, raw_counts: dict[str, int], label_map: str) -> Counter[str]:
    m = get_label_map(label_map)
    out: Counter[str] = Counter()
    for raw, n in raw_counts.items():
        lab = m.apply(unify(corpus, corpus_info(corpus).raw_codes, raw))
        if lab is not None:
            out[lab] += n
    return out


def _read_back(corpus: str, label_map: str) -> tuple[Path, dict[str, Any], CorpusAdapter, LoadReport]:
    """The tiny tree of `corpus` read by its adapter: nothing skipped, labels as the generator counted them."""
    root, summary = tiny_tree(corpus)
    adapter = get_adapter(corpus)
    rep = adapter.load(root)
    assert not rep.skipped
    assert Counter(u.label for u in rep.utterances) == _expected(corpus, summary["labels"], label_map)
    return root, summary, adapter, rep


def test_iemocap_round_trip() -> None:
    root, summary, adapter, rep = _read_back("iemocap", "iemocap-4")
    assert Counter(u.label for u in rep.utterances) == Counter(summary["labels_iemocap_4"])
    assert sum(rep.filtered.values()) == summary["utterances"] - summary["kept_iemocap_4"]
    assert sorted({u.speaker for u in rep.utterances}) == summary["speakers"]
    assert Counter(u.session for u in rep.utterances) == Counter(summary["sessions"])
    assert all(u.transcript and "XX" not in u.uid for u in rep.utterances)
    folds = adapter.folds(rep.utterances, "loso")
    assert [f.name for f in folds] == [f"test=Session{s}" for s in range(1, 6)]
    assert [len(f.test) for f in folds] == list(summary["sessions"].values())
    six = adapter.load(root, label_map="iemocap-6")
    assert Counter(u.label_raw for u in six.utterances) == _expected("iemocap", summary["labels"], "iemocap-6")


def test_msp_round_trip() -> None:
    _root, summary, adapter, rep = _read_back("msp-podcast", "msp-8")
    assert rep.filtered == {k: v for k, v in summary["labels"].items() if k in ("X", "O")}
    assert sorted({u.speaker for u in rep.utterances if u.speaker is not None}, key=int) == summary["speakers"]
    assert any(u.speaker is None for u in rep.utterances), "SpkrID Unknown reads back as no speaker"
    assert Counter(u.partition for u in rep.utterances) == Counter(summary["partitions"])
    assert any(u.context for u in rep.utterances)
    folds = adapter.folds(rep.utterances, "official")
    assert {f.name: len(f.test) for f in folds} == {"test=Test1": summary["partitions"]["Test1"],
                                                    "test=Test2": summary["partitions"]["Test2"]}


def test_crema_round_trip() -> None:
    root, summary = tiny_tree("crema-d")
    adapter = get_adapter("crema-d")
    rep = adapter.load(root)
    assert not rep.skipped and not rep.filtered
    assert Counter(u.label_raw for u in rep.utterances) == Counter(summary["labels"])
    assert sorted({u.speaker for u in rep.utterances}) == summary["speakers"]
    folds = adapter.folds(rep.utterances, "speaker-5fold")
    assert len(folds) == 5 and sum(len(f.test) for f in folds) == summary["utterances"]
