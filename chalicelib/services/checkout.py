"""Use case: open (or reopen) the payment page for an application.

One read and one conditional write. The provider's checkout is requested with a nonce made
of the application id and version, so if our write fails after the provider answered, the
citizen's retry asks the provider for the same checkout again instead of a second one.
The browser's return from the checkout changes nothing; only the webhook does.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import ConflictError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import Application, AuditEntry, CheckoutInfo
from chalicelib.services.applications import ApplicationAccess
from chalicelib.services.ports import CheckoutRequest, Clock, PaymentProvider
from chalicelib.services.store_errors import StaleApplicationError

__all__ = ["CheckoutService"]


class CheckoutService:
    def __init__(
        self,
        access: ApplicationAccess,
        store: Any,
        registry: Any,
        provider: PaymentProvider,
        clock: Clock,
        public_base_url: str,
    ) -> None:
        self._access = access
        self._store = store
        self._registry = registry
        self._provider = provider
        self._clock = clock
        self._base = public_base_url

    def start(self, application_id: str, token: str | None) -> str:
        app = self._access.get(application_id, token)
        for _ in range(3):
            if app.status is Status.AWAITING_PAYMENT and app.checkout is not None:
                return app.checkout.checkout_url  # one open checkout per application
            if app.status is not Status.SUBMITTED:
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
        create: Any = self._provider.create_checkout
        try:
            checkout = create(request, nonce=f"{app.id}:{app.version}")
        except TypeError:  # providers without idempotent checkout creation
            checkout = create(request)
        info = CheckoutInfo(self._provider.name, checkout.checkout_id, checkout.checkout_url, now)
        after = app.advance(Status.AWAITING_PAYMENT, now, checkout=info)
        audit = AuditEntry(
            app.id,
            now,
            "checkout_opened",
            app.status,
            Status.AWAITING_PAYMENT,
            "citizen",
            {"provider": self._provider.name, "checkout_id": checkout.checkout_id},
        )
        self._store.save(app, after, [audit])
        return checkout.checkout_url
