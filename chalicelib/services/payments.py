"""Use case: a payment provider tells us what happened, as often and in whatever order it likes.

One read of the application, then one transaction that carries the event's dedupe marker, so
each provider event has its effect exactly once. Duplicate, late and out-of-order events are
normal: they are acknowledged (2xx) and change nothing, or they flag the application for
staff. Only a verified ``payment.succeeded`` for the right amount issues a permit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib import logs
from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.pointers import resolve_pointer
from chalicelib.domain.records import (
    Application,
    AuditEntry,
    LedgerEntry,
    OutboxMessage,
    PaymentEventRecord,
)
from chalicelib.services.issuance import IssuanceFailedError, Issuer
from chalicelib.services.notifications import issued_mail
from chalicelib.services.ports import (
    PAYMENT_EVENT_TYPES,
    ApplicationStore,
    Clock,
    Metrics,
    PaymentEvent,
    PaymentProvider,
)
from chalicelib.services.store_errors import (
    DuplicateEventError,
    PermitSerialTakenError,
    PlateTakenError,
    StaleApplicationError,
    StoreUnavailableError,
)

__all__ = ["PaidChanges", "PaymentService", "WebhookOutcome"]

log = logging.getLogger("permit_service.payments")
EVENT_RETENTION = timedelta(days=90)  # providers retry for up to 3 days; keep ample margin
_ATTEMPTS = 4

# Flags staff see in their queue; the application keeps its status.
FLAG_AMOUNT_MISMATCH = "amount_mismatch"
FLAG_LATE_PAYMENT = "payment_after_cancellation"
FLAG_SECOND_PAYMENT = "second_payment"
FLAG_REFUND_BEFORE_PAYMENT = "refund_before_payment"
FLAG_PAYMENT_AFTER_REFUND = "payment_after_refund"
FLAG_PAYMENT_AFTER_REVOCATION = "payment_after_revocation"
FLAG_PARTIAL_REFUND = "partial_refund"
FLAG_ISSUANCE_FAILED = "issuance_failed"
FLAG_CHANGE_FEE_REFUNDED = "change_fee_refunded"


class PaidChanges(Protocol):
    """What the payment handler needs of the change use case (``ChangeService``)."""

    def apply_paid(
        self,
        app: Application,
        event: PaymentEventRecord,
        payment_id: str,
        *,
        ledger: Sequence[LedgerEntry] = (),
    ) -> None: ...


@dataclass(frozen=True)
class WebhookOutcome:
    """What the endpoint answers: always 2xx once the signature is good."""

    result: str  # issued | revoked | flagged | recorded | duplicate | ignored

    def body(self) -> dict[str, Any]:
        return {"received": True, "result": self.result}


class PaymentService:
    def __init__(
        self,
        store: ApplicationStore,
        registry: Any,
        issuance: Issuer,
        providers: dict[str, PaymentProvider],
        clock: Clock,
        *,
        metrics: Metrics,
        changes: PaidChanges | None = None,
    ) -> None:
        self._changes = changes
        self._store = store
        self._registry = registry
        self._issuance = issuance
        self._providers = providers
        self._clock = clock
        self._metrics = metrics

    def handle_webhook(
        self, provider_name: str, headers: dict[str, str], body: bytes
    ) -> WebhookOutcome:
        provider = self._providers.get(provider_name)
        if provider is None:
            raise NotFoundError("unknown payment provider")
        event = provider.parse_webhook(headers, body)
        return self.apply(provider.name, event)

    def apply(self, provider: str, event: PaymentEvent) -> WebhookOutcome:
        """Apply a verified event; also the entry point for providers that are polled."""
        logs.bind(application_id=event.application_id)  # signed by the provider: safe to log
        if event.type not in PAYMENT_EVENT_TYPES:
            # Acknowledged without a read: providers send many types we do not need.
            log.info("payment event of unknown type ignored (event %s)", event.event_id)
            return WebhookOutcome("ignored")
        for _ in range(_ATTEMPTS):
            app = self._store.get_application(event.application_id)
            if app is None:
                log.info("payment event %s for unknown application ignored", event.event_id)
                return WebhookOutcome("ignored")
            try:
                return self._dispatch(provider, event, app)
            except DuplicateEventError:
                return WebhookOutcome("duplicate")
            except (StaleApplicationError, PermitSerialTakenError):
                continue  # someone else changed it (often: the same event, concurrently): re-read
        # Still contended after several tries: let the provider retry later.
        raise StoreUnavailableError("application contended; retry")

    def _dispatch(self, provider: str, event: PaymentEvent, app: Application) -> WebhookOutcome:
        now = self._clock.now()
        marker = PaymentEventRecord(
            provider=provider,
            event_id=event.event_id,
            application_id=app.id,
            type=event.type,
            received_at=now,
            expires_at=int((now + EVENT_RETENTION).timestamp()),
        )
        if event.type == "payment.succeeded":
            return self._succeeded(event, app, marker, now)
        if event.type == "payment.refunded":
            return self._refunded(event, app, marker, now)
        if event.type == "payment.failed":
            audit = AuditEntry(app.id, now, "payment_failed", app.status, app.status, provider)
            self._store.record_event(marker, audit, app.version)
            return WebhookOutcome("recorded")
        log.info("payment event of unknown type ignored (event %s)", event.event_id)
        return WebhookOutcome("ignored")

    def _flag(
        self,
        app: Application,
        flag: str,
        marker: PaymentEventRecord,
        now: datetime,
        payment_id: str,
        extra: dict[str, str] | None = None,
        *,
        ledger: Sequence[LedgerEntry] = (),
        changes: dict[str, Any] | None = None,
    ) -> WebhookOutcome:
        flags = app.flags if flag in app.flags else (*app.flags, flag)
        after = app.with_changes(now, flags=flags, **(changes or {}))
        detail = {"flag": flag, "payment_id": payment_id, **(extra or {})}
        audit = AuditEntry(app.id, now, "flagged", app.status, app.status, marker.provider, detail)
        self._store.save(app, after, [audit], event=marker, ledger=ledger)
        log.warning("application %s flagged for staff: %s", app.id, flag)
        return WebhookOutcome("flagged")

    def _succeeded(
        self, event: PaymentEvent, app: Application, marker: PaymentEventRecord, now: datetime
    ) -> WebhookOutcome:
        if app.status is Status.ISSUED and app.payment_id == event.payment_id:
            return WebhookOutcome("duplicate")  # another event id for the same payment
        change = app.change
        if change is not None and change.payment_id == event.payment_id:
            return WebhookOutcome("duplicate")  # the change fee's payment, already applied
        if (
            app.status is Status.ISSUED
            and change is not None
            and change.state == "awaiting_payment"
        ):
            return self._change_paid(event, app, marker, now)
        # Money came in, whatever becomes of it (issued, or flagged for a refund): booked.
        paid = [_ledger(marker, event, app, now, "payment", event.amount_cents)]
        pid = event.payment_id
        if app.status in (Status.ISSUED, Status.EXPIRED, Status.SUPERSEDED):
            return self._flag(app, FLAG_SECOND_PAYMENT, marker, now, pid, ledger=paid)
        if app.status is Status.CANCELLED:
            return self._flag(app, FLAG_LATE_PAYMENT, marker, now, pid, ledger=paid)
        if app.status is Status.REVOKED:
            return self._flag(app, FLAG_PAYMENT_AFTER_REVOCATION, marker, now, pid, ledger=paid)
        if (event.amount_cents, event.currency) != (app.fee_cents, app.currency):
            return self._flag(app, FLAG_AMOUNT_MISMATCH, marker, now, pid, ledger=paid)
        if f"{FLAG_REFUND_BEFORE_PAYMENT}:{event.payment_id}" in app.flags:
            # Paid back before we heard it was paid: not a payment (and not a cancellation).
            return self._flag(app, FLAG_PAYMENT_AFTER_REFUND, marker, now, pid, ledger=paid)
        try:
            form = self._registry.get(app.form_id)
            if form is None:
                raise IssuanceFailedError(f"form {app.form_id!r} is no longer published")
            new = self._issuance.build(
                form, app, actor=marker.provider, payment_id=event.payment_id, now=now
            )
            issuance = _ledger(marker, event, app, now, "issuance", app.fee_cents)
            issuance = replace(issuance, event_id="", permit_number=new.permit.number)
            self._store.save(
                app,
                new.application,
                [new.audit],
                event=marker,
                new_permit=new.permit,
                outbox=_issued_mails(form, app, now),
                ledger=[*paid, issuance],
            )
        except (IssuanceFailedError, PlateTakenError) as error:
            # Paid, but no permit can be issued (data the token cannot hold, the plate has
            # an active permit meanwhile): staff decide; the provider stops retrying.
            extra = {"reason": type(error).__name__}
            return self._flag(
                app, FLAG_ISSUANCE_FAILED, marker, now, event.payment_id, extra, ledger=paid
            )
        self._metrics.count("PermitsIssued")
        log.info("permit issued", extra={"application_id": app.id, "event_id": event.event_id})
        return WebhookOutcome("issued")

    def _change_paid(
        self, event: PaymentEvent, app: Application, marker: PaymentEventRecord, now: datetime
    ) -> WebhookOutcome:
        """A change fee paid (issue 15): the pending change is applied in this transaction."""
        change = app.change
        assert change is not None
        paid = [_ledger(marker, event, app, now, "payment", event.amount_cents)]
        pid = event.payment_id
        if (event.amount_cents, event.currency) != (change.fee_cents, change.currency):
            return self._flag(app, FLAG_AMOUNT_MISMATCH, marker, now, pid, ledger=paid)
        if self._changes is None:
            return self._flag(app, FLAG_SECOND_PAYMENT, marker, now, pid, ledger=paid)
        try:
            self._changes.apply_paid(app, marker, event.payment_id, ledger=paid)
        except (IssuanceFailedError, PlateTakenError) as error:
            extra = {"reason": type(error).__name__, "change_id": change.id}
            return self._flag(
                app, FLAG_ISSUANCE_FAILED, marker, now, event.payment_id, extra, ledger=paid
            )
        self._metrics.count("PermitsIssued")
        log.info("change applied", extra={"application_id": app.id, "event_id": event.event_id})
        return WebhookOutcome("issued")

    def _refunded(
        self, event: PaymentEvent, app: Application, marker: PaymentEventRecord, now: datetime
    ) -> WebhookOutcome:
        # The provider reports the payment's refunded total: book what is new in it, once.
        total = event.refunded_cents or event.amount_cents
        known = dict(app.refunded)
        booked = known.get(event.payment_id, 0)
        ledger: list[LedgerEntry] = []
        changes: dict[str, Any] = {}
        if total > booked:
            ledger.append(_ledger(marker, event, app, now, "refund", total - booked))
            known[event.payment_id] = total
            changes["refunded"] = tuple(sorted(known.items()))
        issued = app.status is Status.ISSUED and app.payment_id == event.payment_id
        if issued and app.permit and event.refunded_cents < app.fee_cents:
            # Part of the fee paid back (a goodwill refund, a correction): the permit stays
            # valid and staff decide. A later event whose total covers the fee revokes.
            extra = {"refunded_cents": str(event.refunded_cents)}
            return self._flag(
                app,
                FLAG_PARTIAL_REFUND,
                marker,
                now,
                event.payment_id,
                extra,
                ledger=ledger,
                changes=changes,
            )
        if issued and app.permit:
            after = app.advance(Status.REVOKED, now, **changes)
            detail = {
                "reason": "refunded",
                "payment_id": event.payment_id,
                "refunded_cents": str(event.refunded_cents),
            }
            audit = AuditEntry(
                app.id, now, "revoked", app.status, Status.REVOKED, marker.provider, detail
            )
            permit_status = (app.permit.serial, Status.ISSUED, Status.REVOKED)
            self._store.save(
                app, after, [audit], event=marker, permit_status=permit_status, ledger=ledger
            )
            return WebhookOutcome("revoked")
        if app.status is Status.REVOKED and app.payment_id == event.payment_id:
            # A further refund event for the payment that was already refunded (a duplicate
            # with another event id, say): the permit is revoked; record it, flag nothing.
            detail = {"reason": "refunded", "payment_id": event.payment_id}
            audit = AuditEntry(
                app.id, now, "refund_recorded", app.status, app.status, marker.provider, detail
            )
            if ledger:  # more money went back than booked so far: book it with the record
                after = app.with_changes(now, **changes)
                self._store.save(app, after, [audit], event=marker, ledger=ledger)
            else:
                self._store.record_event(marker, audit, app.version)
            return WebhookOutcome("recorded")
        change = app.change
        if change is not None and change.payment_id == event.payment_id:
            # A change fee paid back (issue 15): the new permit stays valid; staff decide.
            return self._flag(
                app,
                FLAG_CHANGE_FEE_REFUNDED,
                marker,
                now,
                event.payment_id,
                {"change_id": change.id, "refunded_cents": str(total)},
                ledger=ledger,
                changes=changes,
            )
        # Refund before (or without) the success event: remember it, so a late success for
        # this payment does not issue a permit that was already paid back.
        flag = f"{FLAG_REFUND_BEFORE_PAYMENT}:{event.payment_id}"
        return self._flag(app, flag, marker, now, event.payment_id, ledger=ledger, changes=changes)


def _ledger(
    marker: PaymentEventRecord,
    event: PaymentEvent,
    app: Application,
    now: datetime,
    kind: str,
    amount_cents: int,
) -> LedgerEntry:
    return LedgerEntry(
        day=berlin_today(now),
        at=now,
        kind=kind,
        application_id=app.id,
        form_id=app.form_id,
        amount_cents=amount_cents,
        currency=event.currency or app.currency,
        provider=marker.provider,
        payment_id=event.payment_id,
        event_id=event.event_id,
    )


def _issued_mails(form: Any, app: Application, now: datetime) -> list[OutboxMessage]:
    """The "permit issued" mail, written in the issuing transaction (so sent exactly once)."""
    pointer = form.email_pointer if form is not None else None
    email = resolve_pointer(app.data, pointer) if pointer else None
    if not isinstance(email, str):
        return []
    return [issued_mail(email, app.lang, app.form_id, app.id, now)]
