"""A transaction cancelled by a taken audit entry is a conflict, not "store unavailable".

On moto's DynamoDB server over HTTP: the audit entry a save is about to write already exists
(another writer of the same application version wrote it), so DynamoDB cancels the
transaction with ``ConditionalCheckFailed`` on the audit put while the application's own
condition passed. That is a concurrent change, which the services re-read and retry
(``StaleApplicationError``); before, it surfaced as ``StoreUnavailableError`` and a 503.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb import items
from chalicelib.adapters.dynamodb.store import DynamoDBStore
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import Application, AuditEntry, PaymentEventRecord
from chalicelib.services.dependency_errors import DependencyUnavailableError
from chalicelib.services.store_errors import StaleApplicationError

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=3)
APP_ID = "c" * 32


def _app() -> Application:
    return Application(
        id=APP_ID,
        form_id="resident-parking-permit",
        form_version=1,
        schema_hash="5" * 64,
        data={"vehicle": {"plates": ["DNAB123"]}},
        status=Status.SUBMITTED,
        version=1,
        fee_cents=3000,
        currency="EUR",
        access_token_hash="e" * 64,
        created_at=T0,
        updated_at=T0,
    )


def _stored_version(dynamodb_client: Any, table_name: str) -> int:
    item = dynamodb_client.get_item(
        TableName=table_name, Key=items.application_key(APP_ID), ConsistentRead=True
    )["Item"]
    return int(item["version"]["N"])


def test_a_taken_audit_entry_cancels_the_save_as_a_conflict(
    dynamodb_client: Any, table_name: str
) -> None:
    store = DynamoDBStore(dynamodb_client, table_name)
    app = _app()
    store.create_application(
        app, [AuditEntry(APP_ID, T0, "submitted", None, Status.SUBMITTED, "citizen")]
    )
    after = app.advance(Status.AWAITING_PAYMENT, T1)
    audit = AuditEntry(
        APP_ID, T1, "checkout_opened", Status.SUBMITTED, Status.AWAITING_PAYMENT, "citizen"
    )
    # The entry this save writes (version 2, first of its transaction) is already there.
    dynamodb_client.put_item(TableName=table_name, Item=items.audit_item(audit, after.version * 10))

    with pytest.raises(StaleApplicationError) as caught:
        store.save(app, after, [audit])

    assert not isinstance(caught.value, DependencyUnavailableError)
    assert _stored_version(dynamodb_client, table_name) == 1  # nothing written


def test_a_taken_audit_entry_of_a_recorded_event_is_a_conflict(
    dynamodb_client: Any, table_name: str
) -> None:
    store = DynamoDBStore(dynamodb_client, table_name)
    app = _app()
    store.create_application(
        app, [AuditEntry(APP_ID, T0, "submitted", None, Status.SUBMITTED, "citizen")]
    )
    event = PaymentEventRecord(
        "sandbox", "evt_conflict", APP_ID, "payment.failed", T1, 2_000_000_000
    )
    audit = AuditEntry(APP_ID, T1, "payment_failed", app.status, app.status, "sandbox")
    taken = items.audit_item(audit, app.version * 10 + 9)
    taken["SK"] = {"S": f"{taken['SK']['S']}#{event.event_id}"}
    dynamodb_client.put_item(TableName=table_name, Item=taken)

    with pytest.raises(StaleApplicationError):
        store.record_event(event, audit, app.version)
