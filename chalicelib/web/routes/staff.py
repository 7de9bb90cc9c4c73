"""The staff API: refused without staff credentials, in every stage."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.domain.staff_roles import Role
from chalicelib.web.context import container, current_request, guarded, raw_body
from chalicelib.web.problems import ClientError
from chalicelib.web.requests import parse_json_body
from chalicelib.web.responses import json_response
from chalicelib.web.staff_access import require_staff

__all__ = ["bp"]

bp = Blueprint(__name__)


def _query(name: str) -> str | None:
    params = current_request().query_params
    value = params.get(name) if params else None
    return None if value is None else str(value)


@bp.route("/api/staff/queue", methods=["GET"])
@guarded
def staff_work_queue() -> Response:
    """Flagged, awaiting payment, submitted, recently issued; filters and an opaque cursor."""
    require_staff(Role.VIEWER)
    from chalicelib.services.staff_queue import parse_filters

    c = container()
    filters = parse_filters(
        _query("status"), _query("day"), _query("form"), _query("limit"), set(c.registry.load_all())
    )
    return json_response(c.staff_queue.page(filters, _query("cursor")))


@bp.route("/api/staff/search", methods=["GET"])
@guarded
def staff_search() -> Response:
    require_staff(Role.VIEWER)
    return json_response(container().staff_search.search(_query("q")))


@bp.route("/api/staff/queue/{status}/{day}", methods=["GET"])
@guarded
def staff_queue(status: str, day: str) -> Response:
    require_staff(Role.VIEWER)
    return json_response({"applications": container().staff.queue(status, day)})


@bp.route("/api/staff/applications/{application_id}", methods=["GET"])
@guarded
def staff_application(application_id: str) -> Response:
    """Answers included: the view is audited first (503 and nothing shown if it cannot be)."""
    actor = require_staff(Role.VIEWER).actor
    return json_response(container().staff.application(application_id, actor))


@bp.route("/api/staff/applications/{application_id}/revoke", methods=["POST"])
@guarded
def staff_revoke(application_id: str) -> Response:
    actor = require_staff(Role.CLERK).actor
    body = parse_json_body(raw_body(), max_bytes=4096)
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not 3 <= len(reason) <= 500:
        raise ClientError(
            422,
            "validation-failed",
            "reason (3-500 characters) required",
            "reason must be a string of 3-500 characters",
            pointer="/reason",
        )
    return json_response(container().staff.revoke(application_id, actor, reason))


def _body() -> dict[str, object]:
    body = parse_json_body(raw_body(), max_bytes=4096)
    if not isinstance(body, dict):
        raise ClientError(422, "validation-failed", "a JSON object is required", pointer="")
    return body


@bp.route("/api/staff/applications/{application_id}/flags/resolve", methods=["POST"])
@guarded
def staff_resolve_flag(application_id: str) -> Response:
    """Body ``{flag, reason}``: the flag must be one the application carries."""
    actor = require_staff(Role.CLERK).actor
    body = _body()
    result = container().staff.resolve_flag(
        application_id, actor, body.get("flag"), body.get("reason")
    )
    return json_response(result)


@bp.route("/api/staff/applications/{application_id}/cancel", methods=["POST"])
@guarded
def staff_cancel(application_id: str) -> Response:
    """Body ``{reason}``: only unpaid applications (409 otherwise)."""
    actor = require_staff(Role.CLERK).actor
    body = _body()
    return json_response(container().staff.cancel(application_id, actor, body.get("reason")))


@bp.route("/api/staff/exports/payments", methods=["GET"])
@guarded
def staff_payment_export() -> Response:
    """Finance's reconciliation: ``from``/``to`` (Berlin days, at most 31), JSON or CSV."""
    require_staff(Role.ADMIN)
    from chalicelib.services.payment_export import parse_range

    start, end, fmt = parse_range(_query("from"), _query("to"), _query("format"))
    export = container().payment_export.export(start, end)
    if fmt == "json":
        return json_response(export.as_json())
    from chalicelib.domain.ledger_csv import ledger_csv

    body = export.as_json()
    return Response(
        body=ledger_csv(body["entries"], body["totals"]),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": (
                f'attachment; filename="zahlungen-{start.isoformat()}-{end.isoformat()}.csv"'
            ),
            "Cache-Control": "no-store",
        },
    )
