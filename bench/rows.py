"""What one benchmark row is: a figure, its baseline from the same run, a target, a verdict.

A row judges exactly one number (``value``) against its :class:`Target`; the other numbers
it was derived from travel in ``figures`` so results.md and ``--json`` can show them.
A benchmark that failed yields ERROR rows carrying the reason, never a made-up number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Row", "Spec", "Status", "Target"]

Status = Literal["PASS", "MISS", "INFO", "ERROR", "SKIPPED"]


@dataclass(frozen=True)
class Target:
    """``value <op> limit``; ``unit`` is appended verbatim: ``Target("<=", 15, " ms")``."""

    op: Literal["<=", ">=", "=="]
    limit: float
    unit: str = ""

    def met(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.limit
        if self.op == ">=":
            return value >= self.limit
        return value == self.limit

    def __str__(self) -> str:
        limit = f"{self.limit:,.0f}" if float(self.limit).is_integer() else f"{self.limit:g}"
        return f"{self.op} {limit}{self.unit}"


@dataclass(frozen=True)
class Spec:
    """A row a benchmark promises to produce: key, what it measures, and the target."""

    key: str
    figure: str
    target: Target | None = None

    def row(
        self,
        value: float,
        shown: str,
        baseline: str,
        figures: dict[str, float] | None = None,
        note: str = "",
        details: tuple[str, ...] = (),
    ) -> Row:
        if not math.isfinite(value):
            return self.error(f"non-finite value {value!r}")
        status: Status = (
            "INFO" if self.target is None else ("PASS" if self.target.met(value) else "MISS")
        )
        return Row(self, status, value, shown, baseline, dict(figures or {}), note, details)

    def error(self, reason: str) -> Row:
        return Row(self, "ERROR", None, "-", "-", {}, reason)

    def skipped(self, reason: str) -> Row:
        return Row(self, "SKIPPED", None, "-", "-", {}, reason)


@dataclass(frozen=True)
class Row:
    spec: Spec
    status: Status
    value: float | None
    shown: str
    baseline: str
    figures: dict[str, float] = field(default_factory=dict)
    note: str = ""
    details: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def target(self) -> str:
        return "-" if self.spec.target is None else str(self.spec.target)

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "figure": self.spec.figure,
            "status": self.status,
            "value": self.value,
            "shown": self.shown,
            "baseline": self.baseline,
            "target": self.target,
            "figures": self.figures,
            "note": self.note,
            "details": list(self.details),
        }
