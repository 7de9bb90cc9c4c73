"""Row 1: cold start, a fresh process serving its first request, vs boto3's own cold start.

Ours: a fresh ``python -c`` process runs ``import app`` and then ``app.app(event, context)``
for ``GET /api/applications/<32 hex>`` with a wrong Bearer token: Settings from the
environment (PERMIT_* variables, dummy AWS credentials, AWS_ENDPOINT_URL_DYNAMODB naming the
moto server), the Container, boto3, one GetItem, 404.

Baseline: a fresh process runs ``import boto3``, ``boto3.client("dynamodb")`` and one
``GetItem`` (``ConsistentRead``, an ``APP#`` key that does not exist) against the same
server: the least any Python Lambda reading DynamoDB pays.

Both are timed inside the child with ``time.perf_counter`` from just before the first import
to the answer, so interpreter start-up (identical for both) is excluded. Runs alternate
(order switching each round) after one untimed warm-up each; the ratio of medians is judged.
An untimed check run first asserts the 404 and that exactly one GetItem was sent.

Also ``python -X importtime -c "import app"``: every module whose cumulative import time
(median over runs) is over 10 ms.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from typing import Any

from bench.lambda_events import rest_event
from bench.local_service import LocalService
from bench.plan import Plan
from bench.rows import Row, Spec, Target
from bench.stats import median
from chalicelib.config import APP_ROOT

__all__ = ["SPECS", "import_times", "run"]

SPECS = (
    Spec(
        "1-cold-start",
        "cold start: import app + first request (404 after one GetItem), median",
        Target("<=", 1.3, "x baseline"),
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
sys.stdout.write("\\n" + json.dumps({{"status": response["statusCode"],
                              "import_ms": (t1 - t0) * 1000, "total_ms": (t2 - t0) * 1000}}))
"""

_BASELINE_CHILD = """\
import time
KEY = {key!r}
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
client = boto3.client("dynamodb")
response = client.get_item(TableName={table!r}, Key=KEY, ConsistentRead=True)
t2 = time.perf_counter()
import json, sys
sys.stdout.write(json.dumps({{"status": 200 if "Item" in response else 404,
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
sys.stdout.write("\\n" + json.dumps({{"status": response["statusCode"], "operations": sent}}))
"""


def _missing_id() -> str:
    return secrets.token_hex(16)


def _app_event(application_id: str) -> dict[str, Any]:
    return rest_event(
        "GET",
        "/api/applications/{application_id}",
        {"application_id": application_id},
        {"Authorization": "Bearer " + "wrong-token-" + "x" * 20, "Accept-Language": "de"},
    )


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


def _timed_child(script: str, env: dict[str, str]) -> dict[str, float]:
    result: dict[str, float] = _result(_child(script, env).stdout)
    if result["status"] != 404:
        raise RuntimeError(f"expected 404, the child answered {result['status']}")
    return result


def _app_script() -> str:
    return _APP_CHILD.format(event=_app_event(_missing_id()), context=_CONTEXT)


def _baseline_script(table: str) -> str:
    key = {"PK": {"S": f"APP#{_missing_id()}"}, "SK": {"S": "A"}}
    return _BASELINE_CHILD.format(key=key, table=table)


def _check(env: dict[str, str]) -> None:
    script = _CHECK_CHILD.format(event=_app_event(_missing_id()), context=_CONTEXT)
    result = _result(_child(script, env).stdout)
    if result["status"] != 404 or result["operations"] != ["DynamoDB_20120810.GetItem"]:
        raise RuntimeError(f"the first request was not 404 after one GetItem: {result}")


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


def run(plan: Plan, service: LocalService) -> list[Row]:
    env = service.child_env()
    _check(env)
    _timed_child(_app_script(), env)  # warm-up: bytecode caches, page cache
    _timed_child(_baseline_script(service.table_name), env)
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    for round_number in range(plan.cold_start_runs):
        order = [(_app_script, ours), (lambda: _baseline_script(service.table_name), theirs)]
        for script, samples in order if round_number % 2 == 0 else reversed(order):
            samples.append(_timed_child(script(), env))

    ours_ms = median([sample["total_ms"] for sample in ours])
    base_ms = median([sample["total_ms"] for sample in theirs])
    ours_import = median([sample["import_ms"] for sample in ours])
    base_import = median([sample["import_ms"] for sample in theirs])
    ratio = ours_ms / base_ms
    per_round = [a["total_ms"] / b["total_ms"] for a, b in zip(ours, theirs, strict=True)]

    modules = import_times(env, plan.importtime_runs)
    app_ms = modules.get("app", float("nan"))
    heavy = sorted(
        ((ms, name) for name, ms in modules.items() if ms > IMPORT_REPORT_MS), reverse=True
    )
    details = tuple(f"{name}: {ms:.1f} ms" for ms, name in heavy)
    return [
        SPECS[0].row(
            ratio,
            f"{ours_ms:.0f} ms = {ratio:.2f}x",
            f"import boto3 + client + 1 GetItem: {base_ms:.0f} ms",
            {
                "app_total_median_ms": ours_ms,
                "app_import_median_ms": ours_import,
                "baseline_total_median_ms": base_ms,
                "baseline_import_boto3_median_ms": base_import,
                "runs": float(plan.cold_start_runs),
            },
            f"of which `import app` {ours_import:.0f} ms; `import boto3` {base_import:.0f} ms; "
            f"per-round ratios {min(per_round):.2f}-{max(per_round):.2f}x",
        ),
        SPECS[1].row(
            app_ms,
            f"{app_ms:.1f} ms",
            f"import boto3 (in the cold-start runs): {base_import:.0f} ms",
            {name: ms for ms, name in heavy},
            f"{len(heavy)} modules over {IMPORT_REPORT_MS:.0f} ms: "
            + ", ".join(name for _ms, name in heavy),
            details,
        ),
    ]
