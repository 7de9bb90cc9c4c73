"""Rows 15-lifecycle-*: one run of the hourly ``permit-lifecycle`` job over N permits.

Setup: N permits issued through the app (submit, checkout, the sandbox's signed webhook),
all ending on the same day, plus whatever the other benchmarks issued into the shared table
(they end that day too and are counted). The job runs on a clock moved to 30 days before
that day, in a Container of its own on the same client.

- ``15-lifecycle-reminders``: the run that sends the 30-day reminder to every one of them
  (per permit: the application read, one transaction of marker, outbox mail and mail
  record), against the same requests made bare on the same client in the same run (the
  day keys' Queries, a GetItem of each application, and a TransactWriteItems of the same
  three writes on a marker of its own). Figure: run / bare.
- ``15-lifecycle-idle``: the next hours' runs, when everything due is sent: the job reads
  its day keys' index pages and writes nothing; against the bare GSI3 Queries of the same
  day keys, interleaved. Figure: median run / median queries.

Both are ratios: on moto every request costs time proportional to the table (its GSI
Query reads the whole table, each transaction copies it), so absolute times say more about
the emulator than about the job; what the job adds to its requests is the ratio.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.journey import Journey, example_document
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target
from bench.stats import median

__all__ = ["SPECS", "run"]

SPECS = (
    Spec(
        "15-lifecycle-reminders",
        "permit-lifecycle run sending N reminders / the same DynamoDB requests made bare",
        Target("<=", 1.5, "x"),
    ),
    Spec(
        "15-lifecycle-idle",
        "permit-lifecycle run with nothing due over N permits / its index Queries made bare",
        Target("<=", 1.5, "x"),
    ),
)


@dataclass
class _Clock:
    current: datetime

    def now(self) -> datetime:
        return self.current


def run(plan: Plan, service: LocalService) -> list[Row]:
    import app as app_module
    from chalicelib.domain.dates import berlin_today
    from chalicelib.services.permit_lifecycle import _reminder_days
    from chalicelib.wiring import Container

    count = 3 if plan.quick else 50
    container = Container(service.settings, dynamodb=service.client)
    app_module.set_container(container)
    try:
        journey = Journey(app_module, container)
        for _ in range(count):
            journey.issued(example_document(container))
    finally:
        app_module.set_container(None)

    now = datetime.now(UTC)
    ends = berlin_today(now) + timedelta(days=364)  # 12 months from today
    clock = _Clock(now)
    job_container = Container(service.settings, dynamodb=service.client, clock=clock)
    store = job_container.store
    permits = [p for p in store.permits_ending_on(ends) if not p.reminded]  # type: ignore[attr-defined]
    if len(permits) < count:
        raise RuntimeError(f"expected {count} permits ending {ends}, found {len(permits)}")
    total = len(permits)
    clock.current = now + timedelta(days=334)  # 30 days before the end
    job = job_container.permit_lifecycle
    forms = list(job_container.registry.load_all().values())
    day_keys = _reminder_days(berlin_today(clock.current), forms)

    client, table = service.client, service.table_name

    def bare_reminder_requests() -> float:
        """What the run must send for the N reminders, made directly on the same client."""
        start = time.perf_counter()
        for day in day_keys:
            _query(client, table, day.isoformat())
        for permit in permits:
            client.get_item(
                TableName=table,
                Key={"PK": {"S": f"APP#{permit.application_id}"}, "SK": {"S": "A"}},
                ConsistentRead=True,
            )
            client.transact_write_items(TransactItems=_bare_reminder(table, permit.serial))
        return time.perf_counter() - start

    start = time.perf_counter()
    report = job.run(lambda: 600_000)
    reminders_s = time.perf_counter() - start
    if report.reminded < total:
        raise RuntimeError(f"the run reminded {report.reminded} of {total} permits")
    bare_s = bare_reminder_requests()
    ratio = reminders_s / bare_s

    def idle() -> float:
        start = time.perf_counter()
        done = job.run(lambda: 600_000)
        elapsed = time.perf_counter() - start
        if done.reminded or done.expired or done.anonymised:
            raise RuntimeError(f"the idle run did something: {done.summary()}")
        return elapsed

    def queries() -> float:
        start = time.perf_counter()
        for day in _every_day_key(job_container, clock):
            _query(client, table, day)
        return time.perf_counter() - start

    rounds = 2 if plan.quick else 30
    for _ in range(plan.warmup if plan.quick else 3):
        idle()
        queries()
    runs: list[float] = []
    bare: list[float] = []
    for round_number in range(rounds):
        if round_number % 2:
            bare.append(queries() * 1000)
        runs.append(idle() * 1000)
        if not round_number % 2:
            bare.append(queries() * 1000)
    idle_ms, query_ms = median(runs), median(bare)
    return [
        SPECS[0].row(
            ratio,
            f"{ratio:.2f}x (run {reminders_s * 1000:.0f} ms, {total} permits)",
            f"the same requests bare: {bare_s * 1000:.0f} ms",
            {"run_ms": reminders_s * 1000, "bare_ms": bare_s * 1000, "permits": float(total)},
        ),
        SPECS[1].row(
            idle_ms / query_ms,
            f"{idle_ms / query_ms:.2f}x (run {idle_ms:.1f} ms, {total} permits)",
            f"its index Queries bare: {query_ms:.1f} ms",
            {"run_ms": idle_ms, "queries_ms": query_ms, "permits": float(total)},
        ),
    ]


def _query(client: Any, table: str, day: str) -> None:
    query: dict[str, Any] = {
        "TableName": table,
        "IndexName": "GSI3",
        "KeyConditionExpression": "GSI3PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"ENDS#{day}"}},
        "Limit": 100,
    }
    while True:
        page = client.query(**query)
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _every_day_key(container: Any, clock: _Clock) -> list[str]:
    """All day keys one run reads: reminders, expiry (7 days back), retention."""
    from chalicelib.domain.dates import berlin_today
    from chalicelib.services.permit_lifecycle import (
        EXPIRE_LOOKBACK_DAYS,
        _reminder_days,
        _retention_days,
    )

    today = berlin_today(clock.now())
    forms = list(container.registry.load_all().values())
    days = _reminder_days(today, forms)
    days += [today - timedelta(days=back) for back in range(EXPIRE_LOOKBACK_DAYS, 0, -1)]
    days += _retention_days(today, forms)
    return [day.isoformat() for day in days]


def _bare_reminder(table: str, serial: int) -> list[dict[str, Any]]:
    """The reminder transaction's three writes, on a marker and items of their own."""
    message = secrets.token_hex(16)
    now = datetime.now(UTC).isoformat()
    return [
        {
            "Update": {
                "TableName": table,
                "Key": {"PK": {"S": f"PERMIT#{serial}"}, "SK": {"S": "P"}},
                "UpdateExpression": "SET #m = :at",
                "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(#m)",
                "ExpressionAttributeNames": {"#m": f"bench_marker_{message}"},
                "ExpressionAttributeValues": {":at": {"S": now}},
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {
                    "PK": {"S": f"OUTBOX#bench-{message}"},
                    "SK": {"S": "O"},
                    "kind": {"S": "reminder"},
                    "to": {"S": "bench@example.org"},
                    "created_at": {"S": now},
                },
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {
                    "PK": {"S": f"BENCH#{serial}"},
                    "SK": {"S": f"MAIL#{now}#{message}"},
                    "kind": {"S": "reminder"},
                },
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
    ]
