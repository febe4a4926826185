"""Metrics, significance tests, tables, plots and the HTML page; reads result files only."""
