"""Staff detail view and actions over HTTP against DynamoDB (moto server).

The detail view audits itself before it answers (and answers 503 with no data when it
cannot); each action needs a reason, names its actor in the audit trail, and bad input is a
422 naming the field with nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import table_items
from tests.fakes import AuditRefusingStore
from tests.integration.staff_helpers import STAFF, StaffWorld, staff_world

__all__ = ["staff_world"]

ACTOR = "staff:" + hashlib.sha256(STAFF["Authorization"].split()[1].encode()).hexdigest()[:8]


def _post(world: StaffWorld, path: str, body: object) -> Any:
    return world.client.http.post(
        path,
        headers={**STAFF, "Content-Type": "application/json"},
        body=json.dumps(body),
    )


def _audit(world: StaffWorld, app_id: str) -> list[dict[str, Any]]:
    entries = world.container.store.list_audit(app_id)
    return [
        {"event": e.event, "actor": e.actor, "detail": e.detail, "to": e.to_status} for e in entries
    ]


def test_viewing_the_answers_writes_an_audit_entry_first(staff_world: StaffWorld) -> None:
    applied = staff_world.apply(email="viewed.person@example.org")
    detail = staff_world.get_json(f"/api/staff/applications/{applied.id}")
    assert detail["data"]["applicant"]["email"] == "viewed.person@example.org"
    # The answer already lists its own view: the entry was written before it was built.
    assert detail["audit"][-1]["event"] == "viewed"
    assert detail["audit"][-1]["actor"] == ACTOR
    assert detail["payment"]["reference"]
    staff_world.get_json(f"/api/staff/applications/{applied.id}")
    events = [e["event"] for e in _audit(staff_world, applied.id)]
    assert events == ["submitted", "viewed", "viewed"]


def test_no_answers_when_the_view_cannot_be_audited(
    settings: Any, dynamodb_client: Any, clock: Any
) -> None:
    from chalice.test import Client

    import app as app_module
    from chalicelib.adapters.dynamodb.store import DynamoDBStore
    from chalicelib.wiring import Container

    staff_settings = replace(
        settings,
        staff_token_hashes=(
            hashlib.sha256(STAFF["Authorization"].split()[1].encode()).hexdigest(),
        ),
    )
    refusing = AuditRefusingStore(DynamoDBStore(dynamodb_client, settings.table_name))
    container = Container(staff_settings, dynamodb=dynamodb_client, clock=clock, store=refusing)  # type: ignore[typeddict-item]
    app_module.set_container(container)
    try:
        with Client(app_module.app) as client:
            world = StaffWorld(client, container)
            applied = world.apply(email="hidden.person@example.org")
            response = world.get(f"/api/staff/applications/{applied.id}")
            assert response.status_code == 503
            assert response.headers["Content-Type"] == "application/problem+json"
            assert "hidden.person" not in response.body.decode()
            assert refusing.refused == 1
    finally:
        app_module.set_container(None)


def test_resolving_a_flag_takes_it_off_with_reason_and_actor(staff_world: StaffWorld) -> None:
    applied = staff_world.apply()
    staff_world.checkout(applied)
    assert staff_world.pay(applied, amount_cents=1) == "flagged"
    queue = staff_world.get_json("/api/staff/queue?status=FLAGGED")
    assert [row["id"] for row in queue["applications"]] == [applied.id]

    response = _post(
        staff_world,
        f"/api/staff/applications/{applied.id}/flags/resolve",
        {"flag": "amount_mismatch", "reason": "refunded by the cash office"},
    )
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["flags"] == []
    last = _audit(staff_world, applied.id)[-1]
    assert last["event"] == "flag_resolved"
    assert last["actor"] == ACTOR
    assert last["detail"] == {"flag": "amount_mismatch", "reason": "refunded by the cash office"}
    assert staff_world.get_json("/api/staff/queue?status=FLAGGED")["applications"] == []


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"flag": "not_a_flag_it_has", "reason": "looked at it"}, "/flag"),
        ({"flag": "amount_mismatch"}, "/reason"),
        ({"flag": "amount_mismatch", "reason": "  x "}, "/reason"),
        ({"flag": "amount_mismatch", "reason": "x" * 501}, "/reason"),
        ({"flag": 5, "reason": "looked at it"}, "/flag"),
    ],
)
def test_a_bad_flag_resolution_is_422_and_changes_nothing(
    staff_world: StaffWorld, dynamodb_client: Any, table_name: str, body: Any, pointer: str
) -> None:
    applied = staff_world.apply()
    staff_world.checkout(applied)
    assert staff_world.pay(applied, amount_cents=1) == "flagged"
    before = table_items(dynamodb_client, table_name)
    response = _post(staff_world, f"/api/staff/applications/{applied.id}/flags/resolve", body)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["pointer"] for e in json.loads(response.body)["errors"]] == [pointer]
    assert table_items(dynamodb_client, table_name) == before


def test_cancelling_an_unpaid_application(staff_world: StaffWorld) -> None:
    submitted = staff_world.apply()
    awaiting = staff_world.apply()
    staff_world.checkout(awaiting)
    for applied in (submitted, awaiting):
        response = _post(
            staff_world,
            f"/api/staff/applications/{applied.id}/cancel",
            {"reason": "citizen withdrew by phone"},
        )
        assert response.status_code == 200, response.body
        assert json.loads(response.body)["status"] == "CANCELLED"
        last = _audit(staff_world, applied.id)[-1]
        assert (last["event"], last["actor"]) == ("cancelled", ACTOR)
        assert last["detail"] == {"reason": "citizen withdrew by phone"}
    # A payment arriving afterwards issues nothing: it is flagged for a refund.
    assert staff_world.pay(awaiting) == "flagged"


def test_cancel_refuses_paid_applications_and_bad_reasons_changing_nothing(
    staff_world: StaffWorld, dynamodb_client: Any, table_name: str
) -> None:
    issued = staff_world.apply()
    staff_world.checkout(issued)
    assert staff_world.pay(issued) == "issued"
    unpaid = staff_world.apply()
    before = table_items(dynamodb_client, table_name)
    refused = _post(
        staff_world, f"/api/staff/applications/{issued.id}/cancel", {"reason": "wrong person"}
    )
    assert refused.status_code == 409
    for body in ({}, {"reason": ""}, {"reason": 7}, {"reason": "y" * 501}):
        response = _post(staff_world, f"/api/staff/applications/{unpaid.id}/cancel", body)
        assert response.status_code == 422
        assert [e["pointer"] for e in json.loads(response.body)["errors"]] == ["/reason"]
    not_json = staff_world.client.http.post(
        f"/api/staff/applications/{unpaid.id}/cancel",
        headers={**STAFF, "Content-Type": "application/json"},
        body=b"[1, 2]",
    )
    assert not_json.status_code in (400, 422)
    unknown = _post(staff_world, f"/api/staff/applications/{'0' * 32}/cancel", {"reason": "abc"})
    assert unknown.status_code == 404
    assert table_items(dynamodb_client, table_name) == before


def test_actions_refuse_anonymous_callers(staff_world: StaffWorld) -> None:
    applied = staff_world.apply()
    for action, body in (
        ("cancel", {"reason": "abc def"}),
        ("flags/resolve", {"flag": "x", "reason": "abc"}),
    ):
        response = staff_world.client.http.post(
            f"/api/staff/applications/{applied.id}/{action}",
            headers={"Content-Type": "application/json"},
            body=json.dumps(body),
        )
        assert response.status_code == 401
    assert [e["event"] for e in _audit(staff_world, applied.id)] == ["submitted"]


def test_the_detail_shows_what_was_refunded_per_payment(staff_world: StaffWorld) -> None:
    applied = staff_world.apply()
    staff_world.checkout(applied)
    assert staff_world.webhook("payment.succeeded", applied, "pay_r")[1] == "issued"
    assert staff_world.webhook("payment.refunded", applied, "pay_r", refunded_cents=700)[1] == (
        "flagged"
    )
    detail = staff_world.get_json(f"/api/staff/applications/{applied.id}")
    assert detail["payment"]["refunded"] == [{"payment_id": "pay_r", "amount_cents": 700}]
    assert detail["flags"] == ["partial_refund"]
