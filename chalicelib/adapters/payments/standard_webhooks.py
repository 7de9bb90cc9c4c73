"""Standard Webhooks signatures (https://www.standardwebhooks.com/), signing and verifying.

Why this scheme: it is the one the sandbox provider speaks (see ARCHITECTURE.md), it is what
Svix-style providers send, and it binds the message id and a timestamp into the MAC, so a
captured delivery cannot be replayed after the tolerance window or re-labelled with another id.

Wire format::

    webhook-id:        msg_2KWPBgLlAfxdpx2AI54pPJ85f4W
    webhook-timestamp: 1700000000                       (unix seconds)
    webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")> [v1,<...> ...]

The key is the base64-decoded part of a ``whsec_<base64>`` secret. Several space-separated
signatures may be sent (the sender signs with every secret it holds during a rotation); one
valid ``v1`` signature suffices and other version prefixes are ignored.

Why the verifier is this strict:

- Refusal is an exception, never a ``False`` a caller could forget to check.
- Every (secret, signature) pair is compared with :func:`hmac.compare_digest` and the loop
  never stops early, so timing reveals neither which secret nor which signature matched.
- Signatures are compared in their base64 text form: decoding first would accept several
  spellings of the same bytes (unused trailing bits), which is harmless for security but
  makes "flip one character" not always a refusal and confuses tests and audits.
- Headers are bounded (length, number of signatures) so the work per request is bounded.
- Error messages are short, fixed reasons: never the secret, the expected signature, or the
  attacker-controlled header value (which would end up in logs).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping, Sequence

from chalicelib.domain.errors import WebhookSignatureError

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "HEADER_ID",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "MAX_WEBHOOK_ID_LENGTH",
    "SECRET_PREFIX",
    "WebhookSecretError",
    "WebhookVerifier",
    "sign",
    "signed_headers",
]

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
DEFAULT_TOLERANCE_SECONDS = 300

#: The webhook id becomes our dedupe key in DynamoDB and appears in logs: keep it short.
MAX_WEBHOOK_ID_LENGTH = 200
#: Unix seconds fit in 11 digits until the year 5138; anything longer is garbage.
_MAX_TIMESTAMP_LENGTH = 15
#: A rotation rarely has more than two or three secrets; 16 signatures is generous.
_MAX_SIGNATURES = 16
_MAX_SIGNATURE_HEADER_LENGTH = 2048
#: The Standard Webhooks spec recommends 24..64 random bytes; we accept 16..128 so that a
#: hand-made test secret still works while a truncated or empty one is refused at start-up.
_MIN_KEY_BYTES = 16
_MAX_KEY_BYTES = 128

# Printable ASCII without spaces: the id is signed text, a dedupe key and a log field.
_ID_RE = re.compile(r"[\x21-\x7e]+")
_TIMESTAMP_RE = re.compile(r"[0-9]+")  # ASCII digits only: int() would accept "+1", " 1", "1_0"
_B64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class WebhookSecretError(ValueError):
    """The configured secrets are unusable: a deployment mistake, raised at construction.

    Deliberately not a :class:`WebhookSignatureError`: that one maps to 401 for the sender,
    while a broken secret is our fault and must fail loudly at start-up (a 500 / crash), not
    look like a forged request.
    """


def _decode_secret(secret: str) -> bytes:
    """Return the HMAC key inside ``whsec_<base64>``; the message never echoes the secret."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise WebhookSecretError(f"webhook secret must look like {SECRET_PREFIX}<base64>")
    encoded = secret[len(SECRET_PREFIX) :]
    if not _B64_RE.fullmatch(encoded):
        raise WebhookSecretError("webhook secret is not valid base64")
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookSecretError("webhook secret is not valid base64") from None
    if not _MIN_KEY_BYTES <= len(key) <= _MAX_KEY_BYTES:
        raise WebhookSecretError(
            f"webhook secret key must be {_MIN_KEY_BYTES}..{_MAX_KEY_BYTES} bytes"
        )
    return key


def _check_body(body: bytes) -> bytes:
    # A str body would have to be re-encoded, and any re-encoding can differ from the bytes
    # the sender signed: that is a programming error, not a bad request.
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("webhook body must be the raw request bytes")
    return bytes(body)


def _signed_content(msg_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode("ascii") + body


def _mac_b64(key: bytes, content: bytes) -> str:
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode("ascii")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``webhook-signature`` header value (``v1,<base64>``) for one message.

    Refuses ids and timestamps the verifier would refuse, so we never emit a delivery that
    our own receiver rejects.
    """
    key = _decode_secret(secret)
    if not isinstance(msg_id, str) or not msg_id or len(msg_id) > MAX_WEBHOOK_ID_LENGTH:
        raise ValueError(f"webhook id must be 1..{MAX_WEBHOOK_ID_LENGTH} characters")
    if not _ID_RE.fullmatch(msg_id):
        raise ValueError("webhook id must be printable ASCII without spaces")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("webhook timestamp must be a non-negative integer (unix seconds)")
    content = _signed_content(msg_id, str(timestamp), _check_body(body))
    return "v1," + _mac_b64(key, content)


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """All three Standard Webhooks headers for one delivery, ready to POST with ``body``."""
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: sign(secret, msg_id, timestamp, body),
    }


class WebhookVerifier:
    """Verifies Standard Webhooks deliveries against one or more active secrets.

    Pass every secret that is currently valid (old and new during a rotation); a delivery
    signed with any of them is accepted. ``clock`` is injectable so tests can pin time.
    """

    def __init__(
        self,
        secrets: Sequence[str],
        tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(secrets, str):
            # A bare string is a sequence of one-character "secrets": a classic config slip.
            raise WebhookSecretError("secrets must be a list of whsec_ strings, not one string")
        keys = [_decode_secret(s) for s in secrets]
        if not keys:
            raise WebhookSecretError("at least one webhook secret is required")
        if isinstance(tolerance_seconds, bool) or not isinstance(tolerance_seconds, int):
            raise WebhookSecretError("tolerance_seconds must be an integer")
        if tolerance_seconds < 0:
            raise WebhookSecretError("tolerance_seconds must not be negative")
        self._keys: tuple[bytes, ...] = tuple(keys)
        self._tolerance = tolerance_seconds
        self._clock = clock

    def __repr__(self) -> str:
        # Never show keys, even in a debugger or a traceback's locals.
        return f"WebhookVerifier(secrets=<{len(self._keys)}>, tolerance={self._tolerance}s)"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str:
        """Return the webhook id if ``body`` is authentic and fresh; raise otherwise.

        ``body`` must be the raw request bytes exactly as received (no JSON round trip).
        Raises :class:`WebhookSignatureError` with a short, fixed reason.
        """
        raw_body = _check_body(body)
        lowered = _lower_headers(headers)
        msg_id = _required(lowered, HEADER_ID)
        timestamp_text = _required(lowered, HEADER_TIMESTAMP)
        signature_header = _required(lowered, HEADER_SIGNATURE)

        if len(msg_id) > MAX_WEBHOOK_ID_LENGTH:
            raise WebhookSignatureError("webhook-id header too long")
        if not _ID_RE.fullmatch(msg_id):
            raise WebhookSignatureError("webhook-id header has invalid characters")
        if len(timestamp_text) > _MAX_TIMESTAMP_LENGTH:
            raise WebhookSignatureError("webhook-timestamp header too long")
        if not _TIMESTAMP_RE.fullmatch(timestamp_text):
            raise WebhookSignatureError("webhook-timestamp header is not an integer")
        if len(signature_header) > _MAX_SIGNATURE_HEADER_LENGTH:
            raise WebhookSignatureError("webhook-signature header too long")
        if not signature_header.isascii():
            raise WebhookSignatureError("webhook-signature header is not ASCII")

        # Freshness first: it is cheap and needs no key. Both directions are refused: a
        # timestamp far in the future would otherwise stay replayable for that long.
        timestamp = int(timestamp_text)
        if abs(self._clock() - timestamp) > self._tolerance:
            raise WebhookSignatureError("webhook-timestamp outside the tolerance window")

        candidates = _v1_signatures(signature_header)
        content = _signed_content(msg_id, timestamp_text, raw_body)
        matched = False
        for key in self._keys:
            expected = _mac_b64(key, content).encode("ascii")
            for candidate in candidates:
                # Bitwise OR, not `or`: no short-circuit, every pair is compared.
                matched |= hmac.compare_digest(expected, candidate)
        if not matched:
            raise WebhookSignatureError("no valid webhook signature")
        return msg_id


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case the header names; refuse a header given twice in different spellings.

    Two spellings with different values would make "which one did we verify?" depend on
    dict order; the HTTP layer normally merges them, so this only guards odd callers.
    """
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in lowered:
            raise WebhookSignatureError(f"duplicate {key} header")
        lowered[key] = value
    return lowered


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not isinstance(value, str):
        raise WebhookSignatureError(f"missing {name} header")
    value = value.strip()
    if not value:
        raise WebhookSignatureError(f"empty {name} header")
    return value


def _v1_signatures(header: str) -> list[bytes]:
    """The base64 parts of the ``v1,`` entries, as ASCII bytes for compare_digest."""
    entries = header.split()
    if len(entries) > _MAX_SIGNATURES:
        raise WebhookSignatureError("too many webhook signatures")
    found = [entry[3:].encode("ascii") for entry in entries if entry.startswith("v1,")]
    if not found:
        raise WebhookSignatureError("no v1 webhook signature")
    return found
