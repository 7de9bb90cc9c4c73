"""Scheduled use case: ask the payment provider about applications that have waited too long.

Webhooks get lost (a provider outage, a deployment at the wrong second, a firewall); a
citizen who paid must then not wait for a permit that never comes. Every few minutes this
job walks the applications awaiting payment whose checkout is older than ``min_age`` (a
webhook normally arrives within seconds, so younger ones are left to it), asks the provider
that opened the checkout what became of it (``PaymentProvider.poll``, with our own
credentials) and feeds each answer through :meth:`PaymentService.apply`: the same
exactly-once transaction as a webhook. Polled events have ids derived from the payment and
its state, so polling twice changes nothing, and they carry the provider's payment id, so
the webhook that arrives late for the same payment is a duplicate.

Change fees (issue 15) are found the same way through their own day partitions
(``CHANGEPAY#<Berlin day>``, written with the change request), two days back.

It reads the sparse queue index (``QUEUE#AWAITING_PAYMENT#<Berlin day>``) page by page,
newest day first and only as many days back as an application stays payable (the unpaid
cancellation takes it off the queue after that): no scan. It stops when the Lambda's
remaining time falls under ``reserve`` (the schedule simply continues next time, and newest
days come first), and one provider failure skips that application, not the run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import ServiceUnavailableError
from chalicelib.domain.lifecycle import Status
from chalicelib.services.payments import PaymentService
from chalicelib.services.ports import ApplicationStore, Clock, PaymentProvider
from chalicelib.services.store_errors import StoreUnavailableError

__all__ = ["MIN_CHECKOUT_AGE", "PaymentReconciler", "ReconciliationReport"]

log = logging.getLogger("permit_service.reconciliation")

#: Leave younger checkouts to their webhook (normally seconds away).
MIN_CHECKOUT_AGE = timedelta(minutes=5)
#: How many days back the job looks for change fees (their checkout lives a day at most).
CHANGE_DAYS_BACK = 2
#: Stop while this much of the Lambda's time is left: one poll plus one write fit easily.
RESERVE_MILLISECONDS = 15_000


@dataclass
class ReconciliationReport:
    checked: int = 0
    results: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    stopped_early: bool = False

    def summary(self) -> dict[str, int]:
        return {
            "checked": self.checked,
            "errors": self.errors,
            "stopped_early": int(self.stopped_early),
            **{f"result_{name}": count for name, count in sorted(self.results.items())},
        }


class PaymentReconciler:
    def __init__(
        self,
        store: ApplicationStore,
        payments: PaymentService,
        providers: Mapping[str, PaymentProvider],
        clock: Clock,
        payable_for: timedelta,
        min_age: timedelta = MIN_CHECKOUT_AGE,
        page_size: int = 100,
    ) -> None:
        self._store = store
        self._payments = payments
        self._providers = providers
        self._clock = clock
        self._days_back = payable_for.days + 2  # whole days plus the partial ones at each end
        self._min_age = min_age
        self._page_size = page_size

    def run(
        self,
        remaining_ms: Callable[[], int] | None = None,
        reserve_ms: int = RESERVE_MILLISECONDS,
    ) -> ReconciliationReport:
        """One pass; ``remaining_ms`` is the Lambda context's ``get_remaining_time_in_millis``."""
        report = ReconciliationReport()
        if not self._providers:
            return report
        now = self._clock.now()
        for days_back in range(self._days_back + 1):
            day = berlin_today(now - timedelta(days=days_back)).isoformat()
            queue = self._store.all_queued_application_ids(
                Status.AWAITING_PAYMENT.value, day, self._page_size
            )
            for application_id in queue:
                if remaining_ms is not None and remaining_ms() < reserve_ms:
                    report.stopped_early = True
                    log.info("reconciliation stopped early: %s", report.summary())
                    return report
                self._reconcile(application_id, report)
        # Change fees (issue 15): their checkout is open a day at most; look two days back.
        for days_back in range(CHANGE_DAYS_BACK + 1):
            change_day = berlin_today(now - timedelta(days=days_back))
            for application_id in self._store.applications_with_change_payments(
                change_day, self._page_size
            ):
                if remaining_ms is not None and remaining_ms() < reserve_ms:
                    report.stopped_early = True
                    log.info("reconciliation stopped early: %s", report.summary())
                    return report
                self._reconcile_change(application_id, report)
        log.info("reconciliation done: %s", report.summary())
        return report

    def _reconcile_change(self, application_id: str, report: ReconciliationReport) -> None:
        """A change waiting for its fee: ask the provider about the change's own checkout."""
        app = self._store.get_application(application_id)
        change = app.change if app is not None else None
        if app is None or change is None or change.checkout is None:
            return
        if app.status is not Status.ISSUED or change.state != "awaiting_payment":
            return  # applied, dropped or the permit ended: nothing to ask
        if self._clock.now() - change.checkout.created_at < self._min_age:
            return
        self._poll(app.id, change.checkout.provider, change.checkout.checkout_id, report)

    def _reconcile(self, application_id: str, report: ReconciliationReport) -> None:
        app = self._store.get_application(application_id)
        if app is None or app.status is not Status.AWAITING_PAYMENT or app.checkout is None:
            return
        if self._clock.now() - app.checkout.created_at < self._min_age:
            return
        self._poll(app.id, app.checkout.provider, app.checkout.checkout_id, report)

    def _poll(
        self,
        application_id: str,
        provider_name: str,
        checkout_id: str,
        report: ReconciliationReport,
    ) -> None:
        provider = self._providers.get(provider_name)
        if provider is None:
            return  # opened with a provider this stage no longer uses: staff see it
        report.checked += 1
        try:
            events = provider.poll(checkout_id, application_id)
            for event in events:
                outcome = self._payments.apply(provider.name, event)
                report.results[outcome.result] += 1
        except (ServiceUnavailableError, StoreUnavailableError) as error:
            report.errors += 1
            log.warning("reconciliation of %s skipped: %s", application_id, type(error).__name__)
