"""The redirect-and-poll skeleton (ePayBL / XBezahldienste shape) behind the payment port."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chalicelib.adapters.payments.epaybl import EPayBLProvider, PlatformPayment, PlatformRequest
from chalicelib.domain.errors import WebhookSignatureError
from chalicelib.domain.payment_reference import payment_reference
from chalicelib.services.ports import CheckoutRequest

APP = "5f3c9a0e2b7d4c1f8a6e0b9d3c2f1a4e"


@dataclass
class Platform:
    created: list[tuple[str, int, str, str, str]] = field(default_factory=list)
    answer: PlatformPayment = field(default_factory=lambda: PlatformPayment("OFFEN", 3000, "EUR"))

    def create_request(
        self, reference: str, amount_cents: int, currency: str, description: str, return_url: str
    ) -> PlatformRequest:
        self.created.append((reference, amount_cents, currency, description, return_url))
        return PlatformRequest("REQ1", "https://epay.example.de/pay/REQ1")

    def status(self, request_id: str) -> PlatformPayment:
        return self.answer


def request(reference: str) -> CheckoutRequest:
    return CheckoutRequest(
        APP, 3000, "EUR", "Bewohner-\nparkausweis", "https://x.de/s", reference=reference
    )


def test_the_checkout_is_the_platform_request_made_with_the_reference() -> None:
    platform = Platform()
    checkout = EPayBLProvider(platform).create_checkout(request(payment_reference(APP)))
    assert (checkout.checkout_id, checkout.checkout_url) == (
        "REQ1",
        "https://epay.example.de/pay/REQ1",
    )
    assert platform.created == [
        (payment_reference(APP), 3000, "EUR", "Bewohner- parkausweis", "https://x.de/s")
    ]


@pytest.mark.parametrize("reference", ["", "A" * 28, "kassenzeichen", "AB-12"])
def test_a_reference_the_platform_cannot_take_is_refused_before_calling_it(
    reference: str,
) -> None:
    platform = Platform()
    with pytest.raises(ValueError, match=r"payment reference must be 1\.\.27"):
        EPayBLProvider(platform).create_checkout(request(reference))
    assert platform.created == []


def test_there_are_no_webhooks_to_accept() -> None:
    with pytest.raises(WebhookSignatureError, match="sends no webhooks"):
        EPayBLProvider(Platform()).parse_webhook({"x": "y"}, b"{}")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("OFFEN", None),
        ("IN_BEARBEITUNG", None),
        ("BEZAHLT", "payment.succeeded"),
        ("ABGEBROCHEN", "payment.failed"),
        ("ABGELAUFEN", "payment.failed"),
        ("ERSTATTET", "payment.refunded"),
        ("SOMETHING_NEW", None),
    ],
)
def test_statuses_map_onto_the_port_with_stable_event_ids(
    status: str, expected: str | None
) -> None:
    platform = Platform(answer=PlatformPayment(status, 3000, "EUR"))
    events = EPayBLProvider(platform).poll("REQ1", APP)
    if expected is None:
        assert events == []
        return
    (event,) = events
    assert (event.type, event.event_id, event.payment_id) == (
        expected,
        f"poll:REQ1:{status}",
        "REQ1",
    )
    assert (event.application_id, event.amount_cents, event.currency) == (APP, 3000, "EUR")
    assert event.refunded_cents == (3000 if expected == "payment.refunded" else 0)


def test_an_installation_spells_its_statuses_its_own_way() -> None:
    platform = Platform(answer=PlatformPayment("paid", 3000, "EUR"))
    provider = EPayBLProvider(platform, name="pmpayment", status_map={"paid": "payment.succeeded"})
    (event,) = provider.poll("REQ1", APP)
    assert (provider.name, event.type) == ("pmpayment", "payment.succeeded")
