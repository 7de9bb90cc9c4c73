"""Staff queue and search over HTTP against DynamoDB (moto server): keys only, in work order.

Search: every kind of key a caller reads out finds the application (permit number in any
case and with or without hyphens, plate in any spelling, application id, payment reference,
e-mail address), and a permit number with one wrong symbol offers the real one. Queue:
flagged first, then awaiting payment, submitted, recently issued; filters; a signed cursor
that pages without gaps or repeats, and a tampered cursor is a 422 naming ``cursor``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.permit_number import _ALPHABET
from tests.conftest import table_items
from tests.integration.staff_helpers import StaffWorld, staff_world

__all__ = ["staff_world"]  # the fixture, imported for pytest


def _ids(body: dict[str, Any]) -> list[str]:
    return [row["id"] for row in body["applications"]]


def _search(world: StaffWorld, q: str) -> dict[str, Any]:
    from urllib.parse import quote

    body: dict[str, Any] = world.get_json(f"/api/staff/search?q={quote(q)}")
    return body


def test_search_finds_an_issued_permit_by_every_key(staff_world: StaffWorld) -> None:
    applied = staff_world.apply(email="Anna.Example@Example.ORG")
    other = staff_world.apply()
    for app in (applied, other):
        staff_world.checkout(app)
        assert staff_world.pay(app) == "issued"
    number = staff_world.permit_number(applied)
    district, letters, digits = applied.plate.split()
    queries = {
        "permit_number": [number, number.lower(), number.replace("-", ""), f" {number} "],
        "plate": [
            applied.plate,
            f"{district.upper()}-{letters.upper()}{digits}",
            f"{district}{letters}{digits}",
            f"{district.upper()} - {letters} {digits}",
        ],
        "application_id": [applied.id, applied.id.upper()],
        "payment_reference": [
            payment_reference(applied.id),
            payment_reference(applied.id).lower(),
            "-".join(payment_reference(applied.id)[i : i + 9] for i in (0, 9, 18)),
        ],
        "email": ["anna.example@example.org", " ANNA.EXAMPLE@EXAMPLE.ORG"],
    }
    for kind, spellings in queries.items():
        for q in spellings:
            body = _search(staff_world, q)
            assert body["kind"] == kind, q
            assert _ids(body) == [applied.id], q
            row = body["applications"][0]
            assert row["permit_number"] == number
            assert row["payment_reference"] == payment_reference(applied.id)
            assert "data" not in row  # answers only on the audited detail page


def test_search_by_email_finds_unissued_applications_too_and_newest_first(
    staff_world: StaffWorld, clock: Any
) -> None:
    first = staff_world.apply(email="twice@example.org")
    clock.advance(minutes=5)
    second = staff_world.apply(email="twice@example.org")
    assert _ids(_search(staff_world, "Twice@Example.org")) == [second.id, first.id]
    assert _ids(_search(staff_world, "nobody@example.org")) == []


def test_the_index_holds_an_hmac_of_the_address_never_the_address(
    staff_world: StaffWorld, dynamodb_client: Any, table_name: str
) -> None:
    staff_world.apply(email="secret.person@example.org")
    item = next(
        i for i in table_items(dynamodb_client, table_name) if i["type"]["S"] == "application"
    )
    assert item["GSI2PK"]["S"].startswith("EMAIL#")
    keys = json.dumps({k: v for k, v in item.items() if k != "data"})
    assert "secret.person" not in keys and "example.org" not in keys


def test_a_permit_number_with_one_wrong_symbol_offers_the_real_one(
    staff_world: StaffWorld,
) -> None:
    applied = staff_world.apply()
    staff_world.checkout(applied)
    assert staff_world.pay(applied) == "issued"
    number = staff_world.permit_number(applied)
    position = 6  # a symbol of the serial
    wrong = next(c for c in _ALPHABET if c != number[position])
    typo = number[:position] + wrong + number[position + 1 :]
    body = _search(staff_world, typo)
    assert body["kind"] == "permit_number"
    assert body["applications"] == []
    assert body["did_you_mean"] == [number]


@pytest.mark.parametrize("q", ["", "   ", "x" * 255])
def test_an_empty_or_overlong_query_is_422_naming_q(staff_world: StaffWorld, q: str) -> None:
    response = staff_world.get(f"/api/staff/search?q={q}")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.body)["errors"][0]["pointer"] == "/q"


def test_unreadable_queries_find_nothing(staff_world: StaffWorld) -> None:
    for q in ("hello world", "2026-XXXX", "@", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZ"):
        body = _search(staff_world, q)
        assert body["applications"] == [], q


def test_search_and_queue_refuse_anonymous_callers(staff_world: StaffWorld) -> None:
    for path in ("/api/staff/search?q=x@example.org", "/api/staff/queue"):
        response = staff_world.client.http.get(path)
        assert response.status_code == 401
        assert "applications" not in response.body.decode()


def test_the_queue_is_in_work_order_flagged_awaiting_submitted_issued(
    staff_world: StaffWorld, clock: Any
) -> None:
    submitted = staff_world.apply()
    clock.advance(minutes=1)
    awaiting = staff_world.apply()
    staff_world.checkout(awaiting)
    clock.advance(minutes=1)
    issued_early = staff_world.apply()
    staff_world.checkout(issued_early)
    assert staff_world.pay(issued_early) == "issued"
    clock.advance(days=1)  # another Berlin day: the window covers several
    issued_late = staff_world.apply()
    staff_world.checkout(issued_late)
    assert staff_world.pay(issued_late) == "issued"
    flagged = staff_world.apply()
    staff_world.checkout(flagged)
    assert staff_world.pay(flagged, amount_cents=1) == "flagged"

    body = staff_world.get_json("/api/staff/queue")
    assert _ids(body) == [flagged.id, awaiting.id, submitted.id, issued_late.id, issued_early.id]
    assert [row["queue"] for row in body["applications"]] == [
        "FLAGGED",
        "AWAITING_PAYMENT",
        "SUBMITTED",
        "ISSUED",
        "ISSUED",
    ]
    assert body["next_cursor"] is None

    only_issued = staff_world.get_json("/api/staff/queue?status=issued")
    assert _ids(only_issued) == [issued_late.id, issued_early.id]
    first_day = staff_world.get_json("/api/staff/queue?status=ISSUED&day=2026-11-21")
    assert _ids(first_day) == [issued_early.id]
    # The old per-partition route answers the issued queue too.
    legacy = staff_world.get_json("/api/staff/queue/ISSUED/2026-11-21")
    assert _ids(legacy) == [issued_early.id]


def test_the_queue_filters_by_form(staff_world: StaffWorld) -> None:
    resident = staff_world.apply()
    trades = staff_world.apply("tradesperson-parking-permit")
    assert _ids(staff_world.get_json("/api/staff/queue?form=tradesperson-parking-permit")) == [
        trades.id
    ]
    assert _ids(staff_world.get_json("/api/staff/queue?form=resident-parking-permit")) == [
        resident.id
    ]


def test_paging_walks_every_row_once_across_queues(staff_world: StaffWorld, clock: Any) -> None:
    made = []
    for n in range(5):
        made.append(staff_world.apply())
        if n % 2:
            staff_world.checkout(made[-1])
        clock.advance(minutes=1)
    whole = _ids(staff_world.get_json("/api/staff/queue"))
    assert sorted(whole) == sorted(a.id for a in made)
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        body = staff_world.get_json(f"/api/staff/queue?limit=2{cursor}")
        seen += _ids(body)
        pages += 1
        assert len(body["applications"]) <= 2
        if not body["next_cursor"]:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert seen == whole
    assert pages >= 3


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # signature broken
        lambda c: "x" + c,  # payload changed
        lambda c: "not-a-cursor",
        lambda c: c.split(".")[0],  # signature dropped
    ],
)
def test_a_tampered_cursor_is_422_naming_cursor(staff_world: StaffWorld, mutate: Any) -> None:
    for _ in range(3):
        staff_world.apply()
    cursor = staff_world.get_json("/api/staff/queue?limit=1")["next_cursor"]
    assert cursor
    response = staff_world.get(f"/api/staff/queue?limit=1&cursor={mutate(cursor)}")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.body)["errors"][0]["pointer"] == "/cursor"


def test_a_cursor_of_other_filters_is_refused(staff_world: StaffWorld) -> None:
    for _ in range(2):
        staff_world.apply()
    cursor = staff_world.get_json("/api/staff/queue?limit=1")["next_cursor"]
    response = staff_world.get(f"/api/staff/queue?limit=1&status=SUBMITTED&cursor={cursor}")
    assert response.status_code == 422
    assert json.loads(response.body)["errors"][0]["pointer"] == "/cursor"


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("status=REVOKED", "/status"),
        ("day=2026-13-01", "/day"),
        ("form=no-such-form", "/form"),
        ("limit=0", "/limit"),
        ("limit=abc", "/limit"),
        ("limit=101", "/limit"),
    ],
)
def test_bad_queue_filters_are_422_naming_the_parameter(
    staff_world: StaffWorld, query: str, pointer: str
) -> None:
    response = staff_world.get(f"/api/staff/queue?{query}")
    assert response.status_code == 422
    assert [e["pointer"] for e in json.loads(response.body)["errors"]] == [pointer]


def test_a_flag_raised_weeks_after_the_application_is_first_in_todays_queue(
    staff_world: StaffWorld, clock: Any
) -> None:
    applied = staff_world.apply()
    staff_world.checkout(applied)
    assert staff_world.pay(applied) == "issued"
    clock.advance(days=40)  # far outside the queue's 14-day window
    newer = staff_world.apply()
    assert (
        staff_world.webhook(
            "payment.refunded", applied, f"pay-{applied.id[:8]}", refunded_cents=500
        )[1]
        == "flagged"
    )  # a partial refund: staff must look at it
    body = staff_world.get_json("/api/staff/queue")
    assert _ids(body) == [applied.id, newer.id]
    assert body["applications"][0]["queue"] == "FLAGGED"
