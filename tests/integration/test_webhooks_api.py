"""POST /api/payments/sandbox/webhook: every refusal changes nothing; accepted events are 2xx.

Each refused delivery is followed by the same event correctly signed, which must issue: so
a 401/400 here is caused by the one defect under test, not by a broken set-up.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import TEST_WEBHOOK_SECRET, new_webhook_secret
from tests.integration.payment_helpers import (
    PaymentWorld,
    Submitted,
    event_body,
    kinds,
    open_world,
    signed_webhook,
)

OTHER_SECRET = "whsec_" + base64.b64encode(b"rotated-out-secret-0123456789abc").decode()


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


@pytest.fixture
def waiting(world: PaymentWorld) -> Submitted:
    """An application with an open checkout, waiting for its payment."""
    app = world.submit()
    assert world.checkout(app).status_code == 200
    return app


def _refused(world: PaymentWorld, headers: dict[str, str], body: bytes, status: int) -> Any:
    before = world.items()
    response = world.post_webhook(headers, body)
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert json.loads(response.body)["status"] == status
    assert world.items() == before
    return response


def _then_the_genuine_delivery_issues(world: PaymentWorld, app: Submitted) -> None:
    body = event_body("payment.succeeded", app.id, "pay_1")
    response = world.post_webhook(signed_webhook(body, "evt_genuine", world.now_ts()), body)
    assert response.status_code == 200, response.body
    assert response.json_body["result"] == "issued"
    assert world.stored_status(app.id) == "ISSUED"


# -- signature and freshness --------------------------------------------------------------


def _tamper_signature(headers: dict[str, str]) -> None:
    mac = base64.b64decode(headers["webhook-signature"].removeprefix("v1,"))
    flipped = bytes([mac[0] ^ 1]) + mac[1:]
    headers["webhook-signature"] = "v1," + base64.b64encode(flipped).decode()


@pytest.mark.parametrize(
    "defect",
    [
        "flipped-signature-bit",
        "signature-of-another-body",
        "no-v1-prefix",
        "empty-signature",
        "rotated-out-secret",
        "six-minutes-old",
        "six-minutes-ahead",
        "body-changed-after-signing",
        "id-changed-after-signing",
        "timestamp-changed-after-signing",
    ],
)
def test_a_delivery_that_does_not_prove_its_sender_is_refused(
    world: PaymentWorld, waiting: Submitted, defect: str
) -> None:
    now = world.now_ts()
    body = event_body("payment.succeeded", waiting.id, "pay_1")
    secret, timestamp = TEST_WEBHOOK_SECRET, now
    if defect == "rotated-out-secret":
        secret = OTHER_SECRET
    elif defect == "six-minutes-old":
        timestamp = now - 360
    elif defect == "six-minutes-ahead":
        timestamp = now + 360
    headers = signed_webhook(body, "evt_1", timestamp, secret)
    sent = body
    if defect == "flipped-signature-bit":
        _tamper_signature(headers)
    elif defect == "signature-of-another-body":
        other = event_body("payment.succeeded", waiting.id, "pay_other")
        headers["webhook-signature"] = signed_webhook(other, "evt_1", now)["webhook-signature"]
    elif defect == "no-v1-prefix":
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    elif defect == "empty-signature":
        headers["webhook-signature"] = ""
    elif defect == "body-changed-after-signing":
        sent = body.replace(b'"amount_cents":3000', b'"amount_cents":3001')
        assert sent != body
    elif defect == "id-changed-after-signing":
        headers["webhook-id"] = "evt_2"
    elif defect == "timestamp-changed-after-signing":
        headers["webhook-timestamp"] = str(now - 1)
    _refused(world, headers, sent, 401)
    _then_the_genuine_delivery_issues(world, waiting)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_delivery_without_each_header_is_refused(
    world: PaymentWorld, waiting: Submitted, missing: str
) -> None:
    body = event_body("payment.succeeded", waiting.id, "pay_1")
    headers = signed_webhook(body, "evt_1", world.now_ts())
    del headers[missing]
    _refused(world, headers, body, 401)
    _then_the_genuine_delivery_issues(world, waiting)


@pytest.mark.parametrize("offset", [-300, 300, -299, 0])
def test_the_tolerance_is_five_minutes_either_way(
    world: PaymentWorld, waiting: Submitted, offset: int
) -> None:
    body = event_body("payment.succeeded", waiting.id, "pay_1")
    headers = signed_webhook(body, "evt_1", world.now_ts() + offset)
    response = world.post_webhook(headers, body)
    assert response.status_code == 200
    assert response.json_body["result"] == "issued"


def test_two_active_secrets_both_verify(settings: Any, dynamodb_client: Any, clock: Any) -> None:
    new_secret = new_webhook_secret()
    rotated = replace(settings, webhook_secrets=(new_secret, TEST_WEBHOOK_SECRET))
    with open_world(rotated, dynamodb_client, clock) as world:
        for index, secret in enumerate((new_secret, TEST_WEBHOOK_SECRET)):
            app = world.submit()
            assert world.checkout(app).status_code == 200
            response = world.webhook("payment.succeeded", app.id, f"pay_{index}", secret=secret)
            assert response.status_code == 200, (index, response.body)
            assert response.json_body["result"] == "issued"
        # A secret outside the active set is still refused.
        app = world.submit()
        body = event_body("payment.succeeded", app.id, "pay_x")
        _refused(world, signed_webhook(body, "evt_x", world.now_ts(), OTHER_SECRET), body, 401)
        assert len(world.permit_items()) == 2


# -- signed but unreadable ----------------------------------------------------------------


def _malformed_bodies(app_id: str) -> dict[str, bytes]:
    good = {
        "type": "payment.succeeded",
        "data": {
            "payment_id": "pay_1",
            "application_id": app_id,
            "amount_cents": 3000,
            "currency": "EUR",
        },
    }

    def variant(**data: Any) -> bytes:
        return json.dumps({**good, "data": {**good["data"], **data}}).encode()

    return {
        "not-json": b"payment succeeded",
        "array": b"[]",
        "no-data": json.dumps({"type": "payment.succeeded"}).encode(),
        "amount-as-string": variant(amount_cents="3000"),
        "amount-as-float": variant(amount_cents=3000.0),
        "negative-amount": variant(amount_cents=-1),
        "lowercase-currency": variant(currency="eur"),
        "no-application-id": json.dumps(
            {**good, "data": {k: v for k, v in good["data"].items() if k != "application_id"}}
        ).encode(),
        "duplicate-key": b'{"type":"payment.succeeded","type":"payment.refunded","data":'
        + json.dumps(good["data"]).encode()
        + b"}",
        "not-utf8": b'{"type":"payment.succeeded\xff"}',
        "nan": variant().replace(b"3000", b"NaN"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not-json",
        "array",
        "no-data",
        "amount-as-string",
        "amount-as-float",
        "negative-amount",
        "lowercase-currency",
        "no-application-id",
        "duplicate-key",
        "not-utf8",
        "nan",
    ],
)
def test_a_signed_but_malformed_body_is_refused_with_400(
    world: PaymentWorld, waiting: Submitted, case: str
) -> None:
    body = _malformed_bodies(waiting.id)[case]
    response = _refused(world, signed_webhook(body, "evt_1", world.now_ts()), body, 400)
    assert "3000" not in json.loads(response.body).get("detail", "")  # values are not echoed
    _then_the_genuine_delivery_issues(world, waiting)


def test_an_unknown_provider_is_not_found(world: PaymentWorld, waiting: Submitted) -> None:
    body = event_body("payment.succeeded", waiting.id, "pay_1")
    before = world.items()
    response = world.post_webhook(signed_webhook(body, "evt_1", world.now_ts()), body, "stripe")
    assert response.status_code == 404
    assert world.items() == before


# -- accepted, but nothing to do ----------------------------------------------------------


def test_an_event_for_an_unknown_application_is_acknowledged_and_writes_nothing(
    world: PaymentWorld, waiting: Submitted
) -> None:
    before = world.items()
    for application_id in ("0123456789abcdef0123456789abcdef", "not-one-of-ours"):
        response = world.webhook("payment.succeeded", application_id, "pay_1")
        assert response.status_code == 200
        assert response.json_body == {"received": True, "result": "ignored"}
    assert world.items() == before


def test_an_unknown_event_type_is_acknowledged_as_ignored_and_writes_nothing(
    world: PaymentWorld, waiting: Submitted
) -> None:
    before = world.items()
    for event_type in ("payment.disputed", "checkout.session.expired"):
        response = world.webhook(event_type, waiting.id, "pay_1")
        assert response.status_code == 200
        assert response.json_body == {"received": True, "result": "ignored"}
    assert world.items() == before
    _then_the_genuine_delivery_issues(world, waiting)


# -- exactly once -------------------------------------------------------------------------


def test_the_same_delivery_twenty_times_issues_one_permit(
    world: PaymentWorld, waiting: Submitted
) -> None:
    session = world.session_of(world.checkout_url(waiting))
    headers, body = world.provider.build_webhook(session, "succeeded")
    results = []
    for _ in range(20):
        response = world.post_webhook(headers, body)
        assert 200 <= response.status_code < 300, response.body
        results.append(response.json_body["result"])
    assert results == ["issued"] + ["duplicate"] * 19
    items = world.items()
    assert kinds(items) == {
        "application": 1,
        "audit": 3,
        "permit": 1,
        "event": 1,
        "plate_claim": 1,
        "outbox": 2,
        "mail": 2,  # the application's record of each mail
        "ledger": 2,  # the payment and the permit it paid for, booked once
    }
    assert world.audit_events(waiting.id).count("issued") == 1
    assert world.stored_status(waiting.id) == "ISSUED"
