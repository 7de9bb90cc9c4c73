"""Skeleton: a redirect-and-poll payment platform (ePayBL, XBezahldienste) behind the port.

German municipalities often contract a public-sector payment platform instead of a card
acquirer: ePayBL (the Bund-Länder platform) or a provider speaking the XBezahldienste
interface (e.g. pmPayment, GiroSolution). They share a shape that differs from Stripe's:

- the service **creates a payment request** over an authenticated server-to-server API,
  with a **payment reference of at most 27 characters** (the Kassenzeichen; ours comes from
  :func:`chalicelib.domain.payment_reference.payment_reference`), and sends the citizen to
  the platform's page;
- there are **no callbacks**: the platform never calls the service; the service **asks**
  for the status of its request. That answer, fetched with our own credentials, is the
  proof of payment exactly as a signed webhook is.

This module is the whole provider side of that shape, with the platform's wire protocol
left to one small client (:class:`PlatformClient`): the status names and API paths differ
between ePayBL installations and XBezahldienste versions, so they belong to the city's
contract, not to this skeleton. What is fixed here:

- ``create_checkout`` -> ``PlatformClient.create_request``; the platform's request id is the
  checkout id, stored with the application by the checkout use case as for any provider;
- ``parse_webhook`` refuses every request (there is nothing to accept: a 401, and nothing
  changes);
- ``poll`` -> ``PlatformClient.status``, mapped by ``status_map`` onto the port's events,
  with ids ``poll:<request id>:<status>``, so the reconciliation job (the only way such a
  platform's payments arrive) and the same exactly-once path issue the permit once.

Not implemented (by design, it needs the contract): the HTTP/SOAP client of a concrete
installation, its authentication (client certificate or OAuth client credentials), and the
return page's optional "poll this one request now" shortcut. See docs/payments.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from chalicelib.domain.errors import WebhookSignatureError
from chalicelib.domain.payment_reference import MAX_REFERENCE_LENGTH
from chalicelib.services.ports import Checkout, CheckoutRequest, PaymentEvent

if TYPE_CHECKING:
    from chalicelib.services.ports import PaymentProvider

__all__ = [
    "DEFAULT_STATUS_MAP",
    "EPayBLProvider",
    "PlatformClient",
    "PlatformPayment",
    "PlatformRequest",
]

#: Status names as an XBezahldienste-style platform reports them -> our event types.
#: A city's installation may spell them differently: pass its own map.
DEFAULT_STATUS_MAP: Final[Mapping[str, str | None]] = {
    "OFFEN": None,  # created, citizen not (yet) done: nothing to do
    "IN_BEARBEITUNG": None,
    "BEZAHLT": "payment.succeeded",
    "ABGEBROCHEN": "payment.failed",
    "ABGELAUFEN": "payment.failed",
    "FEHLGESCHLAGEN": "payment.failed",
    "ERSTATTET": "payment.refunded",
}
_REFERENCE = re.compile(r"[0-9A-Z]{1,27}")


@dataclass(frozen=True)
class PlatformRequest:
    request_id: str
    payment_page_url: str


@dataclass(frozen=True)
class PlatformPayment:
    """The platform's answer to a status query for one payment request."""

    status: str
    amount_cents: int
    currency: str
    refunded_cents: int = 0


class PlatformClient(Protocol):
    """The wire protocol of one installation (authenticated, server to server)."""

    def create_request(
        self,
        reference: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
    ) -> PlatformRequest: ...

    def status(self, request_id: str) -> PlatformPayment: ...


class EPayBLProvider:
    """A polled platform as a :class:`~chalicelib.services.ports.PaymentProvider`."""

    def __init__(
        self,
        client: PlatformClient,
        name: str = "epaybl",
        status_map: Mapping[str, str | None] = DEFAULT_STATUS_MAP,
    ) -> None:
        self._client = client
        self._name = name
        self._status_map = status_map

    @property
    def name(self) -> str:
        return self._name

    def create_checkout(self, request: CheckoutRequest, *, nonce: str | None = None) -> Checkout:
        """Create the payment request; the reference is the platform's key, so it is required.

        The nonce is not sent: such platforms dedupe on the reference, which is already one
        per application.
        """
        reference = request.reference
        if len(reference) > MAX_REFERENCE_LENGTH or not _REFERENCE.fullmatch(reference):
            raise ValueError(f"payment reference must be 1..{MAX_REFERENCE_LENGTH} of A-Z, 0-9")
        created = self._client.create_request(
            reference,
            request.amount_cents,
            request.currency,
            " ".join(request.description.split())[:140],
            request.return_url,
        )
        return Checkout(created.request_id, created.payment_page_url)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        raise WebhookSignatureError("this provider sends no webhooks; payments are polled")

    def poll(self, checkout_id: str, application_id: str) -> list[PaymentEvent]:
        answer = self._client.status(checkout_id)
        kind = self._status_map.get(answer.status)
        if kind is None:
            return []  # open, in progress, or a status this installation's map leaves alone
        refunded = answer.refunded_cents or answer.amount_cents
        return [
            PaymentEvent(
                event_id=f"poll:{checkout_id}:{answer.status}",
                type=kind,
                payment_id=checkout_id,
                application_id=application_id,
                amount_cents=answer.amount_cents,
                currency=answer.currency,
                refunded_cents=refunded if kind == "payment.refunded" else 0,
            )
        ]


if TYPE_CHECKING:

    def _conforms(provider: EPayBLProvider) -> PaymentProvider:
        return provider
