"""Rows 12-search-*: the staff search endpoint against the key reads it is made of.

Setup: one permit issued through the app (submit, checkout, the sandbox's signed webhook),
and a staff script token wired into the Container. Then, in interleaved rounds (order
alternating), ``GET /api/staff/search?q=...`` through the whole handler
(``app.app(event, context)``), and the bare DynamoDB requests the search needs on the same
client: for a permit number the permit item and the application item (two GetItems); for
an e-mail address the GSI2 Query and the application item. Overhead = median(search) -
median(bare reads): what reading the query, the staff gate and shaping the rows cost.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench.journey import Journey, example_document, expect
from bench.lambda_events import json_body, rest_event
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target
from bench.stats import median

__all__ = ["SPECS", "run"]

_TOKEN = "bench-staff-token-0123456789abcdef"  # benchmark-only, like the tests' token
_EMAIL = "bench.search@example.org"

SPECS = (
    Spec(
        "12-search-number",
        "staff search by permit number: overhead beyond its two GetItems (median)",
        Target("<=", 2.0, " ms"),
    ),
    Spec(
        "12-search-email",
        "staff search by e-mail address: overhead beyond its Query and GetItem (median)",
        Target("<=", 2.0, " ms"),
    ),
)


def run(plan: Plan, service: LocalService) -> list[Row]:
    import app as app_module
    from chalicelib.adapters.dynamodb.items import application_key, permit_key
    from chalicelib.domain.email_lookup import email_lookup_hash, email_lookup_key
    from chalicelib.wiring import Container

    settings = replace(
        service.settings, staff_token_hashes=(hashlib.sha256(_TOKEN.encode()).hexdigest(),)
    )
    container = Container(settings, dynamodb=service.client)
    app_module.set_container(container)
    try:
        journey = Journey(app_module, container)
        document = example_document(container)
        document["applicant"]["email"] = _EMAIL
        application_id, access_token, _ = journey.issued(document)
        number = journey.status(application_id, access_token)["permit"]["number"]
        client, table = service.client, service.table_name
        email_hash = email_lookup_hash(email_lookup_key(settings.app_secret), _EMAIL)
        stored = container.store.get_application(application_id)
        if stored is None or stored.permit is None:
            raise RuntimeError("the issued application has no permit")
        serial = stored.permit.serial

        def search(q: str) -> Callable[[], float]:
            def call() -> float:
                event = rest_event(
                    "GET",
                    "/api/staff/search",
                    headers={"Authorization": f"Bearer {_TOKEN}"},
                    query={"q": q},
                )
                start = time.perf_counter()
                response = journey.call(event)
                elapsed = time.perf_counter() - start
                found = json_body(expect(response, 200, "staff search"))["applications"]
                if [row["id"] for row in found] != [application_id]:
                    raise RuntimeError(f"search for {q!r} did not find the application")
                return elapsed

            return call

        def by_number() -> float:
            start = time.perf_counter()
            client.get_item(TableName=table, Key=permit_key(serial), ConsistentRead=True)
            client.get_item(
                TableName=table, Key=application_key(application_id), ConsistentRead=True
            )
            return time.perf_counter() - start

        def by_email() -> float:
            start = time.perf_counter()
            client.query(
                TableName=table,
                IndexName="GSI2",
                KeyConditionExpression="GSI2PK = :pk",
                ExpressionAttributeValues={":pk": {"S": f"EMAIL#{email_hash}"}},
                ScanIndexForward=False,
                Limit=50,
            )
            client.get_item(
                TableName=table, Key=application_key(application_id), ConsistentRead=True
            )
            return time.perf_counter() - start

        return [
            _row(SPECS[0], plan, search(number.lower().replace("-", "")), by_number),
            _row(SPECS[1], plan, search(_EMAIL.upper()), by_email),
        ]
    finally:
        app_module.set_container(None)


def _row(spec: Spec, plan: Plan, endpoint: Callable[[], float], bare: Callable[[], Any]) -> Row:
    for _ in range(plan.warmup):
        endpoint()
        bare()
    ours: list[float] = []
    reads: list[float] = []
    for round_number in range(plan.endpoint_rounds):
        if round_number % 2:
            reads.append(bare() * 1000)
        ours.append(endpoint() * 1000)
        if not round_number % 2:
            reads.append(bare() * 1000)
    endpoint_ms, read_ms = median(ours), median(reads)
    overhead = endpoint_ms - read_ms
    return spec.row(
        overhead,
        f"{overhead:.2f} ms (search {endpoint_ms:.2f} ms)",
        f"its bare key reads: {read_ms:.2f} ms",
        {"search_median_ms": endpoint_ms, "reads_median_ms": read_ms, "overhead_ms": overhead},
    )
