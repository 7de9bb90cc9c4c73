"""Staff replace a permit (supersede): new plates, a new token and PDF, the old one ends.

JSON: ``POST /api/staff/applications/{id}/supersede`` with ``{plates: [...], reason}``
answers 201 with the new permit. Clerks and above; the audit entry names the staff member.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.domain.staff_roles import Role
from chalicelib.web.context import container, guarded, raw_body
from chalicelib.web.problems import ClientError
from chalicelib.web.requests import parse_json_body
from chalicelib.web.responses import json_response
from chalicelib.web.routes.changes import change_body
from chalicelib.web.staff_access import require_staff

__all__ = ["bp", "checked_reason"]

bp = Blueprint(__name__)


def checked_reason(reason: object) -> str:
    """The reason every staff action needs (3-500 characters), or a 422 naming ``/reason``."""
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500:
        raise ClientError(
            422,
            "validation-failed",
            "reason (3-500 characters) required",
            "reason must be a string of 3-500 characters",
            pointer="/reason",
        )
    return reason.strip()


@bp.route("/api/staff/applications/{application_id}/supersede", methods=["POST"])
@guarded
def staff_supersede(application_id: str) -> Response:
    actor = require_staff(Role.CLERK).actor
    body = parse_json_body(raw_body(), max_bytes=4096)
    if not isinstance(body, dict):
        raise ClientError(
            422, "validation-failed", "a JSON object required", "body must be an object"
        )
    reason = checked_reason(body.get("reason"))
    outcome = container().changes.supersede(application_id, body.get("plates"), reason, actor)
    return json_response(change_body(outcome), status=201)
