"""benchmarks/perf/choose_speech_encoder.py: cue-file reading, per-cue breakdown and the report's plumbing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.perf import choose_speech_encoder as cse

UIDS = ["iemocap:a", "iemocap:b", "iemocap:c", "iemocap:d"]


def write_cues(root: Path, rows: list[object]) -> None:
    (root / cse.CUES_FILE).write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


def test_cues_match_prefixed_or_bare_uids_and_count_the_unmatched(tmp_path: Path) -> None:
    assert cse.read_cues(tmp_path, UIDS) is None  # no file: no breakdown
    write_cues(tmp_path, [{"uid": "iemocap:a", "cue_type": "prosody"}, {"uid": "b", "cue_type": "lexical", "x": 1},
                          "", {"uid": "zzz", "cue_type": "prosody"}])
    assert cse.read_cues(tmp_path, UIDS) == ({"iemocap:a": "prosody", "iemocap:b": "lexical"}, 1)


@pytest.mark.parametrize("rows, needle", [
    (['{"uid": "a", "cue_type": "p"}', "{not json"], ":2: not JSON"),
    ([{"uid": "a"}], ":1: expected an object with string 'uid' and 'cue_type'"),
    ([{"uid": "a", "cue_type": "p"}, {"uid": "iemocap:a", "cue_type": "q"}], ":2: uid 'iemocap:a' already has cue_type 'p'"),
])
def test_bad_cue_lines_name_file_and_line(tmp_path: Path, rows: list[object], needle: str) -> None:
    write_cues(tmp_path, rows)
    with pytest.raises(ValueError, match=f"SYNTHETIC_CUES.jsonl{needle}"):
        cse.read_cues(tmp_path, UIDS)


def test_breakdown_by_cue_type() -> None:
    gold = {"iemocap:a": "ang", "iemocap:b": "sad", "iemocap:c": "ang", "iemocap:d": "sad"}
    preds = {"iemocap:a": "ang", "iemocap:b": "ang", "iemocap:c": "ang", "iemocap:d": "sad"}
    cues = {"iemocap:a": "prosody", "iemocap:b": "prosody", "iemocap:c": "lexical"}
    out = cse.breakdown(preds, gold, cues, ["ang", "sad"])
    assert out["pooled"]["wa"] == 0.75 and out["pooled"]["n"] == 4
    assert out["by_cue"]["prosody"]["wa"] == 0.5 and out["by_cue"]["lexical"]["wa"] == 1.0
    assert out["by_cue"][cse.NO_CUE]["n"] == 1
    assert "by_cue" not in cse.breakdown(preds, gold, None, ["ang", "sad"])


def test_report_pools_folds_per_encoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    import shutil

    from tests.support import features  # noqa: F401 - sets the offline/cache environment
    from tests.support.synth import tiny_tree, tiny_utterances

    root = shutil.copytree(tiny_tree("iemocap")[0], tmp_path / "IEMOCAP_full_release")  # the test writes cues into it
    utts = tiny_utterances("iemocap")
    write_cues(root, [{"uid": u.uid, "cue_type": "prosody" if i % 2 else "lexical"} for i, u in enumerate(utts)])
    seen: list[tuple[str, int]] = []

    def fake(spec, utts_, folds, classes, model, seed, cache_dir, progress, model_config):  # noqa: ANN001, ANN202
        seen.append((spec, len(folds)))
        assert model_config == {"pooling": "mean"}
        test = [uid for f in folds for uid in f.test]
        return {uid: classes[0] for uid in test}, {"dim": 1}

    monkeypatch.setattr(cse, "evaluate_encoder", fake)
    assert cse.main(["iemocap", "--root", str(root), "--encoders", "a,b", "--max-folds", "2", "--quiet",
                     "--model-config", '{"pooling": "mean"}']) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert seen == [("a", 2), ("b", 2)] and report["synthetic"] is True and report["model_config"]["pooling"] == "mean"
    assert report["cue_counts"] == {"lexical": 20, "prosody": 20} and report["unmatched_cues"] == 0
    assert set(report["encoders"]["a"]["by_cue"]) == {"lexical", "prosody"}
    assert report["encoders"]["a"]["pooled"]["n"] == sum(1 for u in utts if u.session in ("Session1", "Session2"))
