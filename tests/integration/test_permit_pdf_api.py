"""`GET /api/applications/{id}/permit.pdf`: only the holder of the access token gets the PDF.

A wrong, foreign or missing token answers 404 exactly like an unknown id (no enumeration); an
application without a printable permit answers 409. Through the HTTP API (chalice test
client) against DynamoDB over HTTP, so deleting the access check in
``services/documents.py`` or the status checks after it fails a test here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.payment_helpers import PaymentWorld, Submitted, open_world

PDF = {"Accept": "application/pdf"}
PROBLEM = "application/problem+json"


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


def _pdf(world: PaymentWorld, app_id: str, headers: dict[str, str], query: str = "") -> Any:
    return world.http.get(
        f"/api/applications/{app_id}/permit.pdf{query}", headers={**PDF, **headers}
    )


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.body[:300]
    assert response.headers["Content-Type"] == PROBLEM
    body: dict[str, Any] = json.loads(response.body)
    assert body["type"].endswith(f"/problems/{slug}")
    assert body["status"] == status
    return body


def _issued(world: PaymentWorld) -> Submitted:
    app = world.submit()
    paid, _ = world.pay(app)
    assert paid.json_body["result"] == "issued"
    return app


def test_the_holder_gets_the_pdf(world: PaymentWorld) -> None:
    app = _issued(world)
    number = world.status(app).json_body["permit"]["number"]
    response = _pdf(world, app.id, app.auth)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.body.startswith(b"%PDF-")
    assert number in response.headers["Content-Disposition"]


def test_a_wrong_token_answers_404_like_an_unknown_id(world: PaymentWorld) -> None:
    app = _issued(world)
    wrong = "W" * 32
    unknown = _problem(
        _pdf(world, "0" * 32, {"Authorization": f"Bearer {wrong}"}), 404, "not-found"
    )
    by_header = _problem(
        _pdf(world, app.id, {"Authorization": f"Bearer {wrong}"}), 404, "not-found"
    )
    assert by_header == unknown  # nothing tells a known id from an unknown one


def test_another_applications_token_answers_404(world: PaymentWorld) -> None:
    """The foreign token is valid, just not for this application: the check compares hashes."""
    mine = _issued(world)
    theirs = _issued(world)
    _problem(_pdf(world, mine.id, theirs.auth), 404, "not-found")
    assert _pdf(world, theirs.id, theirs.auth).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Basic eDp5"}],
)
def test_a_missing_token_answers_404(world: PaymentWorld, headers: dict[str, str]) -> None:
    app = _issued(world)
    _problem(_pdf(world, app.id, headers), 404, "not-found")


def test_an_unpaid_application_answers_409(world: PaymentWorld) -> None:
    submitted = world.submit()
    body = _problem(_pdf(world, submitted.id, submitted.auth), 409, "not-issued")
    assert "payment" in body["detail"]
    waiting = world.submit()
    assert world.checkout(waiting).status_code == 200
    _problem(_pdf(world, waiting.id, waiting.auth), 409, "not-issued")


def test_a_revoked_permit_answers_409(world: PaymentWorld) -> None:
    app = world.submit()
    paid, session = world.pay(app)
    assert paid.json_body["result"] == "issued"
    assert _pdf(world, app.id, app.auth).status_code == 200
    refunded = world.post_webhook(*world.refund_webhook(session))
    assert refunded.json_body["result"] == "revoked"
    body = _problem(_pdf(world, app.id, app.auth), 409, "conflict")
    assert "revoked" in body["detail"]


def test_the_api_takes_the_token_only_in_the_header(world: PaymentWorld) -> None:
    """The e-mailed link is a signed page link (issue 10); the API never reads a token from
    the query string, where it would land in logs and browser history."""
    mine = _issued(world)
    assert _pdf(world, mine.id, {"Authorization": f"Bearer {mine.token}"}).status_code == 200
    for query in (f"?access_token={mine.token}", "?access_token="):
        _problem(_pdf(world, mine.id, {}, query), 404, "not-found")
