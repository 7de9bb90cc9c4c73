"""The signed revocation list: written with the revocation, regenerated on change, served signed.

DynamoDB is moto's server over HTTP; the app runs through chalice's test client with the
test's clock. Permits are issued through the real payment path and revoked through the staff
API or a refund, exactly as in production.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from chalicelib.domain.lifecycle import Status
from chalicelib.domain.status_list import StatusList
from tests.conftest import FixedClock, table_items

STAFF_TOKEN = "staff-token-for-status-list-tests-0123"


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: FixedClock) -> Any:
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    staff_settings = replace(
        settings, staff_token_hashes=(hashlib.sha256(STAFF_TOKEN.encode()).hexdigest(),)
    )
    container = Container(staff_settings, dynamodb=dynamodb_client, clock=clock)
    app_module.set_container(container)
    with Client(app_module.app) as test_client:
        yield test_client, container
    app_module.set_container(None)


def _issue(client: Any, container: Any, n: int = 1) -> dict[str, Any]:
    from chalicelib.services.ports import PaymentEvent

    schema = json.loads(client.http.get("/api/forms/resident-parking-permit").body)
    document = schema["examples"][0]
    document["vehicle"]["plates"] = [f"dn sl {n + 1}"]  # one active permit per plate
    created = json.loads(
        client.http.post(
            "/api/forms/resident-parking-permit/applications",
            body=json.dumps(document),
            headers={"Content-Type": "application/json"},
        ).body
    )
    bearer = {"Authorization": f"Bearer {created['access_token']}"}
    assert client.http.post(f"/api/applications/{created['id']}/checkout", headers=bearer)
    event = PaymentEvent(f"evt-{n}", "payment.succeeded", f"pay-{n}", created["id"], 3000, "EUR")
    assert container.payments.apply("sandbox", event).result == "issued"
    status = json.loads(client.http.get(f"/api/applications/{created['id']}", headers=bearer).body)
    app = container.store.get_application(created["id"])
    return {"id": created["id"], "serial": app.permit.serial, "status": status}


def _revoke(client: Any, application_id: str) -> Any:
    return client.http.post(
        f"/api/staff/applications/{application_id}/revoke",
        headers={"Authorization": f"Bearer {STAFF_TOKEN}", "Content-Type": "application/json"},
        body=json.dumps({"reason": "vehicle sold"}),
    )


def _served_list(client: Any, container: Any) -> StatusList:
    response = client.http.get("/.well-known/permit-status.json")
    assert response.status_code == 200
    document = response.body.decode("ascii")
    # Verified with the key from the published JWK set, as a phone does.
    keys = json.loads(client.http.get("/.well-known/permit-keys.json").body)["keys"]
    assert [k["kid"] for k in keys] == ["1", "status-1"]
    listed: StatusList = container.status_list.read(document)
    return listed


def test_revocation_writes_its_list_entry_in_the_same_transaction_and_the_list_at_once(
    world: Any, dynamodb_client: Any, table_name: str
) -> None:
    client, container = world
    permit = _issue(client, container)
    before = _served_list(client, container)
    assert permit["serial"] not in before.revoked

    assert _revoke(client, permit["id"]).status_code == 200

    entries = container.store.list_permit_status_entries()
    assert [(e.serial, e.status) for e in entries] == [(permit["serial"], Status.REVOKED)]
    after = _served_list(client, container)  # regenerated on write: no waiting, no refresh
    assert after.revoked == {permit["serial"]} and after.superseded == frozenset()
    assert after.issued_at >= before.issued_at


def test_a_refused_revocation_writes_no_entry(
    world: Any, dynamodb_client: Any, table_name: str
) -> None:
    client, container = world
    permit = _issue(client, container)
    assert _revoke(client, permit["id"]).status_code == 200
    items = table_items(dynamodb_client, table_name)
    assert _revoke(client, permit["id"]).status_code == 409  # already revoked
    assert table_items(dynamodb_client, table_name) == items


def test_a_failed_transaction_leaves_no_entry(world: Any) -> None:
    """The entry rides in the transaction: a stale application version writes nothing."""
    from chalicelib.domain.records import AuditEntry
    from chalicelib.services.store_errors import StaleApplicationError

    client, container = world
    permit = _issue(client, container)
    app = container.store.get_application(permit["id"])
    after = app.advance(Status.REVOKED, container.clock.now())
    stale = replace(app, version=app.version - 1)
    audit = AuditEntry(app.id, after.updated_at, "revoked", app.status, Status.REVOKED, "t")
    with pytest.raises(StaleApplicationError):
        container.store.save(
            stale, after, [audit], permit_status=(permit["serial"], Status.ISSUED, Status.REVOKED)
        )
    assert container.store.list_permit_status_entries() == []


def test_a_refund_revocation_and_a_supersession_are_listed_apart(world: Any) -> None:
    from chalicelib.domain.records import AuditEntry
    from chalicelib.services.ports import PaymentEvent

    client, container = world
    refunded = _issue(client, container, 1)
    replaced_permit = _issue(client, container, 2)
    refund = PaymentEvent(
        "evt-r", "payment.refunded", "pay-1", refunded["id"], 3000, "EUR", refunded_cents=3000
    )
    assert container.payments.apply("sandbox", refund).result == "revoked"
    app = container.store.get_application(replaced_permit["id"])
    after = app.advance(Status.SUPERSEDED, container.clock.now())
    audit = AuditEntry(app.id, after.updated_at, "superseded", app.status, after.status, "t")
    container.store.save(
        app,
        after,
        [audit],
        permit_status=(replaced_permit["serial"], Status.ISSUED, Status.SUPERSEDED),
    )
    listed = _served_list(client, container)
    assert listed.revoked == {refunded["serial"]}
    assert listed.superseded == {replaced_permit["serial"]}


def test_entries_past_their_validity_leave_the_list(world: Any, clock: FixedClock) -> None:
    client, container = world
    permit = _issue(client, container)
    assert _revoke(client, permit["id"]).status_code == 200
    valid_to = date.fromisoformat(permit["status"]["permit"]["valid_until"])

    def listed_on(day: date) -> frozenset[int]:
        clock.current = datetime.combine(day, time(12), tzinfo=UTC)
        return container.status_list.read(container.status_list.regenerate().document).revoked

    assert listed_on(valid_to) == {permit["serial"]}
    assert listed_on(valid_to + timedelta(days=1)) == {permit["serial"]}  # a day of grace
    assert listed_on(valid_to + timedelta(days=2)) == frozenset()


def test_the_list_is_regenerated_when_old_and_served_as_is_when_fresh(
    world: Any, clock: FixedClock
) -> None:
    client, _ = world
    first = client.http.get("/.well-known/permit-status.json")
    clock.advance(minutes=5)
    again = client.http.get("/.well-known/permit-status.json")
    assert again.body == first.body  # one GetItem, no signing
    clock.advance(minutes=6)  # older than 10 minutes now
    later = client.http.get("/.well-known/permit-status.json")
    assert later.body != first.body
    assert (
        json.loads(json.loads(later.body)["payload"])["iat"]
        > json.loads(json.loads(first.body)["payload"])["iat"]
    )


def test_served_list_headers_cdn_caching_and_conditional_get(world: Any) -> None:
    client, _ = world
    response = client.http.get("/.well-known/permit-status.json")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=30, stale-if-error=86400"
    etag = response.headers["ETag"]
    not_modified = client.http.get(
        "/.well-known/permit-status.json", headers={"If-None-Match": etag}
    )
    assert not_modified.status_code == 304 and not_modified.body == b""


def test_an_older_list_never_replaces_a_newer_one(world: Any, clock: FixedClock) -> None:
    from chalicelib.services.ports import StoredStatusList

    _, container = world
    newer = container.status_list.regenerate()
    older = StoredStatusList(document="{}", issued_at=newer.issued_at - timedelta(seconds=1))
    assert container.store.put_status_list(older) is False
    assert container.store.get_status_list() == newer


def test_the_table_stream_handler_regenerates_only_for_revocation_entries(
    world: Any, clock: FixedClock
) -> None:
    import app as app_module

    client, container = world
    permit = _issue(client, container)
    first = container.status_list.regenerate()
    # Entry written as it would be in AWS, where the store does not regenerate on write.
    aws = replace(container.settings, status_list_updates="stream")
    from chalicelib.wiring import Container

    stream_container = Container(aws, dynamodb=container.dynamodb, clock=clock)
    app_module.set_container(stream_container)
    assert _revoke(client, permit["id"]).status_code == 200
    assert stream_container.store.get_status_list() == first  # nothing regenerated yet

    def record(pk: str, name: str = "INSERT") -> dict[str, Any]:
        return {
            "eventID": "1",
            "eventName": name,
            "eventSource": "aws:dynamodb",
            "awsRegion": "eu-central-1",
            "eventSourceARN": app_module.TABLE_STREAM_ARN,
            "dynamodb": {
                "ApproximateCreationDateTime": 1_763_000_000,
                "Keys": {"PK": {"S": pk}, "SK": {"S": "x"}},
                "SequenceNumber": "1",
                "SizeBytes": 10,
                "StreamViewType": "NEW_IMAGE",
            },
        }

    clock.advance(seconds=1)
    app_module.table_stream({"Records": [record("APP#x"), record("PERMIT#1")]}, None)
    assert stream_container.store.get_status_list() == first  # not ours: ignored
    app_module.table_stream({"Records": [record("PERMITSTATUS"), record("PERMITSTATUS")]}, None)
    regenerated = stream_container.store.get_status_list()
    assert regenerated is not None and regenerated != first
    assert stream_container.status_list.read(regenerated.document).revoked == {permit["serial"]}


def test_regeneration_reads_by_key_never_scans(world: Any) -> None:
    client, container = world
    for n in range(3):
        permit = _issue(client, container, n)
        assert _revoke(client, permit["id"]).status_code == 200
    calls: list[str] = []

    def count(event_name: str, **_: Any) -> None:
        calls.append(event_name.rsplit(".", 1)[-1])

    events = container.dynamodb.meta.events
    events.register("before-call.dynamodb", count)
    try:
        container.status_list.regenerate()
        client.http.get("/.well-known/permit-status.json")
    finally:
        events.unregister("before-call.dynamodb", count)
    assert calls == ["Query", "PutItem", "GetItem"]


def test_the_prod_stage_never_generates_a_local_list_key(
    settings: Any, dynamodb_client: Any, clock: FixedClock
) -> None:
    from chalicelib.wiring import Container

    prod = replace(settings, stage="prod")
    with pytest.raises(FileNotFoundError):
        _ = Container(prod, dynamodb=dynamodb_client, clock=clock).status_signer
    assert not settings.status_local_key_path.exists()
