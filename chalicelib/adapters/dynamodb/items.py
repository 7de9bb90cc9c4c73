"""Records <-> DynamoDB items in the low-level attribute-value format.

Written by hand instead of boto3's TypeSerializer: the records are few and flat, and this
keeps floats/Decimal out entirely (money is integer cents, form data is stored as the exact
JSON text that was validated).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import (
    Application,
    AuditEntry,
    CheckoutInfo,
    Draft,
    IdempotencyRecord,
    LedgerEntry,
    OutboxMessage,
    PaymentEventRecord,
    PendingChange,
    PermitRecord,
    PermitSummary,
    PlateClaim,
)
from chalicelib.services.ports import StatusEntry, StoredStatusList

__all__ = [
    "PERMIT_STATUS_PARTITION",
    "application_from_item",
    "application_item",
    "application_key",
    "audit_item",
    "draft_from_item",
    "draft_item",
    "draft_key",
    "event_item",
    "event_key",
    "idempotency_from_item",
    "idempotency_item",
    "idempotency_key",
    "is_permit_status_record",
    "outbox_from_item",
    "outbox_item",
    "outbox_key",
    "permit_from_item",
    "permit_item",
    "permit_key",
    "permit_status_entry_from_item",
    "permit_status_entry_item",
    "plate_claim_from_item",
    "plate_claim_item",
    "plate_claim_key",
    "status_list_from_item",
    "status_list_item",
    "status_list_key",
]

Item = dict[str, Any]
# Statuses that staff or the scheduled jobs need to find: only these carry the sparse GSI keys.
QUEUED_STATUSES = frozenset({Status.SUBMITTED, Status.AWAITING_PAYMENT})
# The revocation list's entries: one key-addressed partition, one item per revoked or
# superseded permit, written in the transaction that changes the permit's status. Writes are
# staff actions and refunds (far below one partition's 1,000 writes/s), reads are one Query
# per list regeneration; 2,500 entries of ~90 bytes are one 1 MB page.
PERMIT_STATUS_PARTITION = "PERMITSTATUS"
LISTED_STATUSES = frozenset({Status.REVOKED, Status.SUPERSEDED})
# Entries stay a little past the permit's last day (time zones, phones with a wrong date);
# the TTL then removes them, and the generator filters them out before that anyway.
ENTRY_GRACE = timedelta(days=2)


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def application_key(application_id: str) -> Item:
    return {"PK": _s(f"APP#{application_id}"), "SK": _s("A")}


def permit_key(serial: int) -> Item:
    return {"PK": _s(f"PERMIT#{serial}"), "SK": _s("P")}


def idempotency_key(scope: str, key_hash: str) -> Item:
    return {"PK": _s(f"IDEM#{scope}#{key_hash}"), "SK": _s("I")}


def event_key(provider: str, event_id: str) -> Item:
    return {"PK": _s(f"EVENT#{provider}#{event_id}"), "SK": _s("E")}


def queue_keys(app: Application) -> Item:
    """Sparse GSI keys: queue and a Berlin day, so no single partition takes every write.

    - Submitted and awaiting payment: ``QUEUE#<status>#<day created>``.
    - Issued (unflagged): ``QUEUE#ISSUED#<day of issue>``, sorted by the time of issue:
      "recently issued" for staff. Written in the very transaction that issues.
    - Flagged, still payable: ``QUEUE#FLAGGED#<day created>`` (the unpaid canceller reads
      these by creation day). Flagged otherwise (paid, cancelled, revoked: a second payment,
      a partial refund, a late payment, weeks after the application):
      ``QUEUE#FLAGGED#<day of the last change>``, so a flag raised today is in today's
      queue and staff see it first, however old the application.

    The keys are part of the application item, so they change in the transaction that
    changes the status or the flags, and leave with them.
    """
    if app.status is Status.ISSUED and app.permit is not None and not app.flags:
        issued = app.permit.issued_at
        return {
            "GSI1PK": _s(f"QUEUE#ISSUED#{berlin_today(issued).isoformat()}"),
            "GSI1SK": _s(f"{issued.isoformat()}#{app.id}"),
        }
    if app.status not in QUEUED_STATUSES and not app.flags:
        return {}
    status = "FLAGGED" if app.flags else app.status.value
    at = app.created_at if app.status in QUEUED_STATUSES else app.updated_at
    day = berlin_today(at).isoformat()  # staff think in Berlin days
    return {
        "GSI1PK": _s(f"QUEUE#{status}#{day}"),
        "GSI1SK": _s(f"{at.isoformat()}#{app.id}"),
    }


def email_keys(app: Application) -> Item:
    """Sparse GSI2 keys for the staff e-mail search: an HMAC of the address, never the address.

    An anonymised application (retention, erasure) leaves the index whatever its record
    still says: its address is gone, so nothing may find it by that address any more.
    """
    if not app.email_hash or app.anonymised_at is not None:
        return {}
    return {
        "GSI2PK": _s(f"EMAIL#{app.email_hash}"),
        "GSI2SK": _s(f"{app.created_at.isoformat()}#{app.id}"),
    }


def _summary_item(summary: PermitSummary) -> dict[str, Any]:
    return {
        "M": {
            "serial": _n(summary.serial),
            "number": _s(summary.number),
            "zone": _s(summary.zone),
            "plates": {"L": [_s(p) for p in summary.plates]},
            "valid_from": _s(summary.valid_from.isoformat()),
            "valid_to": _s(summary.valid_to.isoformat()),
            "token": _s(summary.token),
            "issued_at": _s(summary.issued_at.isoformat()),
            "permit_type": _n(summary.permit_type),
            "claimed_plates": {"L": [_s(p) for p in summary.claimed_plates]},
        }
    }


def _summary_from(value: dict[str, Any]) -> PermitSummary:
    m = value["M"]
    return PermitSummary(
        serial=int(m["serial"]["N"]),
        number=m["number"]["S"],
        zone=m["zone"]["S"],
        plates=tuple(p["S"] for p in m["plates"]["L"]),
        valid_from=date.fromisoformat(m["valid_from"]["S"]),
        valid_to=date.fromisoformat(m["valid_to"]["S"]),
        token=m["token"]["S"],
        issued_at=datetime.fromisoformat(m["issued_at"]["S"]),
        permit_type=int(m["permit_type"]["N"]) if "permit_type" in m else 0,
        claimed_plates=tuple(p["S"] for p in m.get("claimed_plates", {}).get("L", [])),
    )


def application_item(app: Application) -> Item:
    item: Item = {
        **application_key(app.id),
        "type": _s("application"),
        "id": _s(app.id),
        "form_id": _s(app.form_id),
        "form_version": _n(app.form_version),
        "schema_hash": _s(app.schema_hash),
        "data": _s(json.dumps(app.data, ensure_ascii=False, separators=(",", ":"))),
        "status": _s(app.status.value),
        "version": _n(app.version),
        "fee_cents": _n(app.fee_cents),
        "currency": _s(app.currency),
        "access_token_hash": _s(app.access_token_hash),
        "created_at": _s(app.created_at.isoformat()),
        "updated_at": _s(app.updated_at.isoformat()),
        **queue_keys(app),
        **email_keys(app),
    }
    if app.email_hash and app.anonymised_at is None:
        item["email_hash"] = _s(app.email_hash)
    if app.refunded:
        item["refunded"] = {"M": {pid: _n(cents) for pid, cents in app.refunded}}
    if app.checkout is not None:
        item["checkout"] = {
            "M": {
                "provider": _s(app.checkout.provider),
                "checkout_id": _s(app.checkout.checkout_id),
                "checkout_url": _s(app.checkout.checkout_url),
                "created_at": _s(app.checkout.created_at.isoformat()),
            }
        }
        if app.checkout.expires_at is not None:
            item["checkout"]["M"]["expires_at"] = _s(app.checkout.expires_at.isoformat())
    if app.payment_id is not None:
        item["payment_id"] = _s(app.payment_id)
    if app.permit is not None:
        item["permit"] = _summary_item(app.permit)
    if app.flags:
        item["flags"] = {"L": [_s(flag) for flag in app.flags]}
    if app.fee_breakdown is not None:
        item["fee_breakdown"] = _s(
            json.dumps(app.fee_breakdown, ensure_ascii=False, separators=(",", ":"))
        )
    if app.zone is not None:
        item["zone"] = _s(app.zone)
    if app.lang != "de":
        item["lang"] = _s(app.lang)
    if app.renewal_of is not None:
        item["renewal_of"] = _s(app.renewal_of)
    if app.renewal_id is not None:
        item["renewal_id"] = _s(app.renewal_id)
    if app.anonymised_at is not None:
        item["anonymised_at"] = _s(app.anonymised_at.isoformat())
    if app.change is not None:
        change = app.change
        if app.anonymised_at is not None:  # a waiting change's document holds personal data
            change = replace(change, document=None)
        item["change"] = _s(json.dumps(_change_json(change), ensure_ascii=False))
    return item


def _change_json(change: PendingChange) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": change.id,
        "kind": change.kind,
        "fee_cents": change.fee_cents,
        "currency": change.currency,
        "requested_at": change.requested_at.isoformat(),
        "zone": change.zone,
        "document": change.document,
        "state": change.state,
        "payment_id": change.payment_id,
    }
    if change.checkout is not None:
        c = change.checkout
        out["checkout"] = {
            "provider": c.provider,
            "checkout_id": c.checkout_id,
            "checkout_url": c.checkout_url,
            "created_at": c.created_at.isoformat(),
            "expires_at": c.expires_at.isoformat() if c.expires_at else None,
        }
    return out


def _change_from(text: str) -> PendingChange:
    raw = json.loads(text)
    checkout = None
    if raw.get("checkout"):
        c = raw["checkout"]
        checkout = CheckoutInfo(
            provider=c["provider"],
            checkout_id=c["checkout_id"],
            checkout_url=c["checkout_url"],
            created_at=datetime.fromisoformat(c["created_at"]),
            expires_at=datetime.fromisoformat(c["expires_at"]) if c.get("expires_at") else None,
        )
    return PendingChange(
        id=raw["id"],
        kind=raw["kind"],
        fee_cents=int(raw["fee_cents"]),
        currency=raw["currency"],
        requested_at=datetime.fromisoformat(raw["requested_at"]),
        zone=raw["zone"],
        document=raw.get("document"),
        checkout=checkout,
        state=raw.get("state", "awaiting_payment"),
        payment_id=raw.get("payment_id"),
    )


def application_from_item(item: Item) -> Application:
    checkout = None
    if "checkout" in item:
        c = item["checkout"]["M"]
        checkout = CheckoutInfo(
            provider=c["provider"]["S"],
            checkout_id=c["checkout_id"]["S"],
            checkout_url=c["checkout_url"]["S"],
            created_at=datetime.fromisoformat(c["created_at"]["S"]),
            expires_at=datetime.fromisoformat(c["expires_at"]["S"]) if "expires_at" in c else None,
        )
    return Application(
        id=item["id"]["S"],
        form_id=item["form_id"]["S"],
        form_version=int(item["form_version"]["N"]),
        schema_hash=item["schema_hash"]["S"],
        data=json.loads(item["data"]["S"]),
        status=Status(item["status"]["S"]),
        version=int(item["version"]["N"]),
        fee_cents=int(item["fee_cents"]["N"]),
        currency=item["currency"]["S"],
        access_token_hash=item["access_token_hash"]["S"],
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
        checkout=checkout,
        payment_id=item["payment_id"]["S"] if "payment_id" in item else None,
        permit=_summary_from(item["permit"]) if "permit" in item else None,
        flags=tuple(f["S"] for f in item.get("flags", {}).get("L", [])),
        fee_breakdown=json.loads(item["fee_breakdown"]["S"]) if "fee_breakdown" in item else None,
        zone=item["zone"]["S"] if "zone" in item else None,
        lang=item["lang"]["S"] if "lang" in item else "de",
        renewal_of=item["renewal_of"]["S"] if "renewal_of" in item else None,
        renewal_id=item["renewal_id"]["S"] if "renewal_id" in item else None,
        anonymised_at=(
            datetime.fromisoformat(item["anonymised_at"]["S"]) if "anonymised_at" in item else None
        ),
        email_hash=item["email_hash"]["S"] if "email_hash" in item else None,
        refunded=tuple(
            sorted((pid, int(v["N"])) for pid, v in item.get("refunded", {}).get("M", {}).items())
        ),
        change=_change_from(item["change"]["S"]) if "change" in item else None,
    )


def ends_key(day: date) -> str:
    """The sparse end-day index (GSI3): every permit under the Berlin day its validity ends."""
    return f"ENDS#{day.isoformat()}"


REMINDED_PREFIX = "reminded_"  # reminded_30: the 30-day reminder went to the outbox


def permit_item(permit: PermitRecord) -> Item:
    """A new permit; GSI3 files it under its last day, so the lifecycle job pages by day."""
    return {
        **permit_key(permit.serial),
        "GSI3PK": _s(ends_key(permit.valid_to)),
        "GSI3SK": _s(f"{permit.serial:010d}"),
        "type": _s("permit"),
        "serial": _n(permit.serial),
        "number": _s(permit.number),
        "application_id": _s(permit.application_id),
        "form_id": _s(permit.form_id),
        "permit_type": _n(permit.permit_type),
        "zone": _s(permit.zone),
        "plates": {"L": [_s(p) for p in permit.plates]},
        "valid_from": _s(permit.valid_from.isoformat()),
        "valid_to": _s(permit.valid_to.isoformat()),
        "token": _s(permit.token),
        "key_id": _n(permit.key_id),
        "status": _s(permit.status.value),
        "issued_at": _s(permit.issued_at.isoformat()),
        "claimed_plates": {"L": [_s(p) for p in permit.claimed_plates]},
    }


def permit_from_item(item: Item) -> PermitRecord:
    return PermitRecord(
        serial=int(item["serial"]["N"]),
        number=item["number"]["S"],
        application_id=item["application_id"]["S"],
        form_id=item["form_id"]["S"],
        permit_type=int(item["permit_type"]["N"]),
        zone=item["zone"]["S"],
        plates=tuple(p["S"] for p in item["plates"]["L"]),
        valid_from=date.fromisoformat(item["valid_from"]["S"]),
        valid_to=date.fromisoformat(item["valid_to"]["S"]),
        token=item["token"]["S"],
        key_id=int(item["key_id"]["N"]),
        status=Status(item["status"]["S"]),
        issued_at=datetime.fromisoformat(item["issued_at"]["S"]),
        claimed_plates=tuple(p["S"] for p in item.get("claimed_plates", {}).get("L", [])),
        reminded=tuple(sorted(int(k.removeprefix(REMINDED_PREFIX)) for k in item if _is_marker(k))),
        anonymised_at=(
            datetime.fromisoformat(item["anonymised_at"]["S"]) if "anonymised_at" in item else None
        ),
    )


def _is_marker(name: str) -> bool:
    return name.startswith(REMINDED_PREFIX) and name.removeprefix(REMINDED_PREFIX).isdigit()


CHANGE_PAYMENT_PREFIX = "CHANGEPAY#"
#: A change's checkout stays findable this long for the reconciliation job (its page is
#: open for a day at most; the job looks two days back), then TTL removes the marker.
CHANGE_MARKER_RETENTION = timedelta(days=3)


def change_marker_item(day: date, application_id: str, change_id: str, at: datetime) -> Item:
    """A change waiting for its fee, filed under the Berlin day it was requested.

    The reconciliation job queries these day partitions (keys, never a scan) to ask the
    provider about change fees whose webhook never came. Ids only, no personal data.
    """
    return {
        "PK": _s(f"{CHANGE_PAYMENT_PREFIX}{day.isoformat()}"),
        "SK": _s(application_id),
        "type": _s("change_payment"),
        "change_id": _s(change_id),
        "expires_at": _n(int((at + CHANGE_MARKER_RETENTION).timestamp())),
    }


def plate_claim_key(permit_type: int, plate: str) -> Item:
    return {"PK": _s(f"PLATE#{permit_type}#{plate}"), "SK": _s("C")}


PLATE_CLAIM_RETENTION_DAYS = 30  # after the validity ends, TTL removes the item


def plate_claim_item(claim: PlateClaim) -> Item:
    """No personal data beyond the plate, which the permit and its token carry anyway."""
    end = datetime.combine(claim.valid_to, datetime.min.time(), tzinfo=UTC)
    expires = end + timedelta(days=PLATE_CLAIM_RETENTION_DAYS)
    return {
        **plate_claim_key(claim.permit_type, claim.plate),
        "type": _s("plate_claim"),
        "application_id": _s(claim.application_id),
        "serial": _n(claim.serial),
        "valid_from": _s(claim.valid_from.isoformat()),
        "valid_to": _s(claim.valid_to.isoformat()),
        "expires_at": _n(int(expires.timestamp())),
    }


def plate_claim_from_item(item: Item) -> PlateClaim:
    permit_type, plate = item["PK"]["S"].removeprefix("PLATE#").split("#", 1)
    return PlateClaim(
        permit_type=int(permit_type),
        plate=plate,
        application_id=item["application_id"]["S"],
        serial=int(item["serial"]["N"]),
        valid_from=date.fromisoformat(item["valid_from"]["S"]),
        valid_to=date.fromisoformat(item["valid_to"]["S"]),
    )


def audit_item(entry: AuditEntry, sequence: int) -> Item:
    """Sort key: time, then a per-transaction sequence, so two entries in one write differ."""
    item: Item = {
        "PK": _s(f"APP#{entry.application_id}"),
        "SK": _s(f"AUDIT#{entry.at.isoformat()}#{sequence:06d}#{entry.event}"),
        "type": _s("audit"),
        "event": _s(entry.event),
        "at": _s(entry.at.isoformat()),
        "actor": _s(entry.actor),
    }
    if entry.from_status is not None:
        item["from_status"] = _s(entry.from_status.value)
    if entry.to_status is not None:
        item["to_status"] = _s(entry.to_status.value)
    if entry.detail:
        item["detail"] = {"M": {k: _s(v) for k, v in entry.detail.items()}}
    return item


def audit_from_item(item: Item) -> AuditEntry:
    return AuditEntry(
        application_id=item["PK"]["S"].removeprefix("APP#"),
        at=datetime.fromisoformat(item["at"]["S"]),
        event=item["event"]["S"],
        from_status=Status(item["from_status"]["S"]) if "from_status" in item else None,
        to_status=Status(item["to_status"]["S"]) if "to_status" in item else None,
        actor=item["actor"]["S"],
        detail={k: v["S"] for k, v in item.get("detail", {}).get("M", {}).items()},
    )


def idempotency_item(record: IdempotencyRecord) -> Item:
    return {
        **idempotency_key(record.scope, record.key_hash),
        "type": _s("idempotency"),
        "scope": _s(record.scope),
        "key_hash": _s(record.key_hash),
        "request_hash": _s(record.request_hash),
        "application_id": _s(record.application_id),
        "response": _s(json.dumps(record.response, separators=(",", ":"))),
        "expires_at": _n(record.expires_at),
    }


def idempotency_from_item(item: Item) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=item["scope"]["S"],
        key_hash=item["key_hash"]["S"],
        request_hash=item["request_hash"]["S"],
        application_id=item["application_id"]["S"],
        response=json.loads(item["response"]["S"]),
        expires_at=int(item["expires_at"]["N"]),
    )


def event_item(record: PaymentEventRecord) -> Item:
    return {
        **event_key(record.provider, record.event_id),
        "type": _s("payment_event"),
        "application_id": _s(record.application_id),
        "event_type": _s(record.type),
        "received_at": _s(record.received_at.isoformat()),
        "expires_at": _n(record.expires_at),
    }


def draft_key(draft_id: str) -> Item:
    return {"PK": _s(f"DRAFT#{draft_id}"), "SK": _s("D")}


def outbox_key(message_id: str) -> Item:
    return {"PK": _s(f"OUTBOX#{message_id}"), "SK": _s("O")}


def draft_item(draft: Draft) -> Item:
    item: Item = {
        **draft_key(draft.id),
        "type": _s("draft"),
        "id": _s(draft.id),
        "form_id": _s(draft.form_id),
        "data": _s(json.dumps(draft.data, ensure_ascii=False, separators=(",", ":"))),
        "version": _n(draft.version),
        "created_at": _s(draft.created_at.isoformat()),
        "updated_at": _s(draft.updated_at.isoformat()),
        "expires_at": _n(draft.expires_at),
    }
    if draft.resume_nonce is not None:
        item["resume_nonce"] = _s(draft.resume_nonce)
    if draft.application_id is not None:
        item["application_id"] = _s(draft.application_id)
    if draft.renewal_of is not None:
        item["renewal_of"] = _s(draft.renewal_of)
    return item


def draft_from_item(item: Item) -> Draft:
    return Draft(
        id=item["id"]["S"],
        form_id=item["form_id"]["S"],
        data=json.loads(item["data"]["S"]),
        version=int(item["version"]["N"]),
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
        expires_at=int(item["expires_at"]["N"]),
        resume_nonce=item["resume_nonce"]["S"] if "resume_nonce" in item else None,
        application_id=item["application_id"]["S"] if "application_id" in item else None,
        renewal_of=item["renewal_of"]["S"] if "renewal_of" in item else None,
    )


def outbox_item(message: OutboxMessage) -> Item:
    """A PENDING message; the stream handler (or the local drain) claims and sends it."""
    return {
        **outbox_key(message.id),
        "type": _s("outbox"),
        "id": _s(message.id),
        "kind": _s(message.kind),
        "to": _s(message.to),
        "lang": _s(message.lang),
        "params": {"M": {k: _s(v) for k, v in message.params.items()}},
        "created_at": _s(message.created_at.isoformat()),
        "expires_at": _n(message.expires_at),
        "mail_status": _s("PENDING"),
    }


MAIL_LOG_PREFIX = "MAIL#"


#: Parameters a mail's record leaves out: they open the private link or a draft.
_UNLOGGED_PARAMS = frozenset({"token_seed", "nonce"})


def mail_log_item(application_id: str, message: OutboxMessage) -> Item:
    """The application's record of one mail: what and when, never to whom (nor a secret)."""
    logged = {k: _s(v) for k, v in message.params.items() if k not in _UNLOGGED_PARAMS}
    return {
        "PK": _s(f"APP#{application_id}"),
        "SK": _s(f"{MAIL_LOG_PREFIX}{message.created_at.isoformat()}#{message.id}"),
        "type": _s("mail"),
        "kind": _s(message.kind),
        "outbox_id": _s(message.id),
        "lang": _s(message.lang),
        "created_at": _s(message.created_at.isoformat()),
        "params": {"M": logged},
    }


def outbox_from_item(item: Item) -> OutboxMessage:
    return OutboxMessage(
        id=item["id"]["S"],
        kind=item["kind"]["S"],
        to=item.get("to", {}).get("S", ""),
        lang=item["lang"]["S"],
        params={k: v["S"] for k, v in item.get("params", {}).get("M", {}).items()},
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        expires_at=int(item["expires_at"]["N"]),
    )


def permit_status_entry_item(entry: StatusEntry) -> Item:
    gone = datetime.combine(entry.valid_to + ENTRY_GRACE, time(), tzinfo=UTC)
    return {
        "PK": _s(PERMIT_STATUS_PARTITION),
        "SK": _s(f"{entry.serial:010d}"),
        "type": _s("permit_status"),
        "serial": _n(entry.serial),
        "status": _s(entry.status.value),
        "valid_to": _s(entry.valid_to.isoformat()),
        "expires_at": _n(int(gone.timestamp())),
    }


def permit_status_entry_from_item(item: Item) -> StatusEntry:
    return StatusEntry(
        serial=int(item["serial"]["N"]),
        status=Status(item["status"]["S"]),
        valid_to=date.fromisoformat(item["valid_to"]["S"]),
    )


def status_list_key() -> Item:
    return {"PK": _s("STATUSLIST"), "SK": _s("CURRENT")}


def status_list_item(stored: StoredStatusList) -> Item:
    return {
        **status_list_key(),
        "type": _s("status_list"),
        "document": _s(stored.document),
        "issued_at": _s(stored.issued_at.astimezone(UTC).isoformat()),
        "issued_ms": _n(int(stored.issued_at.timestamp() * 1000)),
    }


def status_list_from_item(item: Item) -> StoredStatusList:
    return StoredStatusList(
        document=item["document"]["S"], issued_at=datetime.fromisoformat(item["issued_at"]["S"])
    )


def is_permit_status_record(record: Mapping[str, Any]) -> bool:
    """Whether a DynamoDB stream record adds or changes a revocation-list entry."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return False
    keys = record.get("dynamodb", {}).get("Keys", {})
    return bool(keys.get("PK", {}).get("S") == PERMIT_STATUS_PARTITION)


def ledger_partition(day: date) -> str:
    """One partition per Berlin day: a day's payments are one Query for the export.

    A city books a few thousand payments a day at most, far below one partition's write
    limit; the export reads at most 31 partitions.
    """
    return f"LEDGER#{day.isoformat()}"


def ledger_item(entry: LedgerEntry) -> Item:
    """Sort key: time, kind, then the event id (unique through the event's dedupe marker) or,
    for an issuance, the application and permit number: no two lines share a key."""
    tail = entry.event_id or f"{entry.application_id}#{entry.permit_number}"
    return {
        "PK": _s(ledger_partition(entry.day)),
        "SK": _s(f"{entry.at.isoformat()}#{entry.kind}#{tail}"),
        "type": _s("ledger"),
        "day": _s(entry.day.isoformat()),
        "at": _s(entry.at.isoformat()),
        "kind": _s(entry.kind),
        "application_id": _s(entry.application_id),
        "form_id": _s(entry.form_id),
        "amount_cents": _n(entry.amount_cents),
        "currency": _s(entry.currency),
        "provider": _s(entry.provider),
        "payment_id": _s(entry.payment_id),
        "event_id": _s(entry.event_id),
        "permit_number": _s(entry.permit_number),
    }


def ledger_from_item(item: Item) -> LedgerEntry:
    return LedgerEntry(
        day=date.fromisoformat(item["day"]["S"]),
        at=datetime.fromisoformat(item["at"]["S"]),
        kind=item["kind"]["S"],
        application_id=item["application_id"]["S"],
        form_id=item["form_id"]["S"],
        amount_cents=int(item["amount_cents"]["N"]),
        currency=item["currency"]["S"],
        provider=item["provider"]["S"],
        payment_id=item["payment_id"]["S"],
        event_id=item["event_id"]["S"],
        permit_number=item["permit_number"]["S"],
    )
