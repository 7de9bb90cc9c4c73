"""The Chalice app: it registers the route blueprints and the scheduled jobs, nothing more.

No logic and no heavy imports here (Chalice imports this module while packaging, and every
cold start pays for what it imports): the routes live in ``chalicelib/web/routes/`` and
build services lazily through the Container (``chalicelib/wiring.py``).
"""

from __future__ import annotations

from chalice.app import Chalice, DynamoDBEvent

from chalicelib.web import context
from chalicelib.web.routes import BLUEPRINTS

app = Chalice(app_name="permit-service")
app.api.binary_types.extend(["application/pdf", "font/woff2"])
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


# The table's stream; `make package` replaces this placeholder with the table's StreamArn
# (infra/resources.json), since the ARN exists only once the stack does.
TABLE_STREAM_ARN = (
    "arn:aws:dynamodb:eu-central-1:000000000000:table/permit-table/stream/placeholder"
)


@app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, batch_size=25, name="table-stream")
def table_stream(event: DynamoDBEvent) -> dict[str, int]:
    """Every consumer of the table's stream (outbox mails, ...): see services/outbox.py."""
    from chalicelib.services.outbox import dispatch

    return {"records": dispatch(container(), event.to_dict().get("Records", []))}
