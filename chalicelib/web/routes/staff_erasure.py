"""Staff execute an erasure request: the application's personal data goes now (admins only).

JSON: ``POST /api/staff/applications/{id}/erasure`` with ``{reason}`` answers 200 with the
application's id and when it was anonymised (the same answer again for one erased before);
409 ``legal-hold`` with the hold's reason while one applies (``services/retention.py``), 422
naming ``/reason``. Page: ``GET/POST /staff/applications/{id}/erasure``, a form (reason,
CSRF) that says what happened. The audit entry names the staff member and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalice.app import Blueprint, Response

from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.staff_roles import Role
from chalicelib.services.applications import APPLICATION_ID_PATTERN
from chalicelib.web.context import container, guarded, raw_body
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors
from chalicelib.web.problems import ClientError
from chalicelib.web.requests import parse_json_body
from chalicelib.web.responses import json_response
from chalicelib.web.routes.staff_changes import checked_reason
from chalicelib.web.staff_access import require_staff
from chalicelib.web.staff_pages_kit import StaffPageKit

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/api/staff/applications/{application_id}/erasure", methods=["POST"])
@guarded
def staff_erasure(application_id: str) -> Response:
    from chalicelib.services.retention import LegalHoldError

    actor = require_staff(Role.ADMIN).actor
    body = parse_json_body(raw_body(), max_bytes=4096)
    if not isinstance(body, dict):
        raise ClientError(
            422, "validation-failed", "a JSON object required", "body must be an object"
        )
    reason = checked_reason(body.get("reason"))
    try:
        erased = container().anonymiser.erase(application_id, actor, reason)
    except LegalHoldError as hold:
        raise ClientError(
            409, "legal-hold", "Gesetzliche Aufbewahrung / Legal hold", hold.reason
        ) from hold
    anonymised_at = erased.anonymised_at.isoformat() if erased.anonymised_at else None
    return json_response({"id": erased.id, "anonymised_at": anonymised_at})


# -- the page -------------------------------------------------------------------------------


def _erasure_page(
    kit: PageKit,
    application_id: str,
    *,
    reason: str = "",
    errors: Sequence[tuple[str, str]] = (),
    notice: str | None = None,
    status: int = 200,
) -> Response:
    app = (
        kit.c.store.get_application(application_id)
        if APPLICATION_ID_PATTERN.match(application_id)
        else None
    )
    if app is None:
        raise NotFoundError("unknown application")
    form = kit.c.registry.get(app.form_id)
    field_errors: dict[str, str] = {}
    for name, message in errors:
        field_errors.setdefault(name, message)
    return kit.render(
        "staff/erasure.html",
        status,
        form_title=kit.text(form.title) if form else app.form_id,
        reference=app.id[:8].upper(),
        anonymised=app.anonymised_at is not None,
        notice=notice,
        reason=reason,
        field_errors=field_errors,
        errors=bool(errors),
        error_list=[{"anchor": name, "message": message} for name, message in errors],
        back_url=f"/staff/applications/{application_id}",
        action=f"/staff/applications/{application_id}/erasure",
        csrf=kit.csrf_token(),
    )


@bp.route("/staff/applications/{application_id}/erasure", methods=["GET"])
@page_errors
def erasure_page(application_id: str) -> Response:
    principal = require_staff(Role.ADMIN)
    return _erasure_page(StaffPageKit(principal), application_id)


@bp.route("/staff/applications/{application_id}/erasure", methods=["POST"], content_types=FORM_POST)
@page_errors
def erasure_submit(application_id: str) -> Response:
    from chalicelib.services.retention import LegalHoldError

    principal = require_staff(Role.ADMIN)
    kit = StaffPageKit(principal)
    reason = (kit.form().get("reason") or [""])[-1].strip()
    if not 3 <= len(reason) <= 500:
        errors = [("reason", kit.t("reason_required"))]
        return _erasure_page(kit, application_id, reason=reason, errors=errors, status=422)
    try:
        kit.c.anonymiser.erase(application_id, principal.actor, reason)
    except LegalHoldError as hold:
        notice = kit.t("erasure_hold", reason=kit.t(f"hold_{hold.reason}"))
        return _erasure_page(kit, application_id, reason=reason, notice=notice, status=409)
    return _erasure_page(kit, application_id, notice=kit.t("erasure_done"))
