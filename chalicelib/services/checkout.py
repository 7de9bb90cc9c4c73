"""Use case: open (or reopen) the payment page for an application.

One read and one conditional write. The provider's checkout is requested with a nonce made
of the application id and version, so if our write fails after the provider answered, the
citizen's retry asks the provider for the same checkout again instead of a second one.
The browser's return from the checkout changes nothing; only the webhook does.

An open checkout is handed out again while it is younger than ``reuse_for``; after that a
fresh one replaces it (same status, next version), because provider checkout pages expire
(the sandbox's and Stripe's after 24 hours) while the application stays payable until the
unpaid-cancellation job runs (48 hours).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain.errors import ConflictError, ServiceUnavailableError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import Application, AuditEntry, CheckoutInfo
from chalicelib.services.applications import ApplicationAccess
from chalicelib.services.ports import ApplicationStore, CheckoutRequest, Clock, PaymentProvider
from chalicelib.services.store_errors import StaleApplicationError

__all__ = ["CHECKOUT_REUSE", "CheckoutService"]

#: Reuse an open checkout for this long: under the providers' 24-hour page lifetime, leaving
#: the citizen at least an hour on the page.
CHECKOUT_REUSE = timedelta(hours=23)


class CheckoutService:
    def __init__(
        self,
        access: ApplicationAccess,
        store: ApplicationStore,
        registry: Any,
        provider: PaymentProvider | None,
        clock: Clock,
        public_base_url: str,
        reuse_for: timedelta = CHECKOUT_REUSE,
    ) -> None:
        self._access = access
        self._store = store
        self._registry = registry
        self._provider = provider
        self._clock = clock
        self._base = public_base_url
        self._reuse_for = reuse_for

    def start(self, application_id: str, token: str | None) -> str:
        return self.start_for(self._access.get(application_id, token))

    def start_for(self, app: Application) -> str:
        """For a caller that has already checked the citizen's access (the web session)."""
        if self._provider is None:
            raise ServiceUnavailableError("online payment is not configured in this stage")
        for _ in range(3):
            if app.status is Status.AWAITING_PAYMENT and app.checkout is not None:
                if self._clock.now() - app.checkout.created_at < self._reuse_for:
                    return app.checkout.checkout_url  # one open checkout per application
            elif app.status is not Status.SUBMITTED:
                raise ConflictError(f"application is {app.status.value}; nothing to pay")
            if app.fee_cents == 0:
                raise ConflictError("this service is free")
            try:
                return self._open(app)
            except StaleApplicationError as stale:
                current = stale.current or self._store.get_application(app.id)
                if current is None:
                    raise
                app = current
        raise ConflictError("application is changing; try again")

    def _open(self, app: Application) -> str:
        now = self._clock.now()
        form = self._registry.get(app.form_id)
        title = form.title["de"] if form is not None else app.form_id
        request = CheckoutRequest(
            application_id=app.id,
            amount_cents=app.fee_cents,
            currency=app.currency,
            description=title,
            return_url=f"{self._base}/status/{app.id}",
        )
        provider = self._provider
        if provider is None:
            raise ServiceUnavailableError("online payment is not configured in this stage")
        checkout = provider.create_checkout(request, nonce=f"{app.id}:{app.version}")
        info = CheckoutInfo(provider.name, checkout.checkout_id, checkout.checkout_url, now)
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
