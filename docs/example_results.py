"""Example: a runs folder -> a pandas DataFrame (`load_results`) -> one plot saved as PNG.

Usage (from the repository root, after `lemer-bench demo` or any `lemer-bench run`):

    python docs/example_results.py runs/demo --out ua_by_model.png

It prints the one-row-per-run frame's shape and a per-model table, then draws, for each
corpus, the UA of every model under every transcript condition: the mean over runs (folds x
seeds) with the spread across runs as error bars. This is the mean of per-run UA, not the
leaderboard's pooled UA (which scores all folds' predictions together; use `load_predictions`
to compute that). Synthetic corpora are named `synthetic-*` in the frame and in the plot title.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402

from benchmarks import load_results  # noqa: E402
from lemer.core.atomic import write_bytes_atomic  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs_dir", type=Path, help="a runs folder (e.g. runs/demo)")
    p.add_argument("--out", type=Path, default=Path("ua_by_model.png"), help="PNG to write")
    args = p.parse_args(argv)

    df = load_results(args.runs_dir)
    df = df[df["ablation.param"].isna()]  # main runs only; ablation points are a different question
    print(f"{len(df)} runs, {df.shape[1]} columns", file=sys.stderr)
    stats = df.groupby(["corpus", "transcript", "model"])["ua"].agg(["mean", "std", "count"]).reset_index()
    print(stats.to_string(index=False))

    corpora = sorted(stats["corpus"].unique())
    fig, axes = plt.subplots(1, len(corpora), figsize=(6 * len(corpora), 4), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        sub = stats[stats["corpus"] == corpus]
        table = sub.pivot(index="model", columns="transcript", values="mean")
        err = sub.pivot(index="model", columns="transcript", values="std").fillna(0.0)
        table.plot.bar(ax=ax, yerr=err, rot=45, capsize=2)
        ax.set_title(corpus)
        ax.set_ylabel("UA (mean of runs)")
        ax.set_ylim(0, 1)
        ax.legend(title="transcript", fontsize="small")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    write_bytes_atomic(args.out, buf.getvalue())
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
