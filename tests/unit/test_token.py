"""The token codec: layout, strict verification, signature format and text form.

The verifier is a trust boundary fed by anyone's phone, so most tests here are negative and
many are exhaustive or property-based: every byte, every truncation, random garbage.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from functools import cache

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidTokenError
from chalicelib.domain.token import (
    MAX_TEXT_DIGITS,
    MAX_TOKEN_LENGTH,
    MIN_TOKEN_LENGTH,
    PERMIT_TYPE_RESIDENT_PARKING,
    SIGNATURE_LENGTH,
    VERSION_1_ES256,
    PermitClaims,
    TokenVerifier,
    der_to_raw_signature,
    encode_claims,
    sign_token,
    token_from_text,
    token_to_text,
    verify_token,
)

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class MemorySigner:
    """A Signer over an in-memory key: the unit tests need no files and no KMS."""

    def __init__(self, key_id: int, key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self._key = key or ec.generate_private_key(ec.SECP256R1())
        self._key_id = key_id

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._key.public_key()

    def sign(self, message: bytes) -> bytes:
        return der_to_raw_signature(self._key.sign(message, ec.ECDSA(hashes.SHA256())))

    def public_key_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@cache
def signer(key_id: int = 1) -> MemorySigner:
    return MemorySigner(key_id)


def claims(**changes: object) -> PermitClaims:
    base = PermitClaims(
        serial=123_456,
        zone="B7",
        permit_type=PERMIT_TYPE_RESIDENT_PARKING,
        valid_from=date(2026, 3, 1),
        valid_to=date(2027, 2, 28),
        plates=("DNAB123",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def keys(*signers: MemorySigner) -> dict[int, ec.EllipticCurvePublicKey]:
    return {s.key_id: s.public_key for s in signers}


def signed(body: bytes, by: MemorySigner | None = None) -> bytes:
    """Sign arbitrary bytes: lets tests build correctly signed but malformed tokens."""
    return body + (by or signer()).sign(body)


VALID = sign_token(claims(), signer())
VERIFIER = TokenVerifier(keys(signer()))


# --- round trip and layout -------------------------------------------------------------


def test_round_trip() -> None:
    assert verify_token(VALID, keys(signer())) == claims()


def test_layout_is_exactly_as_specified() -> None:
    body = encode_claims(claims(), key_id=1)
    assert body == (
        b"\x11"  # version 1, ECDSA P-256/SHA-256
        b"\x01"  # key id
        + (123_456).to_bytes(4, "big")
        + b"B7"
        + b"\x01"  # resident parking
        + (date(2026, 3, 1) - date(2020, 1, 1)).days.to_bytes(2, "big")
        + (date(2027, 2, 28) - date(2020, 1, 1)).days.to_bytes(2, "big")
        + b"\x01"  # one plate
        + b"\x07DNAB123"
    )
    assert VALID[:-SIGNATURE_LENGTH] == body
    assert len(VALID) == len(body) + 64


@pytest.mark.parametrize(
    "changes",
    [
        {"zone": "A"},
        {"zone": "9Z"},
        {"serial": 0},
        {"serial": 2**32 - 1},
        {"permit_type": 0},
        {"permit_type": 255},
        {"valid_from": date(2020, 1, 1), "valid_to": date(2020, 1, 1)},
        {"valid_to": date(2199, 6, 6)},  # day 65535, the last one that fits
        {"plates": ("LÖAB1", "MÜX9E", "DÜWZZ99H", "A")},
        {"plates": ("ABCDEFGHIJ", "ABCDEFGHIJ", "ABCDEFGHIJ", "ABCDEFGHIJ")},
    ],
)
def test_round_trip_edges(changes: dict[str, object]) -> None:
    expected = claims(**changes)
    assert VERIFIER.verify(sign_token(expected, signer())) == expected


def test_one_char_zone_is_zero_padded() -> None:
    assert encode_claims(claims(zone="A"), 1)[6:8] == b"A\x00"


def test_umlauts_are_one_latin1_byte() -> None:
    body = encode_claims(claims(plates=("LÖ1",)), 1)
    assert body.endswith(b"\x03L\xd61")


def test_token_sizes() -> None:
    one = sign_token(claims(plates=("DNAB123",)), signer())
    four = sign_token(claims(plates=("ABCDEFGHIJ",) * 4), signer())
    assert len(one) == 86
    assert len(four) == MAX_TOKEN_LENGTH == 122
    assert MIN_TOKEN_LENGTH == 80
    assert len(token_to_text(four)) <= MAX_TEXT_DIGITS


# --- claims are validated on construction (bad input is the issuer's bug) ---------------


_ZONE_LENGTH = "zone must be 1-2 characters"
_ZONE_CHARS = "zone must use only A-Z and 0-9"
_SERIAL = "serial must be an unsigned 32-bit integer"
_TYPE = "permit_type must fit one byte"
_PLATES = "plates must be a tuple of 1-4 plates"
_PLATE_LENGTH = "a plate must have 1-10 characters"
_PLATE_CHARS = "a plate must be normalised"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"zone": ""}, _ZONE_LENGTH),
        ({"zone": "ABC"}, _ZONE_LENGTH),
        ({"zone": "a"}, _ZONE_CHARS),
        ({"zone": "A "}, _ZONE_CHARS),
        ({"zone": "Ä"}, _ZONE_CHARS),
        ({"zone": "\x00A"}, _ZONE_CHARS),
        ({"serial": -1}, _SERIAL),
        ({"serial": 2**32}, _SERIAL),
        ({"permit_type": 256}, _TYPE),
        ({"permit_type": -1}, _TYPE),
        ({"valid_from": date(2019, 12, 31)}, "valid_from must lie between"),
        ({"valid_to": date(2199, 6, 7)}, "valid_to must lie between"),
        (
            {"valid_from": date(2027, 3, 1), "valid_to": date(2027, 2, 28)},
            "valid_to must not be before valid_from",
        ),
        ({"valid_from": datetime(2026, 3, 1, 12, 0)}, "valid_from must be a datetime.date"),
        ({"plates": ()}, _PLATES),
        ({"plates": ("A", "B", "C", "D", "E")}, _PLATES),
        ({"plates": ["DNAB123"]}, _PLATES),
        ({"plates": ("",)}, _PLATE_LENGTH),
        ({"plates": ("ABCDEFGHIJK",)}, _PLATE_LENGTH),
        ({"plates": ("DN-AB123",)}, _PLATE_CHARS),
        ({"plates": ("DN AB123",)}, _PLATE_CHARS),
        ({"plates": ("dnab123",)}, _PLATE_CHARS),
        ({"plates": ("ö1",)}, _PLATE_CHARS),
        ({"plates": ("ẞ1",)}, _PLATE_CHARS),
        ({"plates": ("É1",)}, _PLATE_CHARS),
        ({"plates": ("Ж1",)}, _PLATE_CHARS),
    ],
)
def test_claims_refuse_values_the_layout_cannot_carry(
    changes: dict[str, object], reason: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        claims(**changes)


def test_key_id_must_fit_one_byte() -> None:
    with pytest.raises(ValueError, match="key_id must fit one byte"):
        encode_claims(claims(), 256)


# --- every byte matters ------------------------------------------------------------------


def test_every_single_byte_change_fails_exhaustively() -> None:
    """All 255 replacements at all positions of a real token: none verifies."""
    for position in range(len(VALID)):
        for replacement in range(256):
            if replacement == VALID[position]:
                continue
            mutated = VALID[:position] + bytes((replacement,)) + VALID[position + 1 :]
            with pytest.raises(InvalidTokenError):
                VERIFIER.verify(mutated)


plate = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ÄÖÜ", min_size=1, max_size=10)
claims_strategy = st.builds(
    PermitClaims,
    serial=st.integers(0, 2**32 - 1),
    zone=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=2),
    permit_type=st.integers(0, 255),
    valid_from=st.dates(date(2020, 1, 1), date(2100, 1, 1)),
    valid_to=st.just(date(2100, 1, 1)),
    plates=st.lists(plate, min_size=1, max_size=4).map(tuple),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(claims_strategy, st.data())
def test_any_single_byte_change_of_any_token_fails(c: PermitClaims, data: st.DataObject) -> None:
    token = sign_token(c, signer())
    assert VERIFIER.verify(token) == c
    position = data.draw(st.integers(0, len(token) - 1), label="position")
    replacement = data.draw(
        st.integers(0, 255).filter(lambda b: b != token[position]), label="replacement"
    )
    mutated = token[:position] + bytes((replacement,)) + token[position + 1 :]
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(mutated)


def test_every_truncation_fails() -> None:
    for length in range(len(VALID)):
        with pytest.raises(InvalidTokenError):
            VERIFIER.verify(VALID[:length])


@given(st.binary(min_size=1, max_size=200))
def test_appended_bytes_fail(extra: bytes) -> None:
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(VALID + extra)


def test_signed_trailing_bytes_fail() -> None:
    """Trailing bytes inside the signed part are refused even with a good signature."""
    body = VALID[:-SIGNATURE_LENGTH]
    with pytest.raises(InvalidTokenError, match="trailing"):
        VERIFIER.verify(signed(body + b"\x00"))


# --- version and key id ------------------------------------------------------------------


@pytest.mark.parametrize("version", [0x00, 0x10, 0x12, 0x21, 0xFF])
def test_unknown_version_fails_even_when_signed(version: int) -> None:
    body = bytes((version,)) + VALID[1:-SIGNATURE_LENGTH]
    with pytest.raises(InvalidTokenError, match="version"):
        VERIFIER.verify(signed(body))


def test_unknown_key_id_fails() -> None:
    other = MemorySigner(key_id=7)
    token = sign_token(claims(), other)
    with pytest.raises(InvalidTokenError, match="unknown key id"):
        VERIFIER.verify(token)


def test_key_id_selects_the_key() -> None:
    """A token claiming key 1 but signed by key 2 fails: the id chooses, not trial and error."""
    key2 = MemorySigner(key_id=2)
    body = encode_claims(claims(), key_id=1)
    verifier = TokenVerifier(keys(signer(), key2))
    with pytest.raises(InvalidTokenError, match="signature"):
        verifier.verify(signed(body, by=key2))


def test_retired_key_keeps_verifying_while_in_the_ring() -> None:
    retired = MemorySigner(key_id=2)
    current = signer(1)
    old_token = sign_token(claims(), retired)
    assert TokenVerifier(keys(current, retired)).verify(old_token) == claims()
    with pytest.raises(InvalidTokenError):
        TokenVerifier(keys(current)).verify(old_token)


def test_verifier_refuses_non_p256_keys() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(TypeError):
        TokenVerifier({1: p384})
    with pytest.raises(ValueError, match="key id 256 does not fit one byte"):
        TokenVerifier({256: signer().public_key})


# --- strict decoding of signed-but-malformed bodies --------------------------------------


def _body(**overrides: bytes) -> bytes:
    parts = {
        "head": b"\x11\x01",
        "serial": b"\x00\x01\xe2\x40",
        "zone": b"B7",
        "type": b"\x01",
        "from": (2251).to_bytes(2, "big"),
        "to": (2615).to_bytes(2, "big"),
        "plates": b"\x01\x07DNAB123",
    }
    parts.update(overrides)
    return b"".join(parts.values())


def test_body_helper_matches_the_encoder() -> None:
    assert VERIFIER.verify(signed(_body())) == claims()


@pytest.mark.parametrize(
    "overrides",
    [
        {"zone": b"\x00A"},  # padding first
        {"zone": b"\x00\x00"},  # empty
        {"zone": b"a7"},  # lowercase
        {"zone": b"A "},  # space instead of 0x00
        {"zone": b"A\xc4"},  # Ä is for plates only
        {"from": (2616).to_bytes(2, "big")},  # valid_to < valid_from
        {"plates": b"\x00"},  # no plates
        {"plates": b"\x05" + b"\x01A" * 5},  # too many
        {"plates": b"\x01\x00"},  # empty plate
        {"plates": b"\x01\x0bABCDEFGHIJK"},  # 11 characters
        {"plates": b"\x01\x08DNAB123"},  # length beyond the body
        {"plates": b"\x02\x07DNAB123"},  # second plate missing
        {"plates": b"\x01\x07DN-B123"},
        {"plates": b"\x01\x07dnab123"},
        {"plates": b"\x01\x07DN\xdfB123"},  # ß
        {"plates": b"\x01\x07DN\xe4B123"},  # lowercase ä
        {"plates": b"\x01\x07DN\x00B123"},
        {"plates": b"\x01\x07DNAB123\x00"},  # trailing byte
    ],
)
def test_malformed_but_signed_bodies_fail(overrides: dict[str, bytes]) -> None:
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(signed(_body(**overrides)))


# --- signature format --------------------------------------------------------------------


def test_raw_signature_is_always_64_bytes_even_with_leading_zeros() -> None:
    """DER drops leading zeros; about 1 in 128 signatures has a short r or s. Sign until
    both cases have been seen (a few thousand signatures) and check each one."""
    s = signer()
    body = VALID[:-SIGNATURE_LENGTH]
    seen_short_r = seen_short_s = False
    for _ in range(50_000):
        raw = s.sign(body)
        assert len(raw) == SIGNATURE_LENGTH
        seen_short_r |= raw[0] == 0
        seen_short_s |= raw[32] == 0
        if raw[0] == 0 or raw[32] == 0:
            assert VERIFIER.verify(body + raw) == claims()
        if seen_short_r and seen_short_s:
            break
    assert seen_short_r and seen_short_s


def test_der_conversion_pads_small_integers() -> None:
    raw = der_to_raw_signature(encode_dss_signature(1, 2))
    assert raw == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")


def test_der_conversion_normalises_high_s() -> None:
    s = P256_ORDER - 5
    raw = der_to_raw_signature(encode_dss_signature(7, s))
    assert raw[32:] == (5).to_bytes(32, "big")


@pytest.mark.parametrize("r, s", [(0, 1), (1, 0), (P256_ORDER, 1), (1, P256_ORDER)])
def test_der_conversion_refuses_out_of_range(r: int, s: int) -> None:
    with pytest.raises(ValueError, match="not a P-256 signature"):
        der_to_raw_signature(encode_dss_signature(r, s))


def test_high_s_twin_of_a_valid_signature_is_refused() -> None:
    """(r, n - s) is mathematically valid ECDSA; the token accepts one encoding only."""
    body, sig = VALID[:-SIGNATURE_LENGTH], VALID[-SIGNATURE_LENGTH:]
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    twin = body + r.to_bytes(32, "big") + (P256_ORDER - s).to_bytes(32, "big")
    signer().public_key.verify(
        encode_dss_signature(r, P256_ORDER - s), body, ec.ECDSA(hashes.SHA256())
    )  # cryptography itself accepts the twin ...
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(twin)  # ... our verifier does not


@pytest.mark.parametrize("sig", [bytes(64), b"\xff" * 64, bytes(32) + b"\x01" * 32])
def test_degenerate_signatures_fail(sig: bytes) -> None:
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(VALID[:-SIGNATURE_LENGTH] + sig)


def test_signature_verifies_with_plain_cryptography() -> None:
    """What a third-party verifier (WebCrypto, COSE) sees: ES256 over the body, raw r||s."""
    body, sig = VALID[:-SIGNATURE_LENGTH], VALID[-SIGNATURE_LENGTH:]
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    signer().public_key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    assert decode_dss_signature(der)[1] <= P256_ORDER // 2


# --- sign_token refuses broken signers -----------------------------------------------------


class ShortSigner(MemorySigner):
    def sign(self, message: bytes) -> bytes:
        return super().sign(message)[:63]


class DoubleHashingSigner(MemorySigner):
    """Signs SHA-256(SHA-256(m)): what a signer sending a digest as a RAW message produces."""

    def sign(self, message: bytes) -> bytes:
        import hashlib

        return super().sign(hashlib.sha256(message).digest())


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (ShortSigner(1), "64-byte raw r||s signature"),
        (DoubleHashingSigner(1), "signature its own public key rejects"),
    ],
)
def test_sign_token_refuses_a_signature_that_would_not_verify(
    bad: MemorySigner, reason: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        sign_token(claims(), bad)


# --- fuzz: nothing but InvalidTokenError ------------------------------------------------


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_invalid_token(data: bytes) -> None:
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(data)


@settings(max_examples=500)
@given(st.binary(min_size=MIN_TOKEN_LENGTH - 2, max_size=MAX_TOKEN_LENGTH - 2))
def test_random_bodies_behind_a_valid_header_only_raise_invalid_token(tail: bytes) -> None:
    """Past the version and key id checks, so the fuzzing reaches the field parser."""
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(b"\x11\x01" + tail)


@settings(max_examples=300)
@given(
    st.binary(min_size=12, max_size=12),
    st.lists(st.binary(max_size=12), max_size=6),
)
def test_structured_garbage_only_raises_invalid_token(head: bytes, plates: list[bytes]) -> None:
    """Plausible lengths with random content, signed, so every field check is exercised.

    Either the verifier refuses with InvalidTokenError (anything else fails the test), or it
    accepts, and then the claims must encode back to exactly the signed body: a token is
    accepted only in its one canonical encoding.
    """
    body = b"\x11\x01" + head[:11] + bytes((len(plates),))
    body += b"".join(bytes((len(p),)) + p for p in plates)
    try:
        accepted = VERIFIER.verify(signed(body))
    except InvalidTokenError:
        return
    assert encode_claims(accepted, key_id=1) == body


@pytest.mark.parametrize("value", [None, "12345", 12345, [1, 2]])
def test_non_bytes_input_raises_invalid_token(value: object) -> None:
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify(value)  # type: ignore[arg-type]


# --- text form -----------------------------------------------------------------------------


def test_text_round_trip() -> None:
    text = token_to_text(VALID)
    assert text.isdigit() and text.isascii() and text[0] != "0"
    assert token_from_text(text) == VALID
    assert VERIFIER.verify_text(text) == claims()


@given(st.binary(max_size=MAX_TOKEN_LENGTH))
def test_text_round_trip_keeps_leading_zero_bytes(data: bytes) -> None:
    assert token_from_text(token_to_text(data)) == data


def test_text_keeps_a_leading_zero_byte() -> None:
    assert token_from_text(token_to_text(b"\x00\x00\x01")) == b"\x00\x00\x01"


def test_text_digit_counts() -> None:
    one = token_to_text(VALID)
    four = token_to_text(sign_token(claims(plates=("ABCDEFGHIJ",) * 4), signer()))
    assert len(one) == 208
    assert len(four) == 294


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0",
        "0" + token_to_text(VALID),
        " " + token_to_text(VALID),
        token_to_text(VALID) + "\n",
        token_to_text(VALID)[:10] + " " + token_to_text(VALID)[10:],
        "+" + token_to_text(VALID),
        "-" + token_to_text(VALID),
        token_to_text(VALID)[:10] + "_" + token_to_text(VALID)[10:],
        "١٢٣",  # Arabic-Indic digits: int() accepts them
        "\uff11\uff12\uff13",  # fullwidth digits
        "²",
        "12a4",
        "0x11",
        str(int.from_bytes(b"\x02" + VALID, "big")),  # wrong sentinel
        str(int.from_bytes(b"\x01\x01" + VALID, "big")),  # decodes, then fails verification
        str(int.from_bytes(VALID, "big")),  # no sentinel
    ],
)
def test_text_rejects(text: str) -> None:
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify_text(text)


def test_text_rejects_huge_strings_before_converting_them() -> None:
    """The length is checked before ``int()``: 5,000 or a million digits would make ``int()``
    slow or raise its own ValueError (past 4,300 digits); one digit too many would convert and
    fail later, on the sentinel. The length message proves the cheap check refused each."""
    for size in (MAX_TEXT_DIGITS + 1, 5_000, 10**6):
        with pytest.raises(InvalidTokenError, match=f"must be 1-{MAX_TEXT_DIGITS} ASCII digits"):
            token_from_text("1" * size)


def test_text_accepts_the_longest_possible_token() -> None:
    longest = b"\xff" * MAX_TOKEN_LENGTH
    assert len(token_to_text(longest)) == MAX_TEXT_DIGITS
    assert token_from_text(token_to_text(longest)) == longest


@pytest.mark.parametrize("value", [None, 123, b"123"])
def test_text_rejects_non_strings(value: object) -> None:
    with pytest.raises(InvalidTokenError):
        token_from_text(value)  # type: ignore[arg-type]


@settings(max_examples=500)
@given(st.text(max_size=400))
def test_random_text_only_raises_invalid_token(text: str) -> None:
    with pytest.raises(InvalidTokenError):
        VERIFIER.verify_text(text)


def test_token_constants() -> None:
    assert VERSION_1_ES256 == 0x11
