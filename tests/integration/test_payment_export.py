"""Finance's reconciliation export: totals equal the webhook events the test sent, exactly.

Signed sandbox webhooks go over HTTP (duplicates, partial and full refunds, a wrong amount,
two days, two forms); the expected totals are computed here from the events sent, the way
a cash office would add up the provider's report, and compared with the export's JSON and
CSV. The CSV is what German spreadsheets expect (BOM, semicolons, decimal comma) and no
cell can run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any

import pytest

from chalicelib.domain.ledger_csv import defuse, euros
from tests.integration.staff_helpers import StaffWorld, staff_world

__all__ = ["staff_world"]

TRADES = "tradesperson-parking-permit"


class Sent:
    """The events the test sent, and what a provider's report would say they add up to."""

    def __init__(self) -> None:
        self.payments: dict[tuple[str, str], int] = defaultdict(int)
        self.payment_counts: dict[tuple[str, str], int] = defaultdict(int)
        self.refunded: dict[str, tuple[str, str, int]] = {}  # payment -> (day, form, total)
        self.refund_days: dict[tuple[str, str], int] = defaultdict(int)
        self.issued: dict[tuple[str, str], int] = defaultdict(int)
        self._seen_payments: set[str] = set()

    def paid(self, day: str, form: str, payment_id: str, cents: int) -> None:
        if payment_id in self._seen_payments:  # the provider reports a payment once
            return
        self._seen_payments.add(payment_id)
        self.payments[(day, form)] += cents
        self.payment_counts[(day, form)] += 1

    def refund(self, day: str, form: str, payment_id: str, total: int) -> None:
        """The provider reports a running total: the day books what it adds."""
        before = self.refunded.get(payment_id, ("", "", 0))[2]
        if total > before:
            self.refund_days[(day, form)] += total - before
            self.refunded[payment_id] = (day, form, total)


def _totals(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["day"], row["form_id"]): row for row in body["totals"]}


def test_export_totals_equal_the_webhook_events_sent(staff_world: StaffWorld, clock: Any) -> None:
    w = staff_world
    sent = Sent()
    day1, day2 = "2026-11-21", "2026-11-22"
    resident = "resident-parking-permit"

    a = w.apply()
    w.checkout(a)
    event_a, result = w.webhook("payment.succeeded", a, "pay_a")
    assert result == "issued"
    sent.paid(day1, resident, "pay_a", a.fee_cents)
    sent.issued[(day1, resident)] += 1
    assert w.webhook("payment.succeeded", a, "pay_a", event_id=event_a)[1] == "duplicate"
    assert w.webhook("payment.succeeded", a, "pay_a")[1] == "duplicate"  # same payment

    b = w.apply()
    w.checkout(b)
    assert w.webhook("payment.succeeded", b, "pay_b", amount_cents=123)[1] == "flagged"
    sent.paid(day1, resident, "pay_b", 123)

    c = w.apply(TRADES)
    w.checkout(c)
    assert w.webhook("payment.succeeded", c, "pay_c")[1] == "issued"
    sent.paid(day1, TRADES, "pay_c", c.fee_cents)
    sent.issued[(day1, TRADES)] += 1
    partial, result = w.webhook("payment.refunded", c, "pay_c", refunded_cents=500)
    assert result == "flagged"
    sent.refund(day1, TRADES, "pay_c", 500)
    assert w.webhook("payment.refunded", c, "pay_c", event_id=partial, refunded_cents=500)[1] == (
        "duplicate"
    )

    clock.advance(days=1)
    assert w.webhook("payment.refunded", c, "pay_c", refunded_cents=c.fee_cents)[1] == "revoked"
    sent.refund(day2, TRADES, "pay_c", c.fee_cents)
    # An older, smaller total arriving late books nothing more.
    assert w.webhook("payment.refunded", c, "pay_c", refunded_cents=500)[1] == "recorded"
    sent.refund(day2, TRADES, "pay_c", 500)

    d = w.apply()
    w.checkout(d)
    assert w.webhook("payment.succeeded", d, "pay_d")[1] == "issued"
    sent.paid(day2, resident, "pay_d", d.fee_cents)
    sent.issued[(day2, resident)] += 1
    assert w.webhook("payment.succeeded", d, "pay_d2")[1] == "flagged"  # paid twice
    sent.paid(day2, resident, "pay_d2", d.fee_cents)

    body = w.get_json(f"/api/staff/exports/payments?from={day1}&to={day2}&format=json")
    totals = _totals(body)
    keys = set(sent.payments) | set(sent.refund_days) | set(sent.issued)
    assert set(totals) == keys
    for key in keys:
        row = totals[key]
        assert row["payments_cents"] == sent.payments.get(key, 0), key
        assert row["payments_count"] == sent.payment_counts.get(key, 0), key
        assert row["refunds_cents"] == sent.refund_days.get(key, 0), key
        assert row["issued_count"] == sent.issued.get(key, 0), key
        assert row["net_cents"] == row["payments_cents"] - row["refunds_cents"]
    # Every line names its payment reference, and a one-day export holds that day only.
    assert all(entry["payment_reference"] for entry in body["entries"])
    only_day2 = w.get_json(f"/api/staff/exports/payments?from={day2}&to={day2}")
    assert {row["day"] for row in only_day2["totals"]} == {day2}

    csv_response = w.get(f"/api/staff/exports/payments?from={day1}&to={day2}&format=csv")
    assert csv_response.status_code == 200
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_response.headers["Content-Disposition"]
    raw = csv_response.body
    assert raw.startswith("\ufeff".encode()) if isinstance(raw, bytes) else raw.startswith("\ufeff")
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    entries_part, totals_part = text.lstrip("\ufeff").split("\r\n\r\n")
    lines = list(csv.reader(io.StringIO(entries_part), delimiter=";"))
    assert lines[0][0] == "Tag" and lines[0][-2:] == ["Betrag", "Währung"]
    assert len(lines) - 1 == len(body["entries"])
    rows = list(csv.reader(io.StringIO(totals_part), delimiter=";"))
    by_key = {(r[0], r[1]): r for r in rows[1:]}
    for key in keys:
        assert by_key[key][3] == euros(sent.payments.get(key, 0))
        assert by_key[key][5] == euros(sent.refund_days.get(key, 0))
    refund_lines = [line for line in lines[1:] if line[2] == "Erstattung"]
    assert sorted(line[10] for line in refund_lines) == sorted(
        [euros(-500), euros(-(c.fee_cents - 500))]
    )


def test_a_provider_id_cannot_become_a_formula_in_the_csv(
    staff_world: StaffWorld,
) -> None:
    w = staff_world
    a = w.apply()
    w.checkout(a)
    hostile = '=HYPERLINK("http://x.example","ok")'
    assert w.webhook("payment.succeeded", a, hostile)[1] == "issued"
    response = w.get("/api/staff/exports/payments?from=2026-11-21&to=2026-11-21&format=csv")
    text = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body
    cells = [
        c for line in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";") for c in line
    ]
    assert hostile not in cells
    assert "'" + hostile in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("from=2026-11-01&to=2026-12-02", "/to"),  # 32 days
        ("from=2026-11-21&to=2026-11-20", "/to"),
        ("from=yesterday&to=2026-11-20", "/from"),
        ("from=2026-11-21", "/to"),
        ("from=2026-11-21&to=2026-11-21&format=xml", "/format"),
    ],
)
def test_bad_export_ranges_are_422_naming_the_parameter(
    staff_world: StaffWorld, query: str, pointer: str
) -> None:
    response = staff_world.get(f"/api/staff/exports/payments?{query}")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["pointer"] for e in json.loads(response.body)["errors"]] == [pointer]


def test_31_days_are_allowed(staff_world: StaffWorld) -> None:
    body = staff_world.get_json("/api/staff/exports/payments?from=2026-11-01&to=2026-12-01")
    assert body["totals"] == [] and body["entries"] == []


def test_the_export_refuses_anonymous_callers(staff_world: StaffWorld) -> None:
    response = staff_world.client.http.get(
        "/api/staff/exports/payments?from=2026-11-21&to=2026-11-21"
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49", "'+49"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("pay_1", "pay_1"),
        ("", ""),
    ],
)
def test_defuse(value: str, expected: str) -> None:
    assert defuse(value) == expected


def test_euros() -> None:
    assert [euros(c) for c in (0, 5, 1234, -5, -123456)] == [
        "0,00",
        "0,05",
        "12,34",
        "-0,05",
        "-1234,56",
    ]


def test_the_sandbox_checkout_page_prints_the_payment_reference(staff_world: StaffWorld) -> None:
    from urllib.parse import urlsplit

    from chalicelib.domain.payment_reference import payment_reference

    applied = staff_world.apply()
    response = staff_world.client.http.post(
        f"/api/applications/{applied.id}/checkout",
        headers={"Authorization": f"Bearer {applied.access_token}"},
    )
    url = urlsplit(json.loads(response.body)["checkout_url"])
    page = staff_world.client.http.get(url.path, headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert f'<dd id="payment-reference">{payment_reference(applied.id)}</dd>' in page.body.decode()
