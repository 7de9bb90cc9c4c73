"""The reconciliation job on DynamoDB over HTTP: a lost webhook costs minutes, not a permit.

The sandbox records what the Pay button paid (its ledger, in the same table) and answers
polls from it, so "the webhook got lost" is set up by paying without delivering. A fake
redirect-and-poll platform (``FakePlatform``, the wire client of the ePayBL skeleton, injected
through its constructor) shows the second provider shape going through the same job.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.payments.epaybl import EPayBLProvider, PlatformPayment, PlatformRequest
from chalicelib.domain.errors import ServiceUnavailableError
from chalicelib.domain.payment_reference import application_id_from_reference
from chalicelib.services.ports import Checkout, CheckoutRequest, PaymentEvent
from tests.integration.payment_helpers import FEE_CENTS, PaymentWorld, Submitted, open_world

PLENTY_OF_TIME = 60_000


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    from chalicelib.adapters.dynamodb.sandbox_ledger import DynamoDBSandboxLedger
    from chalicelib.adapters.payments.sandbox import SandboxProvider
    from chalicelib.wiring import Container

    provider = SandboxProvider(
        settings.public_base_url,
        settings.webhook_secrets,
        Container(settings).subkey("sandbox-session"),
        clock=lambda: clock.now().timestamp(),
        ledger=DynamoDBSandboxLedger(dynamodb_client, settings.table_name),
    )
    with open_world(settings, dynamodb_client, clock, payment_provider=provider) as opened:
        yield opened


def paid_without_webhook(world: PaymentWorld) -> tuple[Submitted, Any]:
    """Submitted, checked out and paid at the sandbox, whose webhook never arrived."""
    app = world.submit()
    session = world.session_of(world.checkout_url(app))
    world.provider.record_payment(session)  # what the Pay button does before delivering
    return app, session


def test_a_lost_webhook_is_found_after_a_few_minutes_and_issues_exactly_once(
    world: PaymentWorld,
) -> None:
    app, session = paid_without_webhook(world)
    reconciler = world.container.reconciler

    world.clock.advance(minutes=4)  # a webhook normally comes within seconds: leave it be
    young = reconciler.run(lambda: PLENTY_OF_TIME)
    assert young.checked == 0
    assert world.stored_status(app.id) == "AWAITING_PAYMENT"

    world.clock.advance(minutes=2)
    report = reconciler.run(lambda: PLENTY_OF_TIME)
    assert (report.checked, dict(report.results)) == (1, {"issued": 1})
    assert world.stored_status(app.id) == "ISSUED"
    assert len(world.permit_items()) == 1
    assert world.audit_events(app.id).count("issued") == 1

    # The next run finds nothing to do (the application left the awaiting queue) ...
    before = world.items()
    assert reconciler.run(lambda: PLENTY_OF_TIME).checked == 0
    assert world.items() == before
    # ... and the webhook that finally arrives for the same payment is a duplicate.
    late = world.post_webhook(*world.provider.build_webhook(session, "succeeded"))
    assert late.status_code == 200
    assert late.json_body["result"] == "duplicate"
    assert world.items() == before


def test_an_unpaid_checkout_is_asked_about_and_left_alone(world: PaymentWorld) -> None:
    app = world.submit()
    world.checkout_url(app)
    world.clock.advance(minutes=10)
    before = world.items()
    report = world.container.reconciler.run(lambda: PLENTY_OF_TIME)
    assert (report.checked, dict(report.results)) == (1, {})
    assert world.items() == before


def test_the_job_stops_while_enough_of_the_lambda_time_is_left(world: PaymentWorld) -> None:
    first, _ = paid_without_webhook(world)
    second, _ = paid_without_webhook(world)
    world.clock.advance(minutes=10)
    budget = iter([PLENTY_OF_TIME, 14_000, 0])  # one application, then under the reserve
    report = world.container.reconciler.run(lambda: next(budget))
    assert report.stopped_early
    assert report.checked == 1
    statuses = sorted(world.stored_status(app.id) for app in (first, second))
    assert statuses == ["AWAITING_PAYMENT", "ISSUED"]
    # The next run (the schedule's next tick) finishes the work.
    assert world.container.reconciler.run(lambda: PLENTY_OF_TIME).results["issued"] == 1


def test_the_scheduled_handler_reads_the_time_left_from_the_lambda_context(
    world: PaymentWorld,
) -> None:
    """Chalice's test Lambda context has 3 s left: under the reserve, so nothing is polled."""
    app, _ = paid_without_webhook(world)
    world.clock.advance(minutes=10)
    event = world.test_client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    result = world.test_client.lambda_.invoke("reconcile-payments", event).payload
    assert result["stopped_early"] == 1
    assert result["checked"] == 0
    assert world.stored_status(app.id) == "AWAITING_PAYMENT"


@dataclass
class FailingProvider:
    """A provider that cannot be reached for one checkout (a timeout, a 5xx)."""

    inner: Any
    unreachable: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def create_checkout(self, request: CheckoutRequest, *, nonce: str | None = None) -> Checkout:
        checkout: Checkout = self.inner.create_checkout(request, nonce=nonce)
        return checkout

    def parse_webhook(self, headers: Any, body: bytes) -> PaymentEvent:
        event: PaymentEvent = self.inner.parse_webhook(headers, body)
        return event

    def poll(self, checkout_id: str, application_id: str) -> list[PaymentEvent]:
        if application_id in self.unreachable:
            raise ServiceUnavailableError("provider timed out")
        events: list[PaymentEvent] = self.inner.poll(checkout_id, application_id)
        return events


def test_one_unreachable_checkout_does_not_stop_the_others(world: PaymentWorld) -> None:
    from chalicelib.services.reconciliation import PaymentReconciler

    down, _ = paid_without_webhook(world)
    fine, _ = paid_without_webhook(world)
    provider = FailingProvider(world.provider, {down.id})
    world.clock.advance(minutes=10)
    reconciler = PaymentReconciler(
        world.container.store,
        world.container.payments,
        {"sandbox": provider},
        world.clock,
        timedelta(hours=48),
    )
    report = reconciler.run(lambda: PLENTY_OF_TIME)
    assert (report.errors, report.results["issued"]) == (1, 1)
    assert world.stored_status(down.id) == "AWAITING_PAYMENT"
    assert world.stored_status(fine.id) == "ISSUED"


# -- the second provider shape: redirect and poll (ePayBL skeleton) -----------------------


@dataclass
class FakePlatform:
    """An XBezahldienste-style platform: requests by reference, status by query, no calls."""

    requests: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)

    def create_request(
        self, reference: str, amount_cents: int, currency: str, description: str, return_url: str
    ) -> PlatformRequest:
        request_id = f"REQ{len(self.requests) + 1:05d}"
        self.requests[request_id] = (reference, amount_cents, currency)
        self.statuses[request_id] = "OFFEN"
        return PlatformRequest(request_id, f"https://epay.example.de/pay/{request_id}")

    def status(self, request_id: str) -> PlatformPayment:
        _, amount, currency = self.requests[request_id]
        return PlatformPayment(self.statuses[request_id], amount, currency)


@pytest.fixture
def platform_world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    provider = EPayBLProvider(FakePlatform())
    with open_world(settings, dynamodb_client, clock, payment_provider=provider) as opened:
        yield opened


def test_a_polled_platform_plugs_into_checkout_and_the_reconciliation_job(
    platform_world: PaymentWorld,
) -> None:
    world = platform_world
    platform: FakePlatform = world.provider._client  # type: ignore[attr-defined]
    app = world.submit()
    assert world.checkout_url(app) == "https://epay.example.de/pay/REQ00001"
    reference, amount, currency = platform.requests["REQ00001"]
    assert (amount, currency) == (FEE_CENTS, "EUR")
    assert len(reference) <= 27
    assert application_id_from_reference(reference) == app.id  # finance can trace it back

    # The platform never calls: a "webhook" to its name is refused and changes nothing.
    before = world.items()
    refused = world.post_webhook({"content-type": "application/json"}, b"{}", provider="epaybl")
    assert refused.status_code == 401
    assert world.items() == before

    world.clock.advance(minutes=10)
    assert world.container.reconciler.run(lambda: PLENTY_OF_TIME).results == {}
    platform.statuses["REQ00001"] = "BEZAHLT"
    report = world.container.reconciler.run(lambda: PLENTY_OF_TIME)
    assert dict(report.results) == {"issued": 1}
    assert world.stored_status(app.id) == "ISSUED"
    assert world.status(app).json_body["permit"]["number"]
    assert len(world.permit_items()) == 1
