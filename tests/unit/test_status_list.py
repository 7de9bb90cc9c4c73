"""The revocation list format: Rice coding, the JWS envelope, strict decoding, size."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.status_list import (
    StatusListError,
    b64url,
    build_payload,
    envelope,
    parse_envelope,
    protected_header,
    rice_decode,
    rice_encode,
    signing_input,
)

ISSUED = datetime(2026, 11, 21, 13, 5, tzinfo=UTC)


@given(st.sets(st.integers(min_value=0, max_value=2**32 - 1), max_size=300))
def test_rice_round_trip(serials: set[int]) -> None:
    count, k, data = rice_encode(serials)
    assert rice_decode(count, k, data) == sorted(serials)


def test_rice_decoding_is_strict() -> None:
    count, k, data = rice_encode([5, 900, 70_000])
    with pytest.raises(StatusListError):
        rice_decode(count + 1, k, data)  # runs out of bits
    with pytest.raises(StatusListError):
        rice_decode(count, k, data + b"\x00")  # a whole trailing byte
    used_bits = sum((gap >> k) + 1 + k for gap in (5, 894, 69_099))
    assert used_bits % 8, "the example must end with padding bits"
    with pytest.raises(StatusListError):
        rice_decode(count, k, data[:-1] + bytes((data[-1] | 1,)))  # a padding bit set
    with pytest.raises(StatusListError):
        rice_decode(1, 0, b"\xff" * 600)  # unary run past 2^32


def _signed(payload: bytes, kid: str = "status-1") -> str:
    protected = protected_header(kid)
    return envelope(protected, payload, b"\x01" * 64)


def test_envelope_is_a_jws_with_unencoded_payload() -> None:
    payload = build_payload([3, 1], [2], ISSUED, timedelta(hours=24))
    document = json.loads(_signed(payload))
    header = json.loads(
        __import__("base64").urlsafe_b64decode(document["protected"] + "==").decode()
    )
    assert header == {
        "alg": "ES256",
        "b64": False,
        "crit": ["b64"],
        "kid": "status-1",
        "typ": "permit-status-list+json",
    }
    assert document["payload"] == payload.decode("ascii")
    body = json.loads(payload)
    assert body["iat"] == int(ISSUED.timestamp())
    assert body["exp"] - body["iat"] == 24 * 3600
    seen: list[bytes] = []
    parsed = parse_envelope(json.dumps(document), lambda kid, msg, sig: seen.append(msg) or True)
    assert seen == [signing_input(document["protected"], payload)]
    assert parsed.revoked == {1, 3} and parsed.superseded == {2}
    assert parsed.status_of(3) == "revoked" and parsed.status_of(2) == "superseded"
    assert parsed.status_of(4) is None


def test_nothing_is_read_from_a_list_whose_signature_fails() -> None:
    document = _signed(b"not even json")
    with pytest.raises(StatusListError, match="bad signature"):
        parse_envelope(document, lambda *args: False)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: {**d, "protected": b64url(b'{"alg":"none"}')},
        lambda d: {**d, "signature": b64url(b"\x01" * 63)},
        lambda d: {**d, "payload": 5},
        lambda d: {k: v for k, v in d.items() if k != "signature"},
        lambda d: {**d, "payload": d["payload"].replace('"v":1', '"v":2')},
    ],
)
def test_malformed_envelopes_are_refused(mutate: object) -> None:
    good = json.loads(_signed(build_payload([1], [], ISSUED, timedelta(hours=1))))
    with pytest.raises(StatusListError):
        parse_envelope(json.dumps(mutate(good)), lambda *args: True)  # type: ignore[operator]


def test_fifty_thousand_permits_five_percent_revoked_fit_in_ten_kilobytes_gzipped() -> None:
    """The issue's budget (bench/ reports the measured figure and the generation time)."""
    rng = random.Random(13)
    listed = rng.sample(range(2**32), 2_500)  # 5 % of 50,000, random 32-bit serials
    payload = build_payload(listed[:2_000], listed[2_000:], ISSUED, timedelta(hours=24))
    document = _signed(payload).encode("ascii")
    assert len(gzip.compress(document, 9)) <= 10 * 1024
