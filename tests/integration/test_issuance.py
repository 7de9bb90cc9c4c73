"""Issue 3: a verified payment issues exactly one permit; everything else is acknowledged.

Through the HTTP API (chalice test client) against DynamoDB over HTTP (moto's server), with
assertions on the answers AND on the table. The webhook is signed at the FixedClock's time
and verified on it (see payment_helpers).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.store import DynamoDBStore
from chalicelib.domain.permit_number import parse_permit_number
from tests.integration.payment_helpers import (
    FREE_FORM_ID,
    FlakyStore,
    PaymentWorld,
    free_registry,
    kinds,
    open_world,
)


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


@pytest.fixture
def flaky_world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock, store_wrapper=FlakyStore) as opened:
        yield opened


def _issued_audits(world: PaymentWorld, app_id: str) -> int:
    return world.audit_events(app_id).count("issued")


# -- the happy path ---------------------------------------------------------------------


def test_paid_application_is_issued_once_with_number_validity_and_verify_url(
    world: PaymentWorld,
) -> None:
    counts: dict[str, list[str]] = {}
    with world.counter.measure() as counts["submit"]:
        app = world.submit()
    assert app.body["status"] == "SUBMITTED"
    assert (app.body["fee"]["amount_cents"], app.body["fee"]["currency"]) == (3000, "EUR")
    assert app.body["fee"]["breakdown"]["kind"] == "by_option"

    with world.counter.measure() as counts["checkout"]:
        first = world.checkout(app)
    assert first.status_code == 200, first.body
    checkout_url = first.json_body["checkout_url"]
    assert checkout_url.startswith("https://permits.example.de/sandbox/checkout/")
    assert world.stored_status(app.id) == "AWAITING_PAYMENT"

    # Asked again while the checkout is open: the same page, nothing written.
    before_again = world.items()
    again = world.checkout(app)
    assert again.status_code == 200
    assert again.json_body["checkout_url"] == checkout_url
    assert world.items() == before_again

    # The browser comes back from the provider: that proves nothing and changes nothing.
    returned = world.http.get(f"/status/{app.id}")
    assert returned.status_code == 404  # no session in this client: "open your private link"
    assert world.items() == before_again
    waiting = world.status(app)
    assert waiting.json_body["status"] == "AWAITING_PAYMENT"
    assert "permit" not in waiting.json_body

    session = world.session_of(checkout_url)
    assert (session.application_id, session.amount_cents, session.currency) == (app.id, 3000, "EUR")
    headers, body = world.provider.build_webhook(session, "succeeded")
    with world.counter.measure() as counts["webhook"]:
        paid = world.post_webhook(headers, body)
    assert paid.status_code == 200, paid.body
    assert paid.json_body == {"received": True, "result": "issued"}

    with world.counter.measure() as counts["status"]:
        status = world.status(app)
    assert status.status_code == 200
    shown = status.json_body
    assert shown["status"] == "ISSUED"
    permit = shown["permit"]
    # 12 months from the start (the submission day in Berlin), last day inclusive.
    assert permit["valid_from"] == "2026-11-21"
    assert permit["valid_until"] == "2027-11-20"
    assert permit["zone"] == "C"
    assert permit["plates"] == ["DNAB123"]
    parsed = parse_permit_number(permit["number"])
    assert parsed is not None and parsed[0] == 2026
    assert permit["verify_url"].startswith("https://permits.example.de/v#")
    token = permit["verify_url"].partition("#")[2]
    assert token
    assert "checkout_url" not in shown

    # The table: one application (ISSUED, paid by this payment), one permit, one event marker,
    # audit: submitted, checkout_opened, issued.
    items = world.items()
    assert kinds(items) == {
        "application": 1,
        "audit": 3,
        "permit": 1,
        "event": 1,
        "plate_claim": 1,
        "outbox": 2,
        "mail": 2,  # the application's record of each mail
        "ledger": 2,  # the payment and the issuance, in the issuing transaction
    }
    assert world.audit_events(app.id) == ["submitted", "checkout_opened", "issued"]
    stored = world.application_item(app.id)
    assert stored["status"]["S"] == "ISSUED"
    assert stored["payment_id"]["S"] == session.payment_id
    # issued applications leave the work queues for the "recently issued" one of their day
    assert stored["GSI1PK"]["S"] == "QUEUE#ISSUED#2026-11-21"
    (permit_item,) = world.permit_items()
    assert permit_item["PK"]["S"] == f"PERMIT#{parsed[1]}"
    assert permit_item["number"]["S"] == permit["number"]
    assert permit_item["status"]["S"] == "ISSUED"
    assert permit_item["application_id"]["S"] == app.id
    assert permit_item["token"]["S"] == token
    assert (permit_item["valid_from"]["S"], permit_item["valid_to"]["S"]) == (
        "2026-11-21",
        "2027-11-20",
    )
    (event_item,) = [item for item in items if item["PK"]["S"].startswith("EVENT#")]
    assert event_item["PK"]["S"] == f"EVENT#sandbox#{headers['webhook-id']}"
    # The plate now holds this permit: the uniqueness item written in the same transaction.
    (claim,) = [item for item in items if item["PK"]["S"].startswith("PLATE#")]
    assert claim["PK"]["S"] == "PLATE#1#DNAB123"
    assert claim["application_id"]["S"] == app.id
    assert claim["serial"]["N"] == str(parsed[1])
    assert (claim["valid_from"]["S"], claim["valid_to"]["S"]) == ("2026-11-21", "2027-11-20")

    with world.counter.measure() as counts["verify"]:
        verified = world.verify(token)
    assert verified.status_code == 200
    assert verified.json_body == {
        "result": "valid",
        "permit": {
            "number": permit["number"],
            "type": 1,
            "zone": "C",
            "plates": ["DNAB123"],
            "valid_from": "2026-11-21",
            "valid_until": "2027-11-20",
        },
    }

    # After issuance there is nothing left to pay.
    after = world.items()
    late_checkout = world.checkout(app)
    assert late_checkout.status_code == 409
    assert world.items() == after

    print("\nDynamoDB requests per step:", {step: len(ops) for step, ops in counts.items()})
    print("operations per step:", counts)
    # The architecture's budget.
    assert len(counts["submit"]) == 1
    assert len(counts["checkout"]) <= 2
    assert len(counts["webhook"]) <= 2
    assert len(counts["status"]) <= 1
    assert len(counts["verify"]) <= 1


def test_validity_runs_from_the_chosen_start_date(world: PaymentWorld) -> None:
    from tests.integration.payment_helpers import EXAMPLE

    data = {**EXAMPLE, "start_date": "2027-01-31", "duration_months": 6}
    app = world.submit(data)
    assert app.body["fee"]["amount_cents"] == 1500
    response, _ = world.pay(app)
    assert response.json_body["result"] == "issued"
    permit = world.status(app).json_body["permit"]
    # 31 Jan + 6 months ends on 30 Jul (the day before 31 Jul), end inclusive.
    assert (permit["valid_from"], permit["valid_until"]) == ("2027-01-31", "2027-07-30")
    verified = world.verify(permit["verify_url"].partition("#")[2]).json_body
    assert verified["result"] == "not_yet_valid"


# -- exactly once -------------------------------------------------------------------------


def test_two_success_events_for_one_payment_issue_one_permit(world: PaymentWorld) -> None:
    app = world.submit()
    assert world.checkout(app).status_code == 200
    first = world.webhook("payment.succeeded", app.id, "pay_1", event_id="evt_a")
    second = world.webhook("payment.succeeded", app.id, "pay_1", event_id="evt_b")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json_body["result"] == "issued"
    assert second.json_body["result"] == "duplicate"
    assert len(world.permit_items()) == 1
    assert _issued_audits(world, app.id) == 1
    assert world.flags(app.id) == []
    assert world.stored_status(app.id) == "ISSUED"


def test_a_second_payment_is_flagged_and_issues_nothing(world: PaymentWorld) -> None:
    app = world.submit()
    assert world.checkout(app).status_code == 200
    assert world.webhook("payment.succeeded", app.id, "pay_1").json_body["result"] == "issued"
    number = world.status(app).json_body["permit"]["number"]

    second = world.webhook("payment.succeeded", app.id, "pay_2")
    assert second.status_code == 200
    assert second.json_body["result"] == "flagged"
    assert len(world.permit_items()) == 1
    assert _issued_audits(world, app.id) == 1
    assert world.flags(app.id) == ["second_payment"]
    assert world.audit_details(app.id, "flagged") == [
        {"flag": "second_payment", "payment_id": "pay_2"}
    ]
    shown = world.status(app).json_body
    assert shown["status"] == "ISSUED"
    assert shown["permit"]["number"] == number
    # Flagged applications are in the staff queue.
    assert world.application_item(app.id)["GSI1PK"]["S"].startswith("QUEUE#FLAGGED#")


# -- refused payments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount_cents", "currency"),
    [(2999, "EUR"), (3001, "EUR"), (0, "EUR"), (3000, "USD")],
    ids=["less", "more", "zero", "other-currency"],
)
def test_a_wrong_amount_or_currency_is_flagged_not_issued(
    world: PaymentWorld, amount_cents: int, currency: str
) -> None:
    app = world.submit()
    assert world.checkout(app).status_code == 200
    response = world.webhook(
        "payment.succeeded", app.id, "pay_1", amount_cents=amount_cents, currency=currency
    )
    assert response.status_code == 200
    assert response.json_body["result"] == "flagged"
    assert world.permit_items() == []
    assert world.stored_status(app.id) == "AWAITING_PAYMENT"
    assert world.flags(app.id) == ["amount_mismatch"]
    assert "issued" not in world.audit_events(app.id)
    assert world.status(app).json_body["status"] == "AWAITING_PAYMENT"


def test_a_payment_for_a_cancelled_application_is_flagged_not_issued(world: PaymentWorld) -> None:
    app = world.submit()
    assert world.checkout(app).status_code == 200
    world.clock.advance(hours=49)
    assert world.container.unpaid_canceller.run() == [app.id]
    assert world.stored_status(app.id) == "CANCELLED"

    response = world.webhook("payment.succeeded", app.id, "pay_1")
    assert response.status_code == 200
    assert response.json_body["result"] == "flagged"
    assert world.permit_items() == []
    assert world.stored_status(app.id) == "CANCELLED"
    assert world.flags(app.id) == ["payment_after_cancellation"]
    assert world.status(app).json_body["status"] == "CANCELLED"


def test_a_failed_payment_keeps_the_application_payable(world: PaymentWorld) -> None:
    app = world.submit()
    failed, session = world.pay(app, "failed")
    assert failed.status_code == 200
    assert failed.json_body["result"] == "recorded"
    assert world.stored_status(app.id) == "AWAITING_PAYMENT"
    assert world.permit_items() == []
    assert world.audit_events(app.id) == ["submitted", "checkout_opened", "payment_failed"]
    assert world.status(app).json_body["status"] == "AWAITING_PAYMENT"

    # The citizen tries again on the same checkout page, and this time it works.
    assert (
        world.checkout_url(app)
        == world.application_item(app.id)["checkout"]["M"]["checkout_url"]["S"]
    )
    headers, body = world.provider.build_webhook(session, "succeeded")
    paid = world.post_webhook(headers, body)
    assert paid.json_body["result"] == "issued"
    assert world.status(app).json_body["status"] == "ISSUED"
    assert len(world.permit_items()) == 1


def test_a_second_failed_payment_is_recorded_too(world: PaymentWorld) -> None:
    """Two failures in the same instant (the FixedClock does not move): both acknowledged."""
    app = world.submit()
    assert world.checkout(app).status_code == 200
    first = world.webhook("payment.failed", app.id, "pay_1")
    second = world.webhook("payment.failed", app.id, "pay_2")
    assert (first.status_code, second.status_code) == (200, 200), second.body
    assert world.audit_events(app.id).count("payment_failed") == 2
    assert world.webhook("payment.succeeded", app.id, "pay_3").json_body["result"] == "issued"


# -- refunds ------------------------------------------------------------------------------


def test_a_refund_after_issuance_revokes_the_permit(world: PaymentWorld) -> None:
    app = world.submit()
    paid, session = world.pay(app)
    assert paid.json_body["result"] == "issued"
    token = world.status(app).json_body["permit"]["verify_url"].partition("#")[2]
    assert world.verify(token).json_body["result"] == "valid"

    headers, body = world.refund_webhook(session)
    refunded = world.post_webhook(headers, body)
    assert refunded.status_code == 200
    assert refunded.json_body["result"] == "revoked"
    assert world.stored_status(app.id) == "REVOKED"
    (permit_item,) = world.permit_items()
    assert permit_item["status"]["S"] == "REVOKED"
    assert world.audit_events(app.id)[-1] == "revoked"
    assert world.status(app).json_body["status"] == "REVOKED"
    verified = world.verify(token).json_body
    assert verified["result"] == "revoked"

    # The same refund again: acknowledged, nothing changes.
    before = world.items()
    again = world.post_webhook(headers, body)
    assert again.status_code == 200
    assert again.json_body["result"] == "duplicate"
    assert world.items() == before


def test_a_partial_refund_flags_for_staff_and_keeps_the_permit_valid(
    world: PaymentWorld,
) -> None:
    """Issue 9 item 4: only refunds that cover the fee revoke; a part of it is for staff."""
    app = world.submit()
    paid, session = world.pay(app)
    assert paid.json_body["result"] == "issued"
    token = world.status(app).json_body["permit"]["verify_url"].partition("#")[2]

    before_permits = world.permit_items()
    first = world.post_webhook(*world.refund_webhook(session, "evt_r1", 1000))
    assert first.status_code == 200
    assert first.json_body["result"] == "flagged"
    assert world.stored_status(app.id) == "ISSUED"
    assert world.flags(app.id) == ["partial_refund"]
    assert world.permit_items() == before_permits  # the permit item is untouched
    assert world.verify(token).json_body["result"] == "valid"
    (detail,) = world.audit_details(app.id, "flagged")
    assert detail == {
        "flag": "partial_refund",
        "payment_id": session.payment_id,
        "refunded_cents": "1000",
    }
    # The same partial refund delivered again: nothing changes.
    before = world.items()
    again = world.post_webhook(*world.refund_webhook(session, "evt_r1", 1000))
    assert again.json_body["result"] == "duplicate"
    assert world.items() == before

    # The rest is refunded: the provider's total now covers the fee, so the permit goes.
    rest = world.post_webhook(*world.refund_webhook(session, "evt_r2", 3000))
    assert rest.json_body["result"] == "revoked"
    assert world.stored_status(app.id) == "REVOKED"
    (permit_item,) = world.permit_items()
    assert permit_item["status"]["S"] == "REVOKED"
    assert world.verify(token).json_body["result"] == "revoked"
    assert world.audit_details(app.id, "revoked")[-1]["refunded_cents"] == "3000"

    # A further refund event for the refunded payment is recorded, not a refund-first flag.
    late = world.post_webhook(*world.refund_webhook(session, "evt_r3", 3000))
    assert late.json_body["result"] == "recorded"
    assert world.flags(app.id) == ["partial_refund"]
    assert world.audit_events(app.id)[-2:] == ["revoked", "refund_recorded"]


def test_a_refund_before_the_success_event_prevents_issuance(world: PaymentWorld) -> None:
    app = world.submit()
    session = world.session_of(world.checkout_url(app))
    refunded = world.post_webhook(*world.refund_webhook(session))
    assert refunded.status_code == 200
    assert world.stored_status(app.id) == "AWAITING_PAYMENT"
    assert world.permit_items() == []

    assert world.flags(app.id) == [f"refund_before_payment:{session.payment_id}"]

    late = world.post_webhook(*world.provider.build_webhook(session, "succeeded"))
    assert late.status_code == 200
    assert late.json_body["result"] == "flagged"
    assert world.flags(app.id) == [
        f"refund_before_payment:{session.payment_id}",
        "payment_after_refund",
    ]
    assert world.permit_items() == []
    assert world.stored_status(app.id) == "AWAITING_PAYMENT"
    assert "issued" not in world.audit_events(app.id)
    assert world.status(app).json_body["status"] == "AWAITING_PAYMENT"

    # Another payment (a new payment id) for the same application still issues.
    other = world.webhook("payment.succeeded", app.id, "pay_other")
    assert other.json_body["result"] == "issued"
    assert len(world.permit_items()) == 1


def test_a_serial_collision_is_retried_with_a_fresh_serial(
    settings: Any, dynamodb_client: Any, clock: Any
) -> None:
    from chalicelib.services.issuance import IssuanceService
    from chalicelib.wiring import Container

    signer = Container(settings).signer
    serials = iter([7, 7, 8])
    issuance = IssuanceService(signer, clock, draw_serial=lambda: next(serials))
    with open_world(settings, dynamodb_client, clock, signer=signer, issuance=issuance) as world:
        first, second = world.submit(), world.submit()
        assert world.pay(first)[0].json_body["result"] == "issued"
        with world.counter.measure() as ops:
            paid, _ = world.pay(second)
        assert paid.json_body["result"] == "issued"
        # checkout (read + write), then webhook: read, refused write, re-read, write.
        assert ops[2:] == ["GetItem", "TransactWriteItems", "GetItem", "TransactWriteItems"]
        assert sorted(item["PK"]["S"] for item in world.permit_items()) == [
            "PERMIT#7",
            "PERMIT#8",
        ]
        assert world.application_item(second.id)["permit"]["M"]["serial"]["N"] == "8"
        assert world.audit_events(second.id).count("issued") == 1
        token = world.status(second).json_body["permit"]["verify_url"].partition("#")[2]
        assert world.verify(token).json_body["result"] == "valid"


# -- store failures -----------------------------------------------------------------------


def test_a_failed_issuing_transaction_answers_503_and_the_retry_issues_once(
    flaky_world: PaymentWorld,
) -> None:
    world = flaky_world
    app = world.submit()
    session = world.session_of(world.checkout_url(app))
    headers, body = world.provider.build_webhook(session, "succeeded")
    before = world.items()

    world.store.arm("save")
    failed = world.post_webhook(headers, body)
    assert world.store.failures == ["save"]
    assert failed.status_code == 503
    assert failed.headers["Content-Type"] == "application/problem+json"
    assert world.items() == before  # no marker, no permit: the provider's retry is not a duplicate

    retried = world.post_webhook(headers, body)
    assert retried.status_code == 200
    assert retried.json_body["result"] == "issued"
    assert len(world.permit_items()) == 1
    assert _issued_audits(world, app.id) == 1
    again = world.post_webhook(headers, body)
    assert again.json_body["result"] == "duplicate"
    assert len(world.permit_items()) == 1


def test_a_failed_read_answers_503_with_nothing_written(flaky_world: PaymentWorld) -> None:
    world = flaky_world
    app = world.submit()
    assert world.checkout(app).status_code == 200
    before = world.items()
    world.store.arm("get_application")
    response = world.webhook("payment.succeeded", app.id, "pay_1", event_id="evt_x")
    assert response.status_code == 503
    assert world.items() == before
    assert world.webhook("payment.succeeded", app.id, "pay_1", event_id="evt_x").status_code == 200
    assert len(world.permit_items()) == 1


# -- free services ------------------------------------------------------------------------


def test_a_free_form_is_issued_by_the_submission_in_one_request(
    settings: Any, dynamodb_client: Any, clock: Any
) -> None:
    from tests.integration.payment_helpers import EXAMPLE

    with open_world(settings, dynamodb_client, clock, registry=free_registry()) as world:
        with world.counter.measure() as ops:
            app = world.submit(EXAMPLE, form_id=FREE_FORM_ID)
        print("\nfree submission DynamoDB requests:", ops)
        assert ops == ["TransactWriteItems"]
        assert app.body["status"] == "ISSUED"
        assert app.body["fee"]["amount_cents"] == 0
        assert app.body["fee"]["breakdown"]["explanation"]["de"] == "Feste Gebühr: 0,00 €"

        items = world.items()
        assert kinds(items) == {
            "application": 1,
            "audit": 2,
            "permit": 1,
            "plate_claim": 1,
            "outbox": 2,
            "mail": 2,
            "ledger": 1,  # a free permit is booked too (no payment line)
        }
        assert world.audit_events(app.id) == ["submitted", "issued"]
        (permit_item,) = world.permit_items()
        assert permit_item["permit_type"]["N"] == "2"

        shown = world.status(app).json_body
        assert shown["status"] == "ISSUED"
        assert shown["permit"]["number"] == permit_item["number"]["S"]
        assert shown["permit"]["valid_until"] == "2027-11-20"
        verified = world.verify(shown["permit"]["verify_url"].partition("#")[2]).json_body
        assert verified["result"] == "valid"

        # Nothing to pay: no checkout, and a stray payment does not issue a second permit.
        assert world.checkout(app).status_code == 409
        stray = world.webhook("payment.succeeded", app.id, "pay_1", amount_cents=0)
        assert stray.status_code == 200
        assert len(world.permit_items()) == 1


def test_the_issued_permit_matches_what_the_store_reads_back(
    world: PaymentWorld, settings: Any, dynamodb_client: Any
) -> None:
    app = world.submit()
    world.pay(app)
    store = DynamoDBStore(dynamodb_client, settings.table_name)
    stored = store.get_application(app.id)
    assert stored is not None and stored.permit is not None
    permit = store.get_permit(stored.permit.serial)
    assert permit is not None
    assert permit.token == stored.permit.token
    assert (permit.valid_from, permit.valid_to) == (date(2026, 11, 21), date(2027, 11, 20))
    assert permit.plates == ("DNAB123",)
