"""Use cases: anonymise an application (retention, erasure) and export what is stored.

**Anonymisation** keeps what finance law and the verification need and removes the person:
of the form data only the permit's own answers stay (plates, start date, duration, the
entered zone) and the answers the fee was computed from; names, address, e-mail and every
other answer go, and with the e-mail its search hash (GSI2). The permit items, the payment
fields, the ledger and the audit entries hold no personal data and stay (the audit gains
an ``anonymised`` entry naming who and why). Mails still waiting in the outbox lose their
address and are dropped. One conditional transaction on the application's version; run
twice, the second does nothing.

**Legal hold** (``legal_hold``): an application is not erased while staff must still act
on its money or while its permit is still in use, see ``docs/decisions.md``.

**Export** (``export``): everything stored about one application, as JSON (the store
converts its items field by field, so a new field is exported without a change here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import ConflictError, NotFoundError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.pointers import MISSING, resolve_pointer
from chalicelib.domain.records import AuditEntry
from chalicelib.services.applications import APPLICATION_ID_PATTERN
from chalicelib.services.store_errors import StaleApplicationError

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.domain.records import Application
    from chalicelib.services.form_registry import FormRegistry
    from chalicelib.services.ports import Clock, RetentionStore

__all__ = ["Anonymiser", "LegalHoldError", "kept_data", "legal_hold"]

#: The statuses in which money may still be on its way (an open checkout).
_PAYABLE = frozenset({Status.AWAITING_PAYMENT})


class LegalHoldError(ConflictError):
    """409: the application may not be erased now (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"legal hold: {reason}")
        self.reason = reason


def legal_hold(app: Application, today_iso: str) -> str | None:
    """Why this application must keep its personal data now, or None.

    ``payment_flag``: staff have an unresolved payment question (a refund, an amount that
    did not match); ``payment_open``: a checkout is open, a payment may still arrive;
    ``change_open``: a paid change waits for its payment; ``permit_valid``: the permit is
    issued and not yet ended (the holder may still need it, and enforcement may ask).
    """
    if app.flags:
        return "payment_flag"
    if app.status in _PAYABLE:
        return "payment_open"
    change = app.change
    if change is not None and change.state == "awaiting_payment":
        return "change_open"
    permit = app.permit
    if (
        app.status is Status.ISSUED
        and permit is not None
        and permit.valid_to.isoformat() >= today_iso
    ):
        return "permit_valid"
    return None


def kept_data(form: FormDefinition | None, data: dict[str, Any]) -> dict[str, Any]:
    """The answers an anonymised application keeps: the permit's own and the fee's inputs."""
    if form is None:
        return {}
    pointers = [form.permit.plates, form.permit.start_date, form.permit.duration.pointer]
    if form.permit.zone.entered:
        pointers.append(form.permit.zone.entered)
    pointers += sorted(_fee_pointers(form))
    email = form.email_pointer
    kept: dict[str, Any] = {}
    for pointer in pointers:
        if pointer == email or pointer in form.lifecycle.ask_again:
            continue
        value = resolve_pointer(data, pointer)
        if value is MISSING:
            continue
        _place(kept, pointer, value)
    return kept


def _fee_pointers(form: FormDefinition) -> set[str]:
    tables = form.schema.get("x-service", {}).get("fee", {}).get("tables", [])
    return {
        str(entry[role])
        for entry in tables
        for role in ("by", "length", "width")
        if isinstance(entry, dict) and role in entry
    }


def _place(document: dict[str, Any], pointer: str, value: Any) -> None:
    node = document
    tokens = pointer[1:].split("/")
    for token in tokens[:-1]:
        child = node.setdefault(token, {})
        if not isinstance(child, dict):
            return
        node = child
    node[tokens[-1]] = value


class Anonymiser:
    def __init__(self, store: RetentionStore, registry: FormRegistry, clock: Clock) -> None:
        self._store = store
        self._registry = registry
        self._clock = clock

    def anonymise(
        self, app: Application, *, actor: str, reason: str, permit_serial: int | None = None
    ) -> bool:
        """Remove the person from ``app``; False when it was done already (or a legal hold
        applies to a scheduled run). ``permit_serial``: a permit besides the application's
        own to mark as handled (the one the retention job found, e.g. a superseded one)."""
        if app.anonymised_at is not None:
            return False
        now = self._clock.now()
        form = self._registry.get(app.form_id)
        after = app.with_changes(
            now, data=kept_data(form, app.data), anonymised_at=now, email_hash=None
        )
        audit = AuditEntry(app.id, now, "anonymised", None, None, actor, {"reason": reason})
        serials = {p for p in (permit_serial, app.permit.serial if app.permit else None) if p}
        self._store.anonymise(app, after, audit, sorted(serials))
        return True

    def erase(self, application_id: str, actor: str, reason: str) -> Application:
        """Staff erasure: anonymise now, unless a legal hold applies (409)."""
        for _attempt in range(3):
            app = (
                self._store.get_application(application_id)
                if APPLICATION_ID_PATTERN.match(application_id)
                else None
            )
            if app is None:
                raise NotFoundError("unknown application")
            if app.anonymised_at is not None:
                return app  # erased already: the same answer again
            hold = legal_hold(app, berlin_today(self._clock.now()).isoformat())
            if hold is not None:
                raise LegalHoldError(hold)
            try:
                self.anonymise(app, actor=actor, reason=f"erasure: {reason}")
            except StaleApplicationError:
                continue  # changed meanwhile: look again (a payment may have arrived)
            erased = self._store.get_application(application_id)
            assert erased is not None
            return erased
        raise ConflictError("the application keeps changing; try again")

    def export(self, app: Application) -> dict[str, Any]:
        """Everything stored about ``app`` (the caller checked the access)."""
        return self._store.export_application(app)
