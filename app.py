"""The Chalice app: it registers the route blueprints and the scheduled jobs, nothing more.

No logic and no heavy imports here (Chalice imports this module while packaging, and every
cold start pays for what it imports): the routes live in ``chalicelib/web/routes/`` and
build services lazily through the Container (``chalicelib/wiring.py``). Logs are JSON lines
(``chalicelib/logs.py``, standard library only); the request middleware adds each request's
id to them and counts 5xx answers (``chalicelib/web/observability.py``).
"""

from __future__ import annotations

import logging
import time
import uuid
from contextvars import Token
from typing import Any

from chalice.app import Chalice, DynamoDBEvent

from chalicelib import logs
from chalicelib.web import context
from chalicelib.web.middleware import http_middleware
from chalicelib.web.observability import observe_request
from chalicelib.web.routes import BLUEPRINTS

logs.configure_logging()
app = Chalice(app_name="permit-service", configure_logs=False)  # our JSON handler instead
app.api.binary_types.extend(["application/pdf", "font/woff2"])
context.bind_app(app)
app.register_middleware(http_middleware, "http")  # problems and security headers, everywhere
for blueprint in BLUEPRINTS:
    app.register_blueprint(blueprint)
app.register_middleware(observe_request, "http")

container = context.container
set_container = context.set_container
log = logging.getLogger("permit_service.jobs")


def _job_context(event: Any, job: str) -> Token[dict[str, str] | None]:
    """The log context of one scheduled or stream run: its Lambda request id and the job."""
    lambda_context = getattr(event, "context", None)
    return logs.start_context(
        request_id=getattr(lambda_context, "aws_request_id", None) or uuid.uuid4().hex, job=job
    )


# Event handlers stay here: each is its own Lambda, whose handler string names this module.


@app.schedule("rate(1 hour)", name="cancel-unpaid")
def cancel_unpaid(event: object) -> dict[str, int]:
    token = _job_context(event, "cancel-unpaid")
    started = time.perf_counter()
    try:
        cancelled = container().unpaid_canceller.run()
    except Exception as error:  # logged with its traceback, then re-raised: the run failed
        log.error("unpaid cancellation failed", exc_info=error)
        raise
    else:
        log.info(
            "unpaid cancellation finished",
            extra={
                "cancelled": len(cancelled),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return {"cancelled": len(cancelled)}
    finally:
        logs.end_context(token)


@app.schedule("rate(5 minutes)", name="reconcile-payments")
def reconcile_payments(event: Any) -> dict[str, int]:
    """Ask the provider about checkouts whose webhook has not come (stops before the timeout)."""
    lambda_context = getattr(event, "context", None)
    token = _job_context(event, "reconcile-payments")
    try:
        remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
        summary = container().reconciler.run(remaining).summary()
    except Exception as error:  # logged with its traceback, then re-raised: the run failed
        log.error("payment reconciliation failed", exc_info=error)
        raise
    else:
        log.info("payment reconciliation finished", extra=summary)
        return summary
    finally:
        logs.end_context(token)


@app.schedule("rate(10 minutes)", name="refresh-status-list")
def refresh_status_list(event: Any) -> dict[str, str]:
    """Keeps the revocation list's ``iat`` fresh while nothing is revoked (phones trust a list
    for 24 h); the GET route would also regenerate a list older than 10 minutes on its own."""
    token = _job_context(event, "refresh-status-list")
    try:
        stored = container().status_list.regenerate()
    except Exception as error:  # logged with its traceback, then re-raised: the run failed
        log.error("status list refresh failed", exc_info=error)
        raise
    finally:
        logs.end_context(token)
    return {"issued_at": stored.issued_at.isoformat()}


@app.schedule("rate(1 hour)", name="permit-lifecycle")
def permit_lifecycle(event: Any) -> dict[str, int]:
    """Reminders, EXPIRED and retention by the end-day index (stops before the timeout)."""
    lambda_context = getattr(event, "context", None)
    token = _job_context(event, "permit-lifecycle")
    try:
        remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
        summary = container().permit_lifecycle.run(remaining).summary()
    except Exception as error:  # logged with its traceback, then re-raised: the run failed
        log.error("permit lifecycle failed", exc_info=error)
        raise
    else:
        log.info("permit lifecycle finished", extra=summary)
        return summary
    finally:
        logs.end_context(token)


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

    token = _job_context(event, "table-stream")
    try:
        return {"records": dispatch(container(), event.to_dict().get("Records", []))}
    except Exception as error:  # logged with its traceback, then re-raised: the batch is retried
        log.error("table stream batch failed", exc_info=error)
        raise
    finally:
        logs.end_context(token)
