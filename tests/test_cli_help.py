"""The CLI explains itself: user-facing top-level help, --version, help on every option, and logs free
of progress-bar cursor escapes when stderr is not a terminal (with a stage line per shared item)."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.cli import build_parser
from benchmarks.provenance import package_version
from tests.support.runs import SMALL_SUITE, write_suite

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, module: str = "benchmarks.cli") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env,
                          timeout=600, check=False)


def _undocumented(parser: argparse.ArgumentParser, path: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += _undocumented(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_argument_of_every_command_has_help() -> None:
    assert _undocumented(build_parser(), "lemer-bench") == []


def test_top_level_help_is_for_users_and_version_is_printed() -> None:
    r = _cli("--help")
    assert r.returncode == 0
    assert "emotion recognition" in r.stdout and "lemer-bench demo" in r.stdout
    assert "register(subparsers)" not in r.stdout and "Each command group" not in r.stdout
    v = _cli("--version")
    assert v.returncode == 0 and v.stdout.strip() == f"lemer-bench {package_version()}"


@pytest.mark.parametrize("argv", [["compare", "--help"], ["data", "synth", "--help"], ["data", "export", "--help"],
                                  ["data", "folds", "--help"], ["run", "--help"]])
def test_subcommand_help_explains_the_named_options(argv: list[str]) -> None:
    text = " ".join(_cli(*argv).stdout.split())  # argparse wraps lines
    expected = {"compare": ["model A", "model B", "resamples", "mcnemar"],
                "synth": ["layout", "tiny", "seed of the plan"],
                "export": ["output file", "skip: leave bad inputs out"],
                "folds": ["loso", "speaker-kfold"],
                "run": ["--text-encoder", "--speech-encoder", "local folder"]}[argv[-2]]
    for phrase in expected:
        assert phrase in text, (argv, phrase)


def test_no_cursor_escapes_in_logs_and_a_stage_line_before_the_grid(tmp_path: Path, iemocap_corpus: Path) -> None:
    suite = write_suite(tmp_path / "t.toml", SMALL_SUITE)
    # progress is on (no --no-progress), but stderr is a pipe, as in a log file or CI
    r = _cli("run", "--suite", str(suite), "--corpus", f"iemocap={iemocap_corpus}", "--out", str(tmp_path / "runs"),
             "--cache", str(tmp_path / "cache"), "--models", "test-keyword-text", "--limit", "2",
             module="tests.support.runs")
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr and "\x1b[" not in r.stderr, r.stderr[:500]
    assert "preparing 1/1" in r.stderr and "transcripts for" in r.stderr
