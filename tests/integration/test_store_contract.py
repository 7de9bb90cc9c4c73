"""The store contract, against DynamoDBStore over HTTP.

Runs unchanged against moto's server (the default), DynamoDB Local or a real table (set
PERMIT_TEST_DYNAMODB_ENDPOINT): only the public DynamoDB API is used, and every read that
decides an assertion is strongly consistent (no GSI queries, which are eventually consistent
on real DynamoDB; the sparse index is checked through the keys on the item itself).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.store import DynamoDBStore
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import (
    Application,
    AuditEntry,
    CheckoutInfo,
    IdempotencyRecord,
    PaymentEventRecord,
    PermitRecord,
    PermitSummary,
)
from chalicelib.services.store_errors import (
    DuplicateEventError,
    IdempotencyKeyUsedError,
    PermitSerialTakenError,
    StaleApplicationError,
)
from tests.conftest import table_items

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=3)
T2 = T0 + timedelta(minutes=7)
APP_A = "a" * 32
APP_B = "b" * 32


@pytest.fixture
def store(dynamodb_client: Any, table_name: str) -> DynamoDBStore:
    return DynamoDBStore(dynamodb_client, table_name)


@pytest.fixture
def snapshot(dynamodb_client: Any, table_name: str) -> Any:
    """Every item of the table, in a stable order, for "nothing changed" assertions."""

    def take() -> list[dict[str, Any]]:
        return sorted(
            table_items(dynamodb_client, table_name), key=lambda i: (i["PK"]["S"], i["SK"]["S"])
        )

    return take


@pytest.fixture
def has_event(dynamodb_client: Any, table_name: str) -> Any:
    """Whether the dedupe marker of (provider, event id) is stored: read from the table itself.

    The store has no such read (the services learn about a duplicate from the failed write),
    so the tests look at the item directly.
    """

    def stored(provider: str, event_id: str) -> bool:
        response = dynamodb_client.get_item(
            TableName=table_name,
            Key={"PK": {"S": f"EVENT#{provider}#{event_id}"}, "SK": {"S": "E"}},
            ConsistentRead=True,
        )
        return "Item" in response

    return stored


def _raw_item(dynamodb_client: Any, table_name: str, application_id: str) -> dict[str, Any]:
    response = dynamodb_client.get_item(
        TableName=table_name,
        Key={"PK": {"S": f"APP#{application_id}"}, "SK": {"S": "A"}},
        ConsistentRead=True,
    )
    item: dict[str, Any] = response["Item"]
    return item


def _app(application_id: str = APP_A, status: Status = Status.SUBMITTED) -> Application:
    return Application(
        id=application_id,
        form_id="resident-parking-permit",
        form_version=1,
        schema_hash="5" * 64,
        data={
            "applicant": {"family_name": "Öztürk", "given_names": "Gülşen Ayşe"},
            "vehicle": {"plates": ["DNAB123"], "relation": "holder"},
            "duration_months": 12,
            "start_date": "2026-11-21",
        },
        status=status,
        version=1,
        fee_cents=3000,
        currency="EUR",
        access_token_hash="e" * 64,
        created_at=T0,
        updated_at=T0,
    )


def _submitted(application_id: str = APP_A) -> AuditEntry:
    return AuditEntry(application_id, T0, "submitted", None, Status.SUBMITTED, "citizen")


def _idem(
    application_id: str, key_hash: str = "k" * 64, request_hash: str = "r" * 64
) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope="resident-parking-permit",
        key_hash=key_hash,
        request_hash=request_hash,
        application_id=application_id,
        response={
            "id": application_id,
            "status": "SUBMITTED",
            "fee": {"amount_cents": 3000, "currency": "EUR"},
        },
        expires_at=int((T0 + timedelta(hours=24)).timestamp()),
    )


def _permit(
    serial: int, application_id: str = APP_A, status: Status = Status.ISSUED
) -> PermitRecord:
    return PermitRecord(
        serial=serial,
        number=f"MS-{serial:010d}",
        application_id=application_id,
        form_id="resident-parking-permit",
        permit_type=1,
        zone="C",
        plates=("DNAB123",),
        valid_from=date(2026, 11, 21),
        valid_to=date(2027, 11, 20),
        token="1234567890",
        key_id=1,
        status=status,
        issued_at=T1,
    )


def _event(event_id: str = "evt_1", application_id: str = APP_A) -> PaymentEventRecord:
    return PaymentEventRecord(
        provider="sandbox",
        event_id=event_id,
        application_id=application_id,
        type="payment.succeeded",
        received_at=T1,
        expires_at=int((T1 + timedelta(days=30)).timestamp()),
    )


def _issue(before: Application, serial: int) -> Application:
    summary = PermitSummary(
        serial=serial,
        number=f"MS-{serial:010d}",
        zone="C",
        plates=("DNAB123",),
        valid_from=date(2026, 11, 21),
        valid_to=date(2027, 11, 20),
        token="1234567890",
        issued_at=T1,
    )
    return before.advance(Status.ISSUED, T1, payment_id="pay_1", permit=summary)


# -- create -------------------------------------------------------------------------------


def test_create_then_read_returns_the_same_application(store: DynamoDBStore) -> None:
    app = _app()
    store.create_application(app, [_submitted()])
    assert store.get_application(APP_A) == app
    assert store.list_audit(APP_A) == [_submitted()]


def test_a_full_application_round_trips(store: DynamoDBStore) -> None:
    app = replace(
        _app(),
        checkout=CheckoutInfo(
            "sandbox", "chk_1", "https://permits.example.de/pay/chk_1", T0, T0 + timedelta(hours=24)
        ),
        payment_id="pay_1",
        flags=("late_payment", "review"),
    )
    app = _issue(replace(app, status=Status.AWAITING_PAYMENT), 42)
    store.create_application(app, [])
    assert store.get_application(APP_A) == app


def test_a_checkout_without_a_recorded_expiry_still_reads(store: DynamoDBStore) -> None:
    """Items written before the expiry was recorded (issue 9) read back with None."""
    checkout = CheckoutInfo("sandbox", "chk_1", "https://permits.example.de/pay/chk_1", T0)
    app = replace(_app(), status=Status.AWAITING_PAYMENT, checkout=checkout)
    store.create_application(app, [])
    stored = store.get_application(APP_A)
    assert stored is not None and stored.checkout == checkout


def test_unknown_ids_read_as_none(store: DynamoDBStore) -> None:
    assert store.get_application("f" * 32) is None
    assert store.get_permit(99) is None
    assert store.get_idempotency("resident-parking-permit", "x" * 64) is None
    assert store.list_audit("f" * 32) == []


def test_creating_the_same_application_twice_is_refused(
    store: DynamoDBStore, snapshot: Any
) -> None:
    store.create_application(_app(), [_submitted()])
    before = snapshot()
    changed = replace(_app(), fee_cents=1)
    later_audit = AuditEntry(APP_A, T1, "submitted", None, Status.SUBMITTED, "citizen")
    with pytest.raises(StaleApplicationError):
        store.create_application(changed, [later_audit])
    assert snapshot() == before
    assert store.get_application(APP_A) == _app()


def test_create_with_an_idempotency_record_stores_both(store: DynamoDBStore) -> None:
    store.create_application(_app(), [_submitted()], _idem(APP_A))
    assert store.get_idempotency("resident-parking-permit", "k" * 64) == _idem(APP_A)
    assert store.get_application(APP_A) == _app()


def test_a_used_idempotency_key_returns_the_existing_record(store: DynamoDBStore) -> None:
    store.create_application(_app(APP_A), [_submitted(APP_A)], _idem(APP_A))
    with pytest.raises(IdempotencyKeyUsedError) as caught:
        store.create_application(
            _app(APP_B), [_submitted(APP_B)], _idem(APP_B, request_hash="x" * 64)
        )
    assert caught.value.existing == _idem(APP_A)


def test_a_used_idempotency_key_creates_nothing(store: DynamoDBStore, snapshot: Any) -> None:
    store.create_application(_app(APP_A), [_submitted(APP_A)], _idem(APP_A))
    before = snapshot()
    with pytest.raises(IdempotencyKeyUsedError):
        store.create_application(_app(APP_B), [_submitted(APP_B)], _idem(APP_B))
    assert snapshot() == before
    assert store.get_application(APP_B) is None
    assert store.list_audit(APP_B) == []


def test_a_free_application_is_created_with_its_permit(store: DynamoDBStore) -> None:
    issued = _issue(_app(), 7)
    audits = [
        _submitted(),
        AuditEntry(APP_A, T0, "issued", Status.SUBMITTED, Status.ISSUED, "system"),
    ]
    store.create_application(issued, audits, None, _permit(7))
    assert store.get_application(APP_A) == issued
    assert store.get_permit(7) == _permit(7)
    assert store.list_audit(APP_A) == audits  # two entries in one write, kept apart and in order


def test_a_taken_permit_serial_refuses_the_whole_creation(
    store: DynamoDBStore, snapshot: Any
) -> None:
    store.create_application(_issue(_app(APP_A), 7), [_submitted(APP_A)], None, _permit(7, APP_A))
    before = snapshot()
    with pytest.raises(PermitSerialTakenError):
        store.create_application(
            _issue(_app(APP_B), 7), [_submitted(APP_B)], _idem(APP_B), _permit(7, APP_B)
        )
    assert snapshot() == before
    assert store.get_permit(7) == _permit(7, APP_A)
    assert store.get_application(APP_B) is None
    assert store.get_idempotency("resident-parking-permit", "k" * 64) is None


# -- save ---------------------------------------------------------------------------------


def test_save_writes_the_next_version_with_its_audit(store: DynamoDBStore) -> None:
    app = _app()
    store.create_application(app, [_submitted()])
    waiting = app.advance(Status.AWAITING_PAYMENT, T1)
    audit = AuditEntry(
        APP_A,
        T1,
        "checkout",
        Status.SUBMITTED,
        Status.AWAITING_PAYMENT,
        "citizen",
        {"provider": "sandbox"},
    )
    store.save(app, waiting, [audit])
    assert store.get_application(APP_A) == waiting
    assert store.list_audit(APP_A) == [_submitted(), audit]


def test_save_with_a_stale_version_is_refused_with_the_current_application(
    store: DynamoDBStore, snapshot: Any
) -> None:
    app = _app()
    store.create_application(app, [_submitted()])
    current = app.advance(Status.AWAITING_PAYMENT, T1)
    store.save(app, current, [])
    before = snapshot()
    cancelled = app.advance(Status.CANCELLED, T2)  # built from the old version 1
    with pytest.raises(StaleApplicationError) as caught:
        store.save(
            app,
            cancelled,
            [AuditEntry(APP_A, T2, "cancelled", Status.SUBMITTED, Status.CANCELLED, "job")],
        )
    assert caught.value.current == current
    assert snapshot() == before  # neither the application nor the audit entry


def test_save_of_a_missing_application_is_refused(store: DynamoDBStore, snapshot: Any) -> None:
    app = _app()
    before = snapshot()
    with pytest.raises(StaleApplicationError) as caught:
        store.save(app, app.advance(Status.CANCELLED, T1), [])
    assert caught.value.current is None
    assert snapshot() == before


def test_payment_and_issuance_are_one_write(store: DynamoDBStore, has_event: Any) -> None:
    app = _app(status=Status.AWAITING_PAYMENT)
    store.create_application(app, [])
    issued = _issue(app, 1234)
    audit = AuditEntry(
        APP_A, T1, "issued", Status.AWAITING_PAYMENT, Status.ISSUED, "provider:sandbox"
    )
    store.save(app, issued, [audit], event=_event(), new_permit=_permit(1234))
    assert store.get_application(APP_A) == issued
    assert store.get_permit(1234) == _permit(1234)
    assert has_event("sandbox", "evt_1") is True
    assert store.list_audit(APP_A) == [audit]


def test_a_duplicate_event_is_refused_and_changes_nothing(
    store: DynamoDBStore, snapshot: Any
) -> None:
    app = _app(status=Status.AWAITING_PAYMENT)
    store.create_application(app, [])
    issued = _issue(app, 1234)
    store.save(app, issued, [], event=_event(), new_permit=_permit(1234))
    before = snapshot()
    flagged = issued.with_changes(T2, flags=("duplicate_payment",))
    with pytest.raises(DuplicateEventError):
        store.save(
            issued,
            flagged,
            [AuditEntry(APP_A, T2, "flagged", None, None, "system")],
            event=_event(),
        )
    assert snapshot() == before


def test_record_event_remembers_an_event_once(
    store: DynamoDBStore, snapshot: Any, has_event: Any
) -> None:
    audit = AuditEntry(
        APP_A, T1, "payment_failed", None, None, "provider:sandbox", {"event": "evt_9"}
    )
    store.record_event(_event("evt_9"), audit)
    assert has_event("sandbox", "evt_9") is True
    assert store.list_audit(APP_A) == [audit]
    before = snapshot()
    with pytest.raises(DuplicateEventError):
        store.record_event(_event("evt_9"), replace(audit, at=T2))
    assert snapshot() == before


def test_events_are_scoped_by_provider(store: DynamoDBStore, has_event: Any) -> None:
    store.record_event(
        _event("evt_1"), AuditEntry(APP_A, T1, "seen", None, None, "provider:sandbox")
    )
    assert has_event("sandbox", "evt_1") is True
    assert has_event("stripe", "evt_1") is False


def test_a_taken_serial_refuses_the_issuing_save(
    store: DynamoDBStore, snapshot: Any, has_event: Any
) -> None:
    store.create_application(_issue(_app(APP_B), 1234), [], None, _permit(1234, APP_B))
    app = _app(status=Status.AWAITING_PAYMENT)
    store.create_application(app, [])
    before = snapshot()
    with pytest.raises(PermitSerialTakenError):
        store.save(
            app,
            _issue(app, 1234),
            [AuditEntry(APP_A, T1, "issued", None, None, "system")],
            event=_event(),
            new_permit=_permit(1234),
        )
    assert snapshot() == before
    assert has_event("sandbox", "evt_1") is False  # the event may be processed again


def test_a_permit_status_change_needs_the_expected_permit_status(
    store: DynamoDBStore, snapshot: Any
) -> None:
    issued = _issue(_app(), 5)
    store.create_application(issued, [], None, _permit(5))
    revoked_app = issued.advance(Status.REVOKED, T2)
    store.save(issued, revoked_app, [], permit_status=(5, Status.ISSUED, Status.REVOKED))
    assert store.get_permit(5) == replace(_permit(5), status=Status.REVOKED)
    assert store.get_application(APP_A) == revoked_app
    # A second change that still expects ISSUED is refused, with nothing written.
    before = snapshot()
    with pytest.raises(StaleApplicationError):
        store.save(
            revoked_app,
            revoked_app.with_changes(T2),
            [AuditEntry(APP_A, T2, "superseded", None, None, "staff")],
            permit_status=(5, Status.ISSUED, Status.SUPERSEDED),
        )
    assert snapshot() == before


def test_a_status_change_of_a_missing_permit_is_refused(
    store: DynamoDBStore, snapshot: Any
) -> None:
    issued = _issue(_app(), 6)
    store.create_application(issued, [])
    before = snapshot()
    with pytest.raises(StaleApplicationError):
        store.save(
            issued,
            issued.advance(Status.REVOKED, T2),
            [],
            permit_status=(6, Status.ISSUED, Status.REVOKED),
        )
    assert snapshot() == before


# -- the sparse queue index ---------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.AWAITING_PAYMENT])
def test_queued_statuses_carry_the_index_keys(
    store: DynamoDBStore, dynamodb_client: Any, table_name: str, status: Status
) -> None:
    store.create_application(_app(status=status), [])
    item = _raw_item(dynamodb_client, table_name, APP_A)
    assert item["GSI1PK"] == {"S": f"QUEUE#{status.value}#2026-11-21"}
    assert item["GSI1SK"] == {"S": f"2026-11-21T10:00:00+00:00#{APP_A}"}


@pytest.mark.parametrize(
    "status", [Status.ISSUED, Status.CANCELLED, Status.REVOKED, Status.EXPIRED, Status.SUPERSEDED]
)
def test_other_statuses_carry_no_index_keys(
    store: DynamoDBStore, dynamodb_client: Any, table_name: str, status: Status
) -> None:
    store.create_application(_app(status=status), [])
    item = _raw_item(dynamodb_client, table_name, APP_A)
    assert "GSI1PK" not in item and "GSI1SK" not in item


def test_issuing_moves_the_application_to_the_issued_queue_of_its_day(
    store: DynamoDBStore, dynamodb_client: Any, table_name: str
) -> None:
    """Recently issued permits are a staff queue too, keyed by the day of issue (Berlin)."""
    app = _app(status=Status.AWAITING_PAYMENT)
    store.create_application(app, [])
    store.save(app, _issue(app, 77), [], new_permit=_permit(77))
    item = _raw_item(dynamodb_client, table_name, APP_A)
    assert item["GSI1PK"] == {"S": f"QUEUE#ISSUED#{T1.date().isoformat()}"}
    assert item["GSI1SK"] == {"S": f"{T1.isoformat()}#{APP_A}"}


def test_leaving_the_queue_removes_the_index_keys(
    store: DynamoDBStore, dynamodb_client: Any, table_name: str
) -> None:
    app = _app(status=Status.AWAITING_PAYMENT)
    store.create_application(app, [])
    cancelled = app.advance(Status.CANCELLED, T1)
    store.save(app, cancelled, [])
    item = _raw_item(dynamodb_client, table_name, APP_A)
    assert "GSI1PK" not in item and "GSI1SK" not in item


def test_flagged_applications_stay_in_the_queue(
    store: DynamoDBStore, dynamodb_client: Any, table_name: str
) -> None:
    issued = _issue(_app(), 8)
    store.create_application(issued, [], None, _permit(8))
    store.save(issued, issued.with_changes(T2, flags=("duplicate_payment",)), [])
    item = _raw_item(dynamodb_client, table_name, APP_A)
    assert item["GSI1PK"] == {"S": "QUEUE#FLAGGED#2026-11-21"}


def test_only_hashes_of_secrets_are_stored(
    store: DynamoDBStore, dynamodb_client: Any, table_name: str
) -> None:
    store.create_application(_app(), [_submitted()], _idem(APP_A))
    stored = repr(table_items(dynamodb_client, table_name))
    assert "e" * 64 in stored  # the access token hash, as given
    assert "k" * 64 in stored  # the idempotency key hash, as given


def test_the_email_index_holds_a_hash_and_drops_it_when_anonymised(
    store: DynamoDBStore, dynamodb_client: Any, table_name: str
) -> None:
    """GSI2 (staff e-mail search): written with the application, gone once it is anonymised."""
    from dataclasses import replace as changed

    app = changed(_app(), email_hash="ab" * 32)
    store.create_application(app, [])
    item = _raw_item(dynamodb_client, table_name, APP_A)
    assert item["GSI2PK"] == {"S": f"EMAIL#{'ab' * 32}"}
    assert store.application_ids_by_email("ab" * 32) == [APP_A]
    anonymised = app.with_changes(T1, anonymised_at=T1)
    store.save(app, anonymised, [])
    item = _raw_item(dynamodb_client, table_name, APP_A)
    assert "GSI2PK" not in item and "GSI2SK" not in item and "email_hash" not in item
    assert store.application_ids_by_email("ab" * 32) == []
