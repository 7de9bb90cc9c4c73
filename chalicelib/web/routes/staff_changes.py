"""Staff replace a permit (supersede): new plates, a new token and PDF, the old one ends.

JSON: ``POST /api/staff/applications/{id}/supersede`` with ``{plates: [...], reason}``
answers 201 with the new permit. Page: ``GET/POST /staff/applications/{id}/supersede``, a
form (plates, reason, CSRF) that redirects to the application's page when done. Clerks and
above; the audit entry names the staff member.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalice.app import Blueprint, Response

from chalicelib.domain.errors import FieldConflictError, NotFoundError, ValidationFailedError
from chalicelib.domain.staff_roles import Role
from chalicelib.services.applications import APPLICATION_ID_PATTERN
from chalicelib.web.context import container, guarded, raw_body
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors
from chalicelib.web.problems import ClientError
from chalicelib.web.requests import parse_json_body
from chalicelib.web.responses import json_response
from chalicelib.web.routes.changes import change_body
from chalicelib.web.staff_access import require_staff
from chalicelib.web.staff_pages_kit import StaffPageKit

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


# -- the page -------------------------------------------------------------------------------


def _supersede_page(
    kit: PageKit,
    application_id: str,
    *,
    plates: str = "",
    reason: str = "",
    errors: Sequence[tuple[str, str]] = (),
    status: int = 200,
) -> Response:
    """The form; ``errors`` are (field, message) pairs, field ``plates`` or ``reason``."""
    app = (
        kit.c.store.get_application(application_id)
        if APPLICATION_ID_PATTERN.match(application_id)
        else None
    )
    if app is None:
        raise NotFoundError("unknown application")
    form = kit.c.registry.get(app.form_id)
    permit = app.permit
    field_errors: dict[str, str] = {}
    for name, message in errors:
        field_errors.setdefault(name, message)
    return kit.render(
        "staff/supersede.html",
        status,
        form_title=kit.text(form.title) if form else app.form_id,
        reference=app.id[:8].upper(),
        permit_number=permit.number if permit else "–",
        current_plates=", ".join(permit.plates) if permit else "–",
        plates=plates,
        reason=reason,
        field_errors=field_errors,
        errors=bool(errors),
        error_list=[{"anchor": name, "message": message} for name, message in errors],
        back_url=f"/staff/applications/{application_id}",
        action=f"/staff/applications/{application_id}/supersede",
        csrf=kit.csrf_token(),
    )


@bp.route("/staff/applications/{application_id}/supersede", methods=["GET"])
@page_errors
def supersede_page(application_id: str) -> Response:
    principal = require_staff(Role.CLERK)
    return _supersede_page(StaffPageKit(principal), application_id)


@bp.route(
    "/staff/applications/{application_id}/supersede", methods=["POST"], content_types=FORM_POST
)
@page_errors
def supersede_submit(application_id: str) -> Response:
    """Post/Redirect/Get: back to the application's page, where the new permit shows."""
    from chalicelib.domain.messages import message_for

    principal = require_staff(Role.CLERK)
    actor = principal.actor
    kit = StaffPageKit(principal)
    fields = kit.form()
    plates_text = (fields.get("plates") or [""])[-1].strip()
    reason_text = (fields.get("reason") or [""])[-1].strip()
    plates = [part.strip() for part in plates_text.replace("\n", ",").split(",") if part.strip()]
    errors: list[tuple[str, str]] = []
    if not 3 <= len(reason_text) <= 500:
        errors.append(("reason", kit.t("reason_required")))
    status = 422
    if not errors:
        try:
            kit.c.changes.supersede(application_id, plates, reason_text, actor)
        except (ValidationFailedError, FieldConflictError) as refused:
            status = 409 if isinstance(refused, FieldConflictError) else 422
            for error in refused.errors:
                params = dict(error.params)
                override = params.pop("override", None)
                message = message_for(error.code, kit.lang, params, override)  # type: ignore[arg-type]
                where = error.pointer.removeprefix("/plates").strip("/")
                label = f"{kit.t('supersede_plates')} {int(where) + 1}: " if where.isdigit() else ""
                errors.append(("plates", label + message))
        else:
            return kit.redirect(f"/staff/applications/{application_id}?done=superseded")
    return _supersede_page(
        kit, application_id, plates=plates_text, reason=reason_text, errors=errors, status=status
    )
