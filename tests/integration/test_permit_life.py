"""A permit's whole life over HTTP, with an injected clock (issue 15).

Issued (paid), the plate changed (with the form's change fee), reminded 30, 7 and 1 days
before the end (the hourly job runs three times a day, each reminder goes once), renewed on
its last days without a gap or an overlap, expired, and, a year after each permit's end,
anonymised. Afterwards the verify answers and the finance export still work, and no name,
address or e-mail of the citizen remains anywhere in the table (scanned: scans are fine in
tests, never in the service).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.integration.lifecycle_helpers import (
    PLENTY_OF_TIME,
    STAFF,
    Captured,
    deliver_pending,
    person,
    reminder_days_sent,
    staff_settings,
)
from tests.integration.payment_helpers import PaymentWorld, Submitted, open_world

NEW_HOME = {
    "street": "Kaiserplatz",
    "house_number": "19",
    "postcode": "52349",
    "city": "Musterstadt",
    "main_residence": True,
}


@pytest.fixture
def mailer() -> Captured:
    return Captured()


@pytest.fixture
def world(
    settings: Any, dynamodb_client: Any, clock: Any, mailer: Captured
) -> Iterator[PaymentWorld]:
    with open_world(staff_settings(settings), dynamodb_client, clock, mailer=mailer) as opened:
        yield opened


def _pay(world: PaymentWorld, checkout_url: str) -> None:
    session = world.session_of(checkout_url)
    headers, body = world.provider.build_webhook(session, "succeeded")
    response = world.post_webhook(headers, body)
    assert response.status_code == 200, response.body


def _token(permit: dict[str, Any]) -> str:
    return str(permit["verify_url"].split("#", 1)[1])


def _today(world: PaymentWorld) -> str:
    from chalicelib.domain.dates import berlin_today

    return berlin_today(world.clock.now()).isoformat()


def _ledger(world: PaymentWorld, day: str) -> list[dict[str, Any]]:
    response = world.http.get(f"/api/staff/exports/payments?from={day}&to={day}", headers=STAFF)
    assert response.status_code == 200, response.body
    entries: list[dict[str, Any]] = response.json_body["entries"]
    return entries


def test_a_permits_whole_life(world: PaymentWorld, mailer: Captured) -> None:
    data, personal = person()
    job = world.container.permit_lifecycle

    # 1. Apply and pay: issued on 21 Nov 2026 for 12 months.
    app = world.submit(data)
    world.checkout(app)
    _pay(world, world.checkout_url(app))
    first = world.status(app).json_body["permit"]
    assert (first["valid_from"], first["valid_until"]) == ("2026-11-21", "2027-11-20")
    permit_item = next(p for p in world.permit_items() if p["application_id"]["S"] == app.id)
    assert permit_item["GSI3PK"]["S"] == "ENDS#2027-11-20"
    deliver_pending(world)

    # 2. A new car in March: the plate change costs the form's change fee, then the old QR
    #    verifies as superseded at once and a new permit with the same end is issued.
    world.clock.advance(days=100)
    new_plate = f"dn lw {int(app.id[:3], 16) % 900 + 100}"
    change = world.http.post(
        f"/api/applications/{app.id}/plate-change",
        headers={**app.auth, "Content-Type": "application/json"},
        body=json.dumps({"plates": [new_plate]}),
    )
    assert change.status_code == 202, change.body
    _pay(world, change.json_body["checkout_url"])
    changed = world.status(app).json_body["permit"]
    assert changed["number"] != first["number"]
    assert changed["valid_until"] == "2027-11-20"
    assert world.verify(_token(first)).json_body["result"] == "superseded"
    assert world.verify(_token(changed)).json_body["result"] == "valid"
    deliver_pending(world)
    mailer.sent.clear()

    # 3. Reminders: from 20 Oct 2027 (31 days left) to 19 Nov 2027 (1 day left), the job
    #    three times a day; each reminder goes exactly once, on its day.
    world.clock.advance(days=333 - 100)
    sent_on: dict[str, list[int]] = {}
    for _day in range(31):
        for _run in range(3):
            job.run(lambda: PLENTY_OF_TIME)
        sent_on[_today(world)] = reminder_days_sent(world, app.id)
        deliver_pending(world)
        world.clock.advance(days=1)
    world.clock.advance(days=-1)
    assert _today(world) == "2027-11-19"
    assert sent_on["2027-10-20"] == []
    assert sent_on["2027-10-21"] == [30]
    assert sent_on["2027-11-13"] == [7, 30]
    assert sent_on["2027-11-19"] == [1, 7, 30]
    reminders = [m for m in mailer.sent if "läuft am 20.11.2027 ab" in m.subject]
    assert len(reminders) == 3
    assert {m.to for m in reminders} == {data["applicant"]["email"]}

    # 4. Renewal on the last day but one: pre-filled, the new address given, paid; the new
    #    permit starts the day after the old one ends.
    renewed = world.http.post(
        f"/api/applications/{app.id}/renewal",
        headers={**app.auth, "Content-Type": "application/json"},
        body=json.dumps(
            {"address": NEW_HOME, "declarations": {"no_private_parking": True, "truthful": True}}
        ),
    )
    assert renewed.status_code == 201, renewed.body
    renewal = Submitted(renewed.json_body["id"], renewed.json_body["access_token"], {})
    _pay(world, world.checkout_url(renewal))
    second = world.status(renewal).json_body["permit"]
    assert (second["valid_from"], second["valid_until"]) == ("2027-11-21", "2028-11-20")
    assert second["plates"] == changed["plates"]
    gap = date.fromisoformat(second["valid_from"]) - date.fromisoformat(changed["valid_until"])
    assert gap == timedelta(days=1)  # the day after: no gap, no overlap
    job.run(lambda: PLENTY_OF_TIME)
    assert reminder_days_sent(world, app.id) == [1, 7, 30]  # nothing more
    deliver_pending(world)

    # 5. Expiry: the day after the end the old permit is EXPIRED in the store; the renewal's
    #    is valid.
    world.clock.advance(days=2)  # 21 Nov 2027
    assert job.run(lambda: PLENTY_OF_TIME).expired == 1
    assert world.status(app).json_body["status"] == "EXPIRED"
    assert world.verify(_token(changed)).json_body["result"] == "expired"
    assert world.verify(_token(second)).json_body["result"] == "valid"

    # 6. A year after each end the personal data goes; the renewal's permit expires first.
    world.clock.advance(days=366)  # 21 Nov 2028
    report = job.run(lambda: PLENTY_OF_TIME)
    assert (report.expired, report.anonymised) == (1, 1)
    world.clock.advance(days=365)  # 21 Nov 2029
    assert job.run(lambda: PLENTY_OF_TIME).anonymised == 1
    deliver_pending(world)

    # Afterwards: the verify answers, the status, the export and the finance ledger work...
    for permit in (changed, second):
        verified = world.verify(_token(permit)).json_body
        assert verified["result"] == "expired"
        assert verified["permit"]["number"] == permit["number"]
    assert world.verify(_token(first)).json_body["result"] == "superseded"
    assert world.status(renewal).json_body["permit"]["number"] == second["number"]
    exported = world.http.get(f"/api/applications/{app.id}/data", headers=app.auth)
    assert exported.status_code == 200
    assert exported.json_body["application"]["anonymised_at"]
    paid = {
        (entry["application_id"], entry["kind"], entry["amount_cents"])
        for day in ("2026-11-21", "2027-03-01", "2027-11-19")
        for entry in _ledger(world, day)
    }
    assert {(app.id, "payment", 3000), (app.id, "payment", 1000)} <= paid
    assert (renewal.id, "payment", 3000) in paid

    # ... and no name, address or e-mail of the citizen remains anywhere in the table.
    table = json.dumps(world.items(), ensure_ascii=False)
    for value in [*personal, "Kaiserplatz", data["applicant"]["date_of_birth"]]:
        assert value not in table, value
