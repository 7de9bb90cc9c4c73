"""Every answer of the service: RFC 9457 for every 4xx, security headers on every response.

Issue 9 items 8 and 9. Chalice answers some requests itself, before or after our route code:
an unknown path (the local gateway's 403 "Missing Authentication Token"), a method the route
lacks (405), a Content-Type it does not take (415), a binary answer the Accept header does not
admit (400 "BadRequest"). All of them must be problem+json like our own refusals. And every
response, whatever its route or status, carries the same security headers, set in one place.

Through the Chalice test client (the same local gateway as ``chalice local``); the live
service is checked over HTTP in ``tests/e2e/test_http_contract_live.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.payment_helpers import PaymentWorld, open_world

PROBLEM = "application/problem+json"
TYPE_BASE = "https://permit-service.example/problems/"
FORM_POST = {"Content-Type": "application/x-www-form-urlencoded"}


class FailingTransport:
    """The sandbox's webhook delivery to a service that is down: every attempt gets 503."""

    def __call__(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
        return 503


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock, webhook_transport=FailingTransport()) as w:
        yield w


def assert_secure_headers(response: Any) -> None:
    """The headers every response of the service carries (item 9)."""
    headers = {name.lower(): value for name, value in response.headers.items()}
    assert headers.get("x-content-type-options") == "nosniff", headers
    assert headers.get("cache-control"), headers
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, headers
    assert "base-uri 'none'" in csp, headers
    assert headers.get("referrer-policy") == "no-referrer", headers


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.body[:300]
    assert response.headers["Content-Type"] == PROBLEM, response.headers
    body: dict[str, Any] = json.loads(response.body)
    assert body["type"] == TYPE_BASE + slug
    assert body["status"] == status
    assert body["title"]
    assert_secure_headers(response)
    return body


# -- item 8: Chalice's own answers are problems ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/api/nope"),
        ("POST", "/api/forms/resident-parking-permit/nope"),
        ("GET", "/api/applications/0123/permit.pdf/x/y/z"),
        ("DELETE", "/a/b/c/d/e/f/g/h"),
        ("GET", "/nope"),
        ("PUT", "/.well-known/nope.json"),
    ],
)
def test_an_unknown_path_is_a_404_problem(world: PaymentWorld, method: str, path: str) -> None:
    response = world.http.request(method, path, headers={"Content-Type": "text/plain"})
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/verify", "POST"),
        ("DELETE", "/api/forms", "GET"),
        ("PUT", "/api/applications/0123456789abcdef0123456789abcdef/checkout", "POST"),
        ("POST", "/v", "GET"),
    ],
)
def test_a_wrong_method_is_a_405_problem(
    world: PaymentWorld, method: str, path: str, allowed: str
) -> None:
    response = world.http.request(method, path, headers={"Content-Type": "application/json"})
    body = assert_problem(response, 405, "method-not-allowed")
    assert response.headers["Allow"] == allowed
    assert method in body["detail"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/payments/sandbox/webhook", "text/plain"),
        ("/api/verify", "application/xml"),
        ("/api/forms/resident-parking-permit/applications", "multipart/form-data; boundary=x"),
    ],
)
def test_an_unsupported_media_type_is_a_415_problem(
    world: PaymentWorld, path: str, content_type: str
) -> None:
    before = world.items()
    response = world.http.post(path, headers={"Content-Type": content_type}, body=b"{}")
    body = assert_problem(response, 415, "unsupported-media-type")
    assert content_type.split(";")[0] in body["detail"]
    assert world.items() == before


@pytest.mark.parametrize("accept", [None, "application/json", "text/html"])
def test_the_pdf_without_a_matching_accept_is_a_406_problem(
    world: PaymentWorld, accept: str | None
) -> None:
    app = world.submit()
    assert world.pay(app)[0].json_body["result"] == "issued"
    headers = {**app.auth, **({"Accept": accept} if accept else {})}
    response = world.http.get(f"/api/applications/{app.id}/permit.pdf", headers=headers)
    body = assert_problem(response, 406, "not-acceptable")
    assert "application/pdf" in body["detail"]


# -- item 9: the same security headers on every response ------------------------------------


def test_every_route_answers_with_the_security_headers(world: PaymentWorld) -> None:
    """One request per route and method the app registers, whatever the answer."""
    import app as app_module

    sample = {
        "application_id": "0123456789abcdef0123456789abcdef",
        "form_id": "resident-parking-permit",
        "provider": "sandbox",
        "session": "garbage",
        "status": "SUBMITTED",
        "day": "2026-11-21",
    }
    seen = 0
    for path, methods in app_module.app.routes.items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: sample.get(m.group(1), "x"), path)
        for method in methods:
            response = world.http.request(
                method, concrete, headers={"Content-Type": "application/json"}, body=b"{}"
            )
            assert response.status_code < 500, (method, path, response.body[:200])
            assert_secure_headers(response)
            seen += 1
    assert seen >= 15


def test_json_pdf_and_page_answers_carry_the_security_headers(world: PaymentWorld) -> None:
    app = world.submit()
    assert world.pay(app)[0].json_body["result"] == "issued"
    for response in (
        world.http.get("/api/forms"),
        world.status(app),
        world.http.get(
            f"/api/applications/{app.id}/permit.pdf",
            headers={**app.auth, "Accept": "application/pdf"},
        ),
        world.http.get("/.well-known/permit-keys.json"),
        world.http.get("/v"),
        world.http.get("/"),  # the citizen's pages (the list of services)
    ):
        assert response.status_code == 200
        assert_secure_headers(response)


def test_sandbox_result_pages_carry_the_security_headers(world: PaymentWorld) -> None:
    """400 invalid link, 410 not payable, 502 delivery failed: the pages the review found bare."""
    invalid = world.http.get("/sandbox/checkout/garbage")
    assert invalid.status_code == 400
    app = world.submit()
    url = world.checkout_url(app)
    path = url.removeprefix(world.provider.public_base_url)
    undelivered = world.http.post(f"{path}/pay", headers=FORM_POST, body=b"")
    assert undelivered.status_code == 502
    world.post_webhook(*world.provider.build_webhook(world.session_of(url), "succeeded"))
    not_payable = world.http.get(path)
    assert not_payable.status_code == 410
    for page in (invalid, undelivered, not_payable):
        assert page.headers["Content-Type"].startswith("text/html")
        assert_secure_headers(page)
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
