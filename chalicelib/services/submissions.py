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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.access import derived_access_token, hash_token
from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import ConflictError, FieldError, NotFoundError, ValidationFailedError
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.pointers import resolve_pointer
from chalicelib.domain.records import (
    Application,
    AuditEntry,
    IdempotencyRecord,
    OutboxMessage,
    PermitRecord,
)
from chalicelib.domain.rules import normalise_document
from chalicelib.services.notifications import issued_mail, submitted_mail
from chalicelib.services.ports import Clock
from chalicelib.services.store_errors import IdempotencyKeyUsedError
from chalicelib.services.validation import validate_document

if TYPE_CHECKING:
    from chalicelib.services.form_registry import FormRegistry

__all__ = ["IdempotencyKeyReusedError", "SubmissionResult", "SubmissionService"]

IDEMPOTENCY_TTL = timedelta(hours=24)


class IdempotencyKeyReusedError(ConflictError):
    """The Idempotency-Key was used before with a different request body."""


class _CreateStore(Protocol):
    def create_application(
        self,
        app: Application,
        audits: list[AuditEntry],
        idempotency: IdempotencyRecord | None = None,
        permit: PermitRecord | None = None,
        outbox: Sequence[OutboxMessage] = (),
    ) -> None: ...

    def get_idempotency(self, scope: str, key_hash: str) -> IdempotencyRecord | None: ...


class _FreeIssuer(Protocol):
    def issue_free(
        self, form: FormDefinition, app: Application
    ) -> tuple[Application, PermitRecord, AuditEntry]: ...


@dataclass(frozen=True)
class SubmissionResult:
    body: dict[str, Any]
    replayed: bool


class SubmissionService:
    def __init__(
        self,
        registry: FormRegistry,
        store: _CreateStore,
        clock: Clock,
        app_secret: bytes,
        issuer: _FreeIssuer | None = None,
    ) -> None:
        self._registry = registry
        self._store = store
        self._clock = clock
        self._secret = app_secret
        self._issuer = issuer

    def submit(
        self, form_id: str, data: Any, idempotency_key: str | None, lang: str = "de"
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
        errors = validate_document(form, self._registry.validator(form), data, today)
        if errors:
            raise ValidationFailedError(errors)
        request_hash = _request_hash(form.id, data)
        document = normalise_document(form, copy.deepcopy(data))
        fee = form.fee_for(document)
        if fee is None:  # a form whose fee table misses a valid option: a staff error
            raise ValidationFailedError([FieldError(form.fee_pointer or "", "invalid")])
        _default_start_date(form, document, today)

        application_id = secrets.token_hex(16)
        idem: IdempotencyRecord | None = None
        seed = hash_token(idempotency_key) if idempotency_key is not None else secrets.token_hex(32)
        token = derived_access_token(self._secret, form.id, seed, application_id)
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
            lang=lang if lang in ("de", "en") else "de",
        )
        audits = [AuditEntry(app.id, now, "submitted", None, Status.SUBMITTED, "citizen")]
        permit: PermitRecord | None = None
        outbox: list[OutboxMessage] = []
        email = resolve_pointer(document, form.email_pointer) if form.email_pointer else None
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
        try:
            self._store.create_application(app, audits, idem, permit, outbox)
        except IdempotencyKeyUsedError as used:
            assert idempotency_key is not None
            return self._replay(form, idempotency_key, data, used.existing)
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
    return {
        "id": app.id,
        "status": app.status.value,
        "fee": {"amount_cents": app.fee_cents, "currency": app.currency},
    }
