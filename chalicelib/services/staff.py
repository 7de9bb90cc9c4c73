"""Staff use cases: authenticate, look at the queue, read an application, act on it.

Authentication is checked in code, in every stage, not only by an API Gateway authorizer:
``chalice local`` and the test client ignore authorizers, and a forgotten authorizer must not
open the staff API. Staff tokens are configured as SHA-256 hashes and compared in constant
time; with none configured, every call is refused.

Reading an application's answers is processing personal data: each view writes a
``viewed`` audit entry (who, when) *before* the answers leave the service, and when that
write fails nothing is shown (503). Every action needs a reason and names its actor in the
audit entry written in the same transaction as the change.
"""

from __future__ import annotations

import hmac
from datetime import date
from typing import Any

from chalicelib.domain.access import hash_token
from chalicelib.domain.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    StaffAuthError,
    ValidationFailedError,
)
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.payability import PAYABLE_STATUSES
from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.records import Application, AuditEntry
from chalicelib.domain.staff_roles import Role, StaffPrincipal
from chalicelib.services.applications import APPLICATION_ID_PATTERN, bearer_token
from chalicelib.services.ports import ApplicationStore, Clock
from chalicelib.services.store_errors import StaleApplicationError

__all__ = ["StaffAuthError", "StaffService", "authenticate_staff", "check_reason"]

QUEUE_STATUSES = ("SUBMITTED", "AWAITING_PAYMENT", "FLAGGED", "ISSUED")
REASON_MIN, REASON_MAX = 3, 500


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


def check_reason(reason: object) -> str:
    """The reason an action needs, trimmed: 3-500 characters, else a 422 naming ``/reason``."""
    text = reason.strip() if isinstance(reason, str) else ""
    if len(text) < REASON_MIN:
        raise ValidationFailedError([FieldError("/reason", "minLength", {"limit": REASON_MIN})])
    if len(text) > REASON_MAX:
        raise ValidationFailedError([FieldError("/reason", "maxLength", {"limit": REASON_MAX})])
    return text


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

    def summary(self, application_id: str) -> dict[str, Any]:
        """Status, form, flags and permit number: no answers, so no view to audit."""
        return _summary(self._get(application_id))

    def application(self, application_id: str, actor: str = "staff") -> dict[str, Any]:
        """The whole application for staff; the view is audited before anything is returned.

        If the audit entry cannot be written the store raises (StoreUnavailableError: 503)
        and the answers never leave this method.
        """
        app = self._get(application_id)
        self._store.add_audit(
            AuditEntry(app.id, self._clock.now(), "viewed", None, None, actor), app.version
        )
        audit = self._store.list_audit(application_id)
        permit = self._store.get_permit(app.permit.serial) if app.permit else None
        return {
            **_summary(app),
            "data": app.data,
            "form_version": app.form_version,
            "schema_hash": app.schema_hash,
            "updated_at": app.updated_at.isoformat(),
            "version": app.version,
            "zone": app.zone,
            "payment": {
                "reference": payment_reference(app.id),
                "payment_id": app.payment_id,
                "provider": app.checkout.provider if app.checkout else None,
                "checkout_created_at": (
                    app.checkout.created_at.isoformat() if app.checkout else None
                ),
                "refunded": [
                    {"payment_id": payment_id, "amount_cents": cents}
                    for payment_id, cents in app.refunded
                ],
            },
            "permit": (
                {
                    "number": app.permit.number,
                    "status": permit.status.value if permit else None,
                    "zone": app.permit.zone,
                    "plates": list(app.permit.plates),
                    "valid_from": app.permit.valid_from.isoformat(),
                    "valid_until": app.permit.valid_to.isoformat(),
                    "issued_at": app.permit.issued_at.isoformat(),
                }
                if app.permit
                else None
            ),
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
        reason = check_reason(reason)
        app = self._get(application_id)
        if app.status is not Status.ISSUED or app.permit is None:
            raise ConflictError(f"only issued permits can be revoked (status {app.status.value})")
        now = self._clock.now()
        after = app.advance(Status.REVOKED, now)
        audit = AuditEntry(
            app.id, now, "revoked", app.status, Status.REVOKED, actor, {"reason": reason}
        )
        self._save(
            app, after, audit, permit_status=(app.permit.serial, Status.ISSUED, Status.REVOKED)
        )
        return _summary(after)

    def resolve_flag(
        self, application_id: str, actor: str, flag: object, reason: object
    ) -> dict[str, Any]:
        """Take one flag off (staff looked at the money and settled it); the status stays."""
        text = check_reason(reason)
        app = self._get(application_id)
        if not isinstance(flag, str) or flag not in app.flags:
            allowed = ", ".join(app.flags) or "-"
            raise ValidationFailedError([FieldError("/flag", "enum", {"allowed": allowed})])
        now = self._clock.now()
        after = app.with_changes(now, flags=tuple(f for f in app.flags if f != flag))
        detail = {"flag": flag, "reason": text}
        audit = AuditEntry(app.id, now, "flag_resolved", app.status, app.status, actor, detail)
        self._save(app, after, audit)
        return _summary(after)

    def cancel(self, application_id: str, actor: str, reason: object) -> dict[str, Any]:
        """Cancel an application nobody has paid for yet (SUBMITTED or AWAITING_PAYMENT).

        A payment that arrives later is flagged for a refund, never issued (PaymentService).
        """
        text = check_reason(reason)
        app = self._get(application_id)
        if app.status not in PAYABLE_STATUSES:
            raise ConflictError(
                f"only unpaid applications can be cancelled (status {app.status.value})"
            )
        now = self._clock.now()
        after = app.advance(Status.CANCELLED, now)
        audit = AuditEntry(
            app.id, now, "cancelled", app.status, Status.CANCELLED, actor, {"reason": text}
        )
        self._save(app, after, audit)
        return _summary(after)

    def _save(
        self,
        before: Application,
        after: Application,
        audit: AuditEntry,
        permit_status: tuple[int, Status, Status] | None = None,
    ) -> None:
        try:
            self._store.save(before, after, [audit], permit_status=permit_status)
        except StaleApplicationError as error:  # a payment or a colleague came first
            raise ConflictError("the application changed meanwhile; reload and retry") from error

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
