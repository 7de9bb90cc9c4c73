"""The sandbox provider: stateless checkout sessions, signed webhooks, event parsing, page."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.adapters.payments import SandboxProvider, SandboxSession
from chalicelib.adapters.payments.events import parse_event
from chalicelib.adapters.payments.sandbox import (
    SESSION_LIFETIME_SECONDS,
    SandboxSessionError,
    SandboxSessionExpiredError,
)
from chalicelib.adapters.payments.standard_webhooks import WebhookVerifier, signed_headers
from chalicelib.domain.errors import WebhookMalformedError, WebhookSignatureError
from chalicelib.services.ports import CheckoutRequest, PaymentEvent
from chalicelib.web.sandbox_checkout import (
    checkout_page_headers,
    format_amount,
    render_checkout_page,
    render_result_page,
)
from tests.conftest import new_webhook_secret

SECRET_NEW = "whsec_" + base64.b64encode(b"n" * 32).decode()
SECRET_OLD = "whsec_" + base64.b64encode(b"o" * 32).decode()
SESSION_KEY = b"s" * 32
BASE = "http://127.0.0.1:8000"
NOW = 1_700_000_000
REQUEST = CheckoutRequest(
    application_id="app_01J9Z3",
    amount_cents=3000,
    currency="EUR",
    description="Bewohnerparkausweis Zone A, 12 Monate",
    return_url="http://127.0.0.1:8000/antrag/app_01J9Z3",
)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def provider(clock: Clock | None = None, key: bytes = SESSION_KEY) -> SandboxProvider:
    return SandboxProvider(BASE, [SECRET_NEW, SECRET_OLD], key, clock=clock or Clock())


def token_of(url: str) -> str:
    prefix = f"{BASE}/sandbox/checkout/"
    assert url.startswith(prefix)
    return url.removeprefix(prefix)


def open_checkout(p: SandboxProvider, request: CheckoutRequest = REQUEST) -> SandboxSession:
    return p.open_session(token_of(p.create_checkout(request).checkout_url))


# -- checkout sessions -----------------------------------------------------------------------


def test_checkout_url_points_at_the_sandbox_page_and_round_trips() -> None:
    p = provider()
    checkout = p.create_checkout(REQUEST)
    assert len(checkout.checkout_url) < 1500
    session = p.open_session(token_of(checkout.checkout_url))
    assert session == SandboxSession(
        checkout_id=checkout.checkout_id,
        application_id="app_01J9Z3",
        amount_cents=3000,
        currency="EUR",
        description="Bewohnerparkausweis Zone A, 12 Monate",
        return_url="http://127.0.0.1:8000/antrag/app_01J9Z3",
        issued_at=NOW,
        expires_at=NOW + SESSION_LIFETIME_SECONDS,
    )
    assert session.checkout_id.startswith("chk_")
    assert session.payment_id == "sbxpay_" + session.checkout_id.removeprefix("chk_")


def test_token_is_url_safe() -> None:
    token = token_of(provider().create_checkout(REQUEST).checkout_url)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_non_ascii_description_round_trips() -> None:
    request = CheckoutRequest(
        "app_1", 1250, "EUR", "Łukasz Öztürk \u2013 Zone Ђ", REQUEST.return_url
    )
    assert open_checkout(provider(), request).description == "Łukasz Öztürk \u2013 Zone Ђ"


def test_checkout_ids_are_random_without_a_nonce() -> None:
    p = provider()
    assert p.create_checkout(REQUEST).checkout_id != p.create_checkout(REQUEST).checkout_id


def test_nonce_makes_the_checkout_deterministic() -> None:
    p = provider()
    a = p.create_checkout(REQUEST, nonce="attempt-1")
    b = p.create_checkout(REQUEST, nonce="attempt-1")
    c = p.create_checkout(REQUEST, nonce="attempt-2")
    assert a == b
    assert a.checkout_id != c.checkout_id
    other_app = CheckoutRequest("app_other", 3000, "EUR", "x", REQUEST.return_url)
    assert p.create_checkout(other_app, nonce="attempt-1").checkout_id != a.checkout_id
    # Derived under the session key: another deployment cannot predict the ids.
    other_key = provider(key=b"k" * 32)
    assert other_key.create_checkout(REQUEST, nonce="attempt-1").checkout_id != a.checkout_id


def test_create_checkout_writes_nothing_and_needs_no_store() -> None:
    # Statelessness: a second provider instance (another Lambda) opens the session.
    token = token_of(provider().create_checkout(REQUEST).checkout_url)
    assert provider().open_session(token).application_id == REQUEST.application_id


def test_every_single_character_change_of_the_token_is_refused() -> None:
    p = provider()
    token = token_of(p.create_checkout(REQUEST).checkout_url)
    for i, ch in enumerate(token):
        replacement = "A" if ch != "A" else "B"
        tampered = token[:i] + replacement + token[i + 1 :]
        with pytest.raises(SandboxSessionError):
            p.open_session(tampered)


def test_token_with_a_changed_amount_and_a_reused_tag_is_refused() -> None:
    p = provider()
    token = token_of(p.create_checkout(REQUEST).checkout_url)
    payload, tag = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[3] = 1  # 30,00 EUR -> 0,01 EUR
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    with pytest.raises(SandboxSessionError):
        p.open_session(f"{forged}.{tag}")


def test_token_made_with_another_session_key_is_refused() -> None:
    token = token_of(provider(key=b"x" * 32).create_checkout(REQUEST).checkout_url)
    with pytest.raises(SandboxSessionError):
        provider().open_session(token)


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "abc", "a.b", "a" * 5000, "ä.ö", "x." + "A" * 43, "../../etc/passwd", "a.b.c"],
)
def test_garbage_tokens_are_refused(garbage: str) -> None:
    with pytest.raises(SandboxSessionError):
        provider().open_session(garbage)


def test_sessions_expire_after_24_hours() -> None:
    clock = Clock()
    p = provider(clock)
    token = token_of(p.create_checkout(REQUEST).checkout_url)
    clock.now = NOW + SESSION_LIFETIME_SECONDS - 1
    assert p.open_session(token).issued_at == NOW
    clock.now = NOW + SESSION_LIFETIME_SECONDS
    with pytest.raises(SandboxSessionExpiredError):
        p.open_session(token)


def test_a_session_ends_at_the_requested_expiry_when_that_comes_first() -> None:
    """CheckoutService asks for the application's payment deadline (issue 9 item 2)."""
    clock = Clock()
    p = provider(clock)
    deadline = datetime.fromtimestamp(NOW + 3600 + 0.9, tz=UTC)  # rounded down, never up
    token = token_of(p.create_checkout(replace(REQUEST, expires_at=deadline)).checkout_url)
    assert p.open_session(token).expires_at == NOW + 3600
    clock.now = NOW + 3599
    p.open_session(token)
    clock.now = NOW + 3600
    with pytest.raises(SandboxSessionExpiredError):
        p.open_session(token)
    later = datetime.fromtimestamp(NOW + 2 * SESSION_LIFETIME_SECONDS, tz=UTC)
    capped = p.create_checkout(replace(REQUEST, expires_at=later)).checkout_url
    assert p.open_session(token_of(capped)).expires_at == NOW + 3600 + SESSION_LIFETIME_SECONDS


@pytest.mark.parametrize("offset", [0, -1, -3600])
def test_a_checkout_that_would_already_be_closed_is_refused(offset: int) -> None:
    expired = replace(REQUEST, expires_at=datetime.fromtimestamp(NOW + offset, tz=UTC))
    with pytest.raises(ValueError, match="expires_at must lie in the future"):
        provider().create_checkout(expired)


@pytest.mark.parametrize(
    "expiry",
    [NOW, NOW - 1, NOW + SESSION_LIFETIME_SECONDS + 1, float(NOW + 60), "1700000060", None],
)
def test_a_signed_session_with_an_impossible_expiry_is_refused(expiry: object) -> None:
    """The MAC proves we wrote it; the expiry must still lie within the 24-hour lifetime."""
    p = provider()
    forged = p.encode_session(replace(open_checkout(p), expires_at=expiry))  # type: ignore[arg-type]
    with pytest.raises(SandboxSessionError):
        p.open_session(forged)


def test_session_issued_in_the_future_is_refused() -> None:
    clock = Clock(NOW + 3600)
    token = token_of(provider(clock).create_checkout(REQUEST).checkout_url)
    with pytest.raises(SandboxSessionError):
        provider(Clock(NOW)).open_session(token)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"application_id": ""}, "application_id must be 1..200 characters"),
        ({"application_id": "has space"}, "application_id must be printable ASCII"),
        ({"application_id": "a" * 201}, "application_id must be 1..200 characters"),
        ({"amount_cents": 0}, "amount_cents must be a positive integer"),
        ({"amount_cents": -100}, "amount_cents must be a positive integer"),
        ({"amount_cents": "3000"}, "amount_cents must be a positive integer"),
        ({"amount_cents": True}, "amount_cents must be a positive integer"),
        ({"currency": "eur"}, "currency must be three uppercase letters"),
        ({"currency": "EURO"}, "currency must be three uppercase letters"),
        ({"return_url": "javascript:alert(1)"}, "return_url must be an absolute http(s) URL"),
        ({"return_url": "/relative/path"}, "return_url must be an absolute http(s) URL"),
        ({"return_url": "http://example.org/with space"}, "return_url must be printable ASCII"),
        ({"return_url": "https://example.org/" + "x" * 900}, "return_url must be 1..800"),
    ],
)
def test_create_checkout_refuses_bad_requests(changes: dict[str, object], reason: str) -> None:
    fields: dict[str, object] = {**REQUEST.__dict__, **changes}
    with pytest.raises(ValueError, match=re.escape(reason)):
        provider().create_checkout(CheckoutRequest(**fields))  # type: ignore[arg-type]


def test_long_descriptions_are_trimmed_and_the_url_stays_short() -> None:
    request = CheckoutRequest(
        "a" * 200, 3000, "EUR", "Ö" * 5000 + "\n\tend", "https://example.org/" + "r" * 700
    )
    checkout = provider().create_checkout(request)
    assert len(checkout.checkout_url) < 1500
    session = provider().open_session(token_of(checkout.checkout_url))
    assert 0 < len(session.description) < 140
    assert session.description.endswith("\u2026")
    assert session.return_url == request.return_url


def test_descriptions_are_capped_at_140_characters() -> None:
    request = CheckoutRequest("app_1", 3000, "EUR", "x" * 500, REQUEST.return_url)
    session = open_checkout(provider(), request)
    assert session.description == "x" * 139 + "\u2026"
    short = CheckoutRequest("app_1", 3000, "EUR", "x" * 140, REQUEST.return_url)
    assert open_checkout(provider(), short).description == "x" * 140


def test_a_return_url_that_cannot_fit_is_refused() -> None:
    request = CheckoutRequest("a" * 200, 3000, "EUR", "x", "https://example.org/" + "r" * 780)
    with pytest.raises(ValueError, match="too long"):
        provider().create_checkout(request)


def test_description_is_one_line() -> None:
    request = CheckoutRequest("app_1", 100, "EUR", "a\r\nb\x0bc", REQUEST.return_url)
    assert open_checkout(provider(), request).description == "a b c"


_ABSOLUTE = "public_base_url must be an absolute http(s) URL"
_SESSION_KEY = "session_key must be at least 16 bytes"


@pytest.mark.parametrize(
    ("base", "key", "secrets", "reason"),
    [
        ("ftp://example.org", SESSION_KEY, [SECRET_NEW], _ABSOLUTE),
        ("example.org", SESSION_KEY, [SECRET_NEW], _ABSOLUTE),
        ("https://example.org?x=1", SESSION_KEY, [SECRET_NEW], "must not carry a query"),
        (BASE, b"short", [SECRET_NEW], _SESSION_KEY),
        (BASE, "s" * 32, [SECRET_NEW], _SESSION_KEY),
        (BASE, SESSION_KEY, [], "at least one webhook secret is required"),
        (BASE, SESSION_KEY, ["not-a-secret"], "must look like whsec_"),
    ],
)
def test_bad_configuration_fails_at_construction(
    base: str, key: object, secrets: list[str], reason: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        SandboxProvider(base, secrets, key)  # type: ignore[arg-type]


def test_trailing_slash_in_base_url_is_normalised() -> None:
    p = SandboxProvider(BASE + "/", [SECRET_NEW], SESSION_KEY)
    assert p.webhook_url == f"{BASE}/api/payments/sandbox/webhook"
    assert p.create_checkout(REQUEST).checkout_url.startswith(f"{BASE}/sandbox/checkout/")
    assert p.name == "sandbox"


# -- webhooks --------------------------------------------------------------------------------


def test_build_then_parse_gives_the_right_payment_event() -> None:
    p = provider()
    session = open_checkout(p)
    headers, body = p.build_webhook(session, "succeeded")
    event = p.parse_webhook(headers, body)
    assert event == PaymentEvent(
        event_id=f"sbxevt_{session.checkout_id.removeprefix('chk_')}_succeeded",
        type="payment.succeeded",
        payment_id=session.payment_id,
        application_id="app_01J9Z3",
        amount_cents=3000,
        currency="EUR",
    )
    assert json.loads(body) == {
        "type": "payment.succeeded",
        "data": {
            "payment_id": session.payment_id,
            "application_id": "app_01J9Z3",
            "amount_cents": 3000,
            "currency": "EUR",
        },
    }
    assert headers["content-type"] == "application/json"
    assert headers["webhook-timestamp"] == str(NOW)


def test_failed_events() -> None:
    p = provider()
    session = open_checkout(p)
    failed = p.parse_webhook(*p.build_webhook(session, "failed"))
    assert failed.type == "payment.failed"
    assert failed.payment_id == session.payment_id
    assert failed.amount_cents == 3000
    assert failed.refunded_cents == 0


@pytest.mark.parametrize(
    ("refunded", "reason"),
    [
        (None, "data.refunded_cents: Field required"),
        (0, "data.refunded_cents: must be 1..data.amount_cents"),
        (3001, "data.refunded_cents: must be 1..data.amount_cents"),
        ("3000", "data.refunded_cents: Input should be a valid integer"),
    ],
)
def test_a_refund_event_must_say_how_much_was_refunded(refunded: object, reason: str) -> None:
    data: dict[str, object] = {
        "payment_id": "sbxpay_1",
        "application_id": "app_1",
        "amount_cents": 3000,
        "currency": "EUR",
    }
    if refunded is not None:
        data["refunded_cents"] = refunded
    body = json.dumps({"type": "payment.refunded", "data": data}).encode()
    with pytest.raises(WebhookMalformedError, match=reason):
        parse_event(body, "evt_1")


class MemoryLedger:
    def __init__(self) -> None:
        self.paid: dict[str, object] = {}

    def record(self, checkout_id: str, payment: object) -> None:
        self.paid[checkout_id] = payment

    def lookup(self, checkout_id: str) -> object:
        return self.paid.get(checkout_id)


def test_poll_reports_a_paid_session_with_the_webhook_payment_id() -> None:
    ledger = MemoryLedger()
    p = SandboxProvider(BASE, [SECRET_NEW], SESSION_KEY, clock=Clock(), ledger=ledger)  # type: ignore[arg-type]
    session = open_checkout(p)
    assert p.poll(session.checkout_id, session.application_id) == []  # not paid yet
    p.record_payment(session)
    polled = p.poll(session.checkout_id, session.application_id)
    pushed = p.parse_webhook(*p.build_webhook(session, "succeeded"))
    assert [(e.type, e.payment_id, e.amount_cents, e.currency) for e in polled] == [
        ("payment.succeeded", pushed.payment_id, 3000, "EUR")
    ]
    assert polled[0].event_id == f"poll:{pushed.payment_id}:succeeded"
    assert polled == p.poll(session.checkout_id, session.application_id)  # stable id
    assert p.poll(session.checkout_id, "another-application") == []
    assert p.poll("not-a-checkout-id", session.application_id) == []


def test_bad_outcome_is_refused() -> None:
    p = provider()
    with pytest.raises(ValueError, match="outcome must be 'succeeded' or 'failed'"):
        p.build_webhook(open_checkout(p), "refunded")  # type: ignore[arg-type]


def test_event_ids_are_stable_per_outcome_and_distinct_across_outcomes_and_sessions() -> None:
    clock = Clock()
    p = provider(clock)
    session = open_checkout(p)
    first, _ = p.build_webhook(session, "succeeded")
    clock.now += 30  # a second press of Pay, later
    again, _ = p.build_webhook(session, "succeeded")
    failed, _ = p.build_webhook(session, "failed")
    other, _ = p.build_webhook(open_checkout(p), "succeeded")
    assert first["webhook-id"] == again["webhook-id"]
    ids = {first["webhook-id"], failed["webhook-id"], other["webhook-id"]}
    assert len(ids) == 3


def test_payment_id_is_stable_per_session_and_survives_reopening() -> None:
    p = provider()
    token = token_of(p.create_checkout(REQUEST).checkout_url)
    assert p.open_session(token).payment_id == p.open_session(token).payment_id


def test_explicit_event_id_is_used() -> None:
    p = provider()
    headers, body = p.build_webhook(open_checkout(p), "succeeded", event_id="evt_custom")
    assert p.parse_webhook(headers, body).event_id == "evt_custom"


def test_outgoing_webhooks_are_signed_with_the_first_secret_only() -> None:
    p = provider()
    headers, body = p.build_webhook(open_checkout(p), "succeeded")
    assert WebhookVerifier([SECRET_NEW], clock=lambda: NOW).verify(headers, body)
    with pytest.raises(WebhookSignatureError):
        WebhookVerifier([SECRET_OLD], clock=lambda: NOW).verify(headers, body)


def test_parse_webhook_accepts_any_active_secret_and_refuses_others() -> None:
    p = provider()
    body = open_event_body()
    for secret in (SECRET_NEW, SECRET_OLD):
        event = p.parse_webhook(signed_headers(secret, "evt_1", NOW, body), body)
        assert event.event_id == "evt_1"
    with pytest.raises(WebhookSignatureError):
        p.parse_webhook(signed_headers(new_webhook_secret(), "evt_1", NOW, body), body)


def test_parse_webhook_refuses_a_tampered_body_before_parsing_it() -> None:
    p = provider()
    headers, body = p.build_webhook(open_checkout(p), "succeeded")
    with pytest.raises(WebhookSignatureError):
        p.parse_webhook(headers, body.replace(b"3000", b"3001"))
    with pytest.raises(WebhookSignatureError):
        p.parse_webhook(headers, b"not json")  # unsigned garbage: a signature error


def test_parse_webhook_refuses_stale_deliveries() -> None:
    clock = Clock()
    p = provider(clock)
    headers, body = p.build_webhook(open_checkout(p), "succeeded")
    clock.now += 6 * 60
    with pytest.raises(WebhookSignatureError):
        p.parse_webhook(headers, body)


def test_signed_but_malformed_body_is_a_malformed_error() -> None:
    p = provider()
    body = b'{"type": "payment.succeeded", "data": {"amount_cents": "3000"}}'
    with pytest.raises(WebhookMalformedError):
        p.parse_webhook(signed_headers(SECRET_NEW, "evt_1", NOW, body), body)


def test_importing_the_provider_does_not_import_pydantic() -> None:
    # pydantic is for the webhook path only; every other route shares the Lambda.
    code = (
        "import sys\n"
        "import chalicelib.adapters.payments.sandbox\n"
        "import chalicelib.web.sandbox_checkout\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# -- event parsing ---------------------------------------------------------------------------


def open_event_body(**overrides: object) -> bytes:
    data: dict[str, object] = {
        "payment_id": "pay_1",
        "application_id": "app_1",
        "amount_cents": 3000,
        "currency": "EUR",
    }
    data.update(overrides)
    return json.dumps({"type": "payment.succeeded", "data": data}).encode()


def malformed(body: bytes) -> str:
    with pytest.raises(WebhookMalformedError) as info:
        parse_event(body, "evt_1")
    return str(info.value)


def test_parse_event_happy_path_with_extra_keys() -> None:
    document = json.loads(open_event_body())
    document["created"] = 1700000000
    document["livemode"] = False
    document["data"]["receipt_email"] = "x@example.org"
    event = parse_event(json.dumps(document).encode(), "evt_1")
    assert event == PaymentEvent("evt_1", "payment.succeeded", "pay_1", "app_1", 3000, "EUR")


def test_unknown_event_types_still_parse() -> None:
    body = open_event_body().replace(b"payment.succeeded", b"payment.disputed")
    assert parse_event(body, "evt_1").type == "payment.disputed"


def test_zero_amount_parses() -> None:
    assert parse_event(open_event_body(amount_cents=0), "evt_1").amount_cents == 0


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"not json", b'{"type": "x",}', b"\xff\xfe{}", "{}".encode("utf-16")],
)
def test_non_json_is_malformed(body: bytes) -> None:
    message = malformed(body)
    assert "JSON" in message or "UTF-8" in message


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null", b"true"])
def test_non_object_is_malformed(body: bytes) -> None:
    assert malformed(body) == "body must be a JSON object"


def test_missing_data_names_the_field() -> None:
    assert "data" in malformed(b'{"type": "payment.succeeded"}')


@pytest.mark.parametrize("data", ["[]", '"x"', "null", "3"])
def test_data_that_is_not_an_object_names_the_field(data: str) -> None:
    assert "data:" in malformed(f'{{"type": "payment.succeeded", "data": {data}}}'.encode())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_cents": "3000"}, "data.amount_cents"),
        ({"amount_cents": -1}, "data.amount_cents"),
        ({"amount_cents": 30.0}, "data.amount_cents"),
        ({"amount_cents": True}, "data.amount_cents"),
        ({"amount_cents": None}, "data.amount_cents"),
        ({"amount_cents": 2**53}, "data.amount_cents"),
        ({"currency": "eur"}, "data.currency"),
        ({"currency": "EURO"}, "data.currency"),
        ({"currency": "EUR\n"}, "data.currency"),
        ({"currency": 978}, "data.currency"),
        ({"payment_id": 12345}, "data.payment_id"),
        ({"payment_id": ""}, "data.payment_id"),
        ({"payment_id": "p" * 201}, "data.payment_id"),
        ({"application_id": "has space"}, "data.application_id"),
        ({"application_id": ["app_1"]}, "data.application_id"),
    ],
)
def test_wrong_fields_are_named(overrides: dict[str, object], field: str) -> None:
    message = malformed(open_event_body(**overrides))
    assert field in message
    # Values are never echoed back.
    for value in overrides.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in message


@pytest.mark.parametrize("field", ["payment_id", "application_id", "amount_cents", "currency"])
def test_each_missing_data_field_is_named(field: str) -> None:
    document = json.loads(open_event_body())
    del document["data"][field]
    assert f"data.{field}" in malformed(json.dumps(document).encode())


@pytest.mark.parametrize("value", ['""', "42", "null", '"' + "t" * 101 + '"'])
def test_bad_type_field_is_named(value: str) -> None:
    body = open_event_body().replace(b'"payment.succeeded"', value.encode())
    assert "type" in malformed(body)


def test_missing_type_is_named() -> None:
    document = json.loads(open_event_body())
    del document["type"]
    assert "type" in malformed(json.dumps(document).encode())


def test_several_wrong_fields_are_all_named() -> None:
    message = malformed(open_event_body(amount_cents="1", currency="x"))
    assert "data.amount_cents" in message
    assert "data.currency" in message


def test_duplicate_keys_are_refused() -> None:
    body = b'{"type":"payment.succeeded","type":"payment.failed","data":{}}'
    assert "duplicate" in malformed(body)


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_numbers_are_refused(constant: bytes) -> None:
    body = open_event_body().replace(b"3000", constant)
    malformed(body)


def test_absurdly_long_numbers_and_deep_nesting_are_malformed_not_crashes() -> None:
    malformed(open_event_body().replace(b"3000", b"9" * 5000))
    malformed(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("event_id", ["", "e" * 201])
def test_bad_event_id_is_refused(event_id: str) -> None:
    with pytest.raises(WebhookMalformedError):
        parse_event(open_event_body(), event_id)


# -- the checkout page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (3000, "EUR", "30,00 €"),
        (5, "EUR", "0,05 €"),
        (0, "EUR", "0,00 €"),
        (123456, "EUR", "1.234,56 €"),
        (100000000, "EUR", "1.000.000,00 €"),
        (-250, "EUR", "-2,50 €"),
        (1999, "CHF", "19,99 CHF"),
    ],
)
def test_format_amount(cents: int, currency: str, text: str) -> None:
    assert format_amount(cents, currency) == text


def test_format_amount_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_amount(30.0)  # type: ignore[arg-type]


def test_checkout_page_in_german_by_default() -> None:
    p = provider()
    token = token_of(p.create_checkout(REQUEST).checkout_url)
    page = render_checkout_page(p.open_session(token), token, "")
    assert '<html lang="de">' in page
    assert "TEST-ZAHLUNG / Sandbox" in page
    assert "no real money" in page
    assert "Bewohnerparkausweis Zone A, 12 Monate" in page
    assert "30,00 €" in page
    assert f'<form method="post" action="{token}/pay">' in page
    assert f'<form method="post" action="{token}/cancel">' in page
    assert ">Bezahlen</button>" in page
    assert ">Abbrechen</button>" in page
    assert 'name="viewport"' in page
    assert "<script" not in page
    assert "http" not in page.split("<body>")[1].replace(REQUEST.return_url, "")


@pytest.mark.parametrize("lang", ["en", "en-GB,en;q=0.9,de;q=0.8", "EN-us"])
def test_checkout_page_in_english(lang: str) -> None:
    p = provider()
    session = open_checkout(p)
    page = render_checkout_page(session, "tok", lang)
    assert '<html lang="en">' in page
    assert "TEST PAYMENT / Sandbox" in page
    assert "No real money" in page
    assert ">Pay</button>" in page
    assert ">Cancel</button>" in page
    assert "30,00 €" in page


@pytest.mark.parametrize("lang", ["de-DE,en;q=0.5", "fr", "", "tr"])
def test_other_languages_get_german(lang: str) -> None:
    page = render_checkout_page(open_checkout(provider()), "tok", lang)
    assert ">Bezahlen</button>" in page


def test_checkout_page_escapes_everything() -> None:
    request = CheckoutRequest(
        'app_"><script>', 100, "EUR", "<img src=x onerror=alert(1)> & Co", REQUEST.return_url
    )
    p = provider()
    session = open_checkout(p, request)
    page = render_checkout_page(session, '"><script>alert(1)</script>', "de")
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; Co" in page


def test_result_pages() -> None:
    page = render_result_page("delivery_failed", "de", "https://example.org/a?b=1&c=2")
    assert "nicht zugestellt" in page
    assert 'href="https://example.org/a?b=1&amp;c=2"' in page
    assert "TEST-ZAHLUNG" in page
    english = render_result_page("session_expired", "en")
    assert "expired" in english
    assert "href" not in english
    assert "href" not in render_result_page("payment_failed", "de", "javascript:alert(1)")
    assert "ungültig" in render_result_page("session_invalid", "de")


def test_page_headers_allow_the_return_origin_and_hide_the_referrer() -> None:
    headers = checkout_page_headers("https://portal.example.org:8443/antrag/1?x=y")
    csp = headers["Content-Security-Policy"]
    assert "form-action 'self' https://portal.example.org:8443;" in csp
    assert "script-src" not in csp
    assert "default-src 'none'" in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    # A host that could smuggle a directive into the CSP is left out.
    smuggled = checkout_page_headers("https://a;script-src *@b/")["Content-Security-Policy"]
    assert "script-src" not in smuggled
    assert "form-action 'self';" in checkout_page_headers()["Content-Security-Policy"]
