"""The README's demo paragraph is generated from the demo's leaderboard (issue 25): it must equal `render` of the
recorded facts (docs/demo-numbers.json, written by benchmarks/tools/demo_numbers.py from a demo run)."""
from __future__ import annotations

import json
from pathlib import Path

from benchmarks.tools.demo_numbers import END, FACTS, README, START, render, replace_block


def test_readme_demo_block_equals_the_recorded_demo_output() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text
    block = text.split(START, 1)[1].split(END, 1)[0].strip("\n")
    facts = json.loads(FACTS.read_text(encoding="utf-8"))
    assert block == render(facts), "README demo numbers differ: rerun python -m benchmarks.tools.demo_numbers --write"


def test_the_block_is_replaced_in_place(tmp_path: Path) -> None:
    text = f"before\n{START}\nold numbers\n{END}\nafter\n"
    assert replace_block(text, "new") == f"before\n{START}\nnew\n{END}\nafter\n"
