"""The hourly ``permit-lifecycle`` job: the end-day index (GSI3) and EXPIRED as a state.

Over HTTP and moto's DynamoDB with an injected clock: a paid permit is filed under its last
day, becomes EXPIRED (application, permit item, audit) the day after, verifies as expired
from the stored state, and the job stops before the Lambda's timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.services.permit_lifecycle import due_reminder
from tests.integration.payment_helpers import PaymentWorld, Submitted, open_world

PLENTY_OF_TIME = 600_000


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


def _issued(world: PaymentWorld) -> tuple[Submitted, dict[str, Any]]:
    app = world.submit()
    assert world.pay(app)[0].status_code == 200
    permit = world.status(app).json_body["permit"]
    return app, permit


def _permit_item(world: PaymentWorld, app_id: str) -> dict[str, Any]:
    (item,) = [i for i in world.permit_items() if i["application_id"]["S"] == app_id]
    return item


def test_an_issued_permit_is_filed_under_its_last_day(world: PaymentWorld) -> None:
    app, permit = _issued(world)
    item = _permit_item(world, app.id)
    assert permit["valid_until"] == "2027-11-20"  # 12 months from 21 Nov 2026
    assert item["GSI3PK"] == {"S": "ENDS#2027-11-20"}
    assert "GSI3PK" not in world.application_item(app.id)  # only permits are in the index
    from datetime import date

    found = list(world.container.store.permits_ending_on(date(2027, 11, 20)))
    assert [p.application_id for p in found] == [app.id]
    assert list(world.container.store.permits_ending_on(date(2027, 11, 21))) == []


def test_a_permit_past_its_end_becomes_expired_once(world: PaymentWorld) -> None:
    app, permit = _issued(world)
    other, _ = _issued(world)
    token = permit["verify_url"].split("#", 1)[1]
    job = world.container.permit_lifecycle

    # The last valid day (Berlin): still ISSUED, still valid.
    world.clock.advance(days=364)  # 2027-11-20 10:00 UTC
    assert job.run(lambda: PLENTY_OF_TIME).expired == 0
    assert world.stored_status(app.id) == "ISSUED"
    assert world.verify(token).json_body["result"] == "valid"

    world.clock.advance(days=1)
    report = job.run(lambda: PLENTY_OF_TIME)
    assert report.expired == 2
    assert world.stored_status(app.id) == "EXPIRED"
    assert _permit_item(world, app.id)["status"]["S"] == "EXPIRED"
    assert world.audit_events(app.id)[-1] == "expired"
    assert world.audit_details(app.id, "expired") == [{"permit_number": permit["number"]}]
    assert world.status(app).json_body["status"] == "EXPIRED"
    assert world.verify(token).json_body["result"] == "expired"
    assert world.stored_status(other.id) == "EXPIRED"

    before = world.items()
    assert job.run(lambda: PLENTY_OF_TIME).expired == 0  # the next hour changes nothing
    assert world.items() == before


def test_a_run_missed_for_days_catches_up(world: PaymentWorld) -> None:
    app, _ = _issued(world)
    world.clock.advance(days=365 + 5)
    assert world.container.permit_lifecycle.run(lambda: PLENTY_OF_TIME).expired == 1
    assert world.stored_status(app.id) == "EXPIRED"


def test_a_revoked_permit_stays_revoked(world: PaymentWorld, settings: Any) -> None:
    app, _ = _issued(world)
    permit = world.container.store.get_application(app.id).permit
    store = world.container.store
    before = store.get_application(app.id)
    from chalicelib.domain.lifecycle import Status

    store.save(
        before,
        before.advance(Status.REVOKED, world.clock.now()),
        [],
        permit_status=(permit.serial, Status.ISSUED, Status.REVOKED),
    )
    world.clock.advance(days=366)
    assert world.container.permit_lifecycle.run(lambda: PLENTY_OF_TIME).expired == 0
    assert world.stored_status(app.id) == "REVOKED"


def test_the_job_stops_before_the_lambdas_timeout_and_the_next_run_finishes(
    world: PaymentWorld,
) -> None:
    first, _ = _issued(world)
    second, _ = _issued(world)
    world.clock.advance(days=366)
    budget = iter([PLENTY_OF_TIME, 14_000, 0])  # one permit, then under the reserve
    report = world.container.permit_lifecycle.run(lambda: next(budget))
    assert report.stopped_early
    assert report.expired == 1
    assert sorted(world.stored_status(a.id) for a in (first, second)) == ["EXPIRED", "ISSUED"]
    assert world.container.permit_lifecycle.run(lambda: PLENTY_OF_TIME).expired == 1


def test_the_scheduled_handler_reads_the_time_left_from_the_lambda_context(
    world: PaymentWorld,
) -> None:
    """Chalice's test Lambda context has 3 s left: under the reserve, so nothing is done."""
    app, _ = _issued(world)
    world.clock.advance(days=366)
    event = world.test_client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    result = world.test_client.lambda_.invoke("permit-lifecycle", event).payload
    assert result["stopped_early"] == 1
    assert result["expired"] == 0
    assert world.stored_status(app.id) == "ISSUED"


@pytest.mark.parametrize(
    ("days_left", "sent", "expected"),
    [
        (31, (), None),
        (30, (), 30),
        (28, (), 30),  # a missed day is caught up
        (27, (), None),  # too late for the 30-day one, too early for the 7-day one
        (30, (30,), None),
        (7, (30,), 7),
        (6, (), 7),  # the 30-day one was missed entirely: only the latest goes
        (7, (7,), None),
        (1, (30, 7), 1),
        (0, (30, 7), 1),
        (-1, (), None),  # ended: no reminder
        (20, (7,), None),  # never an older reminder after a newer one
    ],
)
def test_which_reminder_is_due(days_left: int, sent: tuple[int, ...], expected: int | None) -> None:
    assert due_reminder(days_left, (30, 7, 1), sent) == expected
