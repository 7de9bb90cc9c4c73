"""Row 5: DynamoDB requests per step of one real journey, against the architecture's budget.

Counted with a ``before-send.dynamodb`` hook on the app's client: one per HTTP request
actually sent (retries included), whatever the code path. The journey runs in-process with
the sandbox provider; the webhook is the provider's own signed delivery for the session.
"""

from __future__ import annotations

from bench.dynamodb_hooks import RequestCounter
from bench.journey import Journey, example_document
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target

__all__ = ["SPECS", "run"]

SPECS = (
    Spec("5-submit", "DynamoDB requests: submit", Target("==", 1)),
    Spec("5-checkout", "DynamoDB requests: checkout", Target("<=", 2)),
    Spec("5-webhook", "DynamoDB requests: webhook (payment succeeded, issue)", Target("<=", 2)),
    Spec("5-status", "DynamoDB requests: status (citizen reads the application)"),
    Spec("5-pdf", "DynamoDB requests: permit PDF download", Target("<=", 1)),
    Spec("5-verify", "DynamoDB requests: verify", Target("<=", 1)),
)


def run(plan: Plan, service: LocalService) -> list[Row]:
    del plan  # one journey is the measurement, quick or not
    with service.wired_app() as (app_module, container):
        journey = Journey(app_module, container)
        document = example_document(container)
        counter = RequestCounter(container.dynamodb)
        steps: dict[str, list[str]] = {}
        try:
            application_id, access_token = journey.submit(document)
            steps["5-submit"] = counter.take()
            checkout_url = journey.checkout(application_id, access_token)
            steps["5-checkout"] = counter.take()
            webhook = journey.webhook_event(checkout_url)
            counter.take()
            journey.deliver(webhook)
            steps["5-webhook"] = counter.take()
            token = journey.permit_token(application_id, access_token)
            steps["5-status"] = counter.take()
            journey.pdf(application_id, access_token)
            steps["5-pdf"] = counter.take()
            journey.verify(token)
            steps["5-verify"] = counter.take()
        finally:
            counter.close()
    return [_row(spec, steps[spec.key]) for spec in SPECS]


def _row(spec: Spec, operations: list[str]) -> Row:
    return spec.row(
        float(len(operations)),
        f"{len(operations)} ({', '.join(operations) or 'none'})",
        f"architecture budget {spec.target}" if spec.target else "no budget set",
        {"requests": float(len(operations))},
    )
