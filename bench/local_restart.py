"""Row 7: how long `make run` takes to bring back its local data after a restart.

The embedded DynamoDB journals every write (``scripts/dynamodb_journal.py``) and replays the
journal at start. Measured here: the start of moto's server (in a process of its own, as
`make run` has it) with the journal a session of N paid applications leaves behind, each
written as the service writes it (submission, checkout, payment: three requests, nine item
images, six live items). The baseline is the same server started with an empty journal, in
the same run. The figures also give the journal's size before and after the start-up
compaction, and the median of restarts from the compacted journal.
"""

from __future__ import annotations

import contextlib
import json
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target

__all__ = ["SPECS", "run"]

FULL_APPLICATIONS = 1000
QUICK_APPLICATIONS = 20
REGION = "eu-central-1"
TABLE = "permits-local"

SPECS = (
    Spec(
        "7-restart",
        "make run restart: DynamoDB back with 1,000 paid applications (journal replay)",
        Target("<=", 10, " s"),
    ),
)


def _client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def _session_writes(index: int) -> list[list[dict[str, Any]]]:
    """The item images one paid application leaves, grouped as the service's three writes."""
    from chalicelib.adapters.dynamodb import items
    from chalicelib.domain.lifecycle import Status
    from chalicelib.domain.records import (
        Application,
        AuditEntry,
        CheckoutInfo,
        PaymentEventRecord,
        PermitRecord,
        PermitSummary,
    )

    schema = json.loads(
        (Path(__file__).parents[1] / "schemas" / "resident-parking-permit.json").read_text(
            encoding="utf-8"
        )
    )
    created = datetime(2026, 11, 21, 10, 0, tzinfo=UTC) + timedelta(seconds=index)
    app_id = f"{index:032x}"
    submitted = Application(
        id=app_id,
        form_id="resident-parking-permit",
        form_version=1,
        schema_hash="5" * 64,
        data=schema["examples"][0],
        status=Status.SUBMITTED,
        version=1,
        fee_cents=3000,
        currency="EUR",
        access_token_hash="e" * 64,
        created_at=created,
        updated_at=created,
    )
    checkout = CheckoutInfo("sandbox", f"chk_{index}", f"https://x.example/{index}", created)
    waiting = submitted.advance(Status.AWAITING_PAYMENT, created, checkout=checkout)
    summary = PermitSummary(
        serial=index,
        number=f"2026-{index:04d}-TEST",
        zone="C",
        plates=("DNAB123",),
        valid_from=date(2026, 11, 21),
        valid_to=date(2027, 11, 20),
        token="1" * 212,
        issued_at=created,
    )
    issued = waiting.advance(Status.ISSUED, created, payment_id=f"pay_{index}", permit=summary)
    permit = PermitRecord(
        serial=index,
        number=summary.number,
        application_id=app_id,
        form_id="resident-parking-permit",
        permit_type=1,
        zone="C",
        plates=("DNAB123",),
        valid_from=summary.valid_from,
        valid_to=summary.valid_to,
        token=summary.token,
        key_id=1,
        status=Status.ISSUED,
        issued_at=created,
    )
    event = PaymentEventRecord("sandbox", f"evt_{index}", app_id, "payment.succeeded", created, 0)

    def audit(event_name: str, version: int) -> dict[str, Any]:
        entry = AuditEntry(app_id, created, event_name, None, Status.SUBMITTED, "bench")
        return items.audit_item(entry, version * 10)

    return [
        [items.application_item(submitted), audit("submitted", 1)],
        [items.application_item(waiting), audit("checkout_opened", 2)],
        [
            items.event_item(event),
            items.application_item(issued),
            items.permit_item(permit),
            audit("issued", 3),
        ],
    ]


@contextlib.contextmanager
def _journaled_server(journal: Path) -> Iterator[dict[str, Any]]:
    """A journaled moto server in a process of its own (moto's backends are process-wide)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "scripts.moto_server", "--journal", str(journal)],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            raise RuntimeError(f"the journaled server did not start ({child.wait()})")
        yield json.loads(line)
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)


def _write_session(journal: Path, applications: int) -> None:
    """Write N applications through a journaled server, as a session of `make run` would."""
    from chalicelib.adapters.dynamodb.table import create_table

    with _journaled_server(journal) as ready:
        client = _client(ready["endpoint"])
        create_table(client, TABLE)
        for index in range(applications):
            for write in _session_writes(index):
                client.batch_write_item(
                    RequestItems={TABLE: [{"PutRequest": {"Item": item}} for item in write]}
                )


def _start(journal: Path) -> dict[str, Any]:
    """Start a journaled server on ``journal``: its own start-up time (replay included)."""
    with _journaled_server(journal) as ready:
        return ready


def measure(applications: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="permit-bench-journal-") as workdir:
        journal = Path(workdir) / "dynamodb.jsonl"
        _write_session(journal, applications)
        session_bytes = journal.stat().st_size
        with journal.open(encoding="utf-8") as lines:
            session_lines = sum(1 for _ in lines)
        first = _start(journal)  # replays the whole history, then compacts
        compacted = [_start(journal) for _ in range(rounds)]
        empty = [_start(Path(workdir) / f"empty-{n}.jsonl") for n in range(rounds)]
        return {
            "applications": applications,
            "items": first["items"],
            "session_lines": session_lines,
            "session_mb": session_bytes / 1e6,
            "compacted_mb": journal.stat().st_size / 1e6,
            "first_s": first["start_s"],
            "compacted_s": statistics.median(ready["start_s"] for ready in compacted),
            "empty_s": statistics.median(ready["start_s"] for ready in empty),
        }


def run(plan: Plan, service: LocalService) -> list[Row]:
    del service
    applications = QUICK_APPLICATIONS if plan.quick else FULL_APPLICATIONS
    result = measure(applications, rounds=1 if plan.quick else 3)
    return [
        SPECS[0].row(
            result["first_s"],
            f"{result['first_s']:.2f} s ({result['items']:,.0f} items)",
            f"empty journal: {result['empty_s']:.2f} s",
            dict(result),
            note=(
                f"journal {result['session_lines']:,.0f} lines / {result['session_mb']:.1f} MB, "
                f"compacted {result['compacted_mb']:.1f} MB; compacted restart "
                f"{result['compacted_s']:.2f} s"
                + (f"; quick run: {applications} applications" if plan.quick else "")
            ),
        )
    ]
