"""Issue 9 items 8 and 9 over real HTTP against the running `chalice local`.

Every 4xx is RFC 9457 problem+json, including the ones Chalice and its local gateway answer
themselves (unknown path, wrong method, unsupported media type, a binary answer the Accept
header does not admit), and every response carries the security headers.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import HttpResponse, LiveService

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def _secure(response: HttpResponse) -> None:
    headers = {name.lower(): value for name, value in response.headers.items()}
    assert headers.get("x-content-type-options") == "nosniff", headers
    assert headers.get("referrer-policy") == "no-referrer", headers
    assert headers.get("cache-control"), headers
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), headers


def _problem(response: HttpResponse, status: int, slug: str) -> dict[str, Any]:
    assert response.status == status, response.body[:300]
    assert response.headers["Content-Type"] == PROBLEM, response.headers
    body: dict[str, Any] = json.loads(response.body)
    assert body["type"].endswith(f"/problems/{slug}") and body["status"] == status
    _secure(response)
    return body


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/api/nope/deeper"), ("POST", "/api/forms/x/y/z")],
)
def test_unknown_paths_are_404_problems(live_service: LiveService, method: str, path: str) -> None:
    body = b"" if method == "POST" else None
    _problem(live_service.request(method, path, body), 404, "not-found")


def test_a_wrong_method_is_a_405_problem(live_service: LiveService) -> None:
    response = live_service.request("GET", "/api/verify")
    _problem(response, 405, "method-not-allowed")
    assert response.headers["Allow"] == "POST"


def test_an_unsupported_media_type_is_a_415_problem(live_service: LiveService) -> None:
    response = live_service.request(
        "POST", "/api/payments/sandbox/webhook", b"{}", {"Content-Type": "text/plain"}
    )
    _problem(response, 415, "unsupported-media-type")


def test_the_pdf_without_a_matching_accept_is_406_and_with_one_carries_the_headers(
    live_service: LiveService,
) -> None:
    submitted, _ = live_service.issue_permit()
    path = f"/api/applications/{submitted.id}/permit.pdf"
    refused = live_service.request(
        "GET", path, headers={**live_service.bearer(submitted), "Accept": "application/json"}
    )
    _problem(refused, 406, "not-acceptable")
    pdf = live_service.request(
        "GET", path, headers={**live_service.bearer(submitted), "Accept": "application/pdf"}
    )
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-")
    _secure(pdf)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/forms", 200),
        ("/.well-known/permit-keys.json", 200),
        ("/v", 200),
        ("/", 200),
        ("/status/0123456789abcdef0123456789abcdef", 404),  # no session: the not-found page
        ("/sandbox/checkout/garbage", 400),
        ("/api/applications/0123456789abcdef0123456789abcdef", 404),
    ],
)
def test_pages_and_json_answers_carry_the_security_headers(
    live_service: LiveService, path: str, status: int
) -> None:
    response = live_service.request("GET", path)
    assert response.status == status
    _secure(response)
