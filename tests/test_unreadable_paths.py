"""Defect class 2 of issue 26: a file or folder a command must read but may not (`chmod 000`) is one line naming
it, exit 2, at every command that reads it (never a traceback, never an empty folder). As root the permission
error is injected (tests/support/denied.py), so these cases run in CI too."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.cli import main
from dataset_adapters.files import UnreadableFile, list_dir
from dataset_adapters.load import load_report
from leaderboard.schema import PREDICTIONS_FILE, RESULT_FILE
from tests.support.corpora import make_crema, make_msp
from tests.support.denied import deny
from tests.support.leaderboard import write_predictions, write_run
from tests.support.runs import suite_toml, write_suite

SUITE = suite_toml("t", [0], ["majority"], transcripts=["gold"])
UIDS = ["iemocap:Ses01F_impro01_F000", "iemocap:Ses01F_impro01_M000"]


@pytest.fixture()
def denied(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return lambda path: deny(monkeypatch, request, path)


def one_line(capsys: pytest.CaptureFixture[str], rc: int, *named: object) -> str:
    err = capsys.readouterr().err
    assert rc == 2, err
    first = err.strip().splitlines()[0]  # a suite error adds its problem count on a second line
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2, err
    for what in named:
        assert str(what) in first, err
    return err


@pytest.fixture()
def tree(tmp_path: Path, iemocap_corpus: Path) -> Path:
    return Path(shutil.copytree(iemocap_corpus, tmp_path / "corpus"))


def test_list_dir_names_a_folder_it_may_not_list(tmp_path: Path, denied) -> None:  # type: ignore[no-untyped-def]
    assert list_dir(tmp_path / "absent") == []  # an absent part is the caller's to account for
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("x")
    denied(tmp_path / "d")
    with pytest.raises(UnreadableFile, match="permission denied"):  # before: [] ("no label files")
        list_dir(tmp_path / "d")


@pytest.mark.parametrize("part", ["session", "label folder", "clip folder", "transcription folder"])
def test_data_check_names_an_unreadable_corpus_folder(tree: Path, capsys: pytest.CaptureFixture[str], denied,  # type: ignore[no-untyped-def]
                                                       part: str) -> None:
    folder = {"session": tree / "Session1", "label folder": tree / "Session2" / "dialog" / "EmoEvaluation",
              "clip folder": tree / "Session2" / "sentences" / "wav",
              "transcription folder": tree / "Session2" / "dialog" / "transcriptions"}[part]
    denied(folder)
    rc = main(["data", "check", "iemocap", "--root", str(tree)])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err, err  # data check's exit for a tree with problems
    assert f"{folder}: {part if part != 'session' else 'session folder'} unreadable: permission denied" in err
    assert "no EmoEvaluation label files" not in err


@pytest.mark.parametrize("corpus, part", [("msp-podcast", "Audios"), ("msp-podcast", "Transcripts"),
                                          ("crema-d", "AudioWAV")])
def test_every_adapter_names_a_folder_it_may_not_list(tmp_path: Path, capsys: pytest.CaptureFixture[str], denied,  # type: ignore[no-untyped-def]
                                                      corpus: str, part: str) -> None:
    root = (make_msp if corpus == "msp-podcast" else make_crema)(tmp_path / "tree")
    denied(root / part)
    rc = main(["data", "check", corpus, "--root", str(root)])
    err = capsys.readouterr().err
    assert rc in (1, 2) and "Traceback" not in err, err  # 2 when nothing is left to load (CREMA-D's only folder)
    assert str(root / part) in err and "permission denied" in err, err  # the folder, or the first clip in it


def test_skip_mode_counts_an_unreadable_session_as_a_skip(tree: Path, denied) -> None:  # type: ignore[no-untyped-def]
    full = len(load_report("iemocap", tree).utterances)
    denied(tree / "Session2")
    report = load_report("iemocap", tree, on_error="skip")
    assert [p.path for p in report.skipped] == [str(tree / "Session2")]
    assert 0 < len(report.utterances) < full


def test_data_check_names_an_unreadable_transcript(tree: Path, capsys: pytest.CaptureFixture[str], denied) -> None:  # type: ignore[no-untyped-def]
    t = next((tree / "Session1" / "dialog" / "transcriptions").glob("*.txt"))
    denied(t)
    rc = main(["data", "check", "iemocap", "--root", str(tree)])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err and f"{t}: transcription file unreadable: permission denied" in err, err


@pytest.mark.usefixtures("test_models")
def test_run_names_an_unreadable_session_folder(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                denied) -> None:  # type: ignore[no-untyped-def]
    suite = write_suite(tmp_path / "t.toml", SUITE)
    denied(tree / "Session3")
    rc = main(["run", "--suite", str(suite), "--corpus", f"iemocap={tree}", "--out", str(tmp_path / "out"),
               "--cache", str(tmp_path / "cache"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and str(tree / "Session3") in err and "permission denied" in err, err


@pytest.mark.parametrize("command", ["suite-check", "run"])
def test_an_unreadable_suite_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], denied,  # type: ignore[no-untyped-def]
                                              command: str) -> None:
    suite = write_suite(tmp_path / "t.toml", SUITE)
    denied(suite)
    args = (["suite", "check", str(suite)] if command == "suite-check"
            else ["run", "--suite", str(suite), "--out", str(tmp_path / "out"), "--no-progress"])
    one_line(capsys, main(args), suite, "permission denied")


@pytest.mark.parametrize("command", ["score", "compare"])
def test_an_unreadable_prediction_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], denied,  # type: ignore[no-untyped-def]
                                                   command: str) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_predictions(a, UIDS, ["neu", "hap"], ["neu", "neu"])
    write_predictions(b, UIDS, ["neu", "hap"], ["neu", "hap"])
    denied(b)
    one_line(capsys, main(["score", str(b)] if command == "score" else ["compare", str(a), str(b)]),
             b, "permission denied")


@pytest.mark.parametrize("name", [RESULT_FILE, PREDICTIONS_FILE])
def test_leaderboard_names_an_unreadable_run_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], denied,  # type: ignore[no-untyped-def]
                                                  name: str) -> None:
    runs = tmp_path / "runs"
    d = write_run(runs, model="majority", corpus="iemocap", fold="test=Session1", seed=0, uids=UIDS,
                  gold=["neu", "hap"], pred=["neu", "neu"])
    denied(d / name)
    one_line(capsys, main(["leaderboard", str(runs), "--out", str(tmp_path / "lb")]), d / name, "permission denied")


COMMANDS = {  # each with a corpus root that does not exist: the cache or --out must be refused before it is read
    "transcripts": ["transcripts", "iemocap", "--root", "{missing}", "--source", "gold", "--out", "{tmp}/t.jsonl"],
    "features": ["features", "iemocap", "--root", "{missing}", "--speech-encoder", "none"],
    "run": ["run", "--suite", "{suite}", "--corpus", "iemocap={missing}", "--out", "{tmp}/out", "--no-progress"],
}


@pytest.mark.parametrize("given", ["env", "option", "under-a-file"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_cache_path_that_is_a_file_is_refused_before_any_corpus_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str,
        given: str) -> None:
    blocker = tmp_path / "cache-file"
    blocker.write_text("not a folder")
    cache = blocker / "sub" if given == "under-a-file" else blocker
    args = [a.format(missing=tmp_path / "no-corpus", tmp=tmp_path, suite=write_suite(tmp_path / "t.toml", SUITE))
            for a in COMMANDS[command]]
    if given == "env":
        monkeypatch.setenv("LEMER_CACHE", str(cache))
    else:
        args += ["--cache", str(cache)]
    err = one_line(capsys, main(args), cache, "not a folder")
    assert "no-corpus" not in err and ("given by $LEMER_CACHE" in err) == (given == "env")


def test_transcripts_out_that_is_a_folder_is_refused_before_the_work(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "already-a-folder"
    out.mkdir()
    err = one_line(capsys, main(["transcripts", "iemocap", "--root", str(tmp_path / "no-corpus"), "--source", "gold",
                                 "--out", str(out)]), out, "not a folder")
    assert "no-corpus" not in err
