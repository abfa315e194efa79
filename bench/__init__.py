"""Benchmarks: each script measures on real data, prints a table and writes bench/results/*.json."""
