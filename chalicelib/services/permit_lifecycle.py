"""Scheduled use case: carry issued permits through their life (hourly, ``permit-lifecycle``).

Per day key of the end-day index (GSI3, ``ENDS#<last valid day>``) it does three things:

- **reminders**: permits ending in 30, 7 and 1 days (per form, ``x-service.lifecycle``) get a
  mail that offers the renewal; each reminder once per permit, because the marker on the
  permit and the outbox item are one conditional transaction (two overlapping runs: one
  wins, the other writes nothing). None for a permit that is no longer ISSUED (revoked,
  superseded) or whose renewal has been issued.
- **expiry**: permits whose last day has passed become EXPIRED, application and permit item
  in one transaction with the audit entry (the verify answer then reads the stored state).
- **retention**: ``retention_months`` after the end, the application's personal data is
  removed (``services/retention.py``).

Every step is idempotent (conditional writes; markers on the permit), so the job may run
twice, overlap itself or stop anywhere: it stops when the Lambda's remaining time falls
under ``reserve_ms`` and the next hourly run continues. Each step looks a few days back,
so a run missed for a day or two (an outage) is caught up.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.dates import add_months, berlin_today
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.pointers import resolve_pointer
from chalicelib.domain.records import Application, AuditEntry, PermitRecord
from chalicelib.services.notifications import reminder_mail
from chalicelib.services.ports import ApplicationStore, Clock, LifecycleStore
from chalicelib.services.store_errors import StaleApplicationError

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.services.form_registry import FormRegistry

__all__ = ["LifecycleReport", "PermitLifecycle", "due_reminder"]

log = logging.getLogger("permit_service.lifecycle")

#: Stop while this much of the Lambda's time is left: one permit's writes fit easily.
RESERVE_MILLISECONDS = 15_000
#: How far back each step looks for days a missed run left behind.
EXPIRE_LOOKBACK_DAYS = 7
REMINDER_LOOKBACK_DAYS = 3
RETENTION_LOOKBACK_DAYS = 7


class _Store(ApplicationStore, LifecycleStore, Protocol):
    """The DynamoDB store implements both ports."""


class Anonymiser(Protocol):
    def anonymise(
        self, app: Application, *, actor: str, reason: str, permit_serial: int | None = None
    ) -> bool: ...


def due_reminder(days_left: int, reminder_days: Iterable[int], sent: Iterable[int]) -> int | None:
    """The reminder to send now, if any: the latest threshold crossed, unless sent already.

    ``days_left`` 30 with thresholds 30/7/1 gives 30; a run that missed day 30 and sees 28
    still sends the 30-day one, but one that first sees 6 sends only the 7-day one (an old
    reminder late is noise). Nothing once the permit has ended (``days_left`` < 0).
    """
    if days_left < 0:
        return None
    crossed = [
        k for k in reminder_days if k >= days_left and k - days_left < REMINDER_LOOKBACK_DAYS
    ]
    if not crossed:
        return None
    latest = min(crossed)
    if latest in set(sent) or any(k < latest for k in sent):
        return None
    return latest


@dataclass
class LifecycleReport:
    reminded: int = 0
    expired: int = 0
    anonymised: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    stopped_early: bool = False

    def summary(self) -> dict[str, int]:
        return {
            "reminded": self.reminded,
            "expired": self.expired,
            "anonymised": self.anonymised,
            "stopped_early": int(self.stopped_early),
            **{f"skipped_{name}": count for name, count in sorted(self.skipped.items())},
        }


class _OutOfTime(Exception):
    pass


class PermitLifecycle:
    def __init__(
        self,
        store: _Store,
        registry: FormRegistry,
        clock: Clock,
        *,
        anonymiser: Anonymiser | None = None,
        page_size: int = 100,
    ) -> None:
        self._store = store
        self._registry = registry
        self._clock = clock
        self._anonymiser = anonymiser
        self._page_size = page_size

    # -- the run ---------------------------------------------------------------------------

    def run(
        self,
        remaining_ms: Callable[[], int] | None = None,
        reserve_ms: int = RESERVE_MILLISECONDS,
    ) -> LifecycleReport:
        """One pass; ``remaining_ms`` is the Lambda context's ``get_remaining_time_in_millis``."""
        report = LifecycleReport()
        today = berlin_today(self._clock.now())
        forms = list(self._registry.load_all().values())

        def check_time() -> None:
            if remaining_ms is not None and remaining_ms() < reserve_ms:
                raise _OutOfTime

        try:
            for day in _reminder_days(today, forms):
                for permit in self._store.permits_ending_on(day, self._page_size):
                    check_time()
                    self._reminder(permit, today, report)
            for back in range(EXPIRE_LOOKBACK_DAYS, 0, -1):
                for permit in self._store.permits_ending_on(today - timedelta(days=back)):
                    check_time()
                    self._expire(permit, report)
            if self._anonymiser is not None:
                for day in _retention_days(today, forms):
                    for permit in self._store.permits_ending_on(day, self._page_size):
                        check_time()
                        self._retain(permit, today, report)
        except _OutOfTime:
            report.stopped_early = True
            log.info("permit lifecycle stopped early: %s", report.summary())
            return report
        log.info("permit lifecycle done: %s", report.summary())
        return report

    # -- the steps -------------------------------------------------------------------------

    def _reminder(self, permit: PermitRecord, today: date, report: LifecycleReport) -> None:
        if permit.status is not Status.ISSUED:
            return
        form = self._registry.get(permit.form_id)
        if form is None:
            return
        days = due_reminder(
            (permit.valid_to - today).days, form.lifecycle.reminder_days, permit.reminded
        )
        if days is None:
            return
        app = self._store.get_application(permit.application_id)
        if app is None or app.status is not Status.ISSUED:
            report.skipped["not_issued"] += 1
            return
        if self._renewed(app):
            report.skipped["renewed"] += 1
            return
        email = resolve_pointer(app.data, form.email_pointer) if form.email_pointer else None
        if not isinstance(email, str) or not email:
            report.skipped["no_email"] += 1  # a form without e-mail, or anonymised already
            return
        message = reminder_mail(
            email,
            app.lang,
            form.id,
            app.id,
            days=days,
            valid_to=permit.valid_to,
            renew_from=permit.valid_to - timedelta(days=form.lifecycle.renewal_window_days),
            now=self._clock.now(),
        )
        if self._store.mark_reminded(permit.serial, days, message):
            report.reminded += 1
        else:
            report.skipped["reminded_already"] += 1  # another run was quicker

    def _renewed(self, app: Application) -> bool:
        """Whether a renewal of ``app`` has been issued (then reminders would only confuse)."""
        renewal_id = app.renewal_id
        if renewal_id is None:
            return False
        renewal = self._store.get_application(renewal_id)
        return renewal is not None and renewal.status is Status.ISSUED

    def _expire(self, permit: PermitRecord, report: LifecycleReport) -> None:
        if permit.status is not Status.ISSUED:
            return  # expired already, revoked or superseded: nothing to do
        now = self._clock.now()
        for _attempt in range(3):
            app = self._store.get_application(permit.application_id)
            current = app.permit if app is not None else None
            if app is None or current is None or current.serial != permit.serial:
                report.skipped["not_current"] += 1
                return
            if app.status is not Status.ISSUED:
                report.skipped["not_issued"] += 1
                return
            after = app.advance(Status.EXPIRED, now)
            audit = AuditEntry(
                app.id,
                now,
                "expired",
                Status.ISSUED,
                Status.EXPIRED,
                "scheduler",
                {"permit_number": permit.number},
            )
            try:
                self._store.save(
                    app,
                    after,
                    [audit],
                    permit_status=(permit.serial, Status.ISSUED, Status.EXPIRED),
                )
            except StaleApplicationError:
                continue  # changed meanwhile (a revocation, another run): read again
            report.expired += 1
            return
        report.skipped["contended"] += 1

    def _retain(self, permit: PermitRecord, today: date, report: LifecycleReport) -> None:
        if permit.anonymised_at is not None or self._anonymiser is None:
            return
        form = self._registry.get(permit.form_id)
        months = form.lifecycle.retention_months if form is not None else None
        if months is None or add_months(permit.valid_to, months) >= today:
            return
        app = self._store.get_application(permit.application_id)
        if app is None or app.anonymised_at is not None:
            return
        if app.flags:  # staff still have a payment question: the legal hold of erasure too
            report.skipped["legal_hold"] += 1
            return
        try:
            done = self._anonymiser.anonymise(
                app, actor="scheduler", reason="retention", permit_serial=permit.serial
            )
        except StaleApplicationError:
            report.skipped["contended"] += 1  # changed meanwhile: the next run sees it
            return
        if done:
            report.anonymised += 1


def _reminder_days(today: date, forms: list[FormDefinition]) -> list[date]:
    """The end days that may owe a reminder today, over every form's thresholds."""
    offsets = sorted(
        {
            k - back
            for form in forms
            for k in form.lifecycle.reminder_days
            for back in range(REMINDER_LOOKBACK_DAYS)
            if k - back >= 0
        }
    )
    return [today + timedelta(days=offset) for offset in offsets]


def _retention_days(today: date, forms: list[FormDefinition]) -> list[date]:
    """End days whose retention ran out in the last ``RETENTION_LOOKBACK_DAYS`` days."""
    days: set[date] = set()
    for months in {form.lifecycle.retention_months for form in forms}:
        # add_months clamps (31 Mar + 1 month = 30 Apr), so its inverse skips days at a
        # month's end: take the whole range between the two ends, plus the clamped days.
        newest = add_months(today - timedelta(days=1), -months)
        oldest = add_months(today - timedelta(days=RETENTION_LOOKBACK_DAYS), -months)
        day = oldest - timedelta(days=3)
        while day <= newest:
            days.add(day)
            day += timedelta(days=1)
    return sorted(days)
