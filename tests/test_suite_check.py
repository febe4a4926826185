"""`lemer-bench suite check`: every problem of a suite file at once, each with its line; values of the wrong
type are problems (a string is not a boolean, an integer is not a table); nothing is run."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.suite import SuiteError, check_suite, load_suite

BROKEN = """name = "x"
sedes = [0]
models = ["majorty"]
main_score = "uaa"
leaderboard = "no"
[[corpora]]
name = "imocap"
[[corpora]]
name = "iemocap"
label_map = "crema-6"
synthetic = "false"
"""


def test_every_problem_is_reported_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN)
    suite, problems = check_suite(str(path))
    assert suite is None
    expected = [(2, "unknown key 'sedes'"), (3, "did you mean majority"), (4, "did you mean ua"),
                (5, "leaderboard must be true or false"), (7, "did you mean iemocap"),
                (10, "label map 'crema-6' does not apply"), (11, "synthetic must be true or false")]
    for line, text in expected:
        assert any(p.startswith(f"{path}:{line}: ") and text in p for p in problems), (line, text, problems)
    assert len(problems) == len(expected)
    code = main(["suite", "check", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and f"{len(expected)} problem(s)" in err and "Traceback" not in err
    with pytest.raises(SuiteError) as e:  # `run` refuses the same file with the same list
        load_suite(str(path))
    assert str(e.value).startswith(f"{len(expected)} problems in suite {path}")


@pytest.mark.parametrize("body, needle", [
    ("corpora = 3\n", "corpora must be an array of tables"),
    ("corpora = [1, 2]\n", "corpora must be an array of tables"),
    ('[[corpora]]\nname = "iemocap"\n[[ablations]]\nmodel = "lemer"\nparam = 3\nvalues = [1]\n', "param must be a switch name"),
    ("ablations = [1]\n[[corpora]]\nname = \"iemocap\"\n", "ablations must be an array of tables"),
    ('[[corpora]]\nname = "iemocap"\nmax_folds = "2"\n', "max_folds must be a non-negative integer"),
    ('[[corpora]]\nname = 7\n', "name must be a corpus name"),
    ('[encoders]\nspeech = "opensmile:egemap"\n[[corpora]]\nname = "iemocap"\n', "openSMILE frame encoders are"),
    ('[[corpora]]\nname = "iemocap"\n[[ablations]]\nmodel = "lemer"\nparam = "k_keywords"\nvalues = [0]\n', "k_keywords"),
])
def test_values_of_the_wrong_type_or_range_are_problems_not_tracebacks(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(body)
    suite, problems = check_suite(str(path))
    assert suite is None and any(needle in p for p in problems), problems


def test_a_good_suite_is_summarised(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["suite", "check", "demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: suite 'demo'") and "ranks by ua" in out


def test_cli_encoder_overrides_go_through_the_same_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--suite", "demo", "--speech-encoder", "opensmile:egemps", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "openSMILE frame encoders are" in err and not (tmp_path / "r").exists()
