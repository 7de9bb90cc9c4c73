"""Payment providers' webhooks: signed events, 2xx once accepted or already seen."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.web.context import container, current_request, guarded, raw_body
from chalicelib.web.problems import ClientError
from chalicelib.web.responses import json_response

__all__ = ["bp"]

bp = Blueprint(__name__)

_WEBHOOK_MAX_BYTES = 64 * 1024


@bp.route(
    "/api/payments/{provider}/webhook",
    methods=["POST"],
    content_types=["application/json", "application/json; charset=utf-8"],
)
@guarded
def payment_webhook(provider: str) -> Response:
    raw = raw_body()
    if len(raw) > _WEBHOOK_MAX_BYTES:
        raise ClientError(413, "body-too-large", "Body too large")
    headers = {name.lower(): value for name, value in current_request().headers.items()}
    outcome = container().payments.handle_webhook(provider, headers, raw)
    return json_response(outcome.body())
