"""Use case: turn a paid (or free) application into a permit with a signed token.

Building the permit is pure (claims from the form data, a random serial, the signature);
writing it is the caller's single transaction, so "issued" and "permit exists" can never
disagree. A serial collision (1 in 4 billion per pair) is retried with a fresh serial.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import DomainError
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.permit_number import format_permit_number
from chalicelib.domain.pointers import resolve_pointer
from chalicelib.domain.records import Application, AuditEntry, PermitRecord, PermitSummary
from chalicelib.services.ports import Clock, Signer

__all__ = ["IssuanceFailedError", "IssuanceService", "Issuer", "NewPermit"]


class IssuanceFailedError(DomainError):
    """A paid application that cannot become a permit (its data does not fit the token).

    The form checks exist so that this never happens; when it does anyway, the payment
    handler flags the application for staff instead of failing the webhook over and over.
    """


@dataclass(frozen=True)
class NewPermit:
    application: Application
    permit: PermitRecord
    audit: AuditEntry


class Issuer(Protocol):
    """What the payment and submission use cases need of issuance (lets wiring defer the key)."""

    def build(
        self,
        form: FormDefinition,
        app: Application,
        *,
        actor: str,
        payment_id: str | None = None,
        now: datetime | None = None,
    ) -> NewPermit: ...

    def issue_free(
        self, form: FormDefinition, app: Application
    ) -> tuple[Application, PermitRecord, AuditEntry]: ...

    def sign(
        self,
        form: FormDefinition,
        app: Application,
        zone: str,
        plates: tuple[str, ...],
        valid_from: date,
        valid_to: date,
        now: datetime,
    ) -> tuple[PermitSummary, PermitRecord]: ...


class IssuanceService:
    def __init__(self, signer: Signer, clock: Clock, draw_serial: Any = None) -> None:
        self._signer = signer
        self._clock = clock
        self._draw_serial = draw_serial or (lambda: secrets.randbits(32))

    def build(
        self,
        form: FormDefinition,
        app: Application,
        *,
        actor: str,
        payment_id: str | None = None,
        now: datetime | None = None,
    ) -> NewPermit:
        """The ISSUED application, its permit record and the audit entry; nothing written."""
        now = now or self._clock.now()
        spec = form.permit
        try:
            start, end = form.validity_in(app.data)
            plates = form.plates_in(app.data)
            zone = app.zone or str(resolve_pointer(app.data, spec.zone.entered or "/zone"))
        except (ValueError, TypeError) as error:
            raise IssuanceFailedError(f"{form.id}: {error}") from error
        summary, permit = self.sign(form, app, zone, plates, start, end, now)
        issued = app.advance(Status.ISSUED, now, permit=summary, payment_id=payment_id)
        detail = {"permit_number": summary.number}
        audit = AuditEntry(app.id, now, "issued", app.status, Status.ISSUED, actor, detail)
        return NewPermit(issued, permit, audit)

    def sign(
        self,
        form: FormDefinition,
        app: Application,
        zone: str,
        plates: tuple[str, ...],
        valid_from: date,
        valid_to: date,
        now: datetime,
    ) -> tuple[PermitSummary, PermitRecord]:
        """A freshly signed permit (new serial, number and token) for the given claims.

        Shared by first issuance and by a change (supersede: new plates or zone, same end),
        so both sign, number and record a permit the same way; nothing is written here.
        """
        from chalicelib.domain.token import PermitClaims, sign_token, token_to_text

        spec = form.permit
        try:
            claims = PermitClaims(
                serial=self._draw_serial(),
                zone=zone,
                permit_type=spec.permit_type,
                valid_from=valid_from,
                valid_to=valid_to,
                plates=plates,
            )
        except (ValueError, TypeError) as error:
            # A document the token cannot carry: a form the checks should have refused.
            raise IssuanceFailedError(f"{form.id}: {error}") from error
        serial = claims.serial
        claimed = plates if form.rules.one_active_permit_per_plate else ()
        token = token_to_text(sign_token(claims, self._signer))
        number = format_permit_number(berlin_today(now).year, serial)
        summary = PermitSummary(
            serial=serial,
            number=number,
            zone=zone,
            plates=plates,
            valid_from=claims.valid_from,
            valid_to=claims.valid_to,
            token=token,
            issued_at=now,
            permit_type=spec.permit_type,
            claimed_plates=claimed,
        )
        permit = PermitRecord(
            serial=serial,
            number=number,
            application_id=app.id,
            form_id=app.form_id,
            permit_type=spec.permit_type,
            zone=zone,
            plates=plates,
            valid_from=claims.valid_from,
            valid_to=claims.valid_to,
            token=token,
            key_id=self._signer.key_id,
            status=Status.ISSUED,
            issued_at=now,
            claimed_plates=claimed,
        )
        return summary, permit

    def issue_free(
        self, form: FormDefinition, app: Application
    ) -> tuple[Application, PermitRecord, AuditEntry]:
        """For SubmissionService: a free form's permit goes into the submit transaction."""
        new = self.build(form, app, actor="system")
        return new.application, new.permit, new.audit
