"""Running a suite's grid: expansion into runs, per-run inputs, execution and its files."""
