"""Metrics adapters (the ``Metrics`` port in :mod:`chalicelib.services.ports`).

- :mod:`.emf`: CloudWatch Embedded Metric Format, one JSON line on stdout per event.
"""

from __future__ import annotations

__all__: list[str] = []
