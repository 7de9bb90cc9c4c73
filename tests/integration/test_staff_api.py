"""Staff endpoints: refused without credentials in every stage, and revocation with audit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import table_items

STAFF_TOKEN = "staff-token-for-tests-0123456789"


@pytest.fixture
def staff_client(settings: Any, dynamodb_client: Any, clock: Any) -> Any:
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    staff_settings = replace(
        settings, staff_token_hashes=(hashlib.sha256(STAFF_TOKEN.encode()).hexdigest(),)
    )
    app_module.set_container(Container(staff_settings, dynamodb=dynamodb_client, clock=clock))
    with Client(app_module.app) as test_client:
        yield test_client
    app_module.set_container(None)


def _submit(client: Any) -> dict[str, Any]:
    schema = json.loads(client.http.get("/api/forms/resident-parking-permit").body)
    response = client.http.post(
        "/api/forms/resident-parking-permit/applications",
        body=json.dumps(schema["examples"][0]),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201
    return json.loads(response.body)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong-token-000000000000",
        "Basic c3RhZmY6c3RhZmY=",
        f"bearer {STAFF_TOKEN}",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/staff/queue/SUBMITTED/2026-11-21"),
        ("get", "/api/staff/applications/0123456789abcdef0123456789abcdef"),
        ("post", "/api/staff/applications/0123456789abcdef0123456789abcdef/revoke"),
    ],
)
def test_staff_endpoints_refuse_anonymous_and_wrong_credentials(
    staff_client: Any, authorization: str | None, method: str, path: str
) -> None:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    call = getattr(staff_client.http, method)
    kwargs = {"body": json.dumps({"reason": "test reason"})} if method == "post" else {}
    response = call(path, headers=headers, **kwargs)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"


def test_no_configured_staff_token_refuses_everyone(client: Any) -> None:
    response = client.http.get(
        "/api/staff/queue/SUBMITTED/2026-11-21", headers={"Authorization": f"Bearer {STAFF_TOKEN}"}
    )
    assert response.status_code == 401


def test_queue_lists_submitted_application_and_detail_shows_audit(staff_client: Any) -> None:
    created = _submit(staff_client)
    auth = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    queue = json.loads(
        staff_client.http.get("/api/staff/queue/SUBMITTED/2026-11-21", headers=auth).body
    )
    assert [row["id"] for row in queue["applications"]] == [created["id"]]
    detail = json.loads(
        staff_client.http.get(f"/api/staff/applications/{created['id']}", headers=auth).body
    )
    assert detail["status"] == "SUBMITTED"
    assert [entry["event"] for entry in detail["audit"]] == ["submitted", "viewed"]


def test_revoke_refuses_unissued_and_changes_nothing(
    staff_client: Any, dynamodb_client: Any, table_name: str
) -> None:
    created = _submit(staff_client)
    before = table_items(dynamodb_client, table_name)
    response = staff_client.http.post(
        f"/api/staff/applications/{created['id']}/revoke",
        headers={"Authorization": f"Bearer {STAFF_TOKEN}", "Content-Type": "application/json"},
        body=json.dumps({"reason": "plate changed"}),
    )
    assert response.status_code == 409
    assert table_items(dynamodb_client, table_name) == before


def test_revoke_without_reason_is_422_naming_the_field(staff_client: Any) -> None:
    created = _submit(staff_client)
    response = staff_client.http.post(
        f"/api/staff/applications/{created['id']}/revoke",
        headers={"Authorization": f"Bearer {STAFF_TOKEN}", "Content-Type": "application/json"},
        body=json.dumps({"reason": 5}),
    )
    assert response.status_code == 422
    assert json.loads(response.body)["errors"][0]["pointer"] == "/reason"


def test_unknown_queue_and_bad_day_are_404(staff_client: Any) -> None:
    auth = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    assert (
        staff_client.http.get("/api/staff/queue/REVOKED/2026-11-21", headers=auth).status_code
        == 404
    )
    assert (
        staff_client.http.get("/api/staff/queue/SUBMITTED/2026-13-45", headers=auth).status_code
        == 404
    )


def test_revoke_issued_permit_then_verify_says_revoked(
    staff_client: Any, dynamodb_client: Any, table_name: str
) -> None:
    import app as app_module
    from chalicelib.services.ports import PaymentEvent

    created = _submit(staff_client)
    bearer = {"Authorization": f"Bearer {created['access_token']}"}
    assert (
        staff_client.http.post(
            f"/api/applications/{created['id']}/checkout", headers=bearer
        ).status_code
        == 200
    )
    event = PaymentEvent("evt-1", "payment.succeeded", "pay-1", created["id"], 3000, "EUR")
    assert app_module.container().payments.apply("sandbox", event).result == "issued"
    status = json.loads(
        staff_client.http.get(f"/api/applications/{created['id']}", headers=bearer).body
    )
    token = status["permit"]["verify_url"].split("#", 1)[1]

    response = staff_client.http.post(
        f"/api/staff/applications/{created['id']}/revoke",
        headers={"Authorization": f"Bearer {STAFF_TOKEN}", "Content-Type": "application/json"},
        body=json.dumps({"reason": "vehicle sold"}),
    )
    assert response.status_code == 200
    assert json.loads(response.body)["status"] == "REVOKED"
    verdict = staff_client.http.post(
        "/api/verify",
        body=json.dumps({"token": token}),
        headers={"Content-Type": "application/json"},
    )
    assert json.loads(verdict.body)["result"] == "revoked"
    permits = [i for i in table_items(dynamodb_client, table_name) if i["type"]["S"] == "permit"]
    assert [p["status"]["S"] for p in permits] == ["REVOKED"]
    audit = json.loads(
        staff_client.http.get(
            f"/api/staff/applications/{created['id']}",
            headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
        ).body
    )["audit"]
    assert audit[-1]["event"] == "viewed"  # this very read, audited before it answered
    assert audit[-2]["event"] == "revoked"
    assert audit[-2]["actor"].startswith("staff:")


def test_prod_stage_has_no_sandbox_and_answers_without_500(
    settings: Any, dynamodb_client: Any, clock: Any
) -> None:
    """In prod the sandbox is off: its pages and webhook are 404, checkout is 503, never 500."""
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    app_module.set_container(
        Container(replace(settings, stage="prod"), dynamodb=dynamodb_client, clock=clock)
    )
    try:
        with Client(app_module.app) as client:
            created = _submit(client)
            bearer = {"Authorization": f"Bearer {created['access_token']}"}
            checkout = client.http.post(
                f"/api/applications/{created['id']}/checkout", headers=bearer
            )
            assert checkout.status_code == 503
            assert client.http.get("/sandbox/checkout/abc.def").status_code == 404
            webhook = client.http.post(
                "/api/payments/sandbox/webhook",
                body=b'{"type": "payment.succeeded"}',
                headers={"Content-Type": "application/json"},
            )
            assert webhook.status_code == 404
    finally:
        app_module.set_container(None)
