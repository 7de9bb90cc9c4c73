"""The Stripe adapter without a network: signatures (SDK check), event mapping, polled state.

The bodies are the recorded Stripe events in ``tests/fixtures/stripe`` (see its README for
the source); signatures are made with the SDK's own ``generate_signature_header``, which is
exactly Stripe's scheme. The HTTP side (PaymentIntents, webhooks from the emulator) is
tested end to end against localstripe in ``tests/e2e/test_stripe_journey.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.payments.stripe_events import event_from_stripe, events_from_intent
from chalicelib.adapters.payments.stripe_provider import (
    StripeCheckoutSession,
    StripeProvider,
    StripeSessionError,
    StripeSessionExpiredError,
)
from chalicelib.adapters.payments.stripe_signatures import (
    StripeWebhookSecretError,
    StripeWebhookVerifier,
)
from chalicelib.domain.errors import WebhookMalformedError, WebhookSignatureError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe"
APP = "5f3c9a0e2b7d4c1f8a6e0b9d3c2f1a4e"
PI = "pi_3MtwBwLkdIwHu7ix28a3tqPa"
SECRET = "whsec_test_secret_for_the_unit_tests"
OLD_SECRET = "whsec_old_secret_still_valid_in_rotation"
NOW = 1_800_000_000


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sign(payload: bytes, secret: str = SECRET, timestamp: int = NOW) -> dict[str, str]:
    import stripe

    header = stripe.WebhookSignature.generate_signature_header(
        payload.decode("utf-8"), secret, timestamp
    )
    return {"Stripe-Signature": header}


def verifier(*secrets: str) -> StripeWebhookVerifier:
    return StripeWebhookVerifier(list(secrets or (SECRET,)), clock=lambda: NOW)


def no_lookup(payment_intent_id: str) -> str | None:
    raise AssertionError("the event carries its application id; no API call expected")


# -- signatures ---------------------------------------------------------------------------


def test_a_genuine_signature_is_accepted_and_any_active_secret_will_do() -> None:
    payload = body("payment_intent.succeeded.json")
    verifier().verify(sign(payload), payload)
    # During a rotation both secrets verify, whichever signed.
    verifier(SECRET, OLD_SECRET).verify(sign(payload, OLD_SECRET), payload)
    # Stripe signs with both during a roll: one valid v1 among several is enough.
    both = (
        sign(payload)["Stripe-Signature"]
        + ","
        + sign(payload, OLD_SECRET)["Stripe-Signature"].split(",")[1]
    )
    verifier(OLD_SECRET).verify({"stripe-signature": both}, payload)


def _flip(header: str) -> str:
    head, _, mac = header.rpartition("=")
    return f"{head}={'0' if mac[0] != '0' else '1'}{mac[1:]}"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("other-secret", "no valid Stripe signature"),
        ("rotated-out", "no valid Stripe signature"),
        ("flipped-mac", "no valid Stripe signature"),
        ("other-body", "no valid Stripe signature"),
        ("six-minutes-old", "outside the tolerance window"),
        ("six-minutes-ahead", "outside the tolerance window"),
        ("missing", "missing Stripe-Signature header"),
        ("no-v1", "no v1 signature"),
        ("two-timestamps", "exactly one t="),
        ("garbage", "header malformed"),
        ("non-hex-v1", "header malformed"),
        ("too-long", "header malformed"),
    ],
)
def test_forged_stale_and_malformed_signatures_are_refused(case: str, reason: str) -> None:
    payload = body("payment_intent.succeeded.json")
    good = sign(payload)["Stripe-Signature"]
    headers = {
        "other-secret": sign(payload, "whsec_an_attackers_own_secret_value"),
        "rotated-out": sign(payload, OLD_SECRET),
        "flipped-mac": {"Stripe-Signature": _flip(good)},
        "other-body": sign(body("payment_intent.payment_failed.json")),
        "six-minutes-old": sign(payload, timestamp=NOW - 360),
        "six-minutes-ahead": sign(payload, timestamp=NOW + 360),
        "missing": {},
        "no-v1": {"Stripe-Signature": good.split(",")[0]},
        "two-timestamps": {"Stripe-Signature": f"t={NOW},{good}"},
        "garbage": {"Stripe-Signature": "hello"},
        "non-hex-v1": {"Stripe-Signature": f"t={NOW},v1={'z' * 64}"},
        "too-long": {"Stripe-Signature": good + ",v0=" + "a" * 3000},
    }[case]
    with pytest.raises(WebhookSignatureError, match=reason):
        verifier().verify(headers, payload)


def test_exactly_five_minutes_is_still_fresh() -> None:
    payload = body("payment_intent.succeeded.json")
    verifier().verify(sign(payload, timestamp=NOW - 300), payload)
    verifier().verify(sign(payload, timestamp=NOW + 300), payload)


def test_a_body_that_is_not_utf8_is_refused_before_any_mac() -> None:
    with pytest.raises(WebhookSignatureError, match="not UTF-8"):
        verifier().verify({"Stripe-Signature": f"t={NOW},v1={'0' * 64}"}, b"\xff\xfe")


@pytest.mark.parametrize("secrets", [[], "whsec_abcdefghijklmnop", ["sk_live_not_a_webhook"]])
def test_unusable_secrets_fail_at_start_up(secrets: Any) -> None:
    with pytest.raises(StripeWebhookSecretError):
        StripeWebhookVerifier(secrets)


def test_the_verifier_never_shows_its_secrets() -> None:
    assert SECRET not in repr(verifier()) and "secrets=<1>" in repr(verifier())


# -- event mapping ------------------------------------------------------------------------


def test_payment_intent_succeeded_is_a_payment_for_the_application_in_its_metadata() -> None:
    event = event_from_stripe(body("payment_intent.succeeded.json"), no_lookup)
    assert (event.event_id, event.type) == ("evt_3MtwBwLkdIwHu7ix2Bm2gGJS", "payment.succeeded")
    assert (event.payment_id, event.application_id) == (PI, APP)
    assert (event.amount_cents, event.currency, event.refunded_cents) == (3000, "EUR", 0)


def test_a_declined_payment_is_a_failed_payment() -> None:
    event = event_from_stripe(body("payment_intent.payment_failed.json"), no_lookup)
    assert (event.type, event.payment_id, event.application_id) == ("payment.failed", PI, APP)


def test_a_partial_refund_carries_the_refunded_total_and_finds_the_application() -> None:
    asked: list[str] = []

    def lookup(payment_intent_id: str) -> str | None:
        asked.append(payment_intent_id)
        return APP

    event = event_from_stripe(body("charge.refunded.partial.json"), lookup)
    assert asked == [PI]  # the charge has no metadata: the PaymentIntent's is asked for
    assert (event.type, event.payment_id, event.application_id) == ("payment.refunded", PI, APP)
    assert (event.amount_cents, event.refunded_cents) == (3000, 1000)


def test_a_full_refund_carries_the_whole_amount() -> None:
    event = event_from_stripe(body("charge.refunded.full.json"), no_lookup)
    assert (event.type, event.amount_cents, event.refunded_cents) == (
        "payment.refunded",
        3000,
        3000,
    )


def test_a_refund_of_a_payment_we_did_not_make_is_ignored() -> None:
    event = event_from_stripe(body("charge.refunded.partial.json"), lambda _: None)
    assert event.type == "stripe:charge.refunded"


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("checkout.session.completed.json", None),  # a type we do not use
        ("payment_intent.succeeded.json", {"type": "payment_intent.created"}),
        ("payment_intent.succeeded.json", {"metadata": {}}),  # not one of ours
    ],
)
def test_everything_else_is_acknowledged_and_ignored(name: str, change: Any) -> None:
    document = json.loads(body(name))
    if change and "type" in change:
        document["type"] = change["type"]
    elif change:
        document["data"]["object"]["metadata"] = change["metadata"]
    event = event_from_stripe(json.dumps(document).encode(), no_lookup)
    assert event.type.startswith("stripe:")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[]", "must be a JSON object"),
        (b'{"id":"evt_1","id":"evt_2"}', "duplicate JSON key"),
        (b'{"id": NaN}', "not valid JSON"),
        (b'{"type":"payment_intent.succeeded","data":{"object":{}}}', "event.id"),
        (b'{"id":"evt_1","type":"payment_intent.succeeded"}', "data.object: missing"),
    ],
)
def test_unreadable_events_are_refused_naming_the_problem(raw: bytes, reason: str) -> None:
    with pytest.raises(WebhookMalformedError, match=reason):
        event_from_stripe(raw, no_lookup)


def test_an_amount_as_a_string_is_refused_not_coerced() -> None:
    document = json.loads(body("payment_intent.succeeded.json"))
    document["data"]["object"]["amount_received"] = "3000"
    with pytest.raises(WebhookMalformedError, match="amount_received"):
        event_from_stripe(json.dumps(document).encode(), no_lookup)


# -- polled state -------------------------------------------------------------------------


def intent(status: str, refunded: int = 0, application: str = APP) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(body("payment_intent.succeeded.json"))["data"]["object"]
    document["status"] = status
    document["metadata"]["application_id"] = application
    charge = json.loads(body("charge.refunded.full.json"))["data"]["object"]
    charge["amount_refunded"] = refunded
    document["latest_charge"] = charge
    return document


def test_a_paid_intent_polls_as_one_success_with_a_stable_id() -> None:
    (event,) = events_from_intent(intent("succeeded"), APP)
    assert (event.event_id, event.type, event.payment_id) == (
        f"poll:{PI}:succeeded",
        "payment.succeeded",
        PI,
    )


def test_a_paid_then_refunded_intent_polls_as_success_then_the_refunded_total() -> None:
    paid, refunded = events_from_intent(intent("succeeded", refunded=1000), APP)
    assert paid.type == "payment.succeeded"
    assert (refunded.type, refunded.refunded_cents) == ("payment.refunded", 1000)
    assert refunded.event_id == f"poll:{PI}:refunded:1000"  # a larger total is a new event


@pytest.mark.parametrize("status", ["requires_payment_method", "requires_action", "processing"])
def test_an_unpaid_intent_polls_as_nothing(status: str) -> None:
    assert events_from_intent(intent(status), APP) == []


def test_a_canceled_intent_polls_as_a_failure() -> None:
    (event,) = events_from_intent(intent("canceled"), APP)
    assert (event.type, event.event_id) == ("payment.failed", f"poll:{PI}:canceled")


def test_an_intent_of_another_application_is_not_trusted() -> None:
    assert events_from_intent(intent("succeeded", application="someone-else"), APP) == []


# -- the checkout page token ----------------------------------------------------------------


def provider(now: float = NOW) -> StripeProvider:
    return StripeProvider(
        secret_key="sk_test_unit",
        webhook_secrets=[SECRET],
        public_base_url="https://permits.example.de",
        session_key=b"k" * 32,
        clock=lambda: now,
    )


def test_the_page_token_round_trips_and_refuses_tampering_and_age() -> None:
    session = StripeCheckoutSession(PI, APP, f"https://permits.example.de/status/{APP}", NOW)
    token = provider().encode_session(session)
    assert provider().open_session(token) == session
    assert "secret" not in token  # no client secret in any URL
    payload, _, tag = token.partition(".")
    for forged in (payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + tag, token + "x"):
        with pytest.raises(StripeSessionError):
            provider().open_session(forged)
    with pytest.raises(StripeSessionExpiredError):
        provider(NOW + 24 * 3600 + 1).open_session(token)
    with pytest.raises(StripeSessionError):
        provider(NOW - 3600).open_session(token)  # issued "in the future"


def test_test_cards_are_refused_unless_an_emulator_is_configured() -> None:
    session = StripeCheckoutSession(PI, APP, "https://permits.example.de/status/x", NOW)
    with pytest.raises(PermissionError, match="emulator only"):
        provider().pay_with_test_card(session, "4242424242424242", 12, 2034, "123")


# -- what the adapter sends to Stripe (a recording stand-in for the SDK's HTTP client) ------


class RecordingHttp:
    """Answers like Stripe would and records the requests (the SDK's HTTPClient interface)."""

    name = "recording"

    def __init__(self, status: int = 200, answer: dict[str, Any] | None = None) -> None:
        self.requests: list[tuple[str, str, dict[str, str], str]] = []
        self._status = status
        self._answer = answer or {
            "id": PI,
            "object": "payment_intent",
            "status": "requires_payment_method",
        }

    def request_with_retries(
        self, method: str, url: str, headers: Any, post_data: Any = None, **_: Any
    ) -> tuple[str, int, dict[str, str]]:
        self.requests.append((method, url, dict(headers or {}), post_data or ""))
        return json.dumps(self._answer), self._status, {"request-id": "req_1"}

    def close(self) -> None:
        return None


def recording_provider(http: RecordingHttp) -> StripeProvider:
    return StripeProvider(
        secret_key="sk_test_unit",
        webhook_secrets=[SECRET],
        public_base_url="https://permits.example.de",
        session_key=b"k" * 32,
        clock=lambda: NOW,
        http_client=http,
    )


def test_checkout_creates_a_payment_intent_with_metadata_and_the_nonce_as_idempotency_key() -> None:
    from urllib.parse import parse_qs

    from chalicelib.services.ports import CheckoutRequest

    http = RecordingHttp()
    request = CheckoutRequest(
        APP,
        3000,
        "EUR",
        "Bewohnerparkausweis",
        f"https://permits.example.de/status/{APP}",
        reference="REF27",
    )
    checkout = recording_provider(http).create_checkout(request, nonce=f"{APP}:1")
    ((method, url, headers, body),) = http.requests
    assert (method, url) == ("post", "https://api.stripe.com/v1/payment_intents")
    assert headers["Idempotency-Key"] == f"permit-checkout:{APP}:1"
    sent = {key: values[0] for key, values in parse_qs(body).items()}
    assert sent == {
        "amount": "3000",
        "currency": "eur",
        "payment_method_types[0]": "card",
        "metadata[application_id]": APP,
        "metadata[payment_reference]": "REF27",
        "metadata[description]": "Bewohnerparkausweis",
    }
    assert checkout.checkout_id == PI
    assert checkout.checkout_url.startswith("https://permits.example.de/checkout/stripe/")


def test_stripe_refusing_or_failing_is_a_503_not_a_500() -> None:
    from chalicelib.domain.errors import ServiceUnavailableError
    from chalicelib.services.ports import CheckoutRequest

    http = RecordingHttp(500, {"error": {"type": "api_error", "message": "boom"}})
    request = CheckoutRequest(APP, 3000, "EUR", "x", "https://permits.example.de/s", reference="R")
    with pytest.raises(ServiceUnavailableError, match="not reachable"):
        recording_provider(http).create_checkout(request, nonce="n")
