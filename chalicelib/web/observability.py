"""Per-request observability: the log context, one access line, 5xx accounting, X-Request-Id.

Registered once in ``app.py`` for every HTTP route (``app.register_middleware``). It sits
inside Chalice's own error handler and outside every route, so it sees the final status of
each answer, including Chalice's own 500 for an exception that escaped a route: that is
where ``ServerErrors`` is counted, once per 5xx answer, whichever code path produced it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib import logs

if TYPE_CHECKING:
    from chalice.app import Request, Response

    from chalicelib.services.ports import Metrics

__all__ = ["REQUEST_ID_HEADER", "observe_request"]

log = logging.getLogger("permit_service.requests")
REQUEST_ID_HEADER = "X-Request-Id"


def _request_ids(request: Request | None) -> tuple[str, str | None]:
    """API Gateway's request id (or a fresh one: ``chalice local`` has none) and Lambda's."""
    context = (request.context if request is not None else None) or {}
    request_id = str(context.get("requestId") or uuid.uuid4().hex)
    lambda_context = getattr(request, "lambda_context", None)
    lambda_request_id = getattr(lambda_context, "aws_request_id", None)
    return request_id, str(lambda_request_id) if lambda_request_id else None


def _metrics() -> Metrics:
    """The Container's metrics; if even the Container cannot be built, EMF for the stage."""
    from chalicelib.web import context

    try:
        return context.container().metrics
    except Exception:  # a broken configuration must still count its 5xx answers
        from chalicelib.adapters.metrics.emf import EmfMetrics
        from chalicelib.config import stage_from_env

        return EmfMetrics(stage_from_env())


def observe_request(request: Request, get_response: Callable[[Request], Response]) -> Response:
    request_id, lambda_request_id = _request_ids(request)
    uri_params = (request.uri_params if request is not None else None) or {}
    token = logs.start_context(
        request_id=request_id,
        lambda_request_id=lambda_request_id,
        application_id=uri_params.get("application_id"),
    )
    started = time.perf_counter()
    try:
        try:
            response = get_response(request)
        except Exception as error:  # Chalice answers 500 for it, outside this middleware
            _metrics().count("ServerErrors")
            log.error("unhandled %s", type(error).__name__, exc_info=error)
            raise
        status = response.status_code
        if status >= 500:
            _metrics().count("ServerErrors")
        response.headers[REQUEST_ID_HEADER] = request_id
        context = (request.context if request is not None else None) or {}
        log.info(
            "request",
            extra={
                "method": getattr(request, "method", None),
                "route": context.get("resourcePath"),  # the template: no ids, tokens or query
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response
    finally:
        logs.end_context(token)
