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

from chalicelib.domain.dates import berlin_today, validity_end
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.permit_number import format_permit_number
from chalicelib.domain.pointers import resolve_pointer
from chalicelib.domain.records import Application, AuditEntry, PermitRecord, PermitSummary
from chalicelib.services.ports import Clock, Signer

__all__ = ["IssuanceService", "Issuer", "NewPermit"]


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
        from chalicelib.domain.token import PermitClaims, sign_token, token_to_text

        now = now or self._clock.now()
        spec = form.permit
        start = date.fromisoformat(resolve_pointer(app.data, spec.start_date))
        months = int(resolve_pointer(app.data, spec.duration_months))
        plates = tuple(resolve_pointer(app.data, spec.plates))
        zone = str(resolve_pointer(app.data, spec.zone))
        serial = self._draw_serial()
        claims = PermitClaims(
            serial=serial,
            zone=zone,
            permit_type=spec.permit_type,
            valid_from=start,
            valid_to=validity_end(start, months),
            plates=plates,
        )
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
        )
        issued = app.advance(Status.ISSUED, now, permit=summary, payment_id=payment_id)
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
        )
        audit = AuditEntry(
            app.id, now, "issued", app.status, Status.ISSUED, actor, {"permit_number": number}
        )
        return NewPermit(issued, permit, audit)

    def issue_free(
        self, form: FormDefinition, app: Application
    ) -> tuple[Application, PermitRecord, AuditEntry]:
        """For SubmissionService: a free form's permit goes into the submit transaction."""
        new = self.build(form, app, actor="system")
        return new.application, new.permit, new.audit
