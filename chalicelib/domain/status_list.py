"""The signed revocation list ("Sperrliste") an officer's phone checks offline.

What it holds: the serials of permits that were revoked or superseded and are still within
their validity, the time it was made (``iat``) and until when it may be trusted (``exp``).
Serials are random 32-bit numbers, so a plain list of 2,500 serials does not compress; the
sorted serials are Golomb-Rice coded instead (the gaps of uniformly spread numbers are close
to geometric, for which Rice codes are near optimal): about 22.5 bits per serial, where the
information-theoretic floor for 2,500 of 2^32 is 22.2 (see docs/decisions.md, issue 13).

Envelope: a flattened JSON Web Signature (RFC 7515 section 7.2.2) with an unencoded payload
(RFC 7797, ``"b64": false``), ES256, raw ``r || s``: any JOSE library can check it, and the
page checks it with WebCrypto over ``ASCII(protected) || "." || payload``. The payload is
the compact JSON text below, kept as a JSON string in the envelope, so gzip sees digits and
base64 text, not base64 of base64.

    {"exp": 1763820300, "iat": 1763733900, "v": 1,
     "revoked": {"k": 20, "n": 2000, "rice": "<base64url>"},
     "superseded": {"k": 22, "n": 500, "rice": "<base64url>"}}

Rice coding of sorted unique ``v_0 < v_1 < ...``: ``d_i = v_i - v_{i-1} - 1`` (``v_{-1} = -1``),
each written as ``d >> k`` one-bits, a zero-bit, then the low ``k`` bits of ``d``, most
significant bit first; the last byte is padded with zero bits. Decoding is strict: exactly
``n`` values, every value below 2^32, at most 7 padding bits and all of them zero.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

__all__ = [
    "FORMAT_VERSION",
    "JWS_TYPE",
    "StatusList",
    "StatusListError",
    "b64url",
    "b64url_decode",
    "build_payload",
    "envelope",
    "parse_envelope",
    "protected_header",
    "rice_decode",
    "rice_encode",
    "signing_input",
]

FORMAT_VERSION: Final = 1
JWS_TYPE: Final = "permit-status-list+json"
MAX_SERIAL: Final = 0xFFFF_FFFF


class StatusListError(ValueError):
    """A status list (or its envelope) that breaks the format; never trusted in part."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or any(c not in _B64URL for c in text) or len(text) % 4 == 1:
        raise StatusListError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _gaps(values: list[int]) -> list[int]:
    previous = -1
    gaps = []
    for value in values:
        gaps.append(value - previous - 1)
        previous = value
    return gaps


def _best_k(gaps: list[int]) -> int:
    """The Rice parameter with the fewest bits for exactly these gaps.

    Only the few values around log2(mean gap) can win, so only those are counted.
    """
    if not gaps:
        return 0
    centre = max(sum(gaps) // len(gaps), 1).bit_length()
    candidates = range(max(centre - 3, 0), min(centre + 2, 32) + 1)
    return min(candidates, key=lambda k: sum((gap >> k) + 1 + k for gap in gaps))


def rice_encode(serials: Iterable[int]) -> tuple[int, int, bytes]:
    """``(n, k, data)`` for a set of serials (any order, duplicates folded)."""
    values = sorted(set(serials))
    if values and not (values[0] >= 0 and values[-1] <= MAX_SERIAL):
        raise ValueError("serials must be unsigned 32-bit integers")
    gaps = _gaps(values)
    k = _best_k(gaps)
    parts = [
        "1" * (gap >> k) + "0" + (format(gap & ((1 << k) - 1), f"0{k}b") if k else "")
        for gap in gaps
    ]
    bits = "".join(parts)
    bits += "0" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
    return len(values), k, data


def rice_decode(count: int, k: int, data: bytes) -> list[int]:
    """The sorted serials; StatusListError for anything the encoder could not have written."""
    if not (isinstance(count, int) and count >= 0) or not (isinstance(k, int) and 0 <= k <= 32):
        raise StatusListError("bad n or k")
    total_bits = len(data) * 8
    position = 0

    def bit() -> int:
        nonlocal position
        if position >= total_bits:
            raise StatusListError("rice data ends early")
        value = (data[position >> 3] >> (7 - (position & 7))) & 1
        position += 1
        return value

    values: list[int] = []
    previous = -1
    for _ in range(count):
        quotient = 0
        while bit():
            quotient += 1
            if quotient > MAX_SERIAL:
                raise StatusListError("serial out of range")
        remainder = 0
        for _ in range(k):
            remainder = remainder * 2 + bit()
        previous = previous + 1 + (quotient << k) + remainder
        if previous > MAX_SERIAL:
            raise StatusListError("serial out of range")
        values.append(previous)
    if total_bits - position >= 8:
        raise StatusListError("trailing bytes after the rice data")
    while position < total_bits:
        if bit():
            raise StatusListError("padding bits must be zero")
    return values


def _coded(serials: Iterable[int]) -> dict[str, Any]:
    count, k, data = rice_encode(serials)
    return {"k": k, "n": count, "rice": b64url(data)}


def build_payload(
    revoked: Iterable[int], superseded: Iterable[int], issued_at: datetime, max_age: timedelta
) -> bytes:
    """The payload text (compact JSON, sorted keys, ASCII); ``exp`` = ``iat`` + ``max_age``."""
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    iat = int(issued_at.timestamp())
    payload = {
        "exp": iat + int(max_age.total_seconds()),
        "iat": iat,
        "revoked": _coded(revoked),
        "superseded": _coded(superseded),
        "v": FORMAT_VERSION,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii")


def protected_header(kid: str) -> str:
    header = {"alg": "ES256", "b64": False, "crit": ["b64"], "kid": kid, "typ": JWS_TYPE}
    return b64url(json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii"))


def signing_input(protected: str, payload: bytes) -> bytes:
    """RFC 7797 section 3: ASCII(BASE64URL(protected)) || '.' || payload, payload unencoded."""
    return protected.encode("ascii") + b"." + payload


def envelope(protected: str, payload: bytes, signature: bytes) -> str:
    """The document served at /.well-known/permit-status.json."""
    return json.dumps(
        {
            "payload": payload.decode("ascii"),
            "protected": protected,
            "signature": b64url(signature),
        },
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class StatusList:
    """A verified, decoded list."""

    kid: str
    issued_at: datetime
    expires_at: datetime
    revoked: frozenset[int]
    superseded: frozenset[int]

    def status_of(self, serial: int) -> str | None:
        if serial in self.revoked:
            return "revoked"
        if serial in self.superseded:
            return "superseded"
        return None


def _field(mapping: Mapping[str, Any], name: str, kind: type) -> Any:
    value = mapping.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise StatusListError(f"{name} missing or of the wrong type")
    return value


def parse_envelope(document: str | bytes, verify: Any) -> StatusList:
    """Check the envelope and signature, then decode. ``verify(kid, message, raw_sig) -> bool``.

    The order matters: nothing of the payload is read before its signature checked out.
    """
    try:
        outer = json.loads(document)
        if not isinstance(outer, dict):
            raise StatusListError("not a JSON object")
        protected = _field(outer, "protected", str)
        header = json.loads(b64url_decode(protected))
    except (ValueError, UnicodeDecodeError) as error:
        raise StatusListError(f"unreadable envelope: {error}") from None
    if not isinstance(header, dict):
        raise StatusListError("protected header is not an object")
    expected = {"alg": "ES256", "b64": False, "crit": ["b64"], "typ": JWS_TYPE}
    if {k: header.get(k) for k in expected} != expected or set(header) != {*expected, "kid"}:
        raise StatusListError("unexpected protected header")
    kid = _field(header, "kid", str)
    payload_text = _field(outer, "payload", str)
    signature = b64url_decode(_field(outer, "signature", str))
    if len(signature) != 64:
        raise StatusListError("signature must be 64 bytes")
    try:
        payload_bytes = payload_text.encode("ascii")
    except UnicodeEncodeError:
        raise StatusListError("payload must be ASCII") from None
    if not verify(kid, signing_input(protected, payload_bytes), signature):
        raise StatusListError("bad signature")
    try:
        payload = json.loads(payload_bytes)
    except ValueError:
        raise StatusListError("payload is not JSON") from None
    if not isinstance(payload, dict) or payload.get("v") != FORMAT_VERSION:
        raise StatusListError("unknown format version")
    lists = {}
    for name in ("revoked", "superseded"):
        part = _field(payload, name, dict)
        rice = b64url_decode(_field(part, "rice", str))
        lists[name] = frozenset(rice_decode(_field(part, "n", int), _field(part, "k", int), rice))
    return StatusList(
        kid=kid,
        issued_at=datetime.fromtimestamp(_field(payload, "iat", int), UTC),
        expires_at=datetime.fromtimestamp(_field(payload, "exp", int), UTC),
        revoked=lists["revoked"],
        superseded=lists["superseded"],
    )
