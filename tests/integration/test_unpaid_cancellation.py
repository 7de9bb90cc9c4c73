"""The hourly job: unpaid applications older than ``unpaid_cancel_after`` become CANCELLED."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.services.expiry import UnpaidCanceller
from tests.integration.payment_helpers import PaymentWorld, open_world


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


def _cancel_audit(world: PaymentWorld, app_id: str) -> dict[str, str]:
    (item,) = [
        item
        for item in world.items()
        if item["PK"]["S"] == f"APP#{app_id}"
        and item.get("event", {}).get("S") == "cancelled_unpaid"
    ]
    return {key: item[key]["S"] for key in ("from_status", "to_status", "actor", "at")}


def _scheduled_event(test_client: Any) -> dict[str, Any]:
    return dict(
        test_client.events.generate_cw_event(
            source="aws.events",
            detail_type="Scheduled Event",
            detail={},
            resources=["arn:aws:events:eu-central-1:123456789012:rule/cancel-unpaid"],
            region="eu-central-1",
        )
    )


def test_old_unpaid_applications_are_cancelled_and_the_rest_untouched(
    world: PaymentWorld, settings: Any
) -> None:
    assert settings.unpaid_cancel_after.total_seconds() == 48 * 3600
    never_checked_out = world.submit()
    waiting = world.submit()
    assert world.checkout(waiting).status_code == 200
    paid = world.submit()
    assert world.pay(paid)[0].json_body["result"] == "issued"

    world.clock.advance(hours=2)
    young = world.submit()
    assert world.checkout(young).status_code == 200

    # 47 h 59 min after the first ones: nothing is old enough yet.
    world.clock.advance(hours=45, minutes=59)
    before = world.items()
    assert world.container.unpaid_canceller.run() == []
    assert world.items() == before

    world.clock.advance(hours=1, minutes=1)  # now 49 h after the first ones, 47 h after young
    with world.counter.measure() as ops:
        cancelled = world.container.unpaid_canceller.run()
    print(f"\ncancellation run: {len(ops)} DynamoDB requests ({set(ops)})")
    assert sorted(cancelled) == sorted([never_checked_out.id, waiting.id])
    for app, was in ((never_checked_out, "SUBMITTED"), (waiting, "AWAITING_PAYMENT")):
        assert world.stored_status(app.id) == "CANCELLED"
        assert "GSI1PK" not in world.application_item(app.id)  # out of the queue
        audit = _cancel_audit(world, app.id)
        assert audit == {
            "from_status": was,
            "to_status": "CANCELLED",
            "actor": "scheduler",
            "at": world.clock.now().isoformat(),
        }
        assert world.status(app).json_body["status"] == "CANCELLED"
    assert world.stored_status(paid.id) == "ISSUED"
    assert world.stored_status(young.id) == "AWAITING_PAYMENT"
    assert "cancelled_unpaid" not in world.audit_events(paid.id) + world.audit_events(young.id)
    assert world.status(young).json_body["status"] == "AWAITING_PAYMENT"

    # Running again changes nothing; later, the young one's turn comes.
    after = world.items()
    assert world.container.unpaid_canceller.run() == []
    assert world.items() == after
    world.clock.advance(hours=2)
    assert world.container.unpaid_canceller.run() == [young.id]


def test_applications_from_several_days_back_are_cancelled(world: PaymentWorld) -> None:
    app = world.submit()
    world.clock.advance(days=6)
    assert world.container.unpaid_canceller.run() == [app.id]
    assert world.stored_status(app.id) == "CANCELLED"


def test_every_page_of_a_busy_day_is_cancelled_in_one_run(
    world: PaymentWorld, settings: Any
) -> None:
    apps = [world.submit() for _ in range(5)]
    world.clock.advance(hours=49)
    canceller = UnpaidCanceller(
        world.container.store, world.clock, settings.unpaid_cancel_after, page_size=2
    )
    assert sorted(canceller.run()) == sorted(app.id for app in apps)
    assert {world.stored_status(app.id) for app in apps} == {"CANCELLED"}


def test_the_schedule_handler_cancels_through_the_app(world: PaymentWorld) -> None:
    import app as app_module

    first = world.submit()
    world.clock.advance(hours=49)
    result = app_module.cancel_unpaid(_scheduled_event(world.test_client), None)
    assert result == {"cancelled": 1}
    assert world.stored_status(first.id) == "CANCELLED"

    second = world.submit()
    world.clock.advance(hours=49)
    invoked = world.test_client.lambda_.invoke("cancel-unpaid", _scheduled_event(world.test_client))
    assert invoked.payload == {"cancelled": 1}
    assert world.stored_status(second.id) == "CANCELLED"


def test_a_flagged_unpaid_application_is_cancelled_and_stays_visible_to_staff(
    world: PaymentWorld,
) -> None:
    """A flag is for staff, not a way around the unpaid rule (issue 9 item 1).

    Flagged applications sit in the ``QUEUE#FLAGGED#<day>`` partition: the job reads it too,
    cancels what is still unpaid and old enough, and leaves it there for staff to see.
    """
    wrong_amount = world.submit()
    assert world.checkout(wrong_amount).status_code == 200
    flagged = world.webhook("payment.succeeded", wrong_amount.id, "pay_1", amount_cents=100)
    assert flagged.json_body["result"] == "flagged"
    refunded_first = world.submit()  # still SUBMITTED: a refund arrived before any payment
    early = world.webhook("payment.refunded", refunded_first.id, "pay_2")
    assert early.json_body["result"] == "flagged"
    paid_twice = world.submit()
    assert world.pay(paid_twice)[0].json_body["result"] == "issued"
    second = world.webhook("payment.succeeded", paid_twice.id, "pay_3")
    assert second.json_body["result"] == "flagged"
    unpaid = (wrong_amount.id, refunded_first.id)
    for app_id in (*unpaid, paid_twice.id):
        assert world.application_item(app_id)["GSI1PK"]["S"].startswith("QUEUE#FLAGGED#")

    world.clock.advance(hours=47)
    assert world.container.unpaid_canceller.run() == []  # not old enough yet
    world.clock.advance(hours=2)
    assert sorted(world.container.unpaid_canceller.run()) == sorted(unpaid)
    assert world.stored_status(wrong_amount.id) == "CANCELLED"
    assert world.stored_status(refunded_first.id) == "CANCELLED"
    assert world.stored_status(paid_twice.id) == "ISSUED"
    assert _cancel_audit(world, wrong_amount.id)["from_status"] == "AWAITING_PAYMENT"
    assert _cancel_audit(world, refunded_first.id)["from_status"] == "SUBMITTED"
    assert world.container.unpaid_canceller.run() == []  # once is enough

    # Still in the staff queue, with the flag, now as CANCELLED.
    # (The flagged queue files an application that can no longer be paid under the day of
    # its last change: the two cancelled ones under the day they were cancelled, the paid
    # one under the day its second payment was flagged.)
    day = world.application_item(wrong_amount.id)["GSI1PK"]["S"].rpartition("#")[2]
    queue = {row["id"]: row for row in world.container.staff.queue("FLAGGED", day)}
    assert set(queue) == set(unpaid)
    paid_day = world.application_item(paid_twice.id)["GSI1PK"]["S"].rpartition("#")[2]
    assert paid_twice.id in {row["id"] for row in world.container.staff.queue("FLAGGED", paid_day)}
    assert queue[wrong_amount.id]["status"] == "CANCELLED"
    assert queue[wrong_amount.id]["flags"] == ["amount_mismatch"]
    assert queue[refunded_first.id]["status"] == "CANCELLED"

    # A correct payment after the cancellation issues nothing: it is flagged for a refund.
    late = world.webhook("payment.succeeded", wrong_amount.id, "pay_4")
    assert late.json_body["result"] == "flagged"
    assert world.stored_status(wrong_amount.id) == "CANCELLED"
    assert "payment_after_cancellation" in world.flags(wrong_amount.id)
    assert len(world.permit_items()) == 1  # paid_twice's only


def test_a_cancelled_application_offers_no_payment_page(world: PaymentWorld) -> None:
    app = world.submit()
    assert world.checkout(app).status_code == 200
    world.clock.advance(hours=49)
    assert world.container.unpaid_canceller.run() == [app.id]
    shown = world.status(app).json_body
    assert shown["status"] == "CANCELLED"
    assert "checkout_url" not in shown
