"""POST /api/applications/{id}/checkout: one open checkout per application, safely retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.services.ports import Checkout, CheckoutRequest
from tests.integration.payment_helpers import (
    FlakyStore,
    PaymentWorld,
    open_world,
    sandbox_provider,
)


class RecordingProvider:
    """The sandbox provider, remembering every checkout it created (a real provider's view)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.created: list[Checkout] = []

    @property
    def name(self) -> str:
        return str(self._real.name)

    def create_checkout(self, request: CheckoutRequest, *, nonce: str | None = None) -> Checkout:
        checkout: Checkout = self._real.create_checkout(request, nonce=nonce)
        self.created.append(checkout)
        return checkout

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


@pytest.fixture
def flaky_world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    provider = RecordingProvider(sandbox_provider(settings, clock))
    with open_world(
        settings, dynamodb_client, clock, store_wrapper=FlakyStore, payment_provider=provider
    ) as opened:
        yield opened


def _checkout_id(world: PaymentWorld, app_id: str) -> str:
    return str(world.application_item(app_id)["checkout"]["M"]["checkout_id"]["S"])


def test_checkout_opens_once_and_answers_the_same_url_while_open(world: PaymentWorld) -> None:
    app = world.submit()
    with world.counter.measure() as first_ops:
        first = world.checkout(app)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json"
    url = first.json_body["checkout_url"]
    session = world.session_of(url)
    assert session.application_id == app.id
    assert (session.amount_cents, session.currency) == (3000, "EUR")
    assert session.return_url == f"https://permits.example.de/status/{app.id}"
    assert _checkout_id(world, app.id) == session.checkout_id
    assert world.audit_events(app.id) == ["submitted", "checkout_opened"]
    assert world.status(app).json_body["checkout_url"] == url

    before = world.items()
    world.clock.advance(hours=1)
    with world.counter.measure() as again_ops:
        again = world.checkout(app)
    assert again.status_code == 200
    assert again.json_body["checkout_url"] == url
    assert world.items() == before
    print(f"\ncheckout DynamoDB requests: first {first_ops}, again {again_ops}")
    assert len(first_ops) <= 2
    assert again_ops == ["GetItem"]


def test_the_browser_return_changes_nothing(world: PaymentWorld) -> None:
    app = world.submit()
    url = world.checkout_url(app)
    before = world.items()
    for query in ("", "?paid=1", "?status=succeeded&payment_id=pay_1"):
        page = world.http.get(f"/status/{app.id}{query}")
        assert page.status_code == 404  # no session in this client: the "open your link" page
        assert page.headers["Content-Type"].startswith("text/html")
    assert world.items() == before
    shown = world.status(app).json_body
    assert shown["status"] == "AWAITING_PAYMENT"
    assert shown["checkout_url"] == url
    assert "permit" not in shown


def test_an_expired_checkout_is_replaced_by_a_fresh_one(world: PaymentWorld) -> None:
    """The sandbox session lives 24 h; the application stays payable for 48 h."""
    app = world.submit()
    old_url = world.checkout_url(app)
    old_id = _checkout_id(world, app.id)
    world.clock.advance(hours=22)
    assert world.checkout_url(app) == old_url  # still open for a while: reused
    world.clock.advance(hours=3)
    new_url = world.checkout_url(app)
    session = world.session_of(new_url)  # raises if the page would say "expired"
    assert new_url != old_url
    assert session.checkout_id != old_id
    assert _checkout_id(world, app.id) == session.checkout_id
    assert world.audit_events(app.id).count("checkout_opened") == 2
    assert world.audit_details(app.id, "checkout_opened")[-1] == {
        "provider": "sandbox",
        "checkout_id": session.checkout_id,
        "replaces": old_id,
    }
    assert world.stored_status(app.id) == "AWAITING_PAYMENT"
    assert world.checkout_url(app) == new_url  # and that one is reused while open

    paid = world.post_webhook(*world.provider.build_webhook(session, "succeeded"))
    assert paid.json_body["result"] == "issued"


def test_a_failed_write_after_the_provider_answered_is_retried_into_the_same_checkout(
    flaky_world: PaymentWorld,
) -> None:
    world = flaky_world
    provider: RecordingProvider = world.provider  # type: ignore[assignment]
    app = world.submit()
    before = world.items()

    world.store.arm("save")
    failed = world.checkout(app)
    assert world.store.failures == ["save"]
    assert failed.status_code == 503
    assert failed.headers["Content-Type"] == "application/problem+json"
    assert json.loads(failed.body)["status"] == 503
    assert len(provider.created) == 1  # the provider did create a checkout
    assert world.items() == before

    retried = world.checkout(app)
    assert retried.status_code == 200
    assert len(provider.created) == 2
    assert provider.created[1] == provider.created[0]  # same checkout id, same URL
    assert retried.json_body["checkout_url"] == provider.created[0].checkout_url
    assert _checkout_id(world, app.id) == provider.created[0].checkout_id
    assert world.audit_events(app.id) == ["submitted", "checkout_opened"]

    again = world.checkout(app)
    assert again.json_body["checkout_url"] == provider.created[0].checkout_url
    assert len(provider.created) == 2


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0000000000000000", "Basic abc", "Bearer"],
    ids=["missing", "wrong", "basic", "empty"],
)
def test_checkout_without_the_right_token_is_not_found(
    world: PaymentWorld, authorization: str | None
) -> None:
    app = world.submit()
    before = world.items()
    headers = {} if authorization is None else {"Authorization": authorization}
    response = world.http.post(f"/api/applications/{app.id}/checkout", headers=headers)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert world.items() == before


def test_checkout_for_an_unknown_application_is_not_found(world: PaymentWorld) -> None:
    app = world.submit()
    before = world.items()
    response = world.http.post(
        "/api/applications/0123456789abcdef0123456789abcdef/checkout", headers=app.auth
    )
    assert response.status_code == 404
    assert world.items() == before


def test_checkout_of_a_cancelled_application_is_refused(world: PaymentWorld) -> None:
    app = world.submit()
    world.clock.advance(hours=49)
    assert world.container.unpaid_canceller.run() == [app.id]
    before = world.items()
    response = world.checkout(app)
    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert world.items() == before
