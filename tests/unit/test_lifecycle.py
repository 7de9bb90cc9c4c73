"""The lifecycle table: exactly these transitions, nothing else, and records that obey it.

The table is checked exhaustively (every ordered pair of statuses), so adding a status or an
edge without updating this file fails loudly.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from chalicelib.domain.errors import ConflictError
from chalicelib.domain.lifecycle import IllegalTransitionError, Status, check_transition
from chalicelib.domain.records import Application

S = Status
ALLOWED = {
    (S.SUBMITTED, S.AWAITING_PAYMENT),
    (S.SUBMITTED, S.ISSUED),  # free services
    (S.SUBMITTED, S.CANCELLED),
    (S.AWAITING_PAYMENT, S.ISSUED),
    (S.AWAITING_PAYMENT, S.CANCELLED),
    (S.ISSUED, S.REVOKED),
    (S.ISSUED, S.EXPIRED),
    (S.ISSUED, S.SUPERSEDED),
}
TERMINAL = {S.CANCELLED, S.REVOKED, S.EXPIRED, S.SUPERSEDED}
T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_the_statuses_are_exactly_these() -> None:
    assert [s.value for s in Status] == [
        "SUBMITTED",
        "AWAITING_PAYMENT",
        "ISSUED",
        "CANCELLED",
        "REVOKED",
        "EXPIRED",
        "SUPERSEDED",
    ]


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions_pass(current: Status, target: Status) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(pair for pair in product(Status, Status) if pair not in ALLOWED),
)
def test_every_other_transition_is_refused(current: Status, target: Status) -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        check_transition(current, target)
    assert caught.value.current is current
    assert caught.value.target is target
    assert str(caught.value) == f"an application in {current} cannot become {target}"


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_statuses_lead_nowhere(status: Status) -> None:
    for target in Status:
        with pytest.raises(IllegalTransitionError):
            check_transition(status, target)


def test_an_illegal_transition_is_a_conflict() -> None:
    """The HTTP layer maps ConflictError to 409; a lifecycle refusal must land there."""
    assert issubclass(IllegalTransitionError, ConflictError)


def test_status_values_round_trip_as_strings() -> None:
    for status in Status:
        assert Status(status.value) is status
        assert f"{status}" == status.value


def _application(status: Status = S.SUBMITTED, version: int = 1) -> Application:
    return Application(
        id="0" * 32,
        form_id="resident-parking-permit",
        form_version=1,
        schema_hash="h" * 64,
        data={"zone": "C"},
        status=status,
        version=version,
        fee_cents=3000,
        currency="EUR",
        access_token_hash="t" * 64,
        created_at=T0,
        updated_at=T0,
    )


def test_advance_returns_the_next_version_and_leaves_the_original() -> None:
    app = _application()
    later = T0 + timedelta(minutes=5)
    paid = app.advance(S.AWAITING_PAYMENT, later, payment_id="pay_1")
    assert (paid.status, paid.version, paid.updated_at, paid.payment_id) == (
        S.AWAITING_PAYMENT,
        2,
        later,
        "pay_1",
    )
    assert paid.created_at == T0
    assert (app.status, app.version, app.updated_at, app.payment_id) == (S.SUBMITTED, 1, T0, None)


def test_advance_refuses_what_the_lifecycle_forbids() -> None:
    app = _application(S.CANCELLED, version=4)
    with pytest.raises(IllegalTransitionError):
        app.advance(S.ISSUED, T0)


def test_with_changes_bumps_the_version_but_not_the_status() -> None:
    app = _application(S.AWAITING_PAYMENT, version=3)
    flagged = app.with_changes(T0 + timedelta(hours=1), flags=("late_payment",))
    assert (flagged.status, flagged.version, flagged.flags) == (
        S.AWAITING_PAYMENT,
        4,
        ("late_payment",),
    )


def test_records_are_immutable() -> None:
    app = _application()
    with pytest.raises(FrozenInstanceError):
        app.status = S.ISSUED  # type: ignore[misc]
