"""Stripe end to end: the live service on localstripe, over real HTTP, with its real webhooks.

`stripe_service` is the service as `PERMIT_PAYMENT_PROVIDER=stripe make run` starts it;
localstripe (a third-party, stateful Stripe emulator) holds the PaymentIntents, charges and
refunds and delivers signed webhooks (``Stripe-Signature``, about a second after the event)
to ``/api/payments/stripe/webhook``. The SDK talks to localstripe in this process too, to
create refunds and to read the events it sent.

What localstripe lacks, and how it is covered here: it emits no ``charge.refunded`` event
(refunds change its state silently), so the refund tests deliver the recorded Stripe body
(``tests/fixtures/stripe/charge.refunded.*.json``) with the ids and the refunded total of the
real localstripe charge substituted, signed as Stripe signs. The adapter then asks
localstripe for the PaymentIntent's metadata, as it would ask Stripe.

"Webhook dropped" is made real by pointing localstripe's webhook at a closed port for the
payment in question (its delivery fails; localstripe does not retry).
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.domain.payment_reference import payment_reference
from scripts.run_local import LOCAL_STRIPE_SECRET_KEY, LOCAL_STRIPE_WEBHOOK_SECRET
from tests.conftest import FixedClock
from tests.e2e.conftest import HttpResponse, LiveService, Submitted
from tests.e2e.web import assert_accessible, assert_reflows

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scripts.localstripe_server import LocalStripe

pytestmark = pytest.mark.e2e

FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "stripe"
TEST_CARD = {"card": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
CLOSED_PORT_URL = "http://127.0.0.1:9/unreachable"  # discard port: connection refused


# -- helpers ------------------------------------------------------------------------------


def stripe_api(localstripe: LocalStripe) -> Any:
    import stripe

    return stripe.StripeClient(
        LOCAL_STRIPE_SECRET_KEY, base_addresses={"api": localstripe.endpoint}
    )


def form(fields: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def pay(service: LiveService, checkout_url: str, card: dict[str, str] = TEST_CARD) -> HttpResponse:
    return service.request(
        "POST",
        service.path_of(checkout_url) + "/pay",
        form(card),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


def wait_for_status(service: LiveService, submitted: Submitted, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        status = service.status(submitted)
        if status["status"] == wanted or time.monotonic() > deadline:
            assert status["status"] == wanted, (status, service.log_tail())
            return status
        time.sleep(0.2)


def payment_intent_of(service: LiveService, application_id: str) -> str:
    item = service.dynamodb.get_item(
        TableName=service.table_name,
        Key={"PK": {"S": f"APP#{application_id}"}, "SK": {"S": "A"}},
        ConsistentRead=True,
    )["Item"]
    checkout_id: str = item["checkout"]["M"]["checkout_id"]["S"]
    return checkout_id


@contextmanager
def webhook_dropped(localstripe: LocalStripe, service: LiveService) -> Iterator[None]:
    """Every localstripe delivery inside the block is lost (connection refused)."""
    localstripe.register_webhook(CLOSED_PORT_URL, LOCAL_STRIPE_WEBHOOK_SECRET)
    try:
        yield
        time.sleep(1.6)  # localstripe sends one second after the event: let it fail
    finally:
        localstripe.register_webhook(
            f"{service.base_url}/api/payments/stripe/webhook", LOCAL_STRIPE_WEBHOOK_SECRET
        )


def paid_with_webhook_dropped(
    service: LiveService, localstripe: LocalStripe
) -> tuple[Submitted, str]:
    submitted = service.submit_example()
    checkout_url = service.open_checkout(submitted)
    with webhook_dropped(localstripe, service):
        assert pay(service, checkout_url).status == 303
    assert service.status(submitted)["status"] == "AWAITING_PAYMENT"
    return submitted, payment_intent_of(service, submitted.id)


def event_sent_for(localstripe: LocalStripe, payment_intent_id: str) -> bytes:
    """The ``payment_intent.succeeded`` event localstripe made (and tried to send), as JSON."""
    events = stripe_api(localstripe).v1.events.list(
        params={"type": "payment_intent.succeeded", "limit": 100}
    )
    for event in events.data:
        if event.data.object["id"] == payment_intent_id:
            return json.dumps(event.to_dict(), indent=2, sort_keys=True).encode()
    raise AssertionError(f"localstripe made no payment_intent.succeeded for {payment_intent_id}")


def signed(body: bytes, secret: str = LOCAL_STRIPE_WEBHOOK_SECRET, age: int = 0) -> dict[str, str]:
    import stripe

    header = stripe.WebhookSignature.generate_signature_header(
        body.decode("utf-8"), secret, int(time.time()) - age
    )
    return {"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8"}


def post_stripe(service: LiveService, headers: dict[str, str], body: bytes) -> HttpResponse:
    return service.request("POST", "/api/payments/stripe/webhook", body, headers)


def snapshot(service: LiveService, application_id: str) -> tuple[Any, ...]:
    return (
        sorted(json.dumps(i, sort_keys=True) for i in service.items_of_application(application_id)),
        len(service.permit_items_of_application(application_id)),
    )


def reconciler_for(service: LiveService, minutes_later: int = 10) -> Any:
    """The reconciliation job wired like the deployed one, on the live service's table."""
    from chalicelib.config import Settings
    from chalicelib.wiring import Container

    clock = FixedClock(datetime.now(UTC) + timedelta(minutes=minutes_later))
    container = Container(Settings.from_env(service.env), dynamodb=service.dynamodb, clock=clock)
    return container.reconciler


# -- the journey ----------------------------------------------------------------------------


def test_pay_with_the_test_card_and_the_webhook_issues_the_permit(
    stripe_service: LiveService, localstripe: LocalStripe
) -> None:
    service = stripe_service
    submitted = service.submit_example()
    checkout_url = service.open_checkout(submitted)
    assert checkout_url.startswith(f"{service.base_url}/checkout/stripe/")
    assert service.open_checkout(submitted) == checkout_url  # one open checkout

    intent = stripe_api(localstripe).v1.payment_intents.retrieve(
        payment_intent_of(service, submitted.id)
    )
    assert (intent.amount, intent.currency, intent.status) == (
        3000,
        "eur",
        "requires_payment_method",
    )
    assert intent.metadata["application_id"] == submitted.id
    assert intent.metadata["payment_reference"] == payment_reference(submitted.id)
    assert intent.client_secret not in checkout_url

    page = service.request("GET", service.path_of(checkout_url))
    assert page.status == 200, page.text
    assert "30,00 €" in page.text and payment_reference(submitted.id) in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "script" not in page.text  # the emulator page runs no script at all

    paid = pay(service, checkout_url)
    assert paid.status == 303, paid.text
    assert paid.headers["Location"] == f"{service.base_url}/status/{submitted.id}"
    # The redirect proves nothing; the webhook from localstripe does, a second later.
    status = wait_for_status(service, submitted, "ISSUED")
    assert status["permit"]["number"]
    audit = [
        item for item in service.items_of_application(submitted.id)
        if item["SK"]["S"].startswith("AUDIT#") and item["event"]["S"] == "issued"
    ]  # fmt: skip
    assert [item["actor"]["S"] for item in audit] == ["stripe"]
    pdf = service.request(
        "GET",
        f"/api/applications/{submitted.id}/permit.pdf",
        headers={**service.bearer(submitted), "Accept": "application/pdf"},
    )
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-")
    # Back on the page after paying: nothing left to do there, back to the status.
    again = service.request("GET", service.path_of(checkout_url))
    assert again.status == 303


def test_a_declined_test_card_says_so_and_nothing_is_paid(stripe_service: LiveService) -> None:
    service = stripe_service
    submitted = service.submit_example()
    checkout_url = service.open_checkout(submitted)
    declined = pay(service, checkout_url, {**TEST_CARD, "card": "4000 0000 0000 0341"})
    assert declined.status == 402
    assert "abgelehnt" in declined.text
    invalid = pay(service, checkout_url, {"card": "4242", "expiry": "13/99", "cvc": "x"})
    assert invalid.status == 422
    assert invalid.text.count('aria-invalid="true"') == 3
    time.sleep(1.5)
    assert service.status(submitted)["status"] == "AWAITING_PAYMENT"


def test_a_dropped_webhook_is_issued_by_the_reconciliation_exactly_once(
    stripe_service: LiveService, localstripe: LocalStripe
) -> None:
    service = stripe_service
    submitted, payment_intent_id = paid_with_webhook_dropped(service, localstripe)

    too_soon = reconciler_for(service, minutes_later=1).run(lambda: 60_000)
    assert service.status(submitted)["status"] == "AWAITING_PAYMENT", too_soon

    report = reconciler_for(service).run(lambda: 60_000)
    assert report.results["issued"] == 1, report
    assert service.status(submitted)["status"] == "ISSUED"
    assert len(service.permit_items_of_application(submitted.id)) == 1

    before = snapshot(service, submitted.id)
    assert reconciler_for(service).run(lambda: 60_000).results["issued"] == 0
    # localstripe's own event for that payment, delivered late: a duplicate.
    body = event_sent_for(localstripe, payment_intent_id)
    late = post_stripe(service, signed(body), body)
    assert late.status == 200, late.text
    assert late.json()["result"] == "duplicate"
    assert snapshot(service, submitted.id) == before


def refund_event(charge: Any, event_id: str, with_metadata: bool) -> bytes:
    """The recorded ``charge.refunded`` body with a real localstripe charge's ids and totals."""
    name = "charge.refunded.full.json" if with_metadata else "charge.refunded.partial.json"
    event = json.loads((FIXTURES / name).read_text())
    obj = copy.deepcopy(event["data"]["object"])
    obj.update(
        id=charge["id"],
        payment_intent=charge["payment_intent"],
        amount=charge["amount"],
        amount_refunded=charge["amount_refunded"],
        refunded=charge["amount_refunded"] >= charge["amount"],
    )
    if with_metadata:
        obj["metadata"] = {"application_id": charge["_application_id"]}
    event["data"]["object"] = obj
    event["id"] = event_id
    return json.dumps(event, indent=2, sort_keys=True).encode()


def test_refunds_a_partial_one_flags_the_full_one_revokes(
    stripe_service: LiveService, localstripe: LocalStripe
) -> None:
    service = stripe_service
    submitted = service.submit_example()
    assert pay(service, service.open_checkout(submitted)).status == 303
    permit = wait_for_status(service, submitted, "ISSUED")["permit"]
    token = permit["verify_url"].partition("#")[2]
    api = stripe_api(localstripe)
    payment_intent_id = payment_intent_of(service, submitted.id)

    api.v1.refunds.create(params={"payment_intent": payment_intent_id, "amount": 1000})
    intent = api.v1.payment_intents.retrieve(payment_intent_id).to_dict()
    charge = {**intent["latest_charge"], "_application_id": submitted.id}
    assert charge["amount_refunded"] == 1000
    body = refund_event(charge, f"evt_e2e_{os.urandom(6).hex()}", with_metadata=False)
    partial = post_stripe(service, signed(body), body)
    assert partial.status == 200, partial.text
    assert partial.json()["result"] == "flagged"
    assert service.status(submitted)["status"] == "ISSUED"
    verified = service.request("POST", "/api/verify", {"token": token}).json()
    assert verified["result"] == "valid"

    api.v1.refunds.create(params={"payment_intent": payment_intent_id, "amount": 2000})
    intent = api.v1.payment_intents.retrieve(payment_intent_id).to_dict()
    charge = {**intent["latest_charge"], "_application_id": submitted.id}
    assert charge["amount_refunded"] == 3000
    body = refund_event(charge, f"evt_e2e_{os.urandom(6).hex()}", with_metadata=True)
    full = post_stripe(service, signed(body), body)
    assert full.json()["result"] == "revoked", full.text
    assert service.status(submitted)["status"] == "REVOKED"
    verified = service.request("POST", "/api/verify", {"token": token}).json()
    assert verified["result"] == "revoked"


def test_forged_stale_and_replayed_signatures_are_refused_with_nothing_changed(
    stripe_service: LiveService, localstripe: LocalStripe
) -> None:
    service = stripe_service
    submitted, payment_intent_id = paid_with_webhook_dropped(service, localstripe)
    body = event_sent_for(localstripe, payment_intent_id)
    before = snapshot(service, submitted.id)

    other = json.loads(body)
    other["data"]["object"]["amount"] = 1
    refused = {
        "forged (an attacker's secret)": post_stripe(
            service, signed(body, "whsec_attacker-made-this-one-up"), body
        ),
        "stale (signed six minutes ago)": post_stripe(service, signed(body, age=360), body),
        "replayed onto another body": post_stripe(
            service, signed(body), json.dumps(other).encode()
        ),
        "no signature": post_stripe(service, {"Content-Type": "application/json"}, body),
    }
    for case, response in refused.items():
        assert response.status == 401, (case, response.text)
        assert response.headers["Content-Type"] == "application/problem+json", case
    assert snapshot(service, submitted.id) == before
    assert service.status(submitted)["status"] == "AWAITING_PAYMENT"

    genuine = signed(body)
    first = post_stripe(service, genuine, body)
    assert first.json()["result"] == "issued", first.text
    after = snapshot(service, submitted.id)
    replay = post_stripe(service, genuine, body)  # the captured delivery, sent again
    assert (replay.status, replay.json()["result"]) == (200, "duplicate")
    assert snapshot(service, submitted.id) == after


def test_twenty_concurrent_deliveries_of_one_stripe_event_issue_one_permit(
    stripe_service: LiveService, localstripe: LocalStripe
) -> None:
    service = stripe_service
    submitted, payment_intent_id = paid_with_webhook_dropped(service, localstripe)
    body = event_sent_for(localstripe, payment_intent_id)
    headers = signed(body)
    deliveries = 20
    start = threading.Barrier(deliveries)

    def deliver(_: int) -> HttpResponse:
        start.wait(timeout=30)
        for attempt in range(10):  # chalice local's listen backlog resets a few: resend
            try:
                return post_stripe(service, headers, body)
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("no connection after 10 attempts")

    with ThreadPoolExecutor(max_workers=deliveries) as pool:
        responses = list(pool.map(deliver, range(deliveries)))
    # Under this contention a delivery may lose every re-read and answer 503 with
    # Retry-After (never a 500): Stripe retries those, and so does this test.
    for index, response in enumerate(responses):
        for _ in range(5):
            if response.status != 503:
                break
            retry_after = {k.lower(): v for k, v in response.headers.items()}["retry-after"]
            assert int(retry_after) > 0
            response = post_stripe(service, headers, body)
        responses[index] = response
    assert all(200 <= r.status < 300 for r in responses), [r.text for r in responses]
    results = Counter(r.json()["result"] for r in responses)
    assert results == {"issued": 1, "duplicate": deliveries - 1}, results
    assert len(service.permit_items_of_application(submitted.id)) == 1
    assert service.status(submitted)["status"] == "ISSUED"


# -- the browser --------------------------------------------------------------------------


def test_a_citizen_pays_with_the_test_card_in_the_browser_and_gets_the_permit(
    stripe_service: LiveService, page: Page
) -> None:
    """API submission (the web form lands separately), then checkout and status in Chromium."""
    service = stripe_service
    submitted = service.submit_example()
    status_url = f"{service.base_url}/status/{submitted.id}"
    # the private link, as the confirmation mail has it: it opens a session for the status page
    page.goto(f"{service.base_url}/link/{submitted.id}/{submitted.access_token}")
    page.wait_for_url(status_url)
    page.wait_for_selector('[data-status="SUBMITTED"]')

    page.goto(service.open_checkout(submitted))
    assert page.title().startswith("Bezahlen")
    assert_accessible(page, "(Stripe checkout, emulator)")
    page.get_by_label("Kartennummer").fill("4242 4242 4242 4242")
    page.get_by_label("Gültig bis (MM/JJ)").fill("12/34")
    page.get_by_label("Prüfnummer (CVC)").fill("123")
    page.get_by_role("button", name="Jetzt bezahlen").click()

    page.wait_for_url(status_url)
    page.wait_for_selector('[data-status="ISSUED"]', timeout=20_000)
    number = page.locator("#permit-number").inner_text()
    assert number == service.status(submitted)["permit"]["number"]
    assert page.locator("#pdf-link").is_visible()


def test_the_checkout_page_shows_errors_accessibly_and_reflows(
    stripe_service: LiveService, page: Page
) -> None:
    service = stripe_service
    submitted = service.submit_example()
    page.goto(service.open_checkout(submitted))
    page.get_by_role("button", name="Jetzt bezahlen").click()  # nothing typed
    page.wait_for_selector("#errors")
    assert page.locator("#card").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "(errors shown)")
    assert_reflows(page)
