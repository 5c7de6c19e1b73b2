"""Benchmarks: how fast and how lean numbers-bot is, measured against a bare Bolt app in the same run.

`python -m bench` (or `make bench`) prints the figures and writes them to BENCHMARKS.md; `--quick` runs
fewer rounds on 100k audit rows for a smoke check. They print figures; nothing here fails on speed.
See bench/__main__.py for the pieces and BENCHMARKS.md for what the figures mean.
"""
