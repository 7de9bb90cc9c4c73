"""Use case: a citizen submits a form.

One DynamoDB request on the happy path: the idempotency record, the application and its
audit entry go in one transaction. A replayed ``Idempotency-Key`` answers the first answer
again (the access token is re-derived, never stored); the same key with another body is
refused. Free forms are issued in the same transaction (see IssuanceService).
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.domain.access import derived_access_token, hash_token
from chalicelib.domain.dates import berlin_today, format_de
from chalicelib.domain.email_lookup import email_lookup_hash, email_lookup_key
from chalicelib.domain.errors import ConflictError, FieldError, NotFoundError, ValidationFailedError
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.pointers import resolve_pointer
from chalicelib.domain.records import (
    Application,
    AuditEntry,
    IdempotencyRecord,
    LedgerEntry,
    OutboxMessage,
    PermitRecord,
    PlateClaim,
)
from chalicelib.domain.rules import normalise_document, resolve_zone
from chalicelib.services.notifications import issued_mail, submitted_mail
from chalicelib.services.ports import ApplicationStore, Clock, Metrics
from chalicelib.services.store_errors import IdempotencyKeyUsedError, PlateTakenError
from chalicelib.services.validation import validate_document

if TYPE_CHECKING:
    from chalicelib.services.form_registry import FormRegistry
    from chalicelib.services.issuance import Issuer

__all__ = ["IdempotencyKeyReusedError", "SubmissionResult", "SubmissionService"]

IDEMPOTENCY_TTL = timedelta(hours=24)


class IdempotencyKeyReusedError(ConflictError):
    """The Idempotency-Key was used before with a different request body."""


@dataclass(frozen=True)
class SubmissionResult:
    body: dict[str, Any]
    replayed: bool


class SubmissionService:
    def __init__(
        self,
        registry: FormRegistry,
        store: ApplicationStore,
        clock: Clock,
        app_secret: bytes,
        issuer: Issuer | None = None,
        *,
        metrics: Metrics,
    ) -> None:
        if len(app_secret) < 32:  # an empty key would make derived access tokens guessable
            raise ValueError("submissions need an app secret of at least 32 bytes")
        self._registry = registry
        self._store = store
        self._clock = clock
        self._secret = app_secret
        self._issuer = issuer
        self._metrics = metrics

    def submit(
        self,
        form_id: str,
        data: Any,
        idempotency_key: str | None,
        lang: str = "de",
        *,
        renewal_of: Application | None = None,
    ) -> SubmissionResult:
        """Validate, store and (free forms) issue; the confirmation mail goes in the same write.

        The access token is derived from a seed (the key's hash, or a random one) and the
        application id, never stored: the outbox message keeps the seed so the mail can
        carry the private link, and nothing else holds it.
        """
        form = self._registry.get(form_id)
        if form is None:
            raise NotFoundError(f"unknown form {form_id!r}")
        now = self._clock.now()
        today = berlin_today(now)
        zone_map = self._registry.zone_map
        validator = self._registry.validator(form)
        errors = validate_document(form, validator, data, today, zone_map)
        if errors:
            raise ValidationFailedError(errors)
        request_hash = _request_hash(form.id, data)
        document = normalise_document(form, copy.deepcopy(data))
        fee = form.fee_on(document, today)
        if fee is None:  # a fee table that misses a valid document: a staff error
            raise ValidationFailedError([FieldError("", "invalid")])
        _default_start_date(form, document, today)
        zone = resolve_zone(form, document, zone_map).zone if zone_map is not None else None

        application_id = secrets.token_hex(16)
        idem: IdempotencyRecord | None = None
        seed = hash_token(idempotency_key) if idempotency_key is not None else secrets.token_hex(32)
        token = derived_access_token(self._secret, form.id, seed, application_id)
        email = resolve_pointer(document, form.email_pointer) if form.email_pointer else None
        app = Application(
            id=application_id,
            form_id=form.id,
            form_version=form.version,
            schema_hash=form.schema_hash,
            data=document,
            status=Status.SUBMITTED,
            version=1,
            fee_cents=fee.amount_cents,
            currency=fee.currency,
            access_token_hash=hash_token(token),
            created_at=now,
            updated_at=now,
            fee_breakdown=fee.breakdown,
            zone=zone,
            lang=lang if lang in ("de", "en") else "de",
            email_hash=(
                email_lookup_hash(email_lookup_key(self._secret), email)
                if isinstance(email, str)
                else None
            ),
        )
        renewed = None
        if renewal_of is not None:  # RenewalService checked the window; the store the version
            app = replace(app, renewal_of=renewal_of.id)
            started = AuditEntry(
                renewal_of.id, now, "renewal_started", None, None, "citizen", {"renewal": app.id}
            )
            renewed = (renewal_of, renewal_of.with_changes(now, renewal_id=app.id), started)
        audits = [AuditEntry(app.id, now, "submitted", None, Status.SUBMITTED, "citizen")]
        permit: PermitRecord | None = None
        outbox: list[OutboxMessage] = []
        if isinstance(email, str):
            outbox.append(submitted_mail(email, lang, form.id, app.id, seed, now))
        if fee.amount_cents == 0 and self._issuer is not None:
            app, permit, issued_audit = self._issuer.issue_free(form, app)
            audits.append(issued_audit)
            if isinstance(email, str):
                outbox.append(issued_mail(email, lang, form.id, app.id, now))
        public = _public_body(app)
        if idempotency_key is not None:
            idem = IdempotencyRecord(
                scope=form.id,
                key_hash=hash_token(idempotency_key),
                request_hash=request_hash,
                application_id=app.id,
                response=public,
                expires_at=int((now + IDEMPOTENCY_TTL).timestamp()),
                ttl_seconds=int(IDEMPOTENCY_TTL.total_seconds()),
            )
        claims = plate_claims(form, app, permit)
        try:
            self._store.create_application(
                app,
                audits,
                idem,
                permit,
                plate_claims=claims,
                outbox=outbox,
                ledger=_free_issuance(app, permit, now),
                renewed=renewed,
            )
        except IdempotencyKeyUsedError as used:
            assert idempotency_key is not None
            return self._replay(form, idempotency_key, data, used.existing)
        except PlateTakenError as taken:
            raise ValidationFailedError([_plate_taken(form, document, taken)]) from taken
        if permit is not None:
            self._metrics.count("PermitsIssued")  # a free form: issued with the submission
        return SubmissionResult({**public, "access_token": token}, replayed=False)

    def _replay(
        self,
        form: FormDefinition,
        idempotency_key: str,
        data: Any,
        existing: IdempotencyRecord | None,
    ) -> SubmissionResult:
        key_hash = hash_token(idempotency_key)
        if existing is None:
            existing = self._store.get_idempotency(form.id, key_hash)
        if existing is None:  # expired between the two calls: treat as a conflict to retry
            raise IdempotencyKeyReusedError("idempotency record vanished; retry")
        if existing.request_hash != _request_hash(form.id, data):
            raise IdempotencyKeyReusedError("Idempotency-Key was used with a different body")
        token = derived_access_token(self._secret, form.id, key_hash, existing.application_id)
        return SubmissionResult({**existing.response, "access_token": token}, replayed=True)


def plate_claims(
    form: FormDefinition, app: Application, permit: PermitRecord | None
) -> list[PlateClaim]:
    """The plates an application will hold (one active permit per plate and permit type).

    With a permit (free forms) these are its own claims; before payment they say which
    validity the new permit would have, so a plate that is taken is refused at submission.
    """
    if not form.rules.one_active_permit_per_plate:
        return []
    if permit is not None:
        return [
            PlateClaim(
                form.permit.permit_type,
                plate,
                app.id,
                permit.serial,
                permit.valid_from,
                permit.valid_to,
            )
            for plate in permit.claimed_plates
        ]
    start, end = form.validity_in(app.data)
    return [
        PlateClaim(form.permit.permit_type, plate, app.id, 0, start, end)
        for plate in form.plates_in(app.data)
    ]


def _plate_taken(
    form: FormDefinition, document: dict[str, Any], taken: PlateTakenError
) -> FieldError:
    pointer = form.permit.plates
    plates = resolve_pointer(document, pointer)
    if isinstance(plates, list) and taken.plate in plates:
        pointer = f"{pointer}/{plates.index(taken.plate)}"
    until = format_de(taken.held.valid_to) if taken.held is not None else "?"
    params: dict[str, object] = {
        "until": until,
        "permit": form.title["de"],
        "permit_en": form.title["en"],
    }
    return FieldError(pointer, "plate_has_active_permit", params)


def _default_start_date(form: FormDefinition, document: dict[str, Any], today: date) -> None:
    """An omitted start date means today; stored explicitly so the record is self-contained."""
    parent_path, _, key = form.permit.start_date.rpartition("/")
    parent = resolve_pointer(document, parent_path)
    if isinstance(parent, dict) and key not in parent:
        parent[key] = today.isoformat()


def _request_hash(form_id: str, data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{form_id}\x00{canonical}".encode()).hexdigest()


def _public_body(app: Application) -> dict[str, Any]:
    fee: dict[str, Any] = {"amount_cents": app.fee_cents, "currency": app.currency}
    if app.fee_breakdown is not None:
        fee["breakdown"] = app.fee_breakdown
    return {"id": app.id, "status": app.status.value, "fee": fee}


def _free_issuance(
    app: Application, permit: PermitRecord | None, now: datetime
) -> list[LedgerEntry]:
    """A free form's permit is booked too: finance counts every permit issued, paid or not."""
    if permit is None:
        return []
    return [
        LedgerEntry(
            day=berlin_today(now),
            at=now,
            kind="issuance",
            application_id=app.id,
            form_id=app.form_id,
            amount_cents=0,
            currency=app.currency,
            permit_number=permit.number,
        )
    ]
