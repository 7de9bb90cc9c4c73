"""The HTTP routes as Chalice blueprints, one module per area; ``app.py`` registers them all.

Each route parses the request, calls one service and shapes the response; services and
adapters are imported inside the route so ``import app`` stays light.
"""

from __future__ import annotations

from chalicelib.web.routes import (
    applications,
    change_pages,
    changes,
    fallback,
    forms,
    journey,
    move_pages,
    payments,
    renewal,
    sandbox,
    site,
    staff,
    staff_changes,
    staff_erasure,
    staff_office,
    staff_signin,
    status,
    stripe_checkout,
    verification,
)

__all__ = ["BLUEPRINTS"]

BLUEPRINTS = (
    forms.bp,
    applications.bp,
    changes.bp,
    change_pages.bp,
    move_pages.bp,
    payments.bp,
    verification.bp,
    site.bp,
    journey.bp,
    status.bp,
    renewal.bp,
    sandbox.bp,
    stripe_checkout.bp,
    staff.bp,
    staff_signin.bp,
    staff_changes.bp,
    staff_erasure.bp,
    staff_office.bp,
    fallback.bp,  # last: matched only when no other route is
)
