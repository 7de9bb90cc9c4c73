"""Fakes of our own ports, injected through the Container's typed overrides (never patched in)."""

from __future__ import annotations

from collections import Counter

from chalicelib.services.ports import MetricName

__all__ = ["AuditRefusingStore", "InMemoryMetrics"]


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


class AuditRefusingStore:
    """The real store, except that audit-only writes fail as if DynamoDB were down.

    Injected as the Container's ``store`` to prove that staff see no answers when their
    view cannot be audited. Everything else goes to the wrapped store unchanged.
    """

    def __init__(self, store: object) -> None:
        self._store = store
        self.refused = 0

    def add_audit(self, entry: object, app_version: int) -> None:
        from chalicelib.services.store_errors import StoreUnavailableError

        self.refused += 1
        raise StoreUnavailableError("audit write refused (test)")

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)
