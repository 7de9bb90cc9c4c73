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


@app.schedule("rate(10 minutes)", name="refresh-status-list")
def refresh_status_list(event: object) -> dict[str, str]:
    """Keeps the revocation list's ``iat`` fresh while nothing is revoked (phones trust a list
    for 24 h); the GET route would also regenerate a list older than 10 minutes on its own."""
    stored = container().status_list.regenerate()
    return {"issued_at": stored.issued_at.isoformat()}


# The table's stream (NEW_AND_OLD_IMAGES, infra/resources.json): one Lambda, one dispatcher
# that hands each batch to every consumer listed in services/table_stream.py (outbox mail,
# revocation list); the local run's drain loop calls the same dispatcher. The ARN here is a
# placeholder: the merge template points the event source at PermitTable.StreamArn (Chalice
# needs a literal at import time, when the table does not exist yet).
TABLE_STREAM_ARN = (
    "arn:aws:dynamodb:eu-central-1:000000000000:table/permit-table/stream/set-by-infra"
)


@app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, batch_size=25, name="table-stream")
def table_stream(event: DynamoDBEvent) -> dict[str, int]:
    from chalicelib.services.table_stream import dispatch

    return {"records": dispatch(container(), event.to_dict().get("Records", []))}
