"""Scheduled use case: cancel applications that were never paid.

Runs hourly (``@app.schedule``). It walks the sparse queue index by queue and creation day,
so it reads only queued applications, never the whole table; it follows every page of a
day's queue (a busy day holds more than one query page). A payment that arrives after the
cancellation is flagged for staff, not issued (see PaymentService).

Flagged applications live in their own queue (``FLAGGED``, whatever their status), so staff
find them in one place. A flag asks staff to look at the money; it does not suspend the
unpaid rule, so the job reads that queue too and cancels what is still unpaid. A cancelled
application keeps its flags and so stays in the staff queue. The flagged queue also holds
issued or cancelled applications, which cost one read each per run; flags are rare.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.payability import PAYABLE_STATUSES, payment_deadline
from chalicelib.domain.records import AuditEntry
from chalicelib.services.ports import ApplicationStore, Clock
from chalicelib.services.store_errors import StaleApplicationError

__all__ = ["UnpaidCanceller"]

LOOKBACK_DAYS = 30  # older queue days are assumed swept by earlier runs
#: The queues that can hold an unpaid application: by status, and the flagged one.
UNPAID_QUEUES = (Status.SUBMITTED.value, Status.AWAITING_PAYMENT.value, "FLAGGED")


class UnpaidCanceller:
    def __init__(
        self, store: ApplicationStore, clock: Clock, cancel_after: timedelta, page_size: int = 100
    ) -> None:
        self._store = store
        self._clock = clock
        self._cancel_after = cancel_after
        self._page_size = page_size

    def run(self) -> list[str]:
        now = self._clock.now()
        cutoff = now - self._cancel_after
        cancelled: list[str] = []
        for queue_name in UNPAID_QUEUES:
            for days_back in range(LOOKBACK_DAYS + 1):
                day = berlin_today(cutoff - timedelta(days=days_back))
                queue = self._store.all_queued_application_ids(
                    queue_name, day.isoformat(), self._page_size
                )
                for app_id in queue:
                    if self._cancel(app_id, now):
                        cancelled.append(app_id)
        return cancelled

    def _cancel(self, app_id: str, now: datetime) -> bool:
        app = self._store.get_application(app_id)
        if app is None or app.status not in PAYABLE_STATUSES or app.fee_cents == 0:
            return False
        if now < payment_deadline(app, self._cancel_after):
            return False  # still payable (checkout and the provider's page agree)
        after = app.advance(Status.CANCELLED, now)
        audit = AuditEntry(
            app.id, now, "cancelled_unpaid", app.status, Status.CANCELLED, "scheduler"
        )
        try:
            self._store.save(app, after, [audit])
        except StaleApplicationError:
            return False  # paid or changed meanwhile: leave it to the next run
        return True
