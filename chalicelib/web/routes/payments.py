"""Payment providers' webhooks: signed events, 2xx once accepted or already seen.

Every refusal (4xx: unknown provider, body too large, bad signature, unreadable event) is
logged with the provider, the event id the sender claimed (if it is a plausible id) and the
reason, and counted as ``WebhooksRefused``: a burst of refusals is either an attack or a
rotated secret, and an operator should hear of both.
"""

from __future__ import annotations

import logging
import re

from chalice.app import Blueprint, Response

from chalicelib.domain import errors
from chalicelib.web.context import container, current_request, guarded, raw_body
from chalicelib.web.problems import ClientError
from chalicelib.web.responses import json_response

__all__ = ["bp"]

bp = Blueprint(__name__)
log = logging.getLogger("permit_service.webhooks")

_WEBHOOK_MAX_BYTES = 64 * 1024
#: What a provider's event id looks like (Standard Webhooks ``msg_...``, Stripe ``evt_...``):
#: anything else the sender put in the header is not logged.
_PLAUSIBLE_EVENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def _refusal_reason(error: errors.DomainError) -> str:
    if isinstance(error, ClientError):
        return error.slug
    if isinstance(error, errors.WebhookSignatureError):
        return f"signature: {error}"  # our verifier's own words, never the sender's
    if isinstance(error, errors.WebhookMalformedError):
        return "malformed"  # the parser's message may quote the body
    if isinstance(error, errors.NotFoundError):
        return "unknown-provider"
    return type(error).__name__


def _log_refusal(provider: str, headers: dict[str, str], error: errors.DomainError) -> None:
    claimed = headers.get("webhook-id", "")
    event_id = claimed if _PLAUSIBLE_EVENT_ID.fullmatch(claimed) else None
    safe_provider = provider if _PLAUSIBLE_EVENT_ID.fullmatch(provider) else "(invalid)"
    log.warning(
        "webhook refused",
        extra={"provider": safe_provider, "event_id": event_id, "reason": _refusal_reason(error)},
    )
    container().metrics.count("WebhooksRefused")


@bp.route(
    "/api/payments/{provider}/webhook",
    methods=["POST"],
    content_types=["application/json", "application/json; charset=utf-8"],
)
@guarded
def payment_webhook(provider: str) -> Response:
    headers = {name.lower(): value for name, value in current_request().headers.items()}
    try:
        raw = raw_body()
        if len(raw) > _WEBHOOK_MAX_BYTES:
            raise ClientError(413, "body-too-large", "Body too large")
        outcome = container().payments.handle_webhook(provider, headers, raw)
    except errors.ServiceUnavailableError:
        raise  # not a refusal of this event: the service is not set up for it
    except errors.DomainError as error:
        _log_refusal(provider, headers, error)
        raise
    return json_response(outcome.body())
