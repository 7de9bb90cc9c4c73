"""The ``stripe`` payment provider: PaymentIntents through Stripe's official Python SDK.

Why PaymentIntents and not Checkout Sessions: the project tests every provider against a
real emulator over HTTP (localstripe), and localstripe implements PaymentIntents, payment
methods, charges and refunds but no Checkout Sessions. With PaymentIntents the payment page
is ours (``chalicelib/web/stripe_checkout.py``):

- against Stripe itself it mounts Stripe's Payment Element (Stripe.js from js.stripe.com,
  card data never touches this service) and confirms with ``stripe.confirmPayment``;
- against the emulator (stages ``local``/``test`` only, ``PERMIT_STRIPE_API_BASE`` set) it
  is a plain form for a test card that the service confirms through the SDK, because
  localstripe's Stripe.js stand-in cannot collect a card.

What the adapter does:

- ``create_checkout``: one PaymentIntent per (application, version): amount and currency
  from the fee, ``metadata`` = application id, payment reference and form title, Stripe's
  ``Idempotency-Key`` = ``permit-checkout:<nonce>`` so a retried "start checkout" gets the
  same PaymentIntent. The checkout URL is our page with a signed, expiring session token
  (no client secret in any URL, as Stripe asks).
- ``parse_webhook``: ``Stripe-Signature`` verified with the SDK's check against every active
  secret (:mod:`stripe_signatures`), then mapped (:mod:`stripe_events`).
- ``poll``: retrieves the PaymentIntent (with its latest charge) for the reconciliation job.

The SDK is imported on first use only. Its HTTP client has a 10 s timeout and two retries
(the SDK adds idempotency keys to retried POSTs itself); a Stripe that cannot be reached
becomes ``ServiceUnavailableError`` (503), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from chalicelib.adapters.payments.stripe_events import event_from_stripe, events_from_intent
from chalicelib.adapters.payments.stripe_signatures import StripeWebhookVerifier
from chalicelib.domain.errors import ServiceUnavailableError
from chalicelib.services.ports import Checkout, CheckoutRequest, PaymentEvent

if TYPE_CHECKING:
    from stripe import StripeClient

    from chalicelib.services.ports import PaymentProvider

__all__ = [
    "CHECKOUT_PATH",
    "CardDeclinedError",
    "StripeCheckoutSession",
    "StripeIntent",
    "StripeProvider",
    "StripeSessionError",
    "StripeSessionExpiredError",
]

log = logging.getLogger("permit_service.payments.stripe")

CHECKOUT_PATH: Final = "/checkout/stripe/"
SESSION_LIFETIME_SECONDS: Final = 24 * 60 * 60
_FUTURE_SKEW_SECONDS: Final = 300
_MAC_CONTEXT: Final = b"permit-service/stripe-checkout/v1\x00"
_TOKEN_RE = re.compile(r"([A-Za-z0-9_-]{1,1400})\.([A-Za-z0-9_-]{43})")
_PI_RE = re.compile(r"pi_[A-Za-z0-9_]{1,200}")
_HTTP_TIMEOUT_SECONDS: Final = 10
_NETWORK_RETRIES: Final = 2


class StripeSessionError(ValueError):
    """A checkout page token that is garbage, tampered with or signed with another key."""


class StripeSessionExpiredError(StripeSessionError):
    """A genuine token older than a day: the citizen starts the payment again."""


class CardDeclinedError(Exception):
    """The (emulated) card was declined; the page says so and nothing was charged."""


@dataclass(frozen=True)
class StripeCheckoutSession:
    """What a verified checkout page token says."""

    payment_intent_id: str
    application_id: str
    return_url: str
    issued_at: int


@dataclass(frozen=True)
class StripeIntent:
    """The PaymentIntent as the checkout page needs it (retrieved with our secret key)."""

    id: str
    status: str
    amount_cents: int
    currency: str
    client_secret: str
    description: str
    reference: str


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class StripeProvider:
    """The ``stripe`` :class:`~chalicelib.services.ports.PaymentProvider`."""

    name: Final = "stripe"

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secrets: Sequence[str],
        public_base_url: str,
        session_key: bytes,
        publishable_key: str = "",
        api_base: str = "",
        clock: Callable[[], float] = time.time,
        http_client: Any = None,
    ) -> None:
        if not secret_key.startswith(("sk_", "rk_")):
            raise ValueError("the Stripe secret key must start with sk_ or rk_")
        if len(session_key) < 16:
            raise ValueError("session_key must be at least 16 bytes")
        self._verifier = StripeWebhookVerifier(webhook_secrets, clock=clock)
        self._secret_key = secret_key
        self._publishable_key = publishable_key
        self._api_base = api_base.rstrip("/")
        self._base = public_base_url.rstrip("/")
        self._session_key = session_key
        self._clock = clock
        self._http_client = http_client
        self._client: StripeClient | None = None

    def __repr__(self) -> str:
        return f"StripeProvider(emulator={self.emulated})"

    @property
    def emulated(self) -> bool:
        """True when the API base is an emulator (localstripe): the test-card form is used."""
        return bool(self._api_base)

    @property
    def publishable_key(self) -> str:
        return self._publishable_key

    def client(self) -> StripeClient:
        if self._client is None:
            import stripe  # ~0.5 s: paid by the first Stripe request of a process only

            http_client = self._http_client or stripe.RequestsClient(timeout=_HTTP_TIMEOUT_SECONDS)
            addresses: Any = {"api": self._api_base} if self._api_base else None
            self._client = stripe.StripeClient(
                self._secret_key,
                base_addresses=addresses,
                http_client=http_client,
                max_network_retries=_NETWORK_RETRIES,
            )
        return self._client

    def _call(self, what: str, call: Callable[[], Any]) -> dict[str, Any]:
        """One SDK call as a plain dict; Stripe unreachable or refusing us is a 503, not a 500."""
        import stripe

        try:
            result: dict[str, Any] = call().to_dict()
            return result
        except stripe.CardError as error:
            raise CardDeclinedError(str(error.code or "card_declined")) from None
        except stripe.StripeError as error:
            # Type and HTTP status only: Stripe's messages may echo request parameters.
            log.warning("Stripe %s failed: %s (%s)", what, type(error).__name__, error.http_status)
            raise ServiceUnavailableError("the payment provider is not reachable") from None

    # -- checkout -------------------------------------------------------------------------

    def create_checkout(self, request: CheckoutRequest, *, nonce: str | None = None) -> Checkout:
        if request.amount_cents <= 0:
            raise ValueError("amount_cents must be positive")
        params: dict[str, Any] = {
            "amount": request.amount_cents,
            "currency": request.currency.lower(),
            "payment_method_types": ["card"],
            "metadata": {
                "application_id": request.application_id,
                "payment_reference": request.reference,
                "description": " ".join(request.description.split())[:400],
            },
        }
        options: dict[str, Any] = {}
        if nonce is not None:
            options["idempotency_key"] = f"permit-checkout:{nonce}"
        intent = self._call(
            "create PaymentIntent",
            lambda: self.client().v1.payment_intents.create(params=params, options=options),  # type: ignore[arg-type]
        )
        payment_intent_id = str(intent["id"])
        token = self.encode_session(
            StripeCheckoutSession(
                payment_intent_id, request.application_id, request.return_url, int(self._clock())
            )
        )
        return Checkout(payment_intent_id, f"{self._base}{CHECKOUT_PATH}{token}")

    def encode_session(self, session: StripeCheckoutSession) -> str:
        fields = [1, session.payment_intent_id, session.application_id, session.return_url]
        payload = _b64url(json.dumps([*fields, session.issued_at]).encode("utf-8"))
        return f"{payload}.{self._tag(payload)}"

    def _tag(self, payload: str) -> str:
        mac = hmac.new(self._session_key, _MAC_CONTEXT + payload.encode("ascii"), hashlib.sha256)
        return _b64url(mac.digest())

    def open_session(self, token: str) -> StripeCheckoutSession:
        """Verify the page token (MAC first, then expiry); the message is safe to show."""
        match = _TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
        if match is None or not hmac.compare_digest(self._tag(match[1]), match[2]):
            raise StripeSessionError("invalid checkout session")
        try:
            raw = base64.urlsafe_b64decode(match[1] + "=" * (-len(match[1]) % 4))
            version, pi_id, application_id, return_url, issued = json.loads(raw)
        except (binascii.Error, ValueError, TypeError):
            raise StripeSessionError("invalid checkout session") from None
        if version != 1 or type(issued) is not int or not _PI_RE.fullmatch(str(pi_id)):
            raise StripeSessionError("invalid checkout session")
        now = self._clock()
        if issued > now + _FUTURE_SKEW_SECONDS:
            raise StripeSessionError("invalid checkout session")
        if now > issued + SESSION_LIFETIME_SECONDS:
            raise StripeSessionExpiredError("checkout session expired")
        return StripeCheckoutSession(str(pi_id), str(application_id), str(return_url), issued)

    def intent(self, session: StripeCheckoutSession) -> StripeIntent:
        """The session's PaymentIntent, asked from Stripe (the page shows what Stripe says)."""
        intent = self._call(
            "retrieve PaymentIntent",
            lambda: self.client().v1.payment_intents.retrieve(session.payment_intent_id),
        )
        metadata = intent.get("metadata") or {}
        if metadata.get("application_id") != session.application_id:
            raise StripeSessionError("invalid checkout session")
        return StripeIntent(
            id=str(intent["id"]),
            status=str(intent["status"]),
            amount_cents=int(intent["amount"]),
            currency=str(intent["currency"]).upper(),
            client_secret=str(intent["client_secret"]),
            description=str(metadata.get("description", "")),
            reference=str(metadata.get("payment_reference", "")),
        )

    def pay_with_test_card(
        self, session: StripeCheckoutSession, number: str, exp_month: int, exp_year: int, cvc: str
    ) -> str:
        """Emulator only: attach a test card to the PaymentIntent and confirm it.

        Real card numbers must never reach this service (PCI DSS): against Stripe itself
        the card goes from the browser to Stripe through the Payment Element. Returns the
        PaymentIntent's status; raises :class:`CardDeclinedError`.
        """
        if not self.emulated:
            raise PermissionError("test cards are accepted by the emulator only")
        client = self.client()
        card: Any = {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}
        method = self._call(
            "create PaymentMethod",
            lambda: client.v1.payment_methods.create(params={"type": "card", "card": card}),
        )
        pi_id = session.payment_intent_id
        self._call(
            "attach PaymentMethod",
            lambda: client.v1.payment_intents.update(
                pi_id, params={"payment_method": method["id"]}
            ),
        )
        confirmed = self._call(
            "confirm PaymentIntent", lambda: client.v1.payment_intents.confirm(pi_id)
        )
        return str(confirmed["status"])

    # -- events -----------------------------------------------------------------------------

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        self._verifier.verify(headers, body)
        return event_from_stripe(body, self._application_of_intent)

    def _application_of_intent(self, payment_intent_id: str) -> str | None:
        intent = self._call(
            "retrieve PaymentIntent",
            lambda: self.client().v1.payment_intents.retrieve(payment_intent_id),
        )
        value = (intent.get("metadata") or {}).get("application_id")
        return str(value) if value else None

    def poll(self, checkout_id: str, application_id: str) -> list[PaymentEvent]:
        if not _PI_RE.fullmatch(checkout_id):
            return []
        intent = self._call(
            "retrieve PaymentIntent",
            lambda: self.client().v1.payment_intents.retrieve(
                checkout_id, params={"expand": ["latest_charge"]}
            ),
        )
        return events_from_intent(intent, application_id)


if TYPE_CHECKING:

    def _conforms(provider: StripeProvider) -> PaymentProvider:
        return provider
