"""The sandbox payment provider: the embedded default, a real provider in miniature.

It exists so that the whole payment path (checkout, a page with Pay/Cancel, a *signed*
webhook, dedupe, issuance) runs locally and in tests with no account anywhere, and so that
the code path the service uses for the sandbox is the one it uses for a real provider:
the permit is issued only after :meth:`SandboxProvider.parse_webhook` accepted a signed
event, never because a browser came back.

Checkout sessions are stateless
-------------------------------
:meth:`SandboxProvider.create_checkout` writes nothing. Everything the checkout page needs
travels in the URL as a session token::

    <payload>.<tag>
    payload = base64url(JSON [2, checkout_id, application_id, amount_cents, currency,
                              description, return_url, issued_at, expires_at])  (no padding)
    tag     = base64url(HMAC-SHA256(session_key, "permit-service/sandbox-checkout/v1\\0"
                                    + payload))                           (43 chars)

Why: no table item, no TTL, no cleanup, and it works on any Lambda instance. The MAC is
computed over the *encoded* payload and compared in encoded form with
:func:`hmac.compare_digest`, so changing any single character of the token is refused
(decoding first would let unused base64 bits change silently). The payload is only parsed
after the MAC matched. Sessions expire 24 hours after issue, or earlier when the request
says so (``CheckoutRequest.expires_at``, the application's payment deadline): a page must
never take money for an application that can no longer be paid.

The token is signed, not encrypted: the application id, amount, description and return URL
are readable by whoever holds the link (the citizen it was made for). Never put a secret (an
access token, say) into ``return_url``.

Ids
---
- ``checkout_id`` (``chk_`` + 24 base32 characters, 120 bits): random per call by default,
  so two checkouts for one application are two payments, as at a real provider. Pass
  ``nonce=`` (for example the application's version or an attempt counter) to make it
  deterministic: the same application and nonce give the same checkout id, so a retried
  "start checkout" request yields the same payment rather than a second one.
- ``payment_id`` (``sbxpay_`` + the same suffix): one per session, so pressing Pay twice is
  the same payment.
- event id (``sbxevt_<suffix>_<outcome>``): one per outcome per session, identical on every
  delivery retry and on a second press of Pay, so the receiver's dedupe absorbs them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, Protocol
from urllib.parse import urlsplit

from chalicelib.adapters.payments.standard_webhooks import (
    MAX_WEBHOOK_ID_LENGTH,
    WebhookVerifier,
    signed_headers,
)
from chalicelib.services.ports import Checkout, CheckoutRequest, PaymentEvent

if TYPE_CHECKING:
    from chalicelib.services.ports import PaymentProvider

__all__ = [
    "SESSION_LIFETIME_SECONDS",
    "WEBHOOK_PATH",
    "SandboxLedger",
    "SandboxPayment",
    "SandboxProvider",
    "SandboxSession",
    "SandboxSessionError",
    "SandboxSessionExpiredError",
]

#: Where the service receives sandbox webhooks, relative to the public base URL.
WEBHOOK_PATH: Final = "/api/payments/sandbox/webhook"
#: Where the checkout page lives, relative to the public base URL; the token follows.
CHECKOUT_PATH: Final = "/sandbox/checkout/"
SESSION_LIFETIME_SECONDS: Final = 24 * 60 * 60
#: Issued-at may be this far in the future (clock skew between Lambda instances).
_FUTURE_SKEW_SECONDS: Final = 300

_TOKEN_VERSION: Final = 2  # 2: the expiry travels in the token (issue 9)
_MAC_CONTEXT: Final = b"permit-service/sandbox-checkout/v1\x00"
_CHECKOUT_ID_CONTEXT: Final = b"permit-service/sandbox-checkout-id/v1\x00"
_MAX_URL_LENGTH: Final = 1500
_MAX_DESCRIPTION_LENGTH: Final = 140
_MAX_RETURN_URL_LENGTH: Final = 800
_MAX_ID_LENGTH: Final = 200
_MIN_SESSION_KEY_BYTES: Final = 16
_TAG_LENGTH: Final = 43  # base64url of 32 bytes, unpadded

_ID_RE = re.compile(r"[\x21-\x7e]+")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_CHECKOUT_ID_RE = re.compile(r"chk_[a-z2-7]{24}")
_TOKEN_RE = re.compile(rf"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{{{_TAG_LENGTH}}})")

Outcome = Literal["succeeded", "failed"]


class SandboxPayment(NamedTuple):
    """What the sandbox remembers about a paid checkout (for :meth:`SandboxProvider.poll`)."""

    application_id: str
    amount_cents: int
    currency: str


class SandboxLedger(Protocol):
    """Where the sandbox keeps what was paid, so it can answer a poll like a real provider.

    The checkout itself stays stateless; only the Pay button writes here. Implemented in
    DynamoDB (``chalicelib.adapters.dynamodb.sandbox_ledger``) so every process of a local
    run, and the tests, see the same payments.
    """

    def record(self, checkout_id: str, payment: SandboxPayment) -> None: ...

    def lookup(self, checkout_id: str) -> SandboxPayment | None: ...


class SandboxSessionError(ValueError):
    """A checkout session token that is garbage, tampered with or signed with another key."""


class SandboxSessionExpiredError(SandboxSessionError):
    """A genuine session token past its expiry (24 hours, or the payment deadline if sooner).

    A subclass so the page can say "this link has expired, start again" instead of
    "invalid link"; both are refusals.
    """


@dataclass(frozen=True)
class SandboxSession:
    """What a verified session token says: one checkout of one application."""

    checkout_id: str
    application_id: str
    amount_cents: int
    currency: str
    description: str
    return_url: str
    issued_at: int
    expires_at: int  # unix seconds; the session is refused from this second on

    @property
    def payment_id(self) -> str:
        """Stable per session, so every Pay press and every retry is the same payment."""
        return "sbxpay_" + self.checkout_id.removeprefix("chk_")

    def event_id(self, kind: str) -> str:
        """The default event id for one outcome of this session (stable across retries)."""
        return f"sbxevt_{self.checkout_id.removeprefix('chk_')}_{kind}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _check_http_url(url: str, what: str, max_length: int) -> str:
    if not isinstance(url, str) or not url or len(url) > max_length:
        raise ValueError(f"{what} must be 1..{max_length} characters")
    if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError(f"{what} must be printable ASCII without spaces")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an absolute http(s) URL")
    return url


class SandboxProvider:
    """The ``sandbox`` :class:`~chalicelib.services.ports.PaymentProvider`.

    ``webhook_secrets``: every active ``whsec_`` secret; the first one signs outgoing
    webhooks and all of them verify incoming ones (rotation: put the new secret first,
    keep the old one until no delivery signed with it can still arrive, then drop it).
    ``session_key``: >= 16 random bytes (32 recommended) that authenticate checkout
    session tokens; rotating it invalidates open checkout pages, nothing else.
    """

    name: Final = "sandbox"

    def __init__(
        self,
        public_base_url: str,
        webhook_secrets: Sequence[str],
        session_key: bytes,
        clock: Callable[[], float] = time.time,
        ledger: SandboxLedger | None = None,
    ) -> None:
        base = _check_http_url(public_base_url, "public_base_url", 300).rstrip("/")
        if urlsplit(base).query or urlsplit(base).fragment:
            raise ValueError("public_base_url must not carry a query or fragment")
        if not isinstance(session_key, bytes) or len(session_key) < _MIN_SESSION_KEY_BYTES:
            raise ValueError(f"session_key must be at least {_MIN_SESSION_KEY_BYTES} bytes")
        # Builds and checks every secret now: a broken secret fails at start-up.
        self._verifier = WebhookVerifier(webhook_secrets, clock=clock)
        self._signing_secret = webhook_secrets[0]
        self._public_base_url = base
        self._session_key = session_key
        self._clock = clock
        self._ledger = ledger

    def __repr__(self) -> str:
        return f"SandboxProvider(public_base_url={self._public_base_url!r})"

    @property
    def public_base_url(self) -> str:
        return self._public_base_url

    @property
    def webhook_url(self) -> str:
        """Where the checkout page's Pay action delivers the signed webhook."""
        return self._public_base_url + WEBHOOK_PATH

    # -- checkout --------------------------------------------------------------------------

    def create_checkout(self, request: CheckoutRequest, *, nonce: str | None = None) -> Checkout:
        """Return a checkout whose URL is the sandbox page; writes nothing anywhere.

        With ``nonce`` the checkout id is derived from (application id, nonce) and the
        token is fully determined by the request, the nonce and the clock. The session ends
        24 hours after issue or at ``request.expires_at``, whichever comes first.
        """
        application_id = request.application_id
        if not isinstance(application_id, str) or not 0 < len(application_id) <= _MAX_ID_LENGTH:
            raise ValueError(f"application_id must be 1..{_MAX_ID_LENGTH} characters")
        if not _ID_RE.fullmatch(application_id):
            raise ValueError("application_id must be printable ASCII without spaces")
        amount = request.amount_cents
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError("amount_cents must be a positive integer")
        if not isinstance(request.currency, str) or not _CURRENCY_RE.fullmatch(request.currency):
            raise ValueError("currency must be three uppercase letters")
        return_url = _check_http_url(request.return_url, "return_url", _MAX_RETURN_URL_LENGTH)
        full_description = " ".join(str(request.description).split())  # one line
        issued_at = int(self._clock())
        expires_at = issued_at + SESSION_LIFETIME_SECONDS
        if request.expires_at is not None:
            # Rounded down: the page closes at or before the deadline, never after it.
            expires_at = min(expires_at, int(request.expires_at.timestamp()))
        if expires_at <= issued_at:
            raise ValueError("expires_at must lie in the future")
        session = SandboxSession(
            checkout_id=self._checkout_id(application_id, nonce),
            application_id=application_id,
            amount_cents=amount,
            currency=request.currency,
            description="",
            return_url=return_url,
            issued_at=issued_at,
            expires_at=expires_at,
        )
        # The description is display-only: trim it (to 140 characters, then further if the
        # URL would reach 1500 characters) rather than refuse a checkout over a long title.
        # Only the ids and the return URL, which cannot be trimmed, can make this fail.
        keep = min(len(full_description), _MAX_DESCRIPTION_LENGTH)
        while True:
            description = full_description
            if keep < len(full_description):
                description = full_description[: max(keep - 1, 0)] + "\u2026" if keep else ""
            url = self._checkout_url(replace(session, description=description))
            if len(url) < _MAX_URL_LENGTH:
                return Checkout(checkout_id=session.checkout_id, checkout_url=url)
            if keep == 0:
                raise ValueError("checkout URL would be too long: shorten return_url")
            keep = max(keep - 10, 0)

    def _checkout_url(self, session: SandboxSession) -> str:
        return self._public_base_url + CHECKOUT_PATH + self.encode_session(session)

    def _checkout_id(self, application_id: str, nonce: str | None) -> str:
        if nonce is None:
            raw = secrets.token_bytes(15)
        else:
            if not isinstance(nonce, str) or not 0 < len(nonce) <= _MAX_ID_LENGTH:
                raise ValueError(f"nonce must be 1..{_MAX_ID_LENGTH} characters")
            message = _CHECKOUT_ID_CONTEXT + application_id.encode() + b"\x00" + nonce.encode()
            raw = hmac.new(self._session_key, message, hashlib.sha256).digest()[:15]
        return "chk_" + base64.b32encode(raw).decode("ascii").lower()

    def encode_session(self, session: SandboxSession) -> str:
        """The URL-safe token for ``session`` (see the module docstring for the layout)."""
        fields: list[Any] = [
            _TOKEN_VERSION,
            session.checkout_id,
            session.application_id,
            session.amount_cents,
            session.currency,
            session.description,
            session.return_url,
            session.issued_at,
            session.expires_at,
        ]
        payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
        encoded = _b64url(payload.encode("utf-8"))
        return f"{encoded}.{self._tag(encoded)}"

    def _tag(self, encoded_payload: str) -> str:
        message = _MAC_CONTEXT + encoded_payload.encode("ascii")
        return _b64url(hmac.new(self._session_key, message, hashlib.sha256).digest())

    def open_session(self, session: str) -> SandboxSession:
        """Verify a session token from the URL and return what it says.

        Raises :class:`SandboxSessionError` (or its subclass
        :class:`SandboxSessionExpiredError`); the message is safe to show.
        """
        if not isinstance(session, str) or len(session) > _MAX_URL_LENGTH:
            raise SandboxSessionError("invalid checkout session")
        match = _TOKEN_RE.fullmatch(session)
        if match is None:
            raise SandboxSessionError("invalid checkout session")
        encoded, tag = match.group(1), match.group(2)
        if not hmac.compare_digest(self._tag(encoded).encode(), tag.encode()):
            raise SandboxSessionError("invalid checkout session")
        # Authentic from here on: only this service with this key could have written it.
        try:
            fields = json.loads(_b64url_decode(encoded).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise SandboxSessionError("invalid checkout session") from None
        parsed = _session_from_fields(fields)
        now = self._clock()
        if parsed.issued_at > now + _FUTURE_SKEW_SECONDS:
            raise SandboxSessionError("invalid checkout session")
        if now >= parsed.expires_at:
            raise SandboxSessionExpiredError("checkout session expired")
        return parsed

    # -- webhooks --------------------------------------------------------------------------

    def build_webhook(
        self,
        session: SandboxSession,
        outcome: Outcome,
        event_id: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The signed delivery a real provider would send for this session's outcome.

        Returns ``(headers, body)``; POST them unchanged (and unchanged again on retry, so
        the receiver dedupes on the same ``webhook-id``).
        """
        if outcome not in ("succeeded", "failed"):
            raise ValueError("outcome must be 'succeeded' or 'failed'")
        return self._build(session, f"payment.{outcome}", outcome, event_id)

    def _build(
        self,
        session: SandboxSession,
        event_type: str,
        kind: str,
        event_id: str | None,
    ) -> tuple[dict[str, str], bytes]:
        msg_id = session.event_id(kind) if event_id is None else event_id
        if not 0 < len(msg_id) <= MAX_WEBHOOK_ID_LENGTH:
            raise ValueError(f"event_id must be 1..{MAX_WEBHOOK_ID_LENGTH} characters")
        event = {
            "type": event_type,
            "data": {
                "payment_id": session.payment_id,
                "application_id": session.application_id,
                "amount_cents": session.amount_cents,
                "currency": session.currency,
            },
        }
        body = json.dumps(event, separators=(",", ":")).encode("utf-8")
        headers = signed_headers(self._signing_secret, msg_id, int(self._clock()), body)
        # Chalice routes accept application/json by default and answer 415 otherwise.
        headers["content-type"] = "application/json"
        return headers, body

    # -- polling -----------------------------------------------------------------------------

    def record_payment(self, session: SandboxSession) -> None:
        """Remember that ``session`` was paid (the Pay button, before it sends the webhook).

        Like a real provider, the sandbox then knows about the payment even when the webhook
        gets lost, and :meth:`poll` tells the reconciliation job. Without a ledger this does
        nothing, and the sandbox can only push.
        """
        if self._ledger is not None:
            payment = SandboxPayment(session.application_id, session.amount_cents, session.currency)
            self._ledger.record(session.checkout_id, payment)

    def poll(self, checkout_id: str, application_id: str) -> list[PaymentEvent]:
        """What the sandbox knows about one checkout: paid, or nothing yet (see the port)."""
        if self._ledger is None or not _CHECKOUT_ID_RE.fullmatch(checkout_id):
            return []
        paid = self._ledger.lookup(checkout_id)
        if paid is None or paid.application_id != application_id:
            return []
        payment_id = "sbxpay_" + checkout_id.removeprefix("chk_")
        return [
            PaymentEvent(
                event_id=f"poll:{payment_id}:succeeded",
                type="payment.succeeded",
                payment_id=payment_id,
                application_id=application_id,
                amount_cents=paid.amount_cents,
                currency=paid.currency,
            )
        ]

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        """Verify against every active secret, then parse; see the port for the errors."""
        event_id = self._verifier.verify(headers, body)
        # Imported here: pydantic is only needed on the webhook path.
        from chalicelib.adapters.payments.events import parse_event

        return parse_event(body, event_id)


def _session_from_fields(fields: object) -> SandboxSession:
    """Rebuild a session from an authenticated payload, still checking every field.

    The MAC proves we wrote it; the checks protect against our own older token versions.
    """
    if not isinstance(fields, list) or len(fields) != 9 or type(fields[0]) is not int:
        raise SandboxSessionError("invalid checkout session")
    if fields[0] != _TOKEN_VERSION:
        raise SandboxSessionError("invalid checkout session")
    _, checkout_id, application_id, amount, currency, description, return_url, issued, ends = fields
    ok = (
        isinstance(checkout_id, str)
        and _CHECKOUT_ID_RE.fullmatch(checkout_id) is not None
        and isinstance(application_id, str)
        and _ID_RE.fullmatch(application_id) is not None
        and type(amount) is int
        and amount > 0
        and isinstance(currency, str)
        and _CURRENCY_RE.fullmatch(currency) is not None
        and isinstance(description, str)
        and isinstance(return_url, str)
        and type(issued) is int
        and type(ends) is int
        and issued < ends <= issued + SESSION_LIFETIME_SECONDS
    )
    if not ok:
        raise SandboxSessionError("invalid checkout session")
    return SandboxSession(
        checkout_id=checkout_id,
        application_id=application_id,
        amount_cents=amount,
        currency=currency,
        description=description,
        return_url=return_url,
        issued_at=issued,
        expires_at=ends,
    )


if TYPE_CHECKING:
    # Static proof that the adapter satisfies the port (mypy checks this line).
    def _conforms(provider: SandboxProvider) -> PaymentProvider:
        return provider
