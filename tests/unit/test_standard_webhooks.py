"""Standard Webhooks signing and verification: the accept path and every refusal.

Webhook verifiers fail in the negative paths (an inverted check, a False nobody reads, a
short-circuiting compare), so most tests here are refusals.
"""

from __future__ import annotations

import base64
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.payments import standard_webhooks
from chalicelib.adapters.payments.standard_webhooks import (
    WebhookSecretError,
    WebhookVerifier,
    sign,
    signed_headers,
)
from chalicelib.domain.errors import WebhookSignatureError

SECRET_A = "whsec_" + base64.b64encode(bytes(range(32))).decode()
SECRET_B = "whsec_" + base64.b64encode(bytes(range(100, 132))).decode()
SECRET_OLD = "whsec_" + base64.b64encode(bytes(range(200, 232))).decode()
NOW = 1_700_000_000
MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
BODY = b'{"type":"payment.succeeded","data":{"payment_id":"p1"}}'


def verifier(*secrets: str, now: float = NOW) -> WebhookVerifier:
    return WebhookVerifier(list(secrets or [SECRET_A]), clock=lambda: now)


def headers_for(
    secret: str = SECRET_A, msg_id: str = MSG_ID, timestamp: int = NOW, body: bytes = BODY
) -> dict[str, str]:
    return signed_headers(secret, msg_id, timestamp, body)


def refused(v: WebhookVerifier, headers: dict[str, str], body: bytes = BODY) -> str:
    with pytest.raises(WebhookSignatureError) as info:
        v.verify(headers, body)
    return str(info.value)


# -- the accept path -------------------------------------------------------------------------


def test_specification_test_vector() -> None:
    # The vector published with the Standard Webhooks spec (and used by its libraries): it
    # proves our signatures interoperate with every other implementation.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    v = WebhookVerifier([secret], clock=lambda: 1614265330)
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": expected,
    }
    assert v.verify(headers, body) == "msg_p5jXN8AQM9LWM0D4loKWxJek"


def test_valid_signature_returns_the_webhook_id() -> None:
    assert verifier().verify(headers_for(), BODY) == MSG_ID


def test_header_names_are_case_insensitive() -> None:
    h = headers_for()
    mixed = {
        "Webhook-Id": h["webhook-id"],
        "WEBHOOK-TIMESTAMP": h["webhook-timestamp"],
        "Webhook-Signature": h["webhook-signature"],
    }
    assert verifier().verify(mixed, BODY) == MSG_ID


def test_body_may_be_a_bytearray_or_memoryview() -> None:
    # Not in the signature's type, but what some frameworks hand over; must not crash.
    assert verifier().verify(headers_for(), bytearray(BODY)) == MSG_ID  # type: ignore[arg-type]
    assert verifier().verify(headers_for(), memoryview(BODY)) == MSG_ID  # type: ignore[arg-type]


def test_surrounding_whitespace_in_header_values_is_tolerated() -> None:
    h = {k: f"  {v} " for k, v in headers_for().items()}
    assert verifier().verify(h, BODY) == MSG_ID


def test_body_is_verified_as_raw_bytes_not_reencoded_json() -> None:
    body = '{"a": "Ö",  "b" : 1}'.encode()
    h = headers_for(body=body)
    assert verifier().verify(h, body) == MSG_ID
    # Same JSON value, different bytes: refused.
    refused(verifier(), h, b'{"a":"\\u00d6","b":1}')


# -- bad signatures --------------------------------------------------------------------------


def test_wrong_signature_is_refused() -> None:
    h = headers_for()
    h["webhook-signature"] = "v1," + base64.b64encode(b"\x00" * 32).decode()
    assert refused(verifier(), h) == "no valid webhook signature"


def test_signature_that_is_not_base64_is_refused() -> None:
    h = headers_for()
    h["webhook-signature"] = "v1,!!!not-base64!!!"
    refused(verifier(), h)


@pytest.mark.parametrize("position", range(3, 47))
def test_every_single_character_change_in_the_signature_is_refused(position: int) -> None:
    # Includes the last characters, whose unused base64 bits a decode-then-compare would
    # ignore: we compare the encoded text, so every change counts.
    h = headers_for()
    sig = h["webhook-signature"]
    assert len(sig) == 47
    replacement = "A" if sig[position] != "A" else "B"
    h["webhook-signature"] = sig[:position] + replacement + sig[position + 1 :]
    refused(verifier(), h)


def test_signature_from_a_rotated_out_secret_is_refused() -> None:
    v = verifier(SECRET_A, SECRET_B)
    refused(v, headers_for(secret=SECRET_OLD))


@pytest.mark.parametrize("secret", [SECRET_A, SECRET_B])
def test_signature_from_either_active_secret_is_accepted(secret: str) -> None:
    assert verifier(SECRET_A, SECRET_B).verify(headers_for(secret=secret), BODY) == MSG_ID


def test_every_secret_and_signature_pair_is_compared_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    good = headers_for(secret=SECRET_A)["webhook-signature"]
    other = headers_for(secret=SECRET_OLD)["webhook-signature"]
    h = headers_for()
    # The matching signature comes first and the matching secret first: still 3 x 2 compares.
    h["webhook-signature"] = f"{good} {other} {other}"
    assert verifier(SECRET_A, SECRET_B).verify(h, BODY) == MSG_ID
    assert len(calls) == 6


# -- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-360, 360, -301, 301, -(10**9), 10**6])
def test_timestamps_outside_five_minutes_are_refused_in_both_directions(offset: int) -> None:
    h = headers_for(timestamp=NOW + offset)
    assert refused(verifier(), h) == "webhook-timestamp outside the tolerance window"


@pytest.mark.parametrize("offset", [-300, -240, 0, 240, 300])
def test_timestamps_within_five_minutes_are_accepted(offset: int) -> None:
    assert verifier().verify(headers_for(timestamp=NOW + offset), BODY) == MSG_ID


def test_timestamp_is_part_of_the_signature() -> None:
    h = headers_for()
    h["webhook-timestamp"] = str(NOW + 1)  # fresh, but not what was signed
    refused(verifier(), h)


def test_tolerance_is_configurable() -> None:
    v = WebhookVerifier([SECRET_A], tolerance_seconds=60, clock=lambda: NOW)
    refused(v, headers_for(timestamp=NOW - 61))
    assert v.verify(headers_for(timestamp=NOW - 60), BODY) == MSG_ID


@pytest.mark.parametrize(
    "timestamp",
    ["abc", "1.5", "1700000000.0", "+1700000000", "-1700000000", "1_700_000_000",
     "17 00000000", "0x6553f100", "\u0661\u0667\u0660\u0660", "1e9"],
)  # fmt: skip
def test_non_integer_timestamps_are_refused(timestamp: str) -> None:
    h = headers_for()
    h["webhook-timestamp"] = timestamp
    assert "timestamp" in refused(verifier(), h)


# -- the body --------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 10, len(BODY) - 1])
def test_body_changed_by_one_byte_after_signing_is_refused(index: int) -> None:
    h = headers_for()
    tampered = bytearray(BODY)
    tampered[index] ^= 0x01
    refused(verifier(), h, bytes(tampered))


@pytest.mark.parametrize("body", [BODY + b" ", BODY + b"\n", BODY[:-1], b""])
def test_body_extended_or_truncated_is_refused(body: bytes) -> None:
    refused(verifier(), headers_for(), body)


@given(st.binary(min_size=1, max_size=200), st.data())
def test_any_single_byte_change_is_refused(body: bytes, data: st.DataObject) -> None:
    h = headers_for(body=body)
    assert verifier().verify(h, body) == MSG_ID
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = bytearray(body)
    tampered[index] ^= flip
    refused(verifier(), h, bytes(tampered))


def test_str_body_is_a_programming_error_not_a_bad_request() -> None:
    with pytest.raises(TypeError):
        verifier().verify(headers_for(), BODY.decode())  # type: ignore[arg-type]


# -- headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_refused(name: str) -> None:
    h = headers_for()
    del h[name]
    assert refused(verifier(), h) == f"missing {name} header"


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("value", ["", "   "])
def test_each_empty_header_is_refused(name: str, value: str) -> None:
    h = headers_for()
    h[name] = value
    assert refused(verifier(), h) == f"empty {name} header"


def test_no_headers_at_all_is_refused() -> None:
    refused(verifier(), {})


def test_multiple_signatures_where_only_the_second_is_valid_are_accepted() -> None:
    h = headers_for()
    bad = "v1," + base64.b64encode(b"\x01" * 32).decode()
    h["webhook-signature"] = f"{bad} {h['webhook-signature']}"
    assert verifier().verify(h, BODY) == MSG_ID


def test_other_versions_are_ignored_next_to_a_valid_v1() -> None:
    h = headers_for()
    h["webhook-signature"] = f"v1a,c29tZXRoaW5n v2,abc {h['webhook-signature']}"
    assert verifier().verify(h, BODY) == MSG_ID


@pytest.mark.parametrize("prefix", ["v2,", "v1a,", "V1,", "v0,", "", "v1 "])
def test_correct_mac_under_another_version_prefix_is_refused(prefix: str) -> None:
    h = headers_for()
    mac = h["webhook-signature"].removeprefix("v1,")
    h["webhook-signature"] = prefix + mac
    refused(verifier(), h)


def test_only_non_v1_signatures_gives_a_clear_reason() -> None:
    h = headers_for()
    h["webhook-signature"] = "v2," + h["webhook-signature"][3:]
    assert refused(verifier(), h) == "no v1 webhook signature"


def test_header_given_twice_in_different_case_is_refused() -> None:
    h = headers_for()
    h["Webhook-Id"] = "msg_other"
    assert "duplicate" in refused(verifier(), h)


def test_webhook_id_is_part_of_the_signature() -> None:
    h = headers_for()
    h["webhook-id"] = "msg_other"
    refused(verifier(), h)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("webhook-id", "m" * 201),
        ("webhook-timestamp", "1" * 16),
        ("webhook-signature", "v1,AAAA " * 300),
        ("webhook-signature", " ".join(["v1,AAAA"] * 17)),
    ],
)
def test_oversized_headers_are_refused(name: str, value: str) -> None:
    h = headers_for()
    h[name] = value
    refused(verifier(), h)


@pytest.mark.parametrize("msg_id", ["msg with space", "msg_\u00e4", "msg\x00x", "msg\tx"])
def test_webhook_ids_outside_printable_ascii_are_refused(msg_id: str) -> None:
    h = headers_for()
    h["webhook-id"] = msg_id
    refused(verifier(), h)


def test_non_ascii_signature_header_is_refused() -> None:
    h = headers_for()
    h["webhook-signature"] += " v1,\u00e4\u00e4"
    refused(verifier(), h)


def test_longest_allowed_webhook_id_is_accepted() -> None:
    msg_id = "m" * 200
    assert verifier().verify(headers_for(msg_id=msg_id), BODY) == msg_id


def test_refusal_messages_never_contain_secrets_or_signatures() -> None:
    key_text = SECRET_A.removeprefix("whsec_")
    expected = headers_for()["webhook-signature"]
    cases: list[dict[str, str]] = []
    for mutate in ("signature", "timestamp", "id", "missing"):
        h = headers_for()
        if mutate == "signature":
            h["webhook-signature"] = "v1," + base64.b64encode(b"\x02" * 32).decode()
        elif mutate == "timestamp":
            h["webhook-timestamp"] = str(NOW + 1)
        elif mutate == "id":
            h["webhook-id"] = "msg_x"
        else:
            del h["webhook-signature"]
        cases.append(h)
    for h in cases:
        message = refused(verifier(), h)
        assert key_text not in message
        assert SECRET_A not in message
        assert expected.removeprefix("v1,") not in message
        assert "msg_x" not in message  # attacker-controlled values stay out of logs


def test_repr_does_not_show_keys() -> None:
    text = repr(verifier(SECRET_A, SECRET_B))
    assert "whsec" not in text
    assert SECRET_A.removeprefix("whsec_") not in text
    assert "<2>" in text


# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secrets",
    [
        [],
        ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],  # no whsec_ prefix
        ["whsec_"],
        ["whsec_not base64!"],
        ["whsec_QUJD"],  # 3 bytes: too short to be a real key
        ["whsec_" + base64.b64encode(b"x" * 129).decode()],
        [SECRET_A, "whsec_%%%"],  # one bad secret among good ones
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"],  # broken padding
    ],
)
def test_malformed_secret_configuration_fails_at_construction(secrets: list[str]) -> None:
    with pytest.raises(WebhookSecretError) as info:
        WebhookVerifier(secrets)
    # A configuration error, deliberately not a (401-mapped) signature error.
    assert not isinstance(info.value, WebhookSignatureError)
    assert isinstance(info.value, ValueError)
    for secret in secrets:
        body = secret.removeprefix("whsec_")
        if body:
            assert body not in str(info.value)


def test_a_bare_string_instead_of_a_list_is_refused() -> None:
    with pytest.raises(WebhookSecretError):
        WebhookVerifier(SECRET_A)


@pytest.mark.parametrize("tolerance", [-1, 1.5, True])
def test_bad_tolerance_is_refused(tolerance: object) -> None:
    with pytest.raises(WebhookSecretError):
        WebhookVerifier([SECRET_A], tolerance_seconds=tolerance)  # type: ignore[arg-type]


# -- signing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("msg_id", ["", "m" * 201, "has space", "n\u00e4"])
def test_sign_refuses_ids_the_verifier_would_refuse(msg_id: str) -> None:
    with pytest.raises(ValueError, match="webhook id must be"):
        sign(SECRET_A, msg_id, NOW, BODY)


@pytest.mark.parametrize("timestamp", [-1, True, 1.5])
def test_sign_refuses_bad_timestamps(timestamp: object) -> None:
    with pytest.raises(ValueError, match="webhook timestamp must be a non-negative integer"):
        sign(SECRET_A, MSG_ID, timestamp, BODY)  # type: ignore[arg-type]


def test_sign_refuses_a_bad_secret() -> None:
    with pytest.raises(WebhookSecretError):
        sign("not-a-secret", MSG_ID, NOW, BODY)


def test_module_exports() -> None:
    for name in standard_webhooks.__all__:
        assert hasattr(standard_webhooks, name)
