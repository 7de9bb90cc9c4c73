"""A DynamoDB or KMS that is down answers 503 problem+json with Retry-After within 5 s, on every route.

The app runs with the boto3 clients the Container builds itself (``adapters/aws.py``: the
real timeouts and retry budget), pointed through boto3's own endpoint variables at a closed
port or at a socket that accepts and never answers (``dead_endpoints.py``); requests go
through ``chalice.test.Client``. Before the fail-fast budget the same requests answered 500
after about 25 s (closed port) or not within a minute (silent socket).

The elapsed time is measured only as a bound on a failure mode: "within 5 seconds" is the
contract for clients, not a performance figure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest

from chalicelib.config import APP_ROOT, Settings
from tests.conftest import TEST_WEBHOOK_SECRET, FixedClock, table_items
from tests.integration.dead_endpoints import dead_endpoint
from tests.integration.payment_helpers import event_body, signed_webhook

FORM_ID = "resident-parking-permit"
EXAMPLE = json.loads((APP_ROOT / "schemas" / f"{FORM_ID}.json").read_text(encoding="utf-8"))[
    "examples"
][0]
APPLICATION_ID = "0123456789abcdef0123456789abcdef"
STAFF_TOKEN = "staff-token-for-outage-tests-0123"
DEADLINE_SECONDS = 5.0
MODES = ("closed-port", "silent-socket")

#: Routes that must read or write DynamoDB to answer: each answers exactly 503 when it is down.
STORE_ROUTES = (
    ("POST", "/api/forms/{form_id}/applications"),
    ("GET", "/api/applications/{application_id}"),
    ("POST", "/api/applications/{application_id}/checkout"),
    ("GET", "/api/applications/{application_id}/permit.pdf"),
    ("POST", "/api/verify"),
    ("POST", "/api/payments/{provider}/webhook"),
    ("GET", "/api/staff/queue/{status}/{day}"),
    ("GET", "/api/staff/applications/{application_id}"),
    ("POST", "/api/staff/applications/{application_id}/revoke"),
)
#: A silent socket costs two read timeouts per request (about 3 s): check the citizen's,
#: the officer's and the provider's routes with it, every route with the closed port.
SILENT_ROUTES = STORE_ROUTES[:6]

_PATH_VALUES = {
    "form_id": FORM_ID,
    "application_id": APPLICATION_ID,
    "provider": "sandbox",
    "status": "SUBMITTED",
    "day": "2026-11-21",
    "session": "not-a-session.tag",
}


def _all_routes() -> list[tuple[str, str]]:
    import app as app_module

    return sorted(
        (method, path) for path, methods in app_module.app.routes.items() for method in methods
    )


@dataclass
class Outage:
    client: Any
    settings: Settings
    signed_token: str

    def request(self, method: str, path: str) -> tuple[Any, float]:
        """One request that reaches the dependency on this route; (response, seconds)."""
        url = path
        for name, value in _PATH_VALUES.items():
            url = url.replace("{" + name + "}", value)
        headers = {"Authorization": "Bearer not-the-real-token-but-well-formed"}
        body: bytes | None = None
        if path.startswith("/api/staff/"):
            headers["Authorization"] = f"Bearer {STAFF_TOKEN}"
        if path.endswith("/revoke"):
            body = json.dumps({"reason": "outage test"}).encode()
        if path.endswith("/applications") and method == "POST":
            body = json.dumps(EXAMPLE).encode()
        if path == "/api/verify":
            body = json.dumps({"token": self.signed_token}).encode()
        if path.endswith("/permit.pdf"):
            headers["Accept"] = "application/pdf"
        if path.endswith("/webhook"):
            payload = event_body("payment.succeeded", APPLICATION_ID, "pay_outage_1")
            headers = signed_webhook(payload, "evt_outage_1", int(FixedClock().now().timestamp()))
            body = payload
        if "/sandbox/" in path and method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            headers.setdefault("Content-Type", "application/json")
        started = time.monotonic()
        response = self.client.http.request(method, url, headers=headers, body=body or b"")
        return response, time.monotonic() - started


def _signed_token(settings: Settings) -> str:
    """A token with a good signature (the test stage's local key), so /api/verify reads on."""
    from chalicelib.domain.token import PermitClaims, sign_token, token_to_text
    from chalicelib.wiring import Container

    claims = PermitClaims(
        serial=123456,
        zone="C",
        permit_type=1,
        valid_from=date(2026, 11, 21),
        valid_to=date(2027, 11, 20),
        plates=("DNAB123",),
    )
    return token_to_text(sign_token(claims, Container(settings).signer))


@pytest.fixture
def outage_settings(tmp_path: Any) -> Settings:
    return Settings(
        stage="test",
        table_name="permits-outage",
        public_base_url="https://permits.example.de",
        app_secret=bytes(range(32)),
        webhook_secrets=(TEST_WEBHOOK_SECRET,),
        staff_token_hashes=(hashlib.sha256(STAFF_TOKEN.encode()).hexdigest(),),
        local_key_path=tmp_path / "signing-key.pem",
    )


@contextlib.contextmanager
def _app_with(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> Iterator[Any]:
    """The app wired to ``settings`` (plus overrides) behind a chalice test Client."""
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    app_module.set_container(Container(settings, clock=FixedClock(), **overrides))
    try:
        with Client(app_module.app) as client:
            yield client
    finally:
        app_module.set_container(None)


@pytest.fixture
def dynamodb_down(
    request: pytest.FixtureRequest, outage_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Outage]:
    """The app with a Container-built DynamoDB client whose endpoint is down (``mode``)."""
    with dead_endpoint(request.param) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", url)
        token = _signed_token(outage_settings)
        with _app_with(outage_settings, monkeypatch) as client:
            yield Outage(client, outage_settings, token)


def _assert_unavailable(response: Any, elapsed: float, what: str) -> None:
    assert response.status_code == 503, (what, response.status_code, response.body[:300])
    assert int(response.headers["Retry-After"]) > 0, what
    assert elapsed < DEADLINE_SECONDS, f"{what} took {elapsed:.2f} s"
    if response.headers["Content-Type"].startswith("text/html"):  # a citizen's page
        assert "<h1" in response.body.decode(), what  # the accessible error page
        return
    assert response.headers["Content-Type"] == "application/problem+json", what
    problem = json.loads(response.body)
    assert problem["status"] == 503
    assert problem["type"].endswith("/unavailable")
    assert int(response.headers["Retry-After"]) > 0, what
    assert elapsed < DEADLINE_SECONDS, f"{what} took {elapsed:.2f} s"


def test_the_client_budget_is_explicit() -> None:
    """The numbers the 5 s promise rests on; a silent change of the budget fails here first."""
    from chalicelib.adapters import aws

    config = aws.client_config()
    assert (config.connect_timeout, config.read_timeout) == (1.0, 1.0)
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}
    assert aws.WORST_CASE_SECONDS == 5.0


#: The closed port is walked over every route below; the silent socket route by route.
_STORE_CASES = [("silent-socket", *route) for route in SILENT_ROUTES]


@pytest.mark.parametrize(
    ("dynamodb_down", "method", "path"), _STORE_CASES, indirect=["dynamodb_down"]
)
def test_store_routes_answer_503_with_retry_after_within_5_s(
    dynamodb_down: Outage, method: str, path: str
) -> None:
    response, elapsed = dynamodb_down.request(method, path)
    _assert_unavailable(response, elapsed, f"{method} {path}")


@pytest.mark.parametrize("dynamodb_down", ["closed-port"], indirect=True)
def test_no_route_answers_500_or_hangs_when_the_store_is_down(dynamodb_down: Outage) -> None:
    """Every route the app has (pages included): 503 with Retry-After, or an answer that
    needs no store; never a 500, never slower than the deadline. A route added later is
    walked too, with a plain request."""
    routes = _all_routes()
    assert set(STORE_ROUTES) <= set(routes), "the store routes moved: update STORE_ROUTES"
    answers = {}
    for method, path in routes:
        response, elapsed = dynamodb_down.request(method, path)
        answers[(method, path)] = response.status_code
        assert elapsed < DEADLINE_SECONDS, f"{method} {path} took {elapsed:.2f} s"
        if response.status_code >= 500:
            _assert_unavailable(response, elapsed, f"{method} {path}")
    pages = {
        route: status
        for route, status in answers.items()
        if route[1] in ("/v", "/impressum", "/datenschutz", "/barrierefreiheit")
    }
    assert pages and all(status == 200 for status in pages.values()), pages  # no store needed
    assert all(answers[route] == 503 for route in STORE_ROUTES), answers


# -- KMS --------------------------------------------------------------------------------


@pytest.fixture
def kms_down(
    request: pytest.FixtureRequest,
    settings: Settings,
    dynamodb_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """DynamoDB works (moto); the KMS signer's Container-built client points at a dead KMS."""
    kms_settings = replace(settings, signing_backend="kms", kms_key_id="alias/permit-signing")
    with dead_endpoint(request.param) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", url)
        with _app_with(kms_settings, monkeypatch, dynamodb=dynamodb_client) as client:
            yield client


@pytest.mark.parametrize("kms_down", MODES, indirect=True)
def test_the_key_set_answers_503_when_kms_is_down(kms_down: Any) -> None:
    started = time.monotonic()
    response = kms_down.http.get("/.well-known/permit-keys.json")
    _assert_unavailable(response, time.monotonic() - started, "GET /.well-known/permit-keys.json")


@pytest.mark.parametrize("kms_down", MODES, indirect=True)
def test_verification_answers_503_when_kms_is_down(kms_down: Any, tmp_path: Any) -> None:
    """The verifier needs the KMS key's public half (fetched once per process) to check a token."""
    from chalicelib.adapters.signing.local_key import LocalKeySigner, ensure_local_key
    from chalicelib.domain.token import PermitClaims, sign_token, token_to_text

    ensure_local_key(tmp_path / "other.pem")
    claims = PermitClaims(123, "C", 1, date(2026, 11, 21), date(2027, 11, 20), ("DNAB123",))
    token = token_to_text(sign_token(claims, LocalKeySigner(tmp_path / "other.pem", 1)))
    started = time.monotonic()
    response = kms_down.http.post(
        "/api/verify",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"token": token}),
    )
    _assert_unavailable(response, time.monotonic() - started, "POST /api/verify")


@pytest.mark.parametrize("kms_down", MODES, indirect=True)
def test_a_payment_answers_503_and_issues_nothing_when_kms_is_down(
    kms_down: Any, dynamodb_client: Any, settings: Settings
) -> None:
    """The provider is told to retry later; no permit, no half-written state."""
    submitted = kms_down.http.post(
        f"/api/forms/{FORM_ID}/applications",
        headers={"Content-Type": "application/json"},
        body=json.dumps(EXAMPLE),
    )
    assert submitted.status_code == 201, submitted.body
    application_id = json.loads(submitted.body)["id"]
    before = sorted(table_items(dynamodb_client, settings.table_name), key=str)
    payload = event_body("payment.succeeded", application_id, "pay_kms_down")
    started = time.monotonic()
    response = kms_down.http.post(
        "/api/payments/sandbox/webhook",
        headers=signed_webhook(payload, "evt_kms_down", int(FixedClock().now().timestamp())),
        body=payload,
    )
    _assert_unavailable(response, time.monotonic() - started, "POST /api/payments/sandbox/webhook")
    assert sorted(table_items(dynamodb_client, settings.table_name), key=str) == before
