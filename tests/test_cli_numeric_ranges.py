"""Defect class 3 of issue 26: every numeric option of every command has a range checked at parse time, and its
--help says the range; the examples the fault-injection pass found are refused in one line with exit 2."""
from __future__ import annotations

import argparse

import pytest

from benchmarks.cli import build_parser, main


def _numeric_actions() -> list[tuple[str, argparse.Action]]:
    out = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif action.option_strings and isinstance(action.default, (int, float)) \
                    and not isinstance(action.default, bool) and action.nargs != 0:
                out.append((path, action))

    walk(build_parser(), "lemer-bench")
    return out


def test_every_numeric_option_has_a_checked_range_said_in_its_help() -> None:
    actions = _numeric_actions()
    assert len(actions) >= 10
    unchecked = [f"{p} {a.option_strings[0]}" for p, a in actions
                 if getattr(a.type, "__module__", None) != "lemer.core.options"]  # integer() / number() ranges
    assert not unchecked, unchecked
    silent = [f"{p} {a.option_strings[0]}" for p, a in actions
              if not any(w in (a.help or "") for w in (">=", "<=", "in [", "in (", "> ", "< ", "at least"))]
    assert not silent, silent


@pytest.mark.parametrize("argv, option", [
    (["leaderboard", "runs", "--out", "x", "--resamples", "0"], "--resamples"),
    (["features", "iemocap", "--root", "r", "--context", "-1"], "--context"),
    (["run", "--suite", "demo", "--jobs", "0"], "--jobs"),
    (["compare", "a.jsonl", "b.jsonl", "--resamples", "-5"], "--resamples"),
])
def test_out_of_range_values_are_one_line_and_exit_2(argv: list[str], option: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert option in err and ("must be" in err or "expected" in err) and "Traceback" not in err
