"""Stripe webhook signatures, verified with the official SDK's own check.

Stripe signs ``"{t}.{raw body}"`` with HMAC-SHA256 under the endpoint secret (``whsec_...``
used as is, UTF-8) and sends ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]``. The
MAC comparison is the SDK's (``stripe.WebhookSignature.verify_header``, constant time);
around it this module adds what the SDK leaves to the caller:

- **several secrets** during a rotation (Stripe keeps the old secret valid for up to 24 h
  after "roll secret"): every secret is tried, the loop never stops early;
- **freshness in both directions** with an injectable clock: the SDK only refuses old
  timestamps (and reads ``time.time`` itself), a timestamp far in the future would stay
  replayable for that long;
- **bounded, strict headers** before any MAC is computed (length, digits-only ``t``, hex
  ``v1``, at most 16 entries), and short fixed reasons that never echo the header.

The SDK module is imported on first use, so ``import app`` never pays for it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence

from chalicelib.domain.errors import WebhookSignatureError

__all__ = ["HEADER", "StripeWebhookSecretError", "StripeWebhookVerifier"]

HEADER = "stripe-signature"
DEFAULT_TOLERANCE_SECONDS = 300
_MAX_HEADER_LENGTH = 2048
_MAX_ENTRIES = 16
# t= and v1= strictly; other schemes (Stripe's test-mode v0=) are bounded and ignored.
_ENTRY = re.compile(
    r"(t=[0-9]{1,15}|v1=[0-9a-f]{64}|(?!t=|v1=)[a-z0-9]{1,10}=[\x21-\x2b\x2d-\x7e]{0,200})"
)


class StripeWebhookSecretError(ValueError):
    """A configured secret is unusable: a deployment mistake, raised at start-up."""


class StripeWebhookVerifier:
    def __init__(
        self,
        secrets: Sequence[str],
        tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(secrets, str):
            raise StripeWebhookSecretError("secrets must be a list, not one string")
        if not secrets:
            raise StripeWebhookSecretError("at least one Stripe webhook secret is required")
        for secret in secrets:
            if not isinstance(secret, str) or not secret.startswith("whsec_") or len(secret) < 16:
                raise StripeWebhookSecretError("a Stripe webhook secret must look like whsec_...")
        self._secrets = tuple(secrets)
        self._tolerance = tolerance_seconds
        self._clock = clock

    def __repr__(self) -> str:
        return (
            f"StripeWebhookVerifier(secrets=<{len(self._secrets)}>, tolerance={self._tolerance}s)"
        )

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Return if ``body`` is authentic and fresh; raise :class:`WebhookSignatureError`."""
        header = _signature_header(headers)
        if len(header) > _MAX_HEADER_LENGTH or not header.isascii():
            raise WebhookSignatureError("Stripe-Signature header malformed")
        entries = header.split(",")
        if len(entries) > _MAX_ENTRIES or not all(_ENTRY.fullmatch(e) for e in entries):
            raise WebhookSignatureError("Stripe-Signature header malformed")
        stamps = [e[2:] for e in entries if e.startswith("t=")]
        if len(stamps) != 1:
            raise WebhookSignatureError("Stripe-Signature header needs exactly one t=")
        if not any(e.startswith("v1=") for e in entries):
            raise WebhookSignatureError("no v1 signature")
        if abs(self._clock() - int(stamps[0])) > self._tolerance:
            raise WebhookSignatureError("Stripe-Signature timestamp outside the tolerance window")
        try:
            payload = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookSignatureError("body is not UTF-8, so Stripe did not sign it") from None

        import stripe

        matched = False
        for secret in self._secrets:
            try:
                # Freshness was checked above with our clock; the SDK checks the MAC only.
                stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=None)
            except stripe.SignatureVerificationError:
                continue
            matched = True
        if not matched:
            raise WebhookSignatureError("no valid Stripe signature")


def _signature_header(headers: Mapping[str, str]) -> str:
    found = [value for name, value in headers.items() if name.lower() == HEADER]
    if len(found) != 1 or not isinstance(found[0], str) or not found[0].strip():
        raise WebhookSignatureError("missing Stripe-Signature header")
    return found[0].strip()
