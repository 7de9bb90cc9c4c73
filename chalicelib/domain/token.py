"""The permit verification token: byte layout, signing, strict verification and text form.

The token is what the QR code on a printed permit carries. A phone verifies it offline, so the
bytes are the whole trust boundary: every field has a fixed width or an explicit length, the
verifier checks each length exactly, refuses trailing bytes, and turns every possible failure
into :class:`~chalicelib.domain.errors.InvalidTokenError`, whatever bytes it is given.

Layout (big-endian), ``N`` plates::

    0      version+algorithm  0x11 = format 1, ECDSA P-256 / SHA-256
    1      key id             selects exactly one public key
    2..5   permit serial      uint32
    6..7   zone               1-2 of [A-Z0-9], ASCII, right-padded with 0x00
    8      permit type        1 = resident parking
    9..10  valid from         days since 2020-01-01 (Europe/Berlin calendar date)
    11..12 valid to           days since 2020-01-01, inclusive
    13     plate count        1..4
    ...    N x (length 1..10, plate in ISO-8859-1: A-Z 0-9 Ä Ö Ü)
    last 64 bytes             ECDSA signature over all bytes above, raw r || s

The signature is raw ``r || s`` (as WebCrypto and COSE use it) rather than DER because DER has
a variable length, and an exact length is what makes "check every length" possible. The
verifier also demands the low-S form (``s <= n/2``) and the signers produce it, so a token has
exactly one valid encoding: nobody can mint a second, different-looking token for the same
permit by flipping ``s`` to ``n - s``.

``cryptography`` costs ~30 ms to import, so it is loaded on first sign/verify only; importing
this module (and therefore ``app``) stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from chalicelib.domain.errors import InvalidTokenError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

    from chalicelib.services.ports import Signer

__all__ = [
    "EPOCH",
    "MAX_PLATES",
    "MAX_PLATE_LENGTH",
    "MAX_TEXT_DIGITS",
    "MAX_TOKEN_LENGTH",
    "MIN_TOKEN_LENGTH",
    "PERMIT_TYPE_RESIDENT_PARKING",
    "REJECTION_REASONS",
    "SIGNATURE_LENGTH",
    "VERSION_1_ES256",
    "PermitClaims",
    "TokenVerifier",
    "der_to_raw_signature",
    "encode_claims",
    "load_public_key_pem",
    "sign_token",
    "token_from_text",
    "token_to_text",
    "verify_es256",
    "verify_token",
]

VERSION_1_ES256: Final = 0x11
"""High nibble: format version 1; low nibble: algorithm 1 = ECDSA P-256 with SHA-256."""

PERMIT_TYPE_RESIDENT_PARKING: Final = 1
EPOCH: Final = date(2020, 1, 1)
SIGNATURE_LENGTH: Final = 64
MAX_PLATES: Final = 4
MAX_PLATE_LENGTH: Final = 10
MAX_SERIAL: Final = 0xFFFF_FFFF
MAX_DAY: Final = 0xFFFF

_HEADER_LENGTH: Final = 13  # version, key id, serial, zone, type, from, to
MIN_TOKEN_LENGTH: Final = _HEADER_LENGTH + 1 + (1 + 1) + SIGNATURE_LENGTH
MAX_TOKEN_LENGTH: Final = (
    _HEADER_LENGTH + 1 + MAX_PLATES * (1 + MAX_PLATE_LENGTH) + SIGNATURE_LENGTH
)

_TEXT_SENTINEL: Final = 0x01
MAX_TEXT_DIGITS: Final = len(str(int.from_bytes(b"\x01" + b"\xff" * MAX_TOKEN_LENGTH, "big")))
"""Longest decimal text any valid token can have; longer input is refused before ``int()``."""

_ZONE_CHARS: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_PLATE_CHARS: Final = _ZONE_CHARS | frozenset("ÄÖÜ".encode("latin-1"))
_TEXT_RE: Final = re.compile(r"[1-9][0-9]*")

# P-256 group order; the verifier accepts only 1 <= r < n and 1 <= s <= n/2.
_P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_HALF_ORDER: Final = _P256_ORDER // 2


class _Malformed(ValueError):
    """Internal: a field breaks the layout. Public callers only ever see InvalidTokenError.

    ``reason`` becomes :attr:`InvalidTokenError.reason`; see REJECTION_REASONS.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


REJECTION_REASONS: Final = (
    "text",  # the decimal text is not 1..MAX_TEXT_DIGITS ASCII digits without a leading zero
    "sentinel",  # the text's number does not start with the 0x01 sentinel byte
    "length",  # fewer than MIN_TOKEN_LENGTH or more than MAX_TOKEN_LENGTH bytes
    "version",  # first byte is not 0x11 (format 1, ECDSA P-256 / SHA-256)
    "plate_count",  # plate count outside 1..MAX_PLATES
    "truncated",  # a plate's length byte points past the signed part
    "trailing",  # bytes left over between the last plate and the signature
    "zone",  # zone is not 1-2 of A-Z 0-9 (right-padded with 0x00)
    "dates",  # valid-to before valid-from
    "plate",  # a plate is empty, longer than MAX_PLATE_LENGTH or has other characters
    "unknown_key",  # no published key has this key id
    "signature_range",  # r or s out of range, or s in the high half (not low-S)
    "signature",  # the ECDSA signature does not verify
)
"""Every reason a token is refused, in the order the checks run (the browser runs the same)."""


def _check_zone(zone: object) -> bytes:
    if not isinstance(zone, str) or not 1 <= len(zone) <= 2:
        raise _Malformed("zone must be 1-2 characters", "zone")
    raw = zone.encode("ascii", errors="replace")
    if not set(raw) <= _ZONE_CHARS:
        raise _Malformed("zone must use only A-Z and 0-9", "zone")
    return raw.ljust(2, b"\x00")


def _check_plate(plate: object) -> bytes:
    if not isinstance(plate, str) or not 1 <= len(plate) <= MAX_PLATE_LENGTH:
        raise _Malformed(f"a plate must have 1-{MAX_PLATE_LENGTH} characters", "plate")
    raw = plate.encode("latin-1", errors="replace")
    if not set(raw) <= _PLATE_CHARS:
        raise _Malformed("a plate must be normalised: uppercase A-Z, 0-9, Ä, Ö, Ü only", "plate")
    return raw


def _day_number(day: object, name: str) -> int:
    # datetime is a subclass of date; a datetime here would silently drop its time and zone.
    if not isinstance(day, date) or isinstance(day, datetime):
        raise _Malformed(f"{name} must be a datetime.date", "dates")
    number = (day - EPOCH).days
    if not 0 <= number <= MAX_DAY:
        raise _Malformed(
            f"{name} must lie between {EPOCH} and {EPOCH + timedelta(MAX_DAY)}", "dates"
        )
    return number


@dataclass(frozen=True)
class PermitClaims:
    """What a token asserts about a permit; validated on construction, so it always encodes.

    Plates must already be normalised (uppercase, no spaces or hyphens): the codec refuses
    rather than guesses, because a silently changed plate would print a permit for a
    different car. Invalid values raise ``ValueError``: building bad claims is a bug in the
    issuer, not a bad token.
    """

    serial: int
    zone: str
    permit_type: int
    valid_from: date
    valid_to: date
    plates: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.serial, int) or not 0 <= self.serial <= MAX_SERIAL:
            raise _Malformed("serial must be an unsigned 32-bit integer", "serial")
        if not isinstance(self.permit_type, int) or not 0 <= self.permit_type <= 0xFF:
            raise _Malformed("permit_type must fit one byte", "type")
        _check_zone(self.zone)
        if _day_number(self.valid_to, "valid_to") < _day_number(self.valid_from, "valid_from"):
            raise _Malformed("valid_to must not be before valid_from", "dates")
        if not isinstance(self.plates, tuple) or not 1 <= len(self.plates) <= MAX_PLATES:
            raise _Malformed(f"plates must be a tuple of 1-{MAX_PLATES} plates", "plate_count")
        for plate in self.plates:
            _check_plate(plate)


def encode_claims(claims: PermitClaims, key_id: int) -> bytes:
    """The signed part of a token (everything but the signature), exactly as laid out above."""
    if not isinstance(key_id, int) or not 0 <= key_id <= 0xFF:
        raise ValueError("key_id must fit one byte")
    parts = [
        bytes((VERSION_1_ES256, key_id)),
        claims.serial.to_bytes(4, "big"),
        _check_zone(claims.zone),
        bytes((claims.permit_type,)),
        _day_number(claims.valid_from, "valid_from").to_bytes(2, "big"),
        _day_number(claims.valid_to, "valid_to").to_bytes(2, "big"),
        bytes((len(claims.plates),)),
    ]
    for plate in claims.plates:
        raw = _check_plate(plate)
        parts.append(bytes((len(raw),)) + raw)
    return b"".join(parts)


def _decode_body(body: bytes) -> tuple[int, PermitClaims]:
    """Parse the signed part strictly; returns (key id, claims) or raises _Malformed."""
    if len(body) < _HEADER_LENGTH + 1:
        raise _Malformed("too short", "length")
    if body[0] != VERSION_1_ES256:
        raise _Malformed("unknown version or algorithm", "version")
    key_id = body[1]
    serial = int.from_bytes(body[2:6], "big")
    # Only trailing padding is stripped: "\0A" keeps its zero byte and the claims refuse it.
    zone = body[6:8].rstrip(b"\x00").decode("latin-1")
    permit_type = body[8]
    valid_from = EPOCH + timedelta(days=int.from_bytes(body[9:11], "big"))
    valid_to = EPOCH + timedelta(days=int.from_bytes(body[11:13], "big"))
    count = body[13]
    if not 1 <= count <= MAX_PLATES:
        raise _Malformed("bad plate count", "plate_count")
    plates: list[str] = []
    offset = _HEADER_LENGTH + 1
    for _ in range(count):
        if offset >= len(body):
            raise _Malformed("truncated plate", "truncated")
        length = body[offset]
        raw = body[offset + 1 : offset + 1 + length]
        if len(raw) != length:
            raise _Malformed("bad plate length", "truncated")
        plates.append(raw.decode("latin-1"))  # lengths and characters: checked by the claims
        offset += 1 + length
    if offset != len(body):
        raise _Malformed("trailing bytes", "trailing")
    # Constructing the claims checks zone and plate characters, lengths and date order: the
    # one set of rules for encoding and decoding, so the two cannot drift apart.
    return key_id, PermitClaims(serial, zone, permit_type, valid_from, valid_to, tuple(plates))


class _Crypto:
    """The few ``cryptography`` names we need, imported once on first use."""

    def __init__(self) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils

        self.InvalidSignature = InvalidSignature
        self.ec = ec
        self.ecdsa_sha256 = ec.ECDSA(hashes.SHA256())
        self.encode_dss = utils.encode_dss_signature
        self.decode_dss = utils.decode_dss_signature


@lru_cache(maxsize=1)
def _crypto() -> _Crypto:
    return _Crypto()


def der_to_raw_signature(der: bytes) -> bytes:
    """Convert a DER ECDSA P-256 signature (cryptography, KMS) to the token's 64-byte ``r || s``.

    ``s`` is normalised to the low half of the group order (``n - s`` is an equally valid
    signature), because the verifier accepts only that form; see the module docstring.
    Each integer is written as 32 bytes, zero-padded: DER drops leading zeros, so about one
    signature in 128 has a 31-byte ``r`` or ``s`` and would otherwise come out short.
    """
    r, s = _crypto().decode_dss(der)
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        raise ValueError("not a P-256 signature")
    if s > _P256_HALF_ORDER:
        s = _P256_ORDER - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@lru_cache(maxsize=16)
def load_public_key_pem(pem: bytes) -> EllipticCurvePublicKey:
    """Load a SubjectPublicKeyInfo PEM and insist on P-256; cached, PEMs are few and small."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(pem)
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise TypeError("verification keys must be EC P-256 public keys")
    return key


def _require_p256(key: object) -> None:
    ec = _crypto().ec
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise TypeError("verification keys must be EC P-256 public keys")


def sign_token(claims: PermitClaims, signer: Signer) -> bytes:
    """Encode and sign ``claims`` with ``signer``; returns the complete token bytes.

    The fresh signature is verified against the signer's own public key before the token is
    returned: a token that does not verify would be printed on paper and fail at the
    roadside, so a misconfigured key (or a signing service that hashes twice) must fail here,
    at issuance, where it is visible and retried.
    """
    body = encode_claims(claims, signer.key_id)
    signature = signer.sign(body)
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_LENGTH:
        raise ValueError("the signer must return a 64-byte raw r||s signature")
    token = body + signature
    public_key = load_public_key_pem(signer.public_key_pem())
    try:
        TokenVerifier({signer.key_id: public_key}).verify(token)
    except InvalidTokenError as exc:
        raise ValueError("the signer produced a signature its own public key rejects") from exc
    return token


class TokenVerifier:
    """Verifies tokens against a fixed set of public keys, one per key id.

    Each key id maps to exactly one P-256 key, and the version byte fixes the algorithm, so a
    token can never choose how it is checked. Keys are type-checked once here, so a
    misconfigured ring fails at start-up (``TypeError``) rather than per request.
    """

    def __init__(self, keys: Mapping[int, EllipticCurvePublicKey]) -> None:
        for key_id, key in keys.items():
            if not isinstance(key_id, int) or not 0 <= key_id <= 0xFF:
                raise ValueError(f"key id {key_id!r} does not fit one byte")
            _require_p256(key)
        self._keys: Mapping[int, EllipticCurvePublicKey] = MappingProxyType(dict(keys))
        self._crypto = _crypto()

    def verify(self, token: bytes) -> PermitClaims:
        """Decode and check ``token``; any failure at all raises InvalidTokenError."""
        if not isinstance(token, bytes | bytearray | memoryview):
            raise InvalidTokenError("token must be bytes", "length")
        token = bytes(token)
        if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
            raise InvalidTokenError("token has an impossible length", "length")
        body, signature = token[:-SIGNATURE_LENGTH], token[-SIGNATURE_LENGTH:]
        try:
            key_id, claims = _decode_body(body)
        except _Malformed as exc:
            raise InvalidTokenError(f"malformed token: {exc}", exc.reason) from None
        except (ValueError, IndexError, OverflowError) as exc:  # defence in depth: never leaks
            raise InvalidTokenError(f"malformed token: {exc}", "malformed") from None
        key = self._keys.get(key_id)
        if key is None:
            raise InvalidTokenError(f"unknown key id {key_id}", "unknown_key")
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        if not (0 < r < _P256_ORDER and 0 < s <= _P256_HALF_ORDER):
            raise InvalidTokenError("signature out of range", "signature_range")
        crypto = self._crypto
        try:
            key.verify(crypto.encode_dss(r, s), body, crypto.ecdsa_sha256)
        except crypto.InvalidSignature:
            raise InvalidTokenError("bad signature", "signature") from None
        return claims

    def verify_text(self, text: str) -> PermitClaims:
        """Verify the decimal text form (what the QR fragment carries)."""
        return self.verify(token_from_text(text))


def verify_es256(key: EllipticCurvePublicKey, message: bytes, signature: bytes) -> bool:
    """ES256 over ``message`` with a raw 64-byte ``r || s``: for signed documents other than
    tokens (the revocation list), where a second encoding of a signature harms nobody."""
    if len(signature) != SIGNATURE_LENGTH:
        return False
    crypto = _crypto()
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        return False
    try:
        key.verify(crypto.encode_dss(r, s), message, crypto.ecdsa_sha256)
    except crypto.InvalidSignature:
        return False
    return True


def verify_token(token: bytes, keys: Mapping[int, EllipticCurvePublicKey]) -> PermitClaims:
    """One-shot verification; hold a :class:`TokenVerifier` instead when verifying often."""
    return TokenVerifier(keys).verify(token)


def token_to_text(token: bytes) -> str:
    """Decimal text for a QR numeric-mode segment (3.33 bits per character, denser than base32).

    A 0x01 sentinel byte is prepended so that leading zero bytes survive the trip through an
    integer; the key id could well be 0.
    """
    return str(int.from_bytes(bytes((_TEXT_SENTINEL,)) + token, "big"))


def token_from_text(text: str) -> bytes:
    """Strict inverse of :func:`token_to_text`; raises InvalidTokenError for anything else.

    Only ASCII digits with no leading zero are accepted (``int()`` alone would also take
    spaces, underscores, signs and non-ASCII digits), and the length is capped before
    conversion because ``int()`` of a huge string is slow and raises past 4300 digits.
    """
    if not isinstance(text, str):
        raise InvalidTokenError("token text must be a string", "text")
    if len(text) > MAX_TEXT_DIGITS or not _TEXT_RE.fullmatch(text):
        raise InvalidTokenError(f"token text must be 1-{MAX_TEXT_DIGITS} ASCII digits", "text")
    number = int(text)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    if raw[0] != _TEXT_SENTINEL:
        raise InvalidTokenError("token text has no valid sentinel", "sentinel")
    return raw[1:]
