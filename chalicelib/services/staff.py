"""Staff use cases: authenticate, look at the queue, read an application, revoke a permit.

Authentication is checked in code, in every stage, not only by an API Gateway authorizer:
``chalice local`` and the test client ignore authorizers, and a forgotten authorizer must not
open the staff API. Staff tokens are configured as SHA-256 hashes and compared in constant
time; with none configured, every call is refused.
"""

from __future__ import annotations

import hmac
from datetime import date
from typing import Any

from chalicelib.domain.access import hash_token
from chalicelib.domain.errors import ConflictError, NotFoundError, StaffAuthError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import Application, AuditEntry
from chalicelib.domain.staff_roles import Role, StaffPrincipal
from chalicelib.services.applications import APPLICATION_ID_PATTERN, bearer_token
from chalicelib.services.ports import ApplicationStore, Clock

__all__ = ["StaffAuthError", "StaffService", "authenticate_staff"]

QUEUE_STATUSES = ("SUBMITTED", "AWAITING_PAYMENT", "FLAGGED", "ISSUED")


def authenticate_staff(authorization: str | None, token_hashes: tuple[str, ...]) -> StaffPrincipal:
    """The script token's principal (actor: a hash prefix, no name; role admin) or
    StaffAuthError. Static tokens are for scripts and the local stage; people sign in."""
    token = bearer_token(authorization)
    presented = hash_token(token or "")  # hashed either way: both paths cost the same
    found = False
    for expected in token_hashes:  # compare against all: time does not tell which matched
        found |= hmac.compare_digest(presented, expected.lower())
    if not (token and found):
        raise StaffAuthError("staff credentials required")
    return StaffPrincipal(f"staff:{presented[:8]}", Role.ADMIN)


class StaffService:
    def __init__(self, store: ApplicationStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def queue(self, status: str, day: str) -> list[dict[str, Any]]:
        if status not in QUEUE_STATUSES:
            raise NotFoundError("unknown queue")
        try:
            date.fromisoformat(day)
        except ValueError as error:
            raise NotFoundError("day must be YYYY-MM-DD") from error
        rows = []
        for app_id in self._store.all_queued_application_ids(status, day):
            app = self._store.get_application(app_id)
            if app is not None:
                rows.append(_summary(app))
        return rows

    def application(self, application_id: str) -> dict[str, Any]:
        app = self._get(application_id)
        audit = self._store.list_audit(application_id)
        return {
            **_summary(app),
            "data": app.data,
            "form_version": app.form_version,
            "schema_hash": app.schema_hash,
            "audit": [
                {
                    "at": entry.at.isoformat(),
                    "event": entry.event,
                    "from": entry.from_status.value if entry.from_status else None,
                    "to": entry.to_status.value if entry.to_status else None,
                    "actor": entry.actor,
                    "detail": entry.detail,
                }
                for entry in audit
            ],
        }

    def revoke(self, application_id: str, actor: str, reason: str) -> dict[str, Any]:
        app = self._get(application_id)
        if app.status is not Status.ISSUED or app.permit is None:
            raise ConflictError(f"only issued permits can be revoked (status {app.status.value})")
        now = self._clock.now()
        after = app.advance(Status.REVOKED, now)
        audit = AuditEntry(
            app.id, now, "revoked", app.status, Status.REVOKED, actor, {"reason": reason}
        )
        self._store.save(
            app, after, [audit], permit_status=(app.permit.serial, Status.ISSUED, Status.REVOKED)
        )
        return _summary(after)

    def _get(self, application_id: str) -> Application:
        app: Application | None = (
            self._store.get_application(application_id)
            if APPLICATION_ID_PATTERN.match(application_id)
            else None
        )
        if app is None:
            raise NotFoundError("unknown application")
        return app


def _summary(app: Application) -> dict[str, Any]:
    return {
        "id": app.id,
        "form_id": app.form_id,
        "status": app.status.value,
        "flags": list(app.flags),
        "fee": {"amount_cents": app.fee_cents, "currency": app.currency},
        "created_at": app.created_at.isoformat(),
        "permit_number": app.permit.number if app.permit else None,
    }
