"""Summaries of repeated measurements: median and p99 (nearest rank), in milliseconds."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Median and p99 of `count` samples, in milliseconds."""

    count: int
    median_ms: float
    p99_ms: float
    max_ms: float

    def cell(self) -> str:
        return f"{self.median_ms:.1f} / {self.p99_ms:.1f}"


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (p99 of 40 samples is the largest)."""
    if not sorted_values:
        raise ValueError("no samples")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(seconds: Sequence[float]) -> Summary:
    """Summarize durations given in seconds."""
    ordered = sorted(seconds)
    return Summary(
        count=len(ordered),
        median_ms=statistics.median(ordered) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        max_ms=ordered[-1] * 1000,
    )
