"""An application is payable until its cancellation deadline, and no payment page outlives it.

The unpaid rule cancels an application 48 h after submission (hourly job). Before issue 9 a
checkout was reused for 23 h and a sandbox session lived 24 h, so a page opened at hour 47
still took the money at hour 70, after the cancellation: the citizen paid for nothing. Now
the deadline (``created_at + unpaid_cancel_after``) bounds everything: checkout refuses from
the deadline on (before the job has run, too), every session the provider opens expires by
the deadline, and the sandbox's own pages refuse an application that is no longer payable.

Through the HTTP API and the sandbox pages (chalice test client) on the test's FixedClock;
the sandbox Pay button's webhook delivery is recorded, not sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.integration.payment_helpers import PaymentWorld, Submitted, open_world

FORM_POST = {"Content-Type": "application/x-www-form-urlencoded"}


class RecordingTransport:
    """Stands in for the sandbox's HTTP delivery: remembers each webhook, answers 200."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str], bytes]] = []

    def __call__(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
        self.sent.append((url, headers, body))
        return 200


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def world(
    settings: Any, dynamodb_client: Any, clock: Any, transport: RecordingTransport
) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock, webhook_transport=transport) as opened:
        yield opened


def _deadline(world: PaymentWorld, app: Submitted) -> int:
    created = world.application_item(app.id)["created_at"]["S"]
    deadline = datetime.fromisoformat(created) + world.container.settings.unpaid_cancel_after
    return int(deadline.timestamp())


def _page_path(world: PaymentWorld, checkout_url: str) -> str:
    return checkout_url.removeprefix(world.provider.public_base_url)


def test_checkout_is_refused_from_the_deadline_on_even_before_the_job_ran(
    world: PaymentWorld,
) -> None:
    never_opened = world.submit()
    opened = world.submit()
    assert world.checkout(opened).status_code == 200
    world.clock.advance(hours=48)
    assert world.stored_status(opened.id) == "AWAITING_PAYMENT"  # the job has not run yet
    before = world.items()
    for app in (never_opened, opened):
        refused = world.checkout(app)
        assert refused.status_code == 409, refused.body
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert "no longer be paid" in refused.json_body["detail"]
        assert "checkout_url" not in world.status(app).json_body  # no stale payment link
    assert world.items() == before


def test_every_checkout_session_expires_by_the_deadline(world: PaymentWorld) -> None:
    app = world.submit()
    deadline = _deadline(world, app)
    first = world.session_of(world.checkout_url(app))
    assert first.expires_at == world.now_ts() + 24 * 3600  # the provider's own limit
    world.clock.advance(hours=40)
    late = world.session_of(world.checkout_url(app))  # the first has < 1 h left: replaced
    assert late.checkout_id != first.checkout_id
    assert late.expires_at == deadline  # not hour 64


def test_an_open_checkout_is_reused_up_to_the_deadline_and_never_after(
    world: PaymentWorld,
) -> None:
    app = world.submit()
    world.clock.advance(hours=30)
    url = world.checkout_url(app)
    world.clock.advance(hours=17, minutes=45)  # 15 minutes left: a new one would end then too
    assert world.checkout_url(app) == url
    world.clock.advance(minutes=15)
    assert world.checkout(app).status_code == 409


def test_no_new_checkout_is_opened_in_the_last_half_hour(world: PaymentWorld) -> None:
    """A provider page needs time to be filled in (Stripe's minimum lifetime is 30 min)."""
    app = world.submit()
    world.clock.advance(hours=47, minutes=31)
    refused = world.checkout(app)
    assert refused.status_code == 409, refused.body
    assert world.stored_status(app.id) == "SUBMITTED"


def test_the_sandbox_page_refuses_a_session_past_the_deadline(
    world: PaymentWorld, transport: RecordingTransport
) -> None:
    app = world.submit()
    world.clock.advance(hours=40)
    path = _page_path(world, world.checkout_url(app))
    world.clock.advance(hours=7, minutes=59)
    assert world.http.get(path).status_code == 200
    world.clock.advance(minutes=1)
    page = world.http.get(path)
    assert page.status_code == 410
    assert "abgelaufen" in page.body.decode()
    paid = world.http.post(f"{path}/pay", headers=FORM_POST, body=b"")
    assert paid.status_code == 410
    assert transport.sent == []  # no money taken, no webhook sent


def test_the_sandbox_refuses_to_pay_an_application_that_is_no_longer_payable(
    world: PaymentWorld, transport: RecordingTransport
) -> None:
    """An older page of the same application, still within its lifetime, after issuance."""
    app = world.submit()
    old_url = world.checkout_url(app)
    world.clock.advance(hours=23, minutes=30)
    new_url = world.checkout_url(app)  # the old one has 30 min left: a fresh one replaces it
    assert new_url != old_url
    paid = world.post_webhook(*world.provider.build_webhook(world.session_of(new_url), "succeeded"))
    assert paid.json_body["result"] == "issued"

    old_path = _page_path(world, old_url)
    page = world.http.get(old_path)
    assert page.status_code == 410
    assert "nicht mehr bezahlt" in page.body.decode()
    before = world.items()
    refused = world.http.post(f"{old_path}/pay", headers=FORM_POST, body=b"")
    assert refused.status_code == 410
    assert transport.sent == []
    assert world.items() == before


def test_the_sandbox_still_takes_a_payable_application(
    world: PaymentWorld, transport: RecordingTransport
) -> None:
    app = world.submit()
    world.clock.advance(hours=47)
    path = _page_path(world, world.checkout_url(app))
    paid = world.http.post(f"{path}/pay", headers=FORM_POST, body=b"")
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"https://permits.example.de/status/{app.id}"
    ((url, headers, body),) = transport.sent
    assert url == "https://permits.example.de/api/payments/sandbox/webhook"
    assert world.post_webhook(headers, body).json_body["result"] == "issued"
