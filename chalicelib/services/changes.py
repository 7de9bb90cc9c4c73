"""Use case: change an issued permit (staff supersede; the citizen's plate change and move).

A change that alters what the permit shows (plates, zone) *supersedes* it: the old permit
becomes SUPERSEDED (its QR verifies as superseded at once and it lands on the revocation
list), and a new permit with a new serial, number, token and PDF is issued on the same
application, in one transaction with the plate claims handed over, the audit entry and the
citizen's mail (``ApplicationStore.replace_permit``). The new permit keeps the old one's last
day: a change never extends (or shortens) what was paid for. It starts today, or on the old
permit's first day if that is still ahead.

Concurrency: the write is conditional on the application's version, so of two clerks who
press at once exactly one succeeds; the other gets 409 (no retry here, which would turn the
second press into a second supersession of a permit the clerk never saw).
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import (
    ConflictError,
    FieldConflictError,
    FieldError,
    NotFoundError,
    ServiceUnavailableError,
    ValidationFailedError,
)
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.payability import CHECKOUT_LIFETIME
from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.pointers import resolve_pointer
from chalicelib.domain.records import (
    Application,
    AuditEntry,
    CheckoutInfo,
    LedgerEntry,
    OutboxMessage,
    PaymentEventRecord,
    PendingChange,
)
from chalicelib.domain.rules import normalise_document
from chalicelib.services.applications import APPLICATION_ID_PATTERN
from chalicelib.services.notifications import reissued_mail
from chalicelib.services.ports import (
    ApplicationStore,
    CheckoutRequest,
    Clock,
    Metrics,
    PaymentProvider,
)
from chalicelib.services.store_errors import (
    PermitSerialTakenError,
    PlateTakenError,
    StaleApplicationError,
)
from chalicelib.services.validation import validate_document

if TYPE_CHECKING:
    from chalicelib.services.form_registry import FormRegistry
    from chalicelib.services.issuance import Issuer

__all__ = ["ChangeOutcome", "ChangeService", "MovePlan"]

_SERIAL_ATTEMPTS = 3


@dataclass(frozen=True)
class ChangeOutcome:
    """What a change did: a new permit, the address updated, the permit ended, or the fee due."""

    result: str  # superseded | address_updated | ended | payment_required
    application: Application
    old_number: str | None = None
    checkout_url: str | None = None  # payment_required: where the citizen pays the fee


@dataclass(frozen=True)
class MovePlan:
    """A checked move: ``same_zone``, ``new_zone`` (``zone`` set) or ``out`` of every zone.

    ``document`` is the application's document with the new address (and zone).
    """

    kind: str
    zone: str | None
    document: dict[str, Any]


class ChangeService:
    def __init__(
        self,
        store: ApplicationStore,
        registry: FormRegistry,
        issuer: Issuer,
        clock: Clock,
        *,
        metrics: Metrics,
        provider: Callable[[], PaymentProvider | None] = lambda: None,
        public_base_url: str = "",
    ) -> None:
        self._store = store
        self._registry = registry
        self._issuer = issuer
        self._clock = clock
        self._metrics = metrics
        self._provider = provider
        self._base = public_base_url

    # -- staff -------------------------------------------------------------------------

    def supersede(self, application_id: str, plates: Any, reason: str, actor: str) -> ChangeOutcome:
        """Staff replace the permit with one for ``plates`` (the same plates: a new token).

        Same plates are allowed for staff: a stolen or copied permit is replaced by one whose
        old QR no longer verifies.
        """
        app = self._load(application_id)
        form = self._issued_form(app)
        document = self._with_plates(form, app, plates, allow_unchanged=True)
        return self._reissue(
            form, app, document, app.permit.zone if app.permit else "", actor, reason
        )

    # -- citizen -----------------------------------------------------------------------

    def change_plates(self, app: Application, plates: Any) -> ChangeOutcome:
        """The citizen reports a new car: the permit is superseded by one for ``plates``.

        ``app`` was read by a caller that checked the citizen's access (token or session).
        """
        form = self._issued_form(app)
        document = self._with_plates(form, app, plates, allow_unchanged=False)
        zone = app.permit.zone if app.permit else ""
        return self._change(form, app, document, zone, "plate_change")

    def check_plates(self, app: Application, plates: Any) -> tuple[str, ...]:
        """The normalised new plates if a plate change would be accepted now; writes nothing.

        For the confirmation page: the same checks as ``change_plates`` (form rules, a
        plate another permit holds), so the citizen confirms only what will go through.
        """
        form = self._issued_form(app)
        document = self._with_plates(form, app, plates, allow_unchanged=False)
        if app.permit is not None and app.permit.claimed_plates:
            self._check_plates_free(form, app, document, self._clock.now())
        return form.plates_in(document)

    def change_fee(self, app: Application) -> int:
        """What a change that issues a new permit costs for this application's form (cents)."""
        form = self._registry.get(app.form_id)
        return form.change_fee_cents if form is not None else 0

    def plan_move(self, app: Application, address: Any) -> MovePlan:
        """What moving to ``address`` would do, checked, without writing anything."""
        form = self._issued_form(app)
        spec = form.permit.zone
        if not spec.from_address or spec.street is None or spec.house_number is None:
            raise ConflictError("this permit does not depend on an address")
        # The address is the object that holds the street (and house number): it is
        # replaced whole, so a move can change nothing outside it.
        stored = spec.street.rpartition("/")[0]
        if not stored or spec.house_number.rpartition("/")[0] != stored:
            raise ConflictError("this form keeps no address object to move")
        if not isinstance(address, dict):
            params: dict[str, object] = {"expected": "Objekt/object"}
            raise ValidationFailedError([FieldError("/address", "type", params)])
        candidate = copy.deepcopy(app.data)
        parent = resolve_pointer(candidate, stored.rpartition("/")[0])
        if not isinstance(parent, dict):
            raise ConflictError("this permit does not depend on an address")
        parent[stored.rpartition("/")[2]] = copy.deepcopy(address)
        self._check(form, candidate, stored, "/address")
        if resolve_pointer(candidate, stored) == resolve_pointer(app.data, stored):
            raise ValidationFailedError([FieldError("/address", "address_unchanged")])
        street = resolve_pointer(candidate, spec.street)
        number = resolve_pointer(candidate, spec.house_number)
        zone_map = self._registry.zone_map
        found = zone_map.lookup(str(street), str(number)) if zone_map is not None else None
        zone = found.zone if found is not None else None
        allowed = form.rules.allowed_zones
        if zone is not None and allowed is not None and zone not in allowed:
            zone = None  # a zone this permit is not offered for: as good as none
        current = app.permit.zone if app.permit else None
        if zone is None:
            return MovePlan("out", None, candidate)
        if spec.entered:  # the form also asks for the zone: it follows the address
            entered_parent, _, key = spec.entered.rpartition("/")
            holder = resolve_pointer(candidate, entered_parent)
            if isinstance(holder, dict):
                holder[key] = zone
        return MovePlan("same_zone" if zone == current else "new_zone", zone, candidate)

    def move(self, app: Application, address: Any, *, confirm_end: bool = False) -> ChangeOutcome:
        """The citizen moves within the city: the address (and perhaps the zone) changes.

        Same zone: the address is updated (audited); the permit stays. Another zone: the
        permit is superseded by one for the new zone. No zone: the permit ends (REVOKED,
        reason ``moved_out_of_zones``), only with ``confirm_end``; without it a 409 names
        ``/confirm_end`` and nothing changes.
        """
        plan = self.plan_move(app, address)
        form = self._issued_form(app)
        if plan.kind == "new_zone":
            assert plan.zone is not None
            return self._change(form, app, plan.document, plan.zone, "moved")
        now = self._clock.now()
        dropped = _dropped(app)
        if plan.kind == "same_zone":
            after = app.with_changes(now, data=plan.document, change=_kept(app))
            audit = AuditEntry(
                app.id, now, "address_changed", app.status, app.status, "citizen", dropped
            )
            self._store.save(app, after, [audit])
            return ChangeOutcome("address_updated", after)
        if not confirm_end:
            raise FieldConflictError(
                [FieldError("/confirm_end", "move_ends_permit")], "the move ends the permit"
            )
        permit = app.permit
        assert permit is not None
        # The new address is not kept: it lies outside the city's zones and the permit ends.
        ended = app.advance(Status.REVOKED, now, change=_kept(app))
        detail = {"reason": "moved_out_of_zones", "permit_number": permit.number, **dropped}
        audit = AuditEntry(app.id, now, "ended", app.status, Status.REVOKED, "citizen", detail)
        self._store.save(
            app, ended, [audit], permit_status=(permit.serial, Status.ISSUED, Status.REVOKED)
        )
        return ChangeOutcome("ended", ended, permit.number)

    # -- change fee --------------------------------------------------------------------

    def _change(
        self, form: FormDefinition, app: Application, document: dict[str, Any], zone: str, kind: str
    ) -> ChangeOutcome:
        """Free: supersede now. With the form's change fee: open a checkout; the payment
        webhook applies the change (``apply_paid``), and the old permit stays valid until then.
        """
        if form.change_fee_cents == 0:
            return self._reissue(form, app, document, zone, "citizen", kind)
        provider = self._provider()  # built on first use: free changes never need it
        if provider is None:
            raise ServiceUnavailableError("online payment is not configured in this stage")
        now = self._clock.now()
        self._check_plates_free(form, app, document, now)
        change_id = secrets.token_hex(8)
        expires_at = now + CHECKOUT_LIFETIME
        title = form.title["de"]
        request = CheckoutRequest(
            application_id=app.id,
            amount_cents=form.change_fee_cents,
            currency=form.currency,
            description=f"{title}: Änderung",
            return_url=f"{self._base}/status/{app.id}",
            expires_at=expires_at,
            reference=payment_reference(app.id),
        )
        # The nonce names this change: a retry after our write failed opens the same page.
        checkout = provider.create_checkout(request, nonce=f"{app.id}:change:{change_id}")
        info = CheckoutInfo(
            provider.name, checkout.checkout_id, checkout.checkout_url, now, expires_at
        )
        pending = PendingChange(
            id=change_id,
            kind=kind,
            fee_cents=form.change_fee_cents,
            currency=form.currency,
            requested_at=now,
            zone=zone,
            document=document,
            checkout=info,
        )
        after = app.with_changes(now, change=pending)
        detail = {"kind": kind, "change_id": change_id, "checkout_id": checkout.checkout_id}
        if app.change is not None and app.change.state == "awaiting_payment":
            detail["replaces"] = app.change.id
        audit = AuditEntry(
            app.id, now, "change_requested", app.status, app.status, "citizen", detail
        )
        self._store.request_change(app, after, [audit])
        return ChangeOutcome("payment_required", after, checkout_url=checkout.checkout_url)

    def apply_paid(
        self,
        app: Application,
        event: PaymentEventRecord,
        payment_id: str,
        *,
        ledger: Sequence[LedgerEntry] = (),
    ) -> None:
        """The payment webhook's half: apply the pending change, once, with the event marker.

        Raises IssuanceFailedError when it can no longer be applied (the permit ended, a
        plate was taken meanwhile): the payment handler flags the application for staff.
        Raises StaleApplicationError / DuplicateEventError for the handler's own retry logic.
        """
        from chalicelib.services.issuance import IssuanceFailedError

        change = app.change
        if change is None or change.state != "awaiting_payment" or change.document is None:
            raise IssuanceFailedError("no change is waiting for a payment")
        try:
            form = self._issued_form(app)
            applied = replace(change, state="applied", payment_id=payment_id, document=None)
            self._reissue(
                form,
                app,
                change.document,
                change.zone,
                event.provider,
                change.kind,
                event=event,
                change=applied,
                ledger=ledger,
            )
        except StaleApplicationError:
            raise  # changed meanwhile (often: the same event, concurrently): re-read, retry
        except (ConflictError, ValidationFailedError) as error:
            raise IssuanceFailedError(f"change {change.id}: {type(error).__name__}") from error

    def _check_plates_free(
        self, form: FormDefinition, app: Application, document: dict[str, Any], now: datetime
    ) -> None:
        """Refuse at once a plate another permit holds (the payment would be for nothing)."""
        if not form.rules.one_active_permit_per_plate or app.permit is None:
            return
        start = max(app.permit.valid_from, berlin_today(now))
        plates = form.plates_in(document)
        for plate in plates:
            held = self._store.get_plate_claim(form.permit.permit_type, plate)
            if held is None or held.application_id == app.id or held.valid_to < start:
                continue
            taken = PlateTakenError(plate, held)
            raise FieldConflictError([_plate_taken(form, taken, plates)], "a plate is taken")

    # -- shared ------------------------------------------------------------------------

    def _load(self, application_id: str) -> Application:
        app = (
            self._store.get_application(application_id)
            if APPLICATION_ID_PATTERN.match(application_id)
            else None
        )
        if app is None:
            raise NotFoundError("unknown application")
        return app

    def _issued_form(self, app: Application) -> FormDefinition:
        """The form of an application whose permit is in force today; else 409."""
        permit = app.permit
        if app.status is not Status.ISSUED or permit is None:
            raise ConflictError(f"only issued permits can be changed (status {app.status.value})")
        if berlin_today(self._clock.now()) > permit.valid_to:
            raise ConflictError("the permit has ended and can no longer be changed")
        form = self._registry.get(app.form_id)
        if form is None:
            raise ConflictError(f"the form {app.form_id!r} is no longer published")
        return form

    def _with_plates(
        self, form: FormDefinition, app: Application, plates: Any, *, allow_unchanged: bool
    ) -> dict[str, Any]:
        """The application's document with ``plates`` in it, checked like the form checks it.

        Errors name the request body's fields (``/plates/0``), not the stored document's.
        """
        if not isinstance(plates, list) or not plates:
            code = "minItems" if isinstance(plates, list) else "type"
            params: dict[str, object] = {"limit": 1} if code == "minItems" else {}
            if code == "type":
                params["expected"] = "Liste/list"
            raise ValidationFailedError([FieldError("/plates", code, params)])
        pointer = form.permit.plates
        candidate = copy.deepcopy(app.data)
        current = resolve_pointer(candidate, pointer)
        value: Any = plates
        if isinstance(current, str):  # a form with one plate in a text field
            if len(plates) != 1:
                raise ValidationFailedError([FieldError("/plates", "maxItems", {"limit": 1})])
            value = plates[0]
        parent_path, _, key = pointer.rpartition("/")
        parent = resolve_pointer(candidate, parent_path)
        if not isinstance(parent, dict):
            raise ConflictError("this form's permit has no plates to change")
        parent[key] = value
        self._check(form, candidate, pointer, "/plates")
        document = normalise_document(form, candidate)
        if not allow_unchanged and app.permit and form.plates_in(document) == app.permit.plates:
            raise ValidationFailedError([FieldError("/plates", "plates_unchanged")])
        return document

    def _check(
        self, form: FormDefinition, candidate: dict[str, Any], stored: str, body: str
    ) -> None:
        """Validate ``candidate``; report the errors under ``stored`` as pointers under ``body``.

        The other fields were valid when the application was submitted; a rule that has
        moved on since (the start date now in the past) is not the citizen's change.
        """
        today = berlin_today(self._clock.now())
        validator = self._registry.validator(form)
        errors = [
            FieldError(body + error.pointer[len(stored) :], error.code, error.params)
            for error in validate_document(form, validator, candidate, today)
            if error.pointer == stored or error.pointer.startswith(stored + "/")
        ]
        if errors:
            raise ValidationFailedError(errors)

    def _reissue(
        self,
        form: FormDefinition,
        app: Application,
        document: dict[str, Any],
        zone: str,
        actor: str,
        reason: str,
        *,
        event: PaymentEventRecord | None = None,
        change: PendingChange | None = None,
        ledger: Sequence[LedgerEntry] = (),
    ) -> ChangeOutcome:
        """Sign a new permit for ``document``/``zone`` and supersede the old one, atomically.

        ``change``: the application's change record afterwards (a paid change: applied);
        without one, a change still waiting for payment is dropped (superseded by this one).
        """
        old = app.permit
        assert old is not None
        now = self._clock.now()
        plates = form.plates_in(document)
        start = max(old.valid_from, berlin_today(now))
        # The reminders of the period already sent (issue 15 item 2) are not sent again.
        previous = self._store.get_permit(old.serial)
        reminded = previous.reminded if previous is not None else ()
        for _ in range(_SERIAL_ATTEMPTS):
            summary, permit = self._issuer.sign(form, app, zone, plates, start, old.valid_to, now)
            permit = replace(permit, reminded=reminded)
            after = app.with_changes(now, data=document, permit=summary, zone=zone, change=change)
            detail = {
                "reason": reason,
                "old_permit_number": old.number,
                "permit_number": summary.number,
            }
            if change is None:
                detail.update(_dropped(app))
            audit = AuditEntry(app.id, now, "superseded", app.status, app.status, actor, detail)
            mails = self._mails(form, after, now)
            try:
                self._store.replace_permit(
                    app, after, [audit], permit, event=event, outbox=mails, ledger=ledger
                )
            except PermitSerialTakenError:
                continue  # 1 in 4 billion: draw another serial; nothing was written
            except PlateTakenError as taken:
                raise FieldConflictError(
                    [_plate_taken(form, taken, plates)], "a plate has an active permit"
                ) from taken
            self._metrics.count("PermitsIssued")
            return ChangeOutcome("superseded", after, old.number)
        raise ConflictError("no free permit serial; try again")

    @staticmethod
    def _mails(form: FormDefinition, app: Application, now: datetime) -> list[OutboxMessage]:
        pointer = form.email_pointer
        email = resolve_pointer(app.data, pointer) if pointer else None
        if not isinstance(email, str):
            return []
        return [reissued_mail(email, app.lang, app.form_id, app.id, now)]


def _kept(app: Application) -> PendingChange | None:
    """The change record that stays when another change is made: an applied one (its
    payment id tells a late duplicate event apart); one still waiting is dropped."""
    change = app.change
    return change if change is not None and change.state == "applied" else None


def _dropped(app: Application) -> dict[str, str]:
    """The audit detail of a change that another change made moot (its document is stale).

    A change still waiting for its fee was computed from the application as it was; once
    the address or the permit changed otherwise, applying it later would undo that. It is
    dropped; a payment that still arrives for it is flagged for staff (a refund).
    """
    change = app.change
    if change is None or change.state != "awaiting_payment":
        return {}
    return {"dropped_change": change.id}


def _plate_taken(
    form: FormDefinition, taken: PlateTakenError, plates: tuple[str, ...]
) -> FieldError:
    from chalicelib.domain.dates import format_de

    pointer = f"/plates/{plates.index(taken.plate)}" if taken.plate in plates else "/plates"
    until = format_de(taken.held.valid_to) if taken.held is not None else "?"
    params: dict[str, object] = {
        "until": until,
        "permit": form.title["de"],
        "permit_en": form.title["en"],
    }
    return FieldError(pointer, "plate_has_active_permit", params)
