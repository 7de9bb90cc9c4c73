"""Until when an application can be paid: one rule for checkout, the provider and the job.

An unpaid application is cancelled ``payable_for`` (48 h by default) after submission. From
that instant on it can no longer be paid, whether or not the hourly cancellation job has run
yet, and no payment page may still be open: a citizen must never pay for an application that
is cancelled (or about to be). Checkout, the sandbox provider's pages and the cancellation job
all ask this module, so the three can never disagree by an hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import Application, CheckoutInfo

__all__ = [
    "CHECKOUT_LIFETIME",
    "PAYABLE_STATUSES",
    "checkout_expiry",
    "is_payable",
    "payment_deadline",
]

PAYABLE_STATUSES = frozenset({Status.SUBMITTED, Status.AWAITING_PAYMENT})
#: The longest a provider's checkout page lives (the sandbox's and Stripe's limit).
CHECKOUT_LIFETIME = timedelta(hours=24)


def payment_deadline(app: Application, payable_for: timedelta) -> datetime:
    """The first instant at which ``app`` is no longer payable (and may be cancelled)."""
    return app.created_at + payable_for


def is_payable(app: Application, now: datetime, payable_for: timedelta) -> bool:
    """Unpaid, not free, and before its deadline."""
    return (
        app.status in PAYABLE_STATUSES
        and app.fee_cents > 0
        and now < payment_deadline(app, payable_for)
    )


def checkout_expiry(checkout: CheckoutInfo) -> datetime:
    """When the checkout's page closes (items written before this was recorded lack it)."""
    return checkout.expires_at or checkout.created_at + CHECKOUT_LIFETIME
