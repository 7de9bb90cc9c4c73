"""Use case: open (or reopen) the payment page for an application.

One read and one conditional write. The provider's checkout is requested with a nonce made
of the application id and version, so if our write fails after the provider answered, the
citizen's retry asks the provider for the same checkout again instead of a second one.
The browser's return from the checkout changes nothing; only the webhook does.

Every checkout ends by the application's payment deadline (``domain.payability``): the
provider is asked for a page that closes at the deadline or after 24 hours, whichever comes
first, and from the deadline on checkout refuses (409), whether or not the hourly
cancellation job has run. An open checkout is handed out again while it has at least an hour
left, or when a fresh one would close no later than it does (near the deadline); otherwise a
fresh one replaces it (same status, next version). In the last 30 minutes before the
deadline no new page is opened: too short to fill in, and shorter than Stripe allows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import ConflictError, ServiceUnavailableError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.payability import (
    CHECKOUT_LIFETIME,
    PAYABLE_STATUSES,
    checkout_expiry,
    is_payable,
    payment_deadline,
)
from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.records import Application, AuditEntry, CheckoutInfo
from chalicelib.services.applications import ApplicationAccess
from chalicelib.services.ports import ApplicationStore, CheckoutRequest, Clock, PaymentProvider
from chalicelib.services.store_errors import StaleApplicationError

__all__ = ["MIN_CHECKOUT_LIFETIME", "REUSE_MARGIN", "CheckoutService"]

#: An open checkout is handed out again only with at least this long left on it.
REUSE_MARGIN = timedelta(hours=1)
#: No new checkout shorter than this (Stripe's minimum ``expires_at``).
MIN_CHECKOUT_LIFETIME = timedelta(minutes=30)


class CheckoutService:
    def __init__(
        self,
        access: ApplicationAccess,
        store: ApplicationStore,
        registry: Any,
        provider: PaymentProvider | None,
        clock: Clock,
        public_base_url: str,
        payable_for: timedelta,
    ) -> None:
        self._access = access
        self._store = store
        self._registry = registry
        self._provider = provider
        self._clock = clock
        self._base = public_base_url
        self._payable_for = payable_for

    def start(self, application_id: str, token: str | None) -> str:
        return self.start_for(self._access.get(application_id, token))

    def start_for(self, app: Application) -> str:
        """For a caller that has already checked the citizen's access (the web session)."""
        if self._provider is None:
            raise ServiceUnavailableError("online payment is not configured in this stage")
        for _ in range(3):
            if app.status not in PAYABLE_STATUSES:
                raise ConflictError(f"application is {app.status.value}; nothing to pay")
            if app.fee_cents == 0:
                raise ConflictError("this service is free")
            now = self._clock.now()
            deadline = payment_deadline(app, self._payable_for)
            if now >= deadline:
                raise ConflictError(
                    "the application was not paid in time and can no longer be paid"
                )
            current = app.checkout if app.status is Status.AWAITING_PAYMENT else None
            if current is not None and current.provider != self._provider.name:
                current = None  # the stage switched providers: that page no longer pays
            if current is not None and checkout_expiry(current) >= min(
                now + REUSE_MARGIN, deadline
            ):
                return current.checkout_url  # one open checkout per application
            expires_at = min(now + CHECKOUT_LIFETIME, deadline)
            if expires_at - now < MIN_CHECKOUT_LIFETIME:
                raise ConflictError(
                    "the payment deadline is less than 30 minutes away; "
                    "the application can no longer be paid online"
                )
            try:
                return self._open(app, now, expires_at)
            except StaleApplicationError as stale:
                current_app = stale.current or self._store.get_application(app.id)
                if current_app is None:
                    raise
                app = current_app
        raise ConflictError("application is changing; try again")

    def is_payable(self, application_id: str) -> bool:
        """Whether a payment for ``application_id`` may still be taken (the sandbox asks).

        No access token: the provider's session is the capability, as at a real provider.
        """
        app = self._store.get_application(application_id)
        if app is None:
            return False
        now = self._clock.now()
        change = app.change  # a change fee (issue 15): payable while its checkout is open
        if app.status is Status.ISSUED and change is not None and change.checkout is not None:
            return change.state == "awaiting_payment" and now < checkout_expiry(change.checkout)
        return is_payable(app, now, self._payable_for)

    def _open(self, app: Application, now: datetime, expires_at: datetime) -> str:
        form = self._registry.get(app.form_id)
        title = form.title["de"] if form is not None else app.form_id
        request = CheckoutRequest(
            application_id=app.id,
            amount_cents=app.fee_cents,
            currency=app.currency,
            description=title,
            return_url=f"{self._base}/status/{app.id}",
            expires_at=expires_at,
            reference=payment_reference(app.id),
        )
        provider = self._provider
        if provider is None:
            raise ServiceUnavailableError("online payment is not configured in this stage")
        checkout = provider.create_checkout(request, nonce=f"{app.id}:{app.version}")
        info = CheckoutInfo(
            provider.name, checkout.checkout_id, checkout.checkout_url, now, expires_at
        )
        if app.status is Status.SUBMITTED:
            after = app.advance(Status.AWAITING_PAYMENT, now, checkout=info)
        else:  # replacing an expired checkout: same status, next version
            after = app.with_changes(now, checkout=info)
        detail = {"provider": provider.name, "checkout_id": checkout.checkout_id}
        if app.checkout is not None:
            detail["replaces"] = app.checkout.checkout_id
        audit = AuditEntry(
            app.id,
            now,
            "checkout_opened",
            app.status,
            Status.AWAITING_PAYMENT,
            "citizen",
            detail,
        )
        self._store.save(app, after, [audit])
        return str(checkout.checkout_url)
