"""The one store implementation: DynamoDB through the low-level boto3 client.

Every state change is one TransactWriteItems with the application's expected version as
its condition and the audit entries beside it, so a change and its audit record exist
together or not at all. Cancellation reasons come back in action order; the index of the
failing action says which failure mode it was, without a second read.

Every botocore error is translated here, at the boundary, into one of the store's own
exceptions: unreachable, timing out, throttled or failing (HTTP 5xx) becomes
:class:`StoreUnavailableError` (503 with Retry-After); a refusal that no retry can fix
(access denied, no such table, an invalid request) becomes :class:`StoreRejectedError`.
The client's timeouts and retry budget are set where it is built (``adapters/aws.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws import unavailability
from chalicelib.adapters.dynamodb import items
from chalicelib.domain.dates import berlin_today
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import (
    Application,
    AuditEntry,
    Draft,
    IdempotencyRecord,
    LedgerEntry,
    OutboxMessage,
    PaymentEventRecord,
    PermitRecord,
    PlateClaim,
)
from chalicelib.services.ports import StatusEntry, StoredStatusList
from chalicelib.services.store_errors import (
    DraftChangedError,
    DuplicateEventError,
    IdempotencyKeyUsedError,
    PermitSerialTakenError,
    PlateTakenError,
    StaleApplicationError,
    StoreError,
    StoreRejectedError,
    StoreUnavailableError,
)

__all__ = ["DynamoDBStore"]

log = logging.getLogger(__name__)

_NEW = "attribute_not_exists(PK)"
_SAME_VERSION = "attribute_exists(PK) AND #version = :expected_version"
# A plate's claim is free when there is none or the permit holding it ends before ours starts.
_PLATE_FREE = "attribute_not_exists(PK) OR valid_to < :starts"
_PLATE_OURS = "application_id = :app AND serial = :serial"
_RELEASING = frozenset({Status.REVOKED, Status.SUPERSEDED})


class DynamoDBStore:
    """Both ports: ``ApplicationStore`` and ``StatusListStore``.

    ``on_permit_status_change`` is called after a committed write that put a permit on the
    revocation list. Locally it regenerates the list at once; in AWS it is None and the
    table's stream does that (``app.table_stream``), which also retries on failure.
    """

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        on_permit_status_change: Callable[[], object] | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._on_permit_status_change = on_permit_status_change

    # -- reads ---------------------------------------------------------------------------

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        except (BotoCoreError, ClientError) as error:
            raise _store_error(error) from error
        item: dict[str, Any] | None = response.get("Item")
        return item

    def get_application(self, application_id: str) -> Application | None:
        item = self._get(items.application_key(application_id))
        return items.application_from_item(item) if item else None

    def get_permit(self, serial: int) -> PermitRecord | None:
        item = self._get(items.permit_key(serial))
        return items.permit_from_item(item) if item else None

    def get_idempotency(self, scope: str, key_hash: str) -> IdempotencyRecord | None:
        item = self._get(items.idempotency_key(scope, key_hash))
        return items.idempotency_from_item(item) if item else None

    def list_audit(self, application_id: str) -> list[AuditEntry]:
        response = self._query(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :audit)",
            ExpressionAttributeValues={
                ":pk": {"S": f"APP#{application_id}"},
                ":audit": {"S": "AUDIT#"},
            },
        )
        return [items.audit_from_item(item) for item in response]

    def all_queued_application_ids(self, status: str, day: str, page_size: int = 100) -> list[str]:
        """Every id in one queue partition, following the pages (a busy day has more than one)."""
        ids: list[str] = []
        query: dict[str, Any] = {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"QUEUE#{status}#{day}"}},
            "Limit": page_size,
        }
        while True:
            response = self._query_page(**query)
            ids += [item["PK"]["S"].removeprefix("APP#") for item in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if not last:
                return ids
            query["ExclusiveStartKey"] = last

    # -- the permit lifecycle (end-day index GSI3) ---------------------------------------------

    def permits_ending_on(self, day: date, page_size: int = 100) -> Iterator[PermitRecord]:
        """The permits whose validity ends on ``day``, one index page at a time."""
        query: dict[str, Any] = {
            "IndexName": "GSI3",
            "KeyConditionExpression": "GSI3PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": items.ends_key(day)}},
            "Limit": page_size,
        }
        while True:
            response = self._query_page(**query)
            for item in response.get("Items", []):
                yield items.permit_from_item(item)
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            query["ExclusiveStartKey"] = last

    def mark_reminded(self, serial: int, days: int, message: OutboxMessage) -> bool:
        """The reminder's marker on the permit and its mail, both or neither.

        The condition (no marker yet, permit still ISSUED) is what makes two overlapping
        runs send one mail: the loser's transaction is cancelled with nothing written.
        """
        marker = f"{items.REMINDED_PREFIX}{days}"
        update = {
            "Update": {
                "Key": items.permit_key(serial),
                "UpdateExpression": "SET #marker = :at",
                "ConditionExpression": (
                    "attribute_exists(PK) AND attribute_not_exists(#marker) AND #status = :issued"
                ),
                "ExpressionAttributeNames": {"#marker": marker, "#status": "status"},
                "ExpressionAttributeValues": {
                    ":at": {"S": message.created_at.isoformat()},
                    ":issued": {"S": Status.ISSUED.value},
                },
            }
        }
        try:
            self._transact([("reminder", update), *_outbox_actions([message])])
        except StaleApplicationError:
            return False  # the marker's condition failed (or a concurrent transaction won)
        return True

    # -- retention and the data export ---------------------------------------------------------

    def _partition(self, application_id: str) -> list[dict[str, Any]]:
        """Every item of one application's partition, following the pages."""
        found: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"APP#{application_id}"}},
            "ConsistentRead": True,
        }
        while True:
            response = self._query_page(**query)
            found += response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            query["ExclusiveStartKey"] = last

    def anonymise(
        self,
        before: Application,
        after: Application,
        audit: AuditEntry,
        permit_serials: Sequence[int],
    ) -> None:
        put = _put(items.application_item(after), _SAME_VERSION)
        put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
        put["Put"]["ExpressionAttributeValues"] = {":expected_version": {"N": str(before.version)}}
        put["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        actions: list[tuple[str, dict[str, Any]]] = [("application", put)]
        at = {"S": (after.anonymised_at or after.updated_at).isoformat()}
        for serial in permit_serials:
            mark = {
                "Update": {
                    "Key": items.permit_key(serial),
                    "UpdateExpression": "SET anonymised_at = :at",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": {":at": at},
                }
            }
            actions.append((f"permit_mark:{serial}", mark))
        actions += _audit_actions([audit], after.version)
        self._transact(actions)
        for item in self._partition(after.id):
            if item["SK"]["S"].startswith(items.MAIL_LOG_PREFIX):
                self._drop_waiting_mail(item["outbox_id"]["S"])

    def _drop_waiting_mail(self, message_id: str) -> None:
        """A mail not sent yet loses its address and is never sent (it would name a person
        whose data is gone); sent ones kept neither address nor parameters anyway."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=items.outbox_key(message_id),
                UpdateExpression="SET mail_status = :dropped REMOVE #to, params",
                ConditionExpression="attribute_exists(PK) AND mail_status <> :sent",
                ExpressionAttributeNames={"#to": "to"},
                ExpressionAttributeValues={":dropped": {"S": "DROPPED"}, ":sent": {"S": "SENT"}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # sent already, or gone by TTL
        except (BotoCoreError, ClientError) as error:
            raise _store_error(error) from error

    def export_application(self, app: Application) -> dict[str, Any]:
        from chalicelib.adapters.dynamodb.export import plain_item

        export: dict[str, Any] = {"application": {}, "permits": [], "audit": [], "mails": []}
        other: list[dict[str, Any]] = []
        for item in self._partition(app.id):
            sk = item["SK"]["S"]
            if sk == "A":
                export["application"] = plain_item(item)
            elif sk.startswith("AUDIT#"):
                export["audit"].append(plain_item(item))
            elif sk.startswith(items.MAIL_LOG_PREFIX):
                export["mails"].append(plain_item(item))
            else:
                other.append(plain_item(item))
        if app.permit is not None:
            permit = self._get(items.permit_key(app.permit.serial))
            if permit is not None:
                export["permits"].append(plain_item(permit))
        application = export["application"]
        export["payments"] = {
            key: application[key]
            for key in ("fee_cents", "currency", "fee_breakdown", "payment_id", "checkout")
            if key in application
        }
        if other:
            export["other"] = other
        return export

    def queue_page(
        self, queue: str, day: str, *, after: str | None, limit: int, newest_first: bool = False
    ) -> tuple[list[tuple[str, str]], bool]:
        """One page of one queue partition: (application id, sort key) pairs, and whether the
        partition may hold more. ``after`` is the sort key of the last pair already shown."""
        partition = f"QUEUE#{queue}#{day}"
        query: dict[str, Any] = {
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "Limit": limit,
            "ScanIndexForward": not newest_first,
        }
        if after is not None:
            app_id = after.rpartition("#")[2]
            query["ExclusiveStartKey"] = {
                "GSI1PK": {"S": partition},
                "GSI1SK": {"S": after},
                **items.application_key(app_id),
            }
        response = self._query_page(**query)
        found = [
            (item["PK"]["S"].removeprefix("APP#"), item["GSI1SK"]["S"])
            for item in response.get("Items", [])
        ]
        return found, bool(response.get("LastEvaluatedKey"))

    def application_ids_by_email(self, email_hash: str, limit: int = 50) -> list[str]:
        """The newest applications made with one e-mail address (sparse index GSI2)."""
        response = self._query_page(
            IndexName="GSI2",
            KeyConditionExpression="GSI2PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"EMAIL#{email_hash}"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [item["PK"]["S"].removeprefix("APP#") for item in response.get("Items", [])]

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._query_page(**kwargs).get("Items", [])
        return found

    def _query_page(self, **kwargs: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self._client.query(TableName=self._table, **kwargs)
        except (BotoCoreError, ClientError) as error:
            raise _store_error(error) from error
        return response

    # -- writes --------------------------------------------------------------------------

    def create_application(
        self,
        app: Application,
        audits: Sequence[AuditEntry],
        idempotency: IdempotencyRecord | None = None,
        permit: PermitRecord | None = None,
        plate_claims: Sequence[PlateClaim] = (),
        outbox: Sequence[OutboxMessage] = (),
        ledger: Sequence[LedgerEntry] = (),
        renewed: tuple[Application, Application, AuditEntry] | None = None,
    ) -> None:
        """Create an application (and, for free forms, its permit) in one request.

        ``renewed``: (before, after, audit) of the application this one renews; ``after``
        names the renewal and is written only if the stored one is still ``before``, so two
        renewals started at once cannot both succeed.

        ``plate_claims`` are the plates this application will hold exclusively: each must be
        free (a condition check), or, with a permit (a free form), is claimed right away.
        ``outbox``: the mails this creation causes, written in the same transaction, so a
        replayed or failed submission never sends one and a successful one always does.
        """
        actions: list[tuple[str, dict[str, Any]]] = []
        if idempotency is not None:
            # An expired record may linger until DynamoDB's TTL sweep (days, or never on
            # emulators): it must not block its key, so "expired" counts as "absent".
            idem_put = _put(
                items.idempotency_item(idempotency),
                "attribute_not_exists(PK) OR expires_at < :issued_at",
            )
            issued_at = idempotency.expires_at - idempotency.ttl_seconds
            idem_put["Put"]["ExpressionAttributeValues"] = {":issued_at": {"N": str(issued_at)}}
            idem_put["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            actions.append(("idempotency", idem_put))
        actions.append(("application", _put(items.application_item(app), _NEW)))
        if permit is not None:
            actions.append(("permit", _put(items.permit_item(permit), _NEW)))
        for claim in plate_claims:
            if permit is not None:
                actions.append(_claim_put(claim))
            else:
                check = {
                    "ConditionCheck": {
                        "Key": items.plate_claim_key(claim.permit_type, claim.plate),
                        "ConditionExpression": _PLATE_FREE,
                        "ExpressionAttributeValues": {":starts": _day(claim.valid_from)},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
                actions.append((f"plate:{claim.plate}", check))
        actions += _audit_actions(audits, app.version)
        if renewed is not None:
            old_before, old_after, old_audit = renewed
            put = _put(items.application_item(old_after), _SAME_VERSION)
            put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
            put["Put"]["ExpressionAttributeValues"] = {
                ":expected_version": {"N": str(old_before.version)}
            }
            actions.append(("renewed_application", put))
            actions += _audit_actions([old_audit], old_after.version)
        actions += _outbox_actions(outbox)
        actions += _ledger_actions(ledger)
        self._transact(actions)

    def save(
        self,
        before: Application,
        after: Application,
        audits: Sequence[AuditEntry],
        *,
        event: PaymentEventRecord | None = None,
        new_permit: PermitRecord | None = None,
        permit_status: tuple[int, Status, Status] | None = None,
        outbox: Sequence[OutboxMessage] = (),
        ledger: Sequence[LedgerEntry] = (),
    ) -> None:
        """Write ``after`` only if the stored application is still ``before``.

        Optional parts of the same transaction: the dedupe marker of the provider event that
        caused the change, a new permit (must not exist) or a permit status change given as
        (serial, expected status, new status), and the finance ledger's lines it books.
        """
        actions: list[tuple[str, dict[str, Any]]] = []
        listed = False  # whether this write puts a permit on the revocation list
        if event is not None:
            actions.append(("event", _put(items.event_item(event), _NEW)))
        put = _put(items.application_item(after), _SAME_VERSION)
        put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
        put["Put"]["ExpressionAttributeValues"] = {":expected_version": {"N": str(before.version)}}
        put["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        actions.append(("application", put))
        if new_permit is not None:
            actions.append(("permit", _put(items.permit_item(new_permit), _NEW)))
            actions += [_claim_put(claim) for claim in _claims_of(new_permit)]
        if permit_status is not None and permit_status[2] in _RELEASING:
            actions += self._releases(before)
        if permit_status is not None:
            serial, expected, new_status = permit_status
            update = {
                "Update": {
                    "Key": items.permit_key(serial),
                    "UpdateExpression": "SET #status = :new",
                    "ConditionExpression": "attribute_exists(PK) AND #status = :expected",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":new": {"S": new_status.value},
                        ":expected": {"S": expected.value},
                    },
                }
            }
            actions.append(("permit_status", update))
            listed = new_status in items.LISTED_STATUSES
            if listed:
                actions.append(("status_entry", _status_entry(after, serial, new_status)))
        actions += _audit_actions(audits, after.version)
        actions += _outbox_actions(outbox)
        actions += _ledger_actions(ledger)
        self._transact(actions)
        if listed and self._on_permit_status_change is not None:
            try:
                self._on_permit_status_change()
            except Exception:  # the write is committed; the list catches up on its next refresh
                log.exception("revocation list not regenerated after a status change")

    def replace_permit(
        self,
        before: Application,
        after: Application,
        audits: Sequence[AuditEntry],
        new_permit: PermitRecord,
        *,
        event: PaymentEventRecord | None = None,
        outbox: Sequence[OutboxMessage] = (),
        ledger: Sequence[LedgerEntry] = (),
    ) -> None:
        """Supersede ``before``'s permit with ``new_permit`` on the same application, atomically.

        One transaction: the application (expected version), the old permit ISSUED ->
        SUPERSEDED with its revocation-list entry, the new permit (must not exist), the plate
        claims handed over (a kept plate's claim is rewritten only if it is still the old
        permit's, a dropped one deleted, a new one claimed only if free), the audit entries,
        the outbox mails and, for a paid change, the provider event's dedupe marker. A second
        clerk pressing at the same time fails on the version (or the permit's status) and
        changes nothing.
        """
        old = before.permit
        if old is None or after.permit is None or after.permit.serial != new_permit.serial:
            raise ValueError("a permit replacement needs the old and the new permit")
        actions: list[tuple[str, dict[str, Any]]] = []
        if event is not None:
            actions.append(("event", _put(items.event_item(event), _NEW)))
        put = _put(items.application_item(after), _SAME_VERSION)
        put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
        put["Put"]["ExpressionAttributeValues"] = {":expected_version": {"N": str(before.version)}}
        put["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        actions.append(("application", put))
        permit_put = _put(items.permit_item(new_permit), _NEW)
        for days in new_permit.reminded:  # reminders already sent stay sent for the new one
            marker = f"{items.REMINDED_PREFIX}{days}"
            permit_put["Put"]["Item"][marker] = {"S": new_permit.issued_at.isoformat()}
        actions.append(("permit", permit_put))
        actions.append(("permit_status", _status_update(old.serial, Status.SUPERSEDED)))
        entry = StatusEntry(serial=old.serial, status=Status.SUPERSEDED, valid_to=old.valid_to)
        actions.append(("status_entry", {"Put": {"Item": items.permit_status_entry_item(entry)}}))
        held = {
            plate
            for plate in old.claimed_plates
            if self._holds(before.id, old.serial, old.permit_type, plate)
        }
        ours = {":app": {"S": before.id}, ":serial": {"N": str(old.serial)}}
        for claim in _claims_of(new_permit):
            if claim.plate in held:
                handover = _put(items.plate_claim_item(claim), _PLATE_OURS)
                handover["Put"]["ExpressionAttributeValues"] = ours
                actions.append(("handover", handover))
            else:
                actions.append(_claim_put(claim))
        for plate in sorted(held - set(new_permit.claimed_plates)):
            delete = {
                "Delete": {
                    "Key": items.plate_claim_key(old.permit_type, plate),
                    "ConditionExpression": _PLATE_OURS,
                    "ExpressionAttributeValues": ours,
                }
            }
            actions.append(("release", delete))
        actions += _audit_actions(audits, after.version)
        actions += _outbox_actions(outbox)
        actions += _ledger_actions(ledger)  # a change fee booked for finance
        self._transact(actions)
        if self._on_permit_status_change is not None:
            try:
                self._on_permit_status_change()
            except Exception:  # the write is committed; the list catches up on its next refresh
                log.exception("revocation list not regenerated after a supersession")

    def request_change(
        self, before: Application, after: Application, audits: Sequence[AuditEntry]
    ) -> None:
        """Store a change waiting for its fee, and file it for the reconciliation job.

        One transaction: the application (expected version) with its pending change, the
        audit entries and the day marker (``items.change_marker_item``).
        """
        change = after.change
        if change is None:
            raise ValueError("request_change needs the application's pending change")
        put = _put(items.application_item(after), _SAME_VERSION)
        put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
        put["Put"]["ExpressionAttributeValues"] = {":expected_version": {"N": str(before.version)}}
        put["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        day = berlin_today(change.requested_at)
        marker = items.change_marker_item(day, after.id, change.id, change.requested_at)
        self._transact(
            [
                ("application", put),
                *_audit_actions(audits, after.version),
                ("change_marker", {"Put": {"Item": marker}}),
            ]
        )

    def applications_with_change_payments(self, day: date, page_size: int = 100) -> list[str]:
        """The applications that asked for a paid change on ``day`` (one Query, paged)."""
        ids: list[str] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"{items.CHANGE_PAYMENT_PREFIX}{day.isoformat()}"}
            },
            "Limit": page_size,
        }
        while True:
            response = self._query_page(**query)
            ids += [item["SK"]["S"] for item in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if not last:
                return ids
            query["ExclusiveStartKey"] = last

    def _holds(self, application_id: str, serial: int, permit_type: int, plate: str) -> bool:
        held = self.get_plate_claim(permit_type, plate)
        return held is not None and (held.application_id, held.serial) == (application_id, serial)

    # -- revocation list ---------------------------------------------------------------------

    def list_permit_status_entries(self) -> list[StatusEntry]:
        """Every entry of the revocation list's partition: one Query, following its pages."""
        entries: list[StatusEntry] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": items.PERMIT_STATUS_PARTITION}},
            "ConsistentRead": True,
        }
        while True:
            response = self._query_page(**query)
            entries += [items.permit_status_entry_from_item(i) for i in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if not last:
                return entries
            query["ExclusiveStartKey"] = last

    def get_status_list(self) -> StoredStatusList | None:
        item = self._get(items.status_list_key())
        return items.status_list_from_item(item) if item else None

    def put_status_list(self, stored: StoredStatusList) -> bool:
        """Conditional on time, so a slow regeneration never replaces a newer list."""
        item = items.status_list_item(stored)
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(PK) OR issued_ms <= :issued_ms",
                ExpressionAttributeValues={":issued_ms": item["issued_ms"]},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        except self._client.exceptions.ClientError as error:
            raise StoreUnavailableError(_code(error)) from error
        return True

    def get_plate_claim(self, permit_type: int, plate: str) -> PlateClaim | None:
        item = self._get(items.plate_claim_key(permit_type, plate))
        return items.plate_claim_from_item(item) if item else None

    def _releases(self, app: Application) -> list[tuple[str, dict[str, Any]]]:
        """Deletes of the plate claims this application's permit still holds.

        A claim may already belong to a later permit (one that starts after ours ends), so
        each is read first and deleted only if it is still ours; the delete's condition
        catches a change in between (the caller re-reads and retries).
        """
        permit = app.permit
        if permit is None or not permit.claimed_plates:
            return []
        actions = []
        for plate in permit.claimed_plates:
            held = self.get_plate_claim(permit.permit_type, plate)
            if held is None or (held.application_id, held.serial) != (app.id, permit.serial):
                continue
            delete = {
                "Delete": {
                    "Key": items.plate_claim_key(permit.permit_type, plate),
                    "ConditionExpression": _PLATE_OURS,
                    "ExpressionAttributeValues": {
                        ":app": {"S": app.id},
                        ":serial": {"N": str(permit.serial)},
                    },
                }
            }
            actions.append(("release", delete))
        return actions

    def record_event(
        self, event: PaymentEventRecord, audit: AuditEntry, app_version: int = 0
    ) -> None:
        """Remember an event that changes nothing (failed payment, unknown type), with audit.

        The entry sorts after the audit of the version it saw (last sequence slot of that
        version). No version bump tells two such entries apart (two failed payments in one
        clock tick would collide on time and version, and the collision would answer 503
        forever): the event id, unique through the marker in the same transaction, ends
        the sort key.
        """
        item = items.audit_item(audit, app_version * 10 + 9)
        item["SK"] = {"S": f"{item['SK']['S']}#{event.event_id}"}
        self._transact(
            [("event", _put(items.event_item(event), _NEW)), ("audit", _put(item, _NEW))]
        )

    def add_audit(self, entry: AuditEntry, app_version: int) -> None:
        """An audit entry that changes nothing else (a staff member viewed the answers).

        Sorted after the entries of the version it saw; a random suffix keeps two views in
        one clock tick apart. A failure raises (the caller shows nothing without the entry).
        """
        import secrets

        item = items.audit_item(entry, app_version * 10 + 9)
        item["SK"] = {"S": f"{item['SK']['S']}#{secrets.token_hex(8)}"}
        self._transact([("audit", _put(item, _NEW))])

    def ledger_entries(self, day: date) -> list[LedgerEntry]:
        """Every ledger line of one Berlin day, in time order (one partition, all its pages)."""
        entries: list[LedgerEntry] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": items.ledger_partition(day)}},
            "ConsistentRead": True,
        }
        while True:
            response = self._query_page(**query)
            entries += [items.ledger_from_item(item) for item in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if not last:
                return entries
            query["ExclusiveStartKey"] = last

    # -- drafts ----------------------------------------------------------------------------

    def get_draft(self, draft_id: str, now_epoch: int) -> Draft | None:
        """The draft, unless its TTL has passed (DynamoDB deletes expired items only later)."""
        item = self._get(items.draft_key(draft_id))
        if not item or int(item["expires_at"]["N"]) <= now_epoch:
            return None
        return items.draft_from_item(item)

    def put_draft(
        self, draft: Draft, expected_version: int | None, outbox: Sequence[OutboxMessage] = ()
    ) -> None:
        """Create (``expected_version=None``) or replace a draft, with its mails, atomically."""
        if expected_version is None:
            put = _put(items.draft_item(draft), _NEW)
        else:
            put = _put(items.draft_item(draft), _SAME_VERSION)
            put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
            put["Put"]["ExpressionAttributeValues"] = {
                ":expected_version": {"N": str(expected_version)}
            }
        self._transact([("draft", put), *_outbox_actions(outbox)])

    # -- outbox ----------------------------------------------------------------------------

    def claim_outbox(
        self, message_id: str, now_epoch: int, lease_seconds: int
    ) -> OutboxMessage | None:
        """Take a PENDING message (or one whose sender died mid-send) for sending; else None.

        A conditional update, so two deliveries of the same stream record (Lambda retries
        a batch; the local drain may overlap) cannot both send it.
        """
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=items.outbox_key(message_id),
                UpdateExpression="SET mail_status = :sending, claimed_until = :until",
                ConditionExpression=(
                    "attribute_exists(PK) AND (mail_status = :pending OR "
                    "(mail_status = :sending AND claimed_until < :now))"
                ),
                ExpressionAttributeValues={
                    ":sending": {"S": "SENDING"},
                    ":pending": {"S": "PENDING"},
                    ":now": {"N": str(now_epoch)},
                    ":until": {"N": str(now_epoch + lease_seconds)},
                },
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        except self._client.exceptions.ClientError as error:
            raise StoreUnavailableError(_code(error)) from error
        return items.outbox_from_item(response["Attributes"])

    def finish_outbox(self, message_id: str, sent: bool, expires_at: int) -> None:
        """SENT (the address and link parameters removed) or back to PENDING for a retry."""
        if sent:
            update = "SET mail_status = :done, expires_at = :expires REMOVE #to, params"
            values = {":done": {"S": "SENT"}, ":expires": {"N": str(expires_at)}}
            names = {"#to": "to"}
        else:
            update = "SET mail_status = :done"
            values = {":done": {"S": "PENDING"}}
            names = {}
        kwargs: dict[str, Any] = {}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            self._client.update_item(
                TableName=self._table,
                Key=items.outbox_key(message_id),
                UpdateExpression=update,
                ConditionExpression="mail_status = :sending",
                ExpressionAttributeValues={**values, ":sending": {"S": "SENDING"}},
                **kwargs,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # someone else finished it (a lease that ran out): nothing to undo
        except self._client.exceptions.ClientError as error:
            raise StoreUnavailableError(_code(error)) from error

    def _transact(self, actions: list[tuple[str, dict[str, Any]]]) -> None:
        client = self._client
        for _, action in actions:
            next(iter(action.values()))["TableName"] = self._table
        try:
            client.transact_write_items(TransactItems=[action for _, action in actions])
        except client.exceptions.TransactionCanceledException as error:
            raise _cancellation_error(error, [name for name, _ in actions]) from error
        except (BotoCoreError, ClientError) as error:
            raise _store_error(error) from error


def _day(day: date) -> dict[str, str]:
    return {"S": day.isoformat()}


def _claims_of(permit: PermitRecord) -> list[PlateClaim]:
    return [
        PlateClaim(
            permit.permit_type,
            plate,
            permit.application_id,
            permit.serial,
            permit.valid_from,
            permit.valid_to,
        )
        for plate in permit.claimed_plates
    ]


def _claim_put(claim: PlateClaim) -> tuple[str, dict[str, Any]]:
    put = _put(items.plate_claim_item(claim), _PLATE_FREE)
    put["Put"]["ExpressionAttributeValues"] = {":starts": _day(claim.valid_from)}
    put["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return (f"plate:{claim.plate}", put)


def _status_entry(after: Application, serial: int, status: Status) -> dict[str, Any]:
    """The revocation-list entry, in the same transaction as the permit's new status."""
    permit = after.permit
    if permit is None or permit.serial != serial:
        raise ValueError("a permit status change needs the application's own permit")
    entry = StatusEntry(serial=serial, status=status, valid_to=permit.valid_to)
    return {"Put": {"Item": items.permit_status_entry_item(entry)}}


def _status_update(serial: int, new_status: Status) -> dict[str, Any]:
    """A permit's status ISSUED -> ``new_status``, only if it is still ISSUED."""
    return {
        "Update": {
            "Key": items.permit_key(serial),
            "UpdateExpression": "SET #status = :new",
            "ConditionExpression": "attribute_exists(PK) AND #status = :expected",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":new": {"S": new_status.value},
                ":expected": {"S": Status.ISSUED.value},
            },
        }
    }


def _put(item: dict[str, Any], condition: str) -> dict[str, Any]:
    """A Put action; ``_transact`` fills in the table name."""
    return {"Put": {"Item": item, "ConditionExpression": condition}}


def _audit_actions(
    audits: Sequence[AuditEntry], app_version: int
) -> list[tuple[str, dict[str, Any]]]:
    """Audit puts ordered by the application version they belong to, then by position."""
    return [
        ("audit", _put(items.audit_item(entry, app_version * 10 + seq), _NEW))
        for seq, entry in enumerate(audits)
    ]


def _ledger_actions(ledger: Sequence[LedgerEntry]) -> list[tuple[str, dict[str, Any]]]:
    return [("ledger", _put(items.ledger_item(entry), _NEW)) for entry in ledger]


def _outbox_actions(outbox: Sequence[OutboxMessage]) -> list[tuple[str, dict[str, Any]]]:
    """Each mail, and for a mail about an application its entry in the application's
    partition (kind and outbox id, no address): the data export lists the mails and the
    anonymisation finds the ones still waiting, without a scan."""
    actions: list[tuple[str, dict[str, Any]]] = []
    for message in outbox:
        actions.append(("outbox", _put(items.outbox_item(message), _NEW)))
        application_id = message.params.get("application_id")
        if application_id:
            log_item = items.mail_log_item(application_id, message)
            actions.append(("mail_log", _put(log_item, _NEW)))
    return actions


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _store_error(error: BotoCoreError | ClientError) -> StoreError:
    """Unavailable (retry later) or rejected (a bug or misconfiguration), never in between."""
    reason = unavailability(error)
    if reason is not None:
        return StoreUnavailableError(reason)
    return StoreRejectedError(
        _code(error) if isinstance(error, ClientError) else type(error).__name__
    )


#: Cancellation reasons that say another writer got there first: a conflict to re-read and
#: retry, never an outage. (``TransactionConflict``: another transaction held the item.)
_CONFLICT_REASONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
#: Reasons that say the request itself is wrong (a bug): no retry helps. Every other reason
#: (``ThrottlingError``, ``ProvisionedThroughputExceeded``, ...) means "retry later".
_REJECTED_REASONS = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})


def _cancellation_error(error: Any, names: list[str]) -> StoreError:
    """The store exception that the cancellation reasons (one per action, in order) mean.

    A failed condition on a named item says exactly what happened (an idempotency key in
    use, a duplicate event, a taken serial, a changed application). A failed condition on
    an audit entry, or a conflict with a concurrent transaction, means someone else wrote
    this application meanwhile: a stale read, which the services re-read and retry. A
    validation error is a bug; anything else (throttling, unknown codes) is "unavailable".
    """
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])
    codes = [str(reason.get("Code") or "None") for reason in reasons]
    for name, reason in zip(names, reasons, strict=False):
        if reason.get("Code") != "ConditionalCheckFailed":
            continue
        old = reason.get("Item")
        if name == "idempotency":
            return IdempotencyKeyUsedError(items.idempotency_from_item(old) if old else None)
        if name == "event":
            return DuplicateEventError()
        if name == "permit":
            return PermitSerialTakenError()
        if name == "application":
            current = items.application_from_item(old) if old and "id" in old else None
            return StaleApplicationError(current)
        if name == "draft":
            return DraftChangedError()
        if name.startswith("plate:"):
            held = items.plate_claim_from_item(old) if old and "serial" in old else None
            return PlateTakenError(name.removeprefix("plate:"), held)
    if any(code in _CONFLICT_REASONS for code in codes):
        # An audit entry or the permit status taken, a plate release that lost its claim,
        # or a concurrent transaction: re-read and retry.
        return StaleApplicationError(None)
    summary = "TransactionCanceled:" + ",".join(codes)
    if any(code in _REJECTED_REASONS for code in codes):
        return StoreRejectedError(summary)
    return StoreUnavailableError(summary)
