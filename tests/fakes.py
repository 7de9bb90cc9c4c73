"""Fakes of our own ports, injected through the Container's typed overrides (never patched in)."""

from __future__ import annotations

from collections import Counter

from chalicelib.services.ports import MetricName

__all__ = ["InMemoryMetrics"]


class InMemoryMetrics:
    """The ``Metrics`` port in memory: tests assert which events were counted, and how often."""

    def __init__(self) -> None:
        self.counts: Counter[MetricName] = Counter()

    def count(self, name: MetricName, value: int = 1) -> None:
        self.counts[name] += value

    def snapshot(self) -> dict[str, int]:
        """Every metric with its count so far, zeros included, for exact comparisons."""
        names: tuple[MetricName, ...] = ("PermitsIssued", "WebhooksRefused", "ServerErrors")
        return {name: self.counts[name] for name in names}
