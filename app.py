"""The Chalice app: it registers the route blueprints and the scheduled jobs, nothing more.

No logic and no heavy imports here (Chalice imports this module while packaging, and every
cold start pays for what it imports): the routes live in ``chalicelib/web/routes/`` and
build services lazily through the Container (``chalicelib/wiring.py``).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice

from chalicelib.web import context
from chalicelib.web.routes import BLUEPRINTS

app = Chalice(app_name="permit-service")
app.api.binary_types.append("application/pdf")
context.bind_app(app)
for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint)

container = context.container
set_container = context.set_container


# Event handlers stay here: each is its own Lambda, whose handler string names this module.


@app.schedule("rate(1 hour)", name="cancel-unpaid")
def cancel_unpaid(event: object) -> dict[str, int]:
    cancelled = container().unpaid_canceller.run()
    return {"cancelled": len(cancelled)}


@app.schedule("rate(5 minutes)", name="reconcile-payments")
def reconcile_payments(event: Any) -> dict[str, int]:
    """Ask the provider about checkouts whose webhook has not come (stops before the timeout)."""
    lambda_context = getattr(event, "context", None)
    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    return container().reconciler.run(remaining).summary()
