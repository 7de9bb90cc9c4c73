"""The hourly ``permit-lifecycle`` job: the end-day index (GSI3) and EXPIRED as a state.

Over HTTP and moto's DynamoDB with an injected clock: a paid permit is filed under its last
day, becomes EXPIRED (application, permit item, audit) the day after, verifies as expired
from the stored state, and the job stops before the Lambda's timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.services.permit_lifecycle import due_reminder
from tests.integration.lifecycle_helpers import (
    PLENTY_OF_TIME,
    Captured,
    deliver_pending,
    reminder_days_sent,
)
from tests.integration.payment_helpers import PaymentWorld, Submitted, open_world


@pytest.fixture
def mailer() -> Captured:
    return Captured()


@pytest.fixture
def world(
    settings: Any, dynamodb_client: Any, clock: Any, mailer: Captured
) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock, mailer=mailer) as opened:
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


# -- reminders -------------------------------------------------------------------------------


def test_reminders_go_30_7_and_1_days_before_the_end_each_exactly_once(
    world: PaymentWorld, mailer: Captured
) -> None:
    app, permit = _issued(world)
    deliver_pending(world)
    mailer.sent.clear()
    world.clock.advance(days=333)  # 20 Oct 2027: 31 days left
    job = world.container.permit_lifecycle
    job.run(lambda: PLENTY_OF_TIME)
    assert reminder_days_sent(world, app.id) == []
    seen: list[tuple[str, list[int]]] = []
    for _day in range(32):
        world.clock.advance(days=1)
        for _run in range(3):  # hourly: the same day is looked at again and again
            job.run(lambda: PLENTY_OF_TIME)
        seen.append((world.clock.now().date().isoformat(), reminder_days_sent(world, app.id)))
        deliver_pending(world)
    by_day = dict(seen)
    assert by_day["2027-10-21"] == [30]
    assert by_day["2027-11-12"] == [30]
    assert by_day["2027-11-13"] == [7, 30]
    assert by_day["2027-11-19"] == [1, 7, 30]
    assert by_day["2027-11-21"] == [1, 7, 30]  # expired now, nothing more
    assert world.stored_status(app.id) == "EXPIRED"
    assert [m.subject for m in mailer.sent] == [
        "Ihr Ausweis läuft am 20.11.2027 ab: Bewohnerparkausweis"
    ] * 3
    first = mailer.sent[0]
    assert first.to == "guelsen.oeztuerk@example.org"
    assert "Verlängern Sie ihn jetzt:" in first.text
    assert "https://permits.example.de/renew/" + app.id + "?expires=" in first.text
    assert app.id[:8].upper() in first.text
    assert "Öztürk" not in first.text and "Kaiserplatz" not in first.text  # no personal data
    item = _permit_item(world, app.id)
    assert {k for k in item if k.startswith("reminded_")} == {
        "reminded_30",
        "reminded_7",
        "reminded_1",
    }
    assert permit["number"] not in first.subject


def test_an_english_reminder_and_one_before_the_window_opens(
    world: PaymentWorld, mailer: Captured
) -> None:
    from datetime import date

    from chalicelib.services.notifications import reminder_mail

    now = world.clock.now()
    message = reminder_mail(
        "someone@example.org",
        "en",
        "resident-parking-permit",
        "ab" * 16,
        days=30,
        valid_to=date(2027, 1, 31),
        renew_from=date(2027, 1, 10),
        now=now,
    )
    mail = world.container.notifier.compose(message, now)
    assert mail.subject == "Your permit ends on 2027-01-31: Resident parking permit"
    assert "Renew it from 2027-01-10:" in mail.text
    german = world.container.notifier.compose(replace(message, lang="de"), now)
    assert "Ab 10.01.2027 können Sie ihn verlängern:" in german.text


def test_two_overlapping_jobs_send_each_reminder_once(world: PaymentWorld) -> None:
    import threading

    apps = [_issued(world)[0] for _ in range(4)]
    world.clock.advance(days=334)  # 30 days left for all four
    barrier = threading.Barrier(2)
    reports: list[Any] = []

    def run() -> None:
        barrier.wait()
        reports.append(world.container.permit_lifecycle.run(lambda: PLENTY_OF_TIME))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.reminded for r in reports) == 4
    for app in apps:
        assert reminder_days_sent(world, app.id) == [30]
    outbox = [
        i
        for i in world.items()
        if i.get("type", {}).get("S") == "outbox" and i["kind"]["S"] == "reminder"
    ]
    assert len(outbox) == 4


def test_no_reminder_for_a_revoked_permit(world: PaymentWorld) -> None:
    from chalicelib.domain.lifecycle import Status

    app, _ = _issued(world)
    store = world.container.store
    before = store.get_application(app.id)
    store.save(
        before,
        before.advance(Status.REVOKED, world.clock.now()),
        [],
        permit_status=(before.permit.serial, Status.ISSUED, Status.REVOKED),
    )
    world.clock.advance(days=334)
    assert world.container.permit_lifecycle.run(lambda: PLENTY_OF_TIME).reminded == 0
    assert reminder_days_sent(world, app.id) == []


def test_the_marker_refuses_a_second_reminder_even_without_the_jobs_checks(
    world: PaymentWorld,
) -> None:
    """The store's condition, not the job's read, is what makes a reminder exactly-once."""
    from chalicelib.services.notifications import reminder_mail

    app, _ = _issued(world)
    stored = world.container.store.get_application(app.id)
    serial = stored.permit.serial

    def message() -> Any:
        return reminder_mail(
            "x@example.org",
            "de",
            stored.form_id,
            app.id,
            days=30,
            valid_to=stored.permit.valid_to,
            renew_from=stored.permit.valid_to,
            now=world.clock.now(),
        )

    assert world.container.store.mark_reminded(serial, 30, message()) is True
    before = world.items()
    assert world.container.store.mark_reminded(serial, 30, message()) is False
    assert world.items() == before  # nothing written: no second mail


def test_the_reminders_link_opens_the_application_page_and_a_forged_one_does_not(
    world: PaymentWorld,
) -> None:
    app, _ = _issued(world)
    links = world.container.links
    expires = world.now_ts() + 3600
    link = links.renewal_link(app.id, expires).removeprefix(links.base_url)
    opened = world.http.get(link)
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(f"/status/{app.id}")
    assert any("access=" in cookie for cookie in opened.headers["Set-Cookie"])
    forged = link.replace("sig=", "sig=A")
    assert world.http.get(forged).status_code == 410
    other, _ = _issued(world)
    assert world.http.get(link.replace(app.id, other.id)).status_code == 410
    world.clock.advance(hours=2)
    assert world.http.get(link).status_code == 410  # expired
