"""``DynamoDBStore.replace_permit`` (supersede) against DynamoDB over HTTP: all or nothing.

Each failure mode raises its own store error and leaves the table exactly as it was; the
success writes the whole set: application, both permits, the status-list entry, the plate
claims handed over, audit and outbox.
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
    PermitRecord,
    PermitSummary,
    PlateClaim,
)
from chalicelib.services.store_errors import (
    PermitSerialTakenError,
    PlateTakenError,
    StaleApplicationError,
)
from tests.conftest import table_items

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=30)
APP = "c" * 32
OTHER = "d" * 32
START, END = date(2026, 11, 21), date(2027, 11, 20)


@pytest.fixture
def store(dynamodb_client: Any, table_name: str) -> DynamoDBStore:
    return DynamoDBStore(dynamodb_client, table_name)


@pytest.fixture
def snapshot(dynamodb_client: Any, table_name: str) -> Any:
    def take() -> list[dict[str, Any]]:
        return sorted(
            table_items(dynamodb_client, table_name), key=lambda i: (i["PK"]["S"], i["SK"]["S"])
        )

    return take


def _permit(app_id: str, serial: int, plates: tuple[str, ...]) -> PermitRecord:
    return PermitRecord(
        serial=serial,
        number=f"2026-{serial:04d}-TEST",
        application_id=app_id,
        form_id="resident-parking-permit",
        permit_type=1,
        zone="C",
        plates=plates,
        valid_from=START,
        valid_to=END,
        token=f"token-{serial}",
        key_id=1,
        status=Status.ISSUED,
        issued_at=T0,
        claimed_plates=plates,
    )


def _summary(permit: PermitRecord) -> PermitSummary:
    return PermitSummary(
        serial=permit.serial,
        number=permit.number,
        zone=permit.zone,
        plates=permit.plates,
        valid_from=permit.valid_from,
        valid_to=permit.valid_to,
        token=permit.token,
        issued_at=permit.issued_at,
        permit_type=permit.permit_type,
        claimed_plates=permit.claimed_plates,
    )


def _issued(store: DynamoDBStore, app_id: str, serial: int, plates: tuple[str, ...]) -> Any:
    permit = _permit(app_id, serial, plates)
    app = Application(
        id=app_id,
        form_id="resident-parking-permit",
        form_version=1,
        schema_hash="5" * 64,
        data={"vehicle": {"plates": list(plates)}},
        status=Status.ISSUED,
        version=1,
        fee_cents=3000,
        currency="EUR",
        access_token_hash="e" * 64,
        created_at=T0,
        updated_at=T0,
        permit=_summary(permit),
    )
    claims = [PlateClaim(1, p, app_id, serial, START, END) for p in plates]
    audit = AuditEntry(app_id, T0, "issued", None, Status.ISSUED, "test")
    store.create_application(app, [audit], permit=permit, plate_claims=claims)
    return app


def _replacement(app: Application, serial: int, plates: tuple[str, ...]) -> Any:
    permit = replace(_permit(app.id, serial, plates), issued_at=T1)
    after = app.with_changes(
        T1, permit=_summary(permit), data={"vehicle": {"plates": list(plates)}}
    )
    audit = AuditEntry(app.id, T1, "superseded", app.status, app.status, "staff:test")
    return after, permit, [audit]


def _claims(store: DynamoDBStore, plates: tuple[str, ...]) -> dict[str, int | None]:
    found = {p: store.get_plate_claim(1, p) for p in plates}
    return {p: (claim.serial if claim else None) for p, claim in found.items()}


def test_replace_supersedes_hands_claims_over_and_lists_the_old_serial(
    store: DynamoDBStore,
) -> None:
    app = _issued(store, APP, 1001, ("DNAA1", "DNAA2"))
    after, permit, audits = _replacement(app, 2002, ("DNAA2", "DNAA3"))
    store.replace_permit(app, after, audits, permit)

    old, new = store.get_permit(1001), store.get_permit(2002)
    assert old is not None and old.status is Status.SUPERSEDED
    assert new is not None and new.status is Status.ISSUED
    # Dropped plate released, kept plate handed over, new plate claimed.
    assert _claims(store, ("DNAA1", "DNAA2", "DNAA3")) == {
        "DNAA1": None,
        "DNAA2": 2002,
        "DNAA3": 2002,
    }
    entries = store.list_permit_status_entries()
    assert [(e.serial, e.status) for e in entries] == [(1001, Status.SUPERSEDED)]
    stored = store.get_application(APP)
    assert stored is not None and stored.permit is not None and stored.permit.serial == 2002
    assert [a.event for a in store.list_audit(APP)] == ["issued", "superseded"]


def test_a_plate_held_by_another_permit_refuses_and_writes_nothing(
    store: DynamoDBStore, snapshot: Any
) -> None:
    _issued(store, OTHER, 3003, ("DNBB1",))
    app = _issued(store, APP, 1001, ("DNAA1",))
    before = snapshot()
    after, permit, audits = _replacement(app, 2002, ("DNBB1",))
    with pytest.raises(PlateTakenError) as raised:
        store.replace_permit(app, after, audits, permit)
    assert raised.value.plate == "DNBB1"
    assert raised.value.held is not None and raised.value.held.application_id == OTHER
    assert snapshot() == before


def test_a_stale_application_refuses_and_writes_nothing(
    store: DynamoDBStore, snapshot: Any
) -> None:
    app = _issued(store, APP, 1001, ("DNAA1",))
    first, permit, audits = _replacement(app, 2002, ("DNAA4",))
    store.replace_permit(app, first, audits, permit)
    before = snapshot()
    second, permit2, audits2 = _replacement(app, 2003, ("DNAA5",))  # from the old read
    with pytest.raises(StaleApplicationError):
        store.replace_permit(app, second, audits2, permit2)
    assert snapshot() == before


def test_a_serial_collision_refuses_and_writes_nothing(store: DynamoDBStore, snapshot: Any) -> None:
    _issued(store, OTHER, 3003, ("DNBB1",))
    app = _issued(store, APP, 1001, ("DNAA1",))
    before = snapshot()
    after, permit, audits = _replacement(app, 3003, ("DNAA6",))  # 3003 is taken
    with pytest.raises(PermitSerialTakenError):
        store.replace_permit(app, after, audits, permit)
    assert snapshot() == before
