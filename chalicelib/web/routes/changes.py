"""The citizen's changes after issuance (issue 15): a new car, a move within the city.

JSON, authorised by the application's access token (Bearer), as the rest of the citizen API:

- ``POST /api/applications/{id}/plate-change`` with ``{plates: [...]}``: 201 with the new
  permit (the old one verifies as superseded at once), or, when the form sets a change fee,
  202 with ``checkout_url`` and ``pending_change``: the payment's webhook then issues the new
  permit (the old one stays valid until then);
- ``POST /api/applications/{id}/move`` with ``{address: {...}, confirm_end?: true}``: 200
  with the address updated (same zone), 201 with a new permit (another zone), 200 with the
  permit ended (no zone; only with ``confirm_end``, else 409 naming ``/confirm_end``).

A wrong or missing token answers 404, like an unknown id.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.services.applications import bearer_token
from chalicelib.web.context import container, guarded, header, raw_body
from chalicelib.web.problems import ClientError
from chalicelib.web.requests import parse_json_body
from chalicelib.web.responses import json_response

__all__ = ["bp", "change_body"]

bp = Blueprint(__name__)


def change_body(outcome: Any) -> dict[str, Any]:
    """The application's status with its (new) permit, what happened, and what it replaced."""
    from chalicelib.services.applications import status_body

    c = container()
    body = status_body(outcome.application, c.settings.public_base_url, c.clock.now())
    body["result"] = outcome.result
    if outcome.old_number is not None:
        key = "ended_permit_number" if outcome.result == "ended" else "superseded_permit_number"
        body[key] = outcome.old_number
    if outcome.checkout_url is not None:
        body["checkout_url"] = outcome.checkout_url
    return body


def _status(outcome: Any) -> int:
    """201 a new permit, 202 a change waiting for its fee, 200 otherwise."""
    return {"superseded": 201, "payment_required": 202}.get(outcome.result, 200)


def _object_body() -> dict[str, Any]:
    body = parse_json_body(raw_body(), max_bytes=8192)
    if not isinstance(body, dict):
        raise ClientError(422, "validation-failed", "a JSON object required", "")
    return body


@bp.route("/api/applications/{application_id}/plate-change", methods=["POST"])
@guarded
def plate_change(application_id: str) -> Response:
    c = container()
    app = c.access.get(application_id, bearer_token(header("authorization")))
    body = _object_body()
    outcome = c.changes.change_plates(app, body.get("plates"))
    return json_response(change_body(outcome), status=_status(outcome))


@bp.route("/api/applications/{application_id}/move", methods=["POST"])
@guarded
def move(application_id: str) -> Response:
    c = container()
    app = c.access.get(application_id, bearer_token(header("authorization")))
    body = _object_body()
    confirm = body.get("confirm_end", False)
    if not isinstance(confirm, bool):
        raise ClientError(
            422, "validation-failed", "confirm_end must be true or false", "", "/confirm_end"
        )
    outcome = c.changes.move(app, body.get("address"), confirm_end=confirm)
    return json_response(change_body(outcome), status=_status(outcome))
