"""Many payment events for one application at once still yield exactly one permit.

Real HTTP to the running service (threaded `chalice local`), deliveries released together by
a barrier; the table is then read directly. Three patterns: one event delivered 20 times
(the dedupe marker absorbs it), distinct event ids for one payment, and different payments
(a citizen who paid twice). The last two get past the dedupe marker, so only the
application's version condition (`_SAME_VERSION` in the store) keeps them to one permit.

`chalice local` listens with Python's default backlog of 5, so when 20 connections arrive in
the same instant the kernel resets a few of them before the server ever accepts them (the
service's log then shows fewer requests than were sent). A delivery whose connection was
reset is sent again, byte for byte, as a payment provider retries a failed delivery; only
HTTP answers count, and every one of them must be 2xx.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
import urllib.error
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.adapters.payments.standard_webhooks import signed_headers
from scripts.run_local import LOCAL_WEBHOOK_SECRET
from tests.e2e.conftest import HttpResponse, LiveService

pytestmark = pytest.mark.e2e

DELIVERIES = 20
DISTINCT = 8  # distinct events; each needs its own conditional write, so fewer than 20
CONNECTION_ATTEMPTS = 10


def _connection_failed(error: Exception) -> bool:
    if isinstance(error, urllib.error.URLError):
        return isinstance(error.reason, ConnectionError)
    return isinstance(error, (ConnectionError, http.client.RemoteDisconnected))


def _deliver_together(
    live_service: LiveService, deliveries: list[tuple[dict[str, str], bytes]]
) -> list[HttpResponse]:
    """POST every delivery at the same instant; retry as a provider does (reset, 5xx)."""
    start = threading.Barrier(len(deliveries))

    def deliver(delivery: tuple[dict[str, str], bytes]) -> HttpResponse:
        headers, body = delivery
        start.wait(timeout=30)
        for attempt in range(CONNECTION_ATTEMPTS):
            try:
                response = live_service.post_webhook(headers, body)
            except (OSError, http.client.HTTPException) as error:
                if not _connection_failed(error) or attempt == CONNECTION_ATTEMPTS - 1:
                    raise
            else:
                if response.status < 500 or attempt == CONNECTION_ATTEMPTS - 1:
                    return response  # a 503 ("contended, retry") is sent again, unchanged
            time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        return list(pool.map(deliver, deliveries))


def _signed(body: bytes, event_id: str) -> tuple[dict[str, str], bytes]:
    return signed_headers(LOCAL_WEBHOOK_SECRET, event_id, int(time.time()), body), body


def _exactly_one_permit(live_service: LiveService, application_id: str) -> dict[str, Any]:
    permits = live_service.permit_items_of_application(application_id)
    assert len(permits) == 1, permits
    audit = [
        item
        for item in live_service.items_of_application(application_id)
        if item["SK"]["S"].startswith("AUDIT#")
    ]
    assert [item["event"]["S"] for item in audit].count("issued") == 1, audit
    permit: dict[str, Any] = permits[0]
    return permit


def test_distinct_event_ids_for_one_payment_at_once_issue_one_permit(
    live_service: LiveService,
) -> None:
    """A provider may send one payment under several event ids (a retry with a new id)."""
    submitted = live_service.submit_example()
    live_service.open_checkout(submitted)
    fee = submitted.body["fee"]
    body = live_service.webhook_body(
        "payment.succeeded",
        submitted.id,
        f"pay_e2e_{os.urandom(8).hex()}",
        fee["amount_cents"],
        fee["currency"],
    )
    deliveries = [_signed(body, f"evt_e2e_{os.urandom(8).hex()}") for _ in range(DISTINCT)]
    responses = _deliver_together(live_service, deliveries)

    failures = [(r.status, r.text) for r in responses if not 200 <= r.status < 300]
    assert not failures, f"{failures}\n--- service log ---\n{live_service.log_tail()}"
    results = Counter(r.json()["result"] for r in responses)
    assert results == {"issued": 1, "duplicate": DISTINCT - 1}, results
    permit = _exactly_one_permit(live_service, submitted.id)
    status = live_service.status(submitted)
    assert status["status"] == "ISSUED"
    assert status["permit"]["number"] == permit["number"]["S"]


def test_different_payments_for_one_application_at_once_issue_one_permit(
    live_service: LiveService,
) -> None:
    """The citizen paid on two devices (or twice): one permit, the other payments flagged."""
    submitted = live_service.submit_example()
    live_service.open_checkout(submitted)
    fee = submitted.body["fee"]
    deliveries = [
        _signed(
            live_service.webhook_body(
                "payment.succeeded",
                submitted.id,
                f"pay_e2e_{os.urandom(8).hex()}",
                fee["amount_cents"],
                fee["currency"],
            ),
            f"evt_e2e_{os.urandom(8).hex()}",
        )
        for _ in range(DISTINCT)
    ]
    responses = _deliver_together(live_service, deliveries)

    failures = [(r.status, r.text) for r in responses if not 200 <= r.status < 300]
    assert not failures, f"{failures}\n--- service log ---\n{live_service.log_tail()}"
    results = Counter(r.json()["result"] for r in responses)
    assert results == {"issued": 1, "flagged": DISTINCT - 1}, results
    _exactly_one_permit(live_service, submitted.id)
    item = live_service.dynamodb.get_item(
        TableName=live_service.table_name,
        Key={"PK": {"S": f"APP#{submitted.id}"}, "SK": {"S": "A"}},
        ConsistentRead=True,
    )["Item"]
    assert item["status"]["S"] == "ISSUED"
    assert [flag["S"] for flag in item["flags"]["L"]] == ["second_payment"]


def test_the_same_event_twenty_times_at_once_issues_one_permit(live_service: LiveService) -> None:
    submitted = live_service.submit_example()
    live_service.open_checkout(submitted)
    fee = submitted.body["fee"]
    body = live_service.webhook_body(
        "payment.succeeded",
        submitted.id,
        f"pay_e2e_{os.urandom(8).hex()}",
        fee["amount_cents"],
        fee["currency"],
    )
    event_id = f"evt_e2e_{os.urandom(8).hex()}"
    headers = signed_headers(LOCAL_WEBHOOK_SECRET, event_id, int(time.time()), body)
    start = threading.Barrier(DELIVERIES)

    def deliver(_: int) -> HttpResponse:
        start.wait(timeout=30)
        for attempt in range(CONNECTION_ATTEMPTS):
            try:
                return live_service.post_webhook(headers, body)
            except (OSError, http.client.HTTPException) as error:
                if not _connection_failed(error) or attempt == CONNECTION_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    with ThreadPoolExecutor(max_workers=DELIVERIES) as pool:
        responses = list(pool.map(deliver, range(DELIVERIES)))

    failures = [(r.status, r.text) for r in responses if not 200 <= r.status < 300]
    assert not failures, f"{failures}\n--- service log ---\n{live_service.log_tail()}"
    results = Counter(r.json()["result"] for r in responses)
    assert results["issued"] == 1, results
    assert results["duplicate"] == DELIVERIES - 1, results

    permits = live_service.permit_items_of_application(submitted.id)
    assert len(permits) == 1, permits
    audit = [
        item
        for item in live_service.items_of_application(submitted.id)
        if item["SK"]["S"].startswith("AUDIT#")
    ]
    issued = [item for item in audit if item["event"]["S"] == "issued"]
    assert len(issued) == 1, audit
    status = live_service.status(submitted)
    assert status["status"] == "ISSUED"
    assert status["permit"]["number"] == permits[0]["number"]["S"]
