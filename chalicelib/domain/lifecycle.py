"""The application lifecycle as data, so that every transition is checked in one place.

SUBMITTED -> AWAITING_PAYMENT -> ISSUED is the happy path; free services go SUBMITTED ->
ISSUED. Each transition is written as one conditional update on (status, version), so the
table below is the only list of what may follow what.
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.errors import ConflictError

__all__ = ["IllegalTransitionError", "Status", "check_transition"]


class Status(StrEnum):
    SUBMITTED = "SUBMITTED"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    ISSUED = "ISSUED"
    CANCELLED = "CANCELLED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    SUPERSEDED = "SUPERSEDED"


_ALLOWED: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.AWAITING_PAYMENT, Status.ISSUED, Status.CANCELLED}),
    Status.AWAITING_PAYMENT: frozenset({Status.ISSUED, Status.CANCELLED}),
    Status.ISSUED: frozenset({Status.REVOKED, Status.EXPIRED, Status.SUPERSEDED}),
    Status.CANCELLED: frozenset(),
    Status.REVOKED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.SUPERSEDED: frozenset(),
}


class IllegalTransitionError(ConflictError):
    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"an application in {current} cannot become {target}")
        self.current = current
        self.target = target


def check_transition(current: Status, target: Status) -> None:
    if target not in _ALLOWED[current]:
        raise IllegalTransitionError(current, target)
