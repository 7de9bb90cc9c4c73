"""Row 4: submitting an application, the handler's own time, DynamoDB time excluded.

``POST /api/forms/resident-parking-permit/applications`` (the form's first example, no
Idempotency-Key) through ``app.app(event, context)``; the time inside botocore calls
(``before-call``..``after-call`` hooks: signing, HTTP round trip, moto's work, parsing) is
subtracted per request. Baseline in the same rounds: the compiled validator alone on the
same document, ``list(container.registry.validator(form).iter_errors(doc))``.
"""

from __future__ import annotations

import time

from bench.dynamodb_hooks import DynamoDBTimer
from bench.journey import FORM_ID, Journey, example_document
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target
from bench.stats import median

__all__ = ["SPECS", "run"]

SPECS = (
    Spec(
        "4-submit",
        "submission handler time excluding DynamoDB (median)",
        Target("<=", 2.0, " ms"),
    ),
)


def run(plan: Plan, service: LocalService) -> list[Row]:
    with service.wired_app() as (app_module, container):
        journey = Journey(app_module, container)
        document = example_document(container)
        form = container.registry.get(FORM_ID)
        validator = container.registry.validator(form)
        if list(validator.iter_errors(document)):
            raise RuntimeError("the example document does not validate")
        timer = DynamoDBTimer(container.dynamodb)

        def submit() -> tuple[float, float]:
            event = journey.submit_event(document)
            timer.reset()
            start = time.perf_counter()
            response = journey.call(event)
            elapsed = time.perf_counter() - start
            if response["statusCode"] != 201:
                raise RuntimeError(f"submit answered {response['statusCode']}")
            return elapsed, timer.seconds

        def validate() -> float:
            start = time.perf_counter()
            list(validator.iter_errors(document))
            return time.perf_counter() - start

        try:
            for _ in range(plan.warmup):
                submit()
                validate()
            handler_ms: list[float] = []
            dynamodb_ms: list[float] = []
            own_ms: list[float] = []
            validator_ms: list[float] = []
            for _ in range(plan.submission_rounds):
                total, in_dynamodb = submit()
                handler_ms.append(total * 1000)
                dynamodb_ms.append(in_dynamodb * 1000)
                own_ms.append((total - in_dynamodb) * 1000)
                validator_ms.append(validate() * 1000)
        finally:
            timer.close()

    own, validation = median(own_ms), median(validator_ms)
    return [
        SPECS[0].row(
            own,
            f"{own:.2f} ms ({own / validation:.1f}x validator)",
            f"compiled validator alone: {validation:.2f} ms",
            {
                "own_median_ms": own,
                "handler_median_ms": median(handler_ms),
                "dynamodb_median_ms": median(dynamodb_ms),
                "validator_median_ms": validation,
            },
            f"whole handler {median(handler_ms):.2f} ms, of which inside botocore "
            f"{median(dynamodb_ms):.2f} ms",
        )
    ]
