"""Defect class 7 of issue 26: empty or whitespace-only gold transcripts are kept as '' by a stated policy
(dataset_adapters/types.py:EMPTY_TEXT_POLICY), and a run says how many: once per corpus in the plan's log, in each
run's log.txt and as `empty_text` in result.json (before: only `data check` counted them)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from benchmarks.cli import main
from dataset_adapters.types import EMPTY_TEXT_POLICY
from leaderboard.schema import LOG_FILE, RESULT_FILE, ResultError, RunResult
from tests.support.runs import suite_toml, write_suite

pytestmark = pytest.mark.usefixtures("test_models")


def blank_transcripts(root: Path, n: int) -> list[str]:
    """Empty the text of the first `n` transcript lines of Session1 (one as whitespace only); their uids."""
    blanked: list[str] = []
    for path in sorted((root / "Session1" / "dialog" / "transcriptions").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for i, line in enumerate(lines):
            m = re.match(r"^(\S+ \[[\d.]+-[\d.]+\]:)(.*)$", line.rstrip("\r\n"))
            if m and len(blanked) < n:
                lines[i] = m[1] + (" \t " if not blanked else "") + "\n"
                blanked.append("iemocap:" + m[1].split()[0])
        path.write_text("".join(lines), encoding="utf-8")
    assert len(blanked) == n
    return blanked


def test_a_run_says_how_many_transcripts_are_empty(tmp_path: Path, iemocap_corpus: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(shutil.copytree(iemocap_corpus, tmp_path / "corpus"))
    blanked = blank_transcripts(root, 3)
    suite = write_suite(tmp_path / "s.toml", suite_toml("e", [0], ["majority", "test-keyword-text"],
                                                        transcripts=["gold"]))
    out = tmp_path / "runs"
    assert main(["run", "--suite", str(suite), "--corpus", f"iemocap={root}", "--out", str(out),
                 "--cache", str(tmp_path / "cache"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert err.count("3 of 48 utterances have an empty or whitespace-only gold transcript") == 1, err  # once
    assert EMPTY_TEXT_POLICY in err and blanked[0] in err
    results = {p.parent: json.loads(p.read_text()) for p in out.rglob(RESULT_FILE)}
    reads_text = {d: r for d, r in results.items() if r["run"]["model"] == "test-keyword-text"}
    assert reads_text and all(r["empty_text"] == 3 for r in reads_text.values())  # every fold reads all 48
    assert all(r["empty_text"] is None for d, r in results.items() if d not in reads_text)  # majority: no text
    for d in reads_text:
        assert "empty text: 3 of 48 utterances of this run" in (d / LOG_FILE).read_text()


def test_a_result_without_the_count_still_reads_and_a_bad_count_is_refused(tmp_path: Path) -> None:
    from tests.support.leaderboard import write_run

    d = write_run(tmp_path, model="m", corpus="iemocap", fold="test=Session1", seed=0, uids=["iemocap:a"],
                  gold=["neu"], pred=["neu"])
    data = json.loads((d / RESULT_FILE).read_text())
    assert "empty_text" not in data and RunResult.from_json(data).empty_text is None  # older results
    with pytest.raises(ResultError, match="'empty_text' must be null or a whole number >= 0, got -1"):
        RunResult.from_json({**data, "empty_text": -1})
