"""Benchmarks of egain-provision: `python -m benchmarks` (the suite), and bench_*.py for single measurements."""
