"""Row 3b: ``POST /api/verify`` in-process against the DynamoDB server, vs the bare read.

Setup: one permit issued through the app (submit, checkout, the sandbox's signed webhook).
Then, in interleaved rounds (order alternating), the whole handler via ``app.app(event,
context)`` with that permit's token, and the bare ``GetItem`` of the permit item
(``ConsistentRead``, as the store reads it) on the same client. Overhead = median(endpoint)
- median(GetItem). As a cross-check, the handler's time outside botocore calls (hook timer)
is reported too.
"""

from __future__ import annotations

import time

from bench.dynamodb_hooks import DynamoDBTimer
from bench.journey import Journey, example_document
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target
from bench.stats import median

__all__ = ["SPECS", "run"]

SPECS = (
    Spec(
        "3-endpoint",
        "verify endpoint overhead beyond the DynamoDB read (median)",
        Target("<=", 1.0, " ms"),
    ),
)


def run(plan: Plan, service: LocalService) -> list[Row]:
    from chalicelib.adapters.dynamodb.items import permit_key

    with service.wired_app() as (app_module, container):
        journey = Journey(app_module, container)
        _, _, token = journey.issued(example_document(container))
        journey.verify(token)  # checks the answer is "valid" once, untimed
        serial = container.keyring.verifier.verify_text(token).serial
        client, table = container.dynamodb, service.table_name
        key = permit_key(serial)
        if "Item" not in client.get_item(TableName=table, Key=key, ConsistentRead=True):
            raise RuntimeError("the permit item is not where permit_key says")

        def endpoint() -> float:
            event = journey.verify_event(token)
            start = time.perf_counter()
            response = journey.call(event)
            elapsed = time.perf_counter() - start
            if response["statusCode"] != 200:
                raise RuntimeError(f"verify answered {response['statusCode']}")
            return elapsed

        def bare_read() -> float:
            start = time.perf_counter()
            client.get_item(TableName=table, Key=key, ConsistentRead=True)
            return time.perf_counter() - start

        timer = DynamoDBTimer(client)
        try:
            for _ in range(plan.warmup):
                endpoint()
                bare_read()
            endpoint_ms: list[float] = []
            read_ms: list[float] = []
            outside_ms: list[float] = []
            for round_number in range(plan.endpoint_rounds):
                if round_number % 2:
                    read_ms.append(bare_read() * 1000)
                timer.reset()
                total = endpoint()
                endpoint_ms.append(total * 1000)
                outside_ms.append((total - timer.seconds) * 1000)
                if not round_number % 2:
                    read_ms.append(bare_read() * 1000)
        finally:
            timer.close()

    ours, read = median(endpoint_ms), median(read_ms)
    overhead = ours - read
    return [
        SPECS[0].row(
            overhead,
            f"{overhead:.2f} ms (endpoint {ours:.2f} ms)",
            f"bare GetItem of the permit: {read:.2f} ms",
            {
                "endpoint_median_ms": ours,
                "getitem_median_ms": read,
                "overhead_ms": overhead,
                "outside_botocore_median_ms": median(outside_ms),
            },
            f"handler time outside botocore calls (hook timer): {median(outside_ms):.2f} ms",
        )
    ]
