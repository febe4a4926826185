"""Measurement tools run by hand (`python -m benchmarks.tools.<name>`): scale runs too long or too large for a
benchmark round; their numbers are recorded in docs/performance.md."""
