"""Row 1: cold starts of the two requests that matter, each vs boto3's own cold start.

A Lambda instance's first request pays for everything it imports and builds. Two rows, each
a fresh ``python -c`` process that runs ``import app`` and then ``app.app(event, context)``
for its first request (Settings from PERMIT_* variables, dummy AWS credentials,
``AWS_ENDPOINT_URL_DYNAMODB`` naming the moto server):

- **1-cold-submit**: ``POST /api/forms/resident-parking-permit/applications`` with the form's
  first example, 201: the form registry (every form file read and checked against the
  meta-schema), jsonschema, email-validator, the Container, boto3 and one TransactWriteItems.
  Baseline: a fresh process that imports boto3, makes the client and sends one
  TransactWriteItems of the same shape (two conditional Puts) to the same table.
- **1-cold-verify**: ``POST /api/verify`` with a permit's token, ``valid``: cryptography, the
  key ring (the public key from the local PEM), the token codec and one GetItem. Baseline:
  import boto3, client, one GetItem (``ConsistentRead``) of that permit item.

The permit is issued beforehand in this process (submit, checkout, the sandbox's signed
webhook); the child uses the same table and signing key. Both sides are timed inside the
child with ``time.perf_counter`` from just before the first import to the answer, so
interpreter start-up (identical for both) is excluded. Runs alternate (order switching each
round) after one untimed warm-up each; the ratio of medians is judged. An untimed check run
first asserts each answer and that exactly the expected DynamoDB requests were sent.

Also ``python -X importtime -c "import app"``: every module whose cumulative import time
(median over runs) is over 10 ms.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.journey import Journey, example_document
from bench.lambda_events import rest_event
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target
from bench.stats import median
from chalicelib.config import APP_ROOT

__all__ = ["SPECS", "import_times", "run"]

SPECS = (
    Spec(
        "1-cold-submit",
        "cold start: import app + first submission (201, one TransactWriteItems), median",
        Target("<=", 2.0, "x baseline"),
    ),
    Spec(
        "1-cold-verify",
        "cold start: import app + first verification (valid, one GetItem), median",
        Target("<=", 2.0, "x baseline"),
    ),
    Spec("1-import-app", "import app alone (-X importtime, cumulative), median"),
)
IMPORT_REPORT_MS = 10.0

_CONTEXT = """\
class Context:
    function_name = "permit-service-prod"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    aws_request_id = "cold-start"
    def get_remaining_time_in_millis(self):
        return 20000
CONTEXT = Context()
"""

_APP_CHILD = """\
import time
EVENT = {event!r}
{context}
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
response = app.app(EVENT, CONTEXT)
t2 = time.perf_counter()
import json, sys
sys.stdout.write("\\n" + json.dumps({{"status": response["statusCode"], "body": response["body"],
                              "import_ms": (t1 - t0) * 1000, "total_ms": (t2 - t0) * 1000}}))
"""

_BASELINE_CHILD = """\
import time
OPERATION = {operation!r}
REQUEST = {request!r}
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
client = boto3.client("dynamodb")
response = getattr(client, OPERATION)(**REQUEST)
t2 = time.perf_counter()
import json, sys
sys.stdout.write(json.dumps({{"status": 200, "body": "",
                              "import_ms": (t1 - t0) * 1000, "total_ms": (t2 - t0) * 1000}}))
"""

_CHECK_CHILD = """\
import json, sys
import boto3
EVENT = {event!r}
{context}
sent = []
boto3.setup_default_session()
boto3.DEFAULT_SESSION.events.register(
    "before-send.dynamodb",
    lambda request, **_: sent.append(request.headers.get("X-Amz-Target", b"").decode()))
import app
response = app.app(EVENT, CONTEXT)
sys.stdout.write("\\n" + json.dumps({{"status": response["statusCode"], "body": response["body"],
                              "operations": sent}}))
"""


@dataclass(frozen=True)
class _Case:
    """One cold request: our event and check, and the baseline's single DynamoDB call."""

    spec: Spec
    event: Callable[[], dict[str, Any]]
    status: int
    operation: str  # the one DynamoDB operation both sides send
    baseline: Callable[[], dict[str, Any]]  # the baseline call's keyword arguments
    check_body: Callable[[dict[str, Any]], bool]
    shown_baseline: str


def _child(script: str, env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *options, "-c", script],
        cwd=APP_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child process failed ({done.returncode}): {done.stderr[-800:]}")
    return done


def _result(stdout: str) -> Any:
    """The child's result: its last stdout line (the app's JSON log lines come before it)."""
    return json.loads(stdout.strip().splitlines()[-1])


def _timed(script: str, env: dict[str, str], status: int) -> dict[str, float]:
    result: dict[str, Any] = _result(_child(script, env).stdout)
    if result["status"] != status:
        raise RuntimeError(f"expected {status}, the child answered {result['status']}")
    return {"import_ms": float(result["import_ms"]), "total_ms": float(result["total_ms"])}


def _ours(case: _Case) -> str:
    return _APP_CHILD.format(event=case.event(), context=_CONTEXT)


def _theirs(case: _Case) -> str:
    method = re.sub(r"(?<!^)(?=[A-Z])", "_", case.operation).lower()  # GetItem -> get_item
    return _BASELINE_CHILD.format(operation=method, request=case.baseline())


def _check(case: _Case, env: dict[str, str]) -> None:
    script = _CHECK_CHILD.format(event=case.event(), context=_CONTEXT)
    result = _result(_child(script, env).stdout)
    operations = [name.rpartition(".")[2] for name in result["operations"]]
    body = json.loads(result["body"])
    if result["status"] != case.status or operations != [case.operation]:
        raise RuntimeError(f"{case.spec.key}: unexpected first request: {result}")
    if not case.check_body(body):
        raise RuntimeError(f"{case.spec.key}: unexpected answer: {body}")
    _timed(_theirs(case), env, 200)  # the baseline's call must succeed too


def _cases(service: LocalService) -> list[_Case]:
    from chalicelib.adapters.dynamodb.items import permit_key

    with service.wired_app() as (app_module, container):
        journey = Journey(app_module, container)
        _, _, token = journey.issued(example_document(container))
        document = example_document(container)  # another plate: the issued one is taken
        serial = container.keyring.verifier.verify_text(token).serial
    table = service.table_name
    data = json.dumps(document, separators=(",", ":"))

    def transaction() -> dict[str, Any]:
        app_id = secrets.token_hex(16)
        items = [
            {"PK": {"S": f"APP#{app_id}"}, "SK": {"S": "A"}, "data": {"S": data}},
            {"PK": {"S": f"APP#{app_id}"}, "SK": {"S": "AUDIT#cold-start"}},
        ]
        return {
            "TransactItems": [
                {
                    "Put": {
                        "TableName": table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
                for item in items
            ]
        }

    submit = _Case(
        SPECS[0],
        lambda: Journey.submit_event(document),
        201,
        "TransactWriteItems",
        transaction,
        lambda body: body.get("status") == "SUBMITTED",
        "import boto3 + client + 1 TransactWriteItems (2 Puts)",
    )
    verify = _Case(
        SPECS[1],
        lambda: rest_event(
            "POST",
            "/api/verify",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"token": token}),
        ),
        200,
        "GetItem",
        lambda: {"TableName": table, "Key": permit_key(serial), "ConsistentRead": True},
        lambda body: body.get("result") == "valid",
        "import boto3 + client + 1 GetItem",
    )
    return [submit, verify]


def import_times(env: dict[str, str], runs: int) -> dict[str, float]:
    """Module -> median cumulative import time (ms) under ``-X importtime -c "import app"``."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        stderr = _child("import app", env, "-X", "importtime").stderr
        for line in stderr.splitlines():
            if not line.startswith("import time:") or "cumulative" in line:
                continue
            _self, cumulative, name = line.removeprefix("import time:").split("|")
            samples.setdefault(name.strip(), []).append(int(cumulative) / 1000)
    return {name: median(values) for name, values in samples.items()}


def _measure(case: _Case, plan: Plan, env: dict[str, str]) -> tuple[Row, float]:
    _check(case, env)
    _timed(_ours(case), env, case.status)  # warm-up: bytecode caches, page cache
    _timed(_theirs(case), env, 200)
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    sides: list[tuple[Callable[[], str], int, list[dict[str, float]]]] = [
        (lambda: _ours(case), case.status, ours),
        (lambda: _theirs(case), 200, theirs),
    ]
    for round_number in range(plan.cold_start_runs):
        for script, status, samples in sides if round_number % 2 == 0 else sides[::-1]:
            samples.append(_timed(script(), env, status))
    ours_ms = median([sample["total_ms"] for sample in ours])
    base_ms = median([sample["total_ms"] for sample in theirs])
    ours_import = median([sample["import_ms"] for sample in ours])
    base_import = median([sample["import_ms"] for sample in theirs])
    ratio = ours_ms / base_ms
    per_round = [a["total_ms"] / b["total_ms"] for a, b in zip(ours, theirs, strict=True)]
    row = case.spec.row(
        ratio,
        f"{ours_ms:.0f} ms = {ratio:.2f}x",
        f"{case.shown_baseline}: {base_ms:.0f} ms",
        {
            "app_total_median_ms": ours_ms,
            "app_import_median_ms": ours_import,
            "baseline_total_median_ms": base_ms,
            "baseline_import_boto3_median_ms": base_import,
            "runs": float(plan.cold_start_runs),
        },
        f"of which `import app` {ours_import:.0f} ms; `import boto3` {base_import:.0f} ms; "
        f"first request after the imports {ours_ms - ours_import:.0f} ms; "
        f"per-round ratios {min(per_round):.2f}-{max(per_round):.2f}x",
    )
    return row, base_import


def run(plan: Plan, service: LocalService) -> list[Row]:
    env = service.child_env()
    rows: list[Row] = []
    boto3_imports: list[float] = []
    for case in _cases(service):
        row, boto3_import = _measure(case, plan, env)
        rows.append(row)
        boto3_imports.append(boto3_import)

    modules = import_times(env, plan.importtime_runs)
    app_ms = modules.get("app", float("nan"))
    heavy = sorted(
        ((ms, name) for name, ms in modules.items() if ms > IMPORT_REPORT_MS), reverse=True
    )
    details = tuple(f"{name}: {ms:.1f} ms" for ms, name in heavy)
    rows.append(
        SPECS[2].row(
            app_ms,
            f"{app_ms:.1f} ms",
            f"import boto3 (in the cold-start runs): {median(boto3_imports):.0f} ms",
            {name: ms for ms, name in heavy},
            f"{len(heavy)} modules over {IMPORT_REPORT_MS:.0f} ms: "
            + ", ".join(name for _ms, name in heavy),
            details,
        )
    )
    return rows
