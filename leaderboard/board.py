"""The computed leaderboard: cells, ablation points and the reference rows allowed beside them."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from leaderboard.attention import AttentionRow, attention_rows
from leaderboard.cells import AblationPoint, Cell, attach_failures, build_ablations, build_cells
from leaderboard.references import BUILTIN, Reference
from leaderboard.results import Failure, Run
from leaderboard.robustness import RobustnessTable, robustness_tables
from leaderboard.significance import DEFAULT_RESAMPLES
from leaderboard.task_cells import TaskCell, build_task_cells
from leaderboard.validity import ValidityPanel, add_arousal_check, build_validity, is_oracle

SYNTHETIC_NOTICE = "synthetic corpora — not the real IEMOCAP/MSP-Podcast/CREMA-D"


@dataclass
class Group:
    """corpus x protocol x label map (x training corpus, audio condition, refit): the cells that differ only by
    transcript."""

    key: tuple[str, ...]
    cells: list[Cell]

    @property
    def title(self) -> str:
        return self.cells[0].key.title.rsplit(" · transcript:", 1)[0]

    @property
    def synthetic(self) -> bool:
        return any(c.synthetic for c in self.cells)

    @property
    def models(self) -> list[str]:
        """Models of the group ordered by their best rank over the group's cells, then by name."""
        best: dict[str, float] = {}
        for c in self.cells:
            for m in c.models:
                best[m.model] = min(best.get(m.model, float("inf")), m.rank or float("inf"))
        return sorted(best, key=lambda m: (best[m], m))


@dataclass
class Leaderboard:
    cells: list[Cell]
    ablations: list[AblationPoint]
    references: dict[str, list[Reference]]  # real corpus name -> its reference rows
    n_runs: int
    n_resamples: int
    seed: int
    attention: list[AttentionRow] | None = None  # LE-MER attention diagnostics (leaderboard/attention.py)
    validity: list[ValidityPanel] = field(default_factory=list)  # corpora with cue ground truth (validity.py)
    tasks: list[TaskCell] = field(default_factory=list)  # the soft-label and dimensional cells (task_cells.py)
    robustness: list[RobustnessTable] = field(default_factory=list)  # degraded vs clean audio (robustness.py)
    failures: list[Failure] = field(default_factory=list)  # runs that raised (error.txt, no result)
    unplaced_failures: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # condition -> model -> reasons

    @property
    def synthetic(self) -> bool:
        return any(c.synthetic for c in self.cells) or any(t.synthetic for t in self.tasks)

    @property
    def groups(self) -> list[Group]:
        by: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
        for c in self.cells:
            by[c.key.group].append(c)
        return [Group(k, v) for k, v in by.items()]


def compute_leaderboard(runs: list[Run], *, references: list[Reference] | None = None,
                        n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                        failures: list[Failure] | None = None) -> Leaderboard:
    """Compute every cell; keep reference rows only for real (non-synthetic) corpora present in the runs.

    Runs of validation oracles (they read ground truth) are never ranked: they feed the validity panel only.
    """
    ranked_runs = [r for r in runs if not is_oracle(r)]
    cells = build_cells(ranked_runs, n_resamples=n_resamples, seed=seed)
    real = {c.key.corpus for c in cells if not c.synthetic}
    refs: dict[str, list[Reference]] = defaultdict(list)
    for r in (*BUILTIN, *(references or [])):
        if r.corpus in real:
            refs[r.corpus].append(r)
    tasks = build_task_cells(ranked_runs, n_resamples=n_resamples, seed=seed)
    validity = build_validity(runs, n_resamples=n_resamples, seed=seed)
    for panel in validity:
        add_arousal_check(panel, tasks)
    unplaced = attach_failures(cells, failures or [])
    return Leaderboard(cells=cells, ablations=build_ablations(runs), references=dict(refs), n_runs=len(runs),
                       failures=list(failures or []), unplaced_failures=unplaced,
                       n_resamples=n_resamples, seed=seed, attention=attention_rows(runs), validity=validity,
                       tasks=tasks, robustness=robustness_tables(cells, n_resamples=n_resamples, seed=seed))
