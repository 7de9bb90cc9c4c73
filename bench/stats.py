"""Medians and percentiles; the machine is shared, so single times mean nothing."""

from __future__ import annotations

import statistics

__all__ = ["median", "percentile"]


def median(samples: list[float]) -> float:
    return float(statistics.median(samples))


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0..1)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
