"""Synthetic API Gateway (REST, proxy integration) events and a Lambda-like context.

The in-process benchmarks call the Chalice app the way Lambda does, ``app.app(event,
context)``, rather than through ``chalice.test.Client``: the test client adds a local
gateway (route matching, event building, environment patching) that Lambda does not run.
So every figure is the handler as deployed: Chalice's dispatch, our route and services.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

__all__ = ["LambdaContext", "body_bytes", "json_body", "rest_event"]


class LambdaContext:
    """The attributes of Lambda's context object that a handler might read."""

    function_name = "permit-service-prod"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-central-1:000000000000:function:permit-service-prod"
    memory_limit_in_mb = 1024
    log_group_name = "/aws/lambda/permit-service-prod"
    log_stream_name = "bench"

    def __init__(self) -> None:
        self.aws_request_id = secrets.token_hex(16)

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


def rest_event(
    method: str,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API proxy event for ``resource`` (the route pattern, e.g. ``/api/verify``)."""
    params = path_parameters or {}
    path = resource
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    header_map = dict(headers or {})
    encoded = isinstance(body, bytes)
    text = base64.b64encode(body).decode("ascii") if isinstance(body, bytes) else body
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": header_map,
        "multiValueHeaders": {name: [value] for name, value in header_map.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": (
            None if query is None else {name: [value] for name, value in query.items()}
        ),
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": secrets.token_hex(8),
            "identity": {"sourceIp": "192.0.2.10", "userAgent": "permit-bench"},
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def body_bytes(response: dict[str, Any]) -> bytes:
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode("utf-8")


def json_body(response: dict[str, Any]) -> Any:
    return json.loads(body_bytes(response))
