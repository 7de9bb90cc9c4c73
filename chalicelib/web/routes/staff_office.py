"""The back office in the browser: work queue, search, application detail, actions, exports.

Each page starts with ``require_staff(Role.X)`` (viewer reads, clerk acts, admin exports)
and calls the same services as the staff JSON API. Reading the answers is audited by the
service before the page is built (no page when the audit cannot be written: 503). Actions
are POST forms with the CSRF token and a required reason; a bad form answers the same page
with an error summary (422), a refused action (wrong state, changed meanwhile) says so
(409), and success redirects to the application (post/redirect/get) with a confirmation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from chalice.app import Blueprint, Response

from chalicelib.domain.errors import ConflictError, ValidationFailedError
from chalicelib.domain.messages import message_for
from chalicelib.domain.staff_roles import Role, StaffPrincipal
from chalicelib.web import staff_views as views
from chalicelib.web.i18n import LANGUAGES, translate
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors
from chalicelib.web.staff_access import require_staff

__all__ = ["bp"]

bp = Blueprint(__name__)

_QUEUES = ("FLAGGED", "AWAITING_PAYMENT", "SUBMITTED", "ISSUED")
_DONE = {
    "revoked": "office_done_revoked",
    "cancelled": "office_done_cancelled",
    "resolved": "office_done_resolved",
    "superseded": "office_done_superseded",  # routes/staff_changes.py
}


def _errors(
    kit: PageKit, error: ValidationFailedError
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The error summary's entries and each field's message, from the service's pointers."""
    summary: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    for field in error.errors:
        name = field.pointer.strip("/") or "reason"
        message = message_for(field.code, kit.lang, field.params)
        fields.setdefault(name, message)
        summary.append({"anchor": name, "message": message})
    return summary, fields


def _common(kit: PageKit, principal: StaffPrincipal) -> dict[str, Any]:
    return {"show_exports": principal.role.rank >= Role.ADMIN.rank, "csrf": kit.csrf_token()}


# -- queue -----------------------------------------------------------------------------------


@bp.route("/staff", methods=["GET"])
@page_errors
def staff_home() -> Response:
    from chalicelib.services.staff_queue import QueueFilters, parse_filters

    principal = require_staff(Role.VIEWER)
    kit = PageKit()
    forms = kit.c.registry.load_all()
    given = {name: kit.query.get(name, "") for name in ("status", "day", "form")}
    context: dict[str, Any] = {
        **_common(kit, principal),
        "status_options": [
            {
                "value": q,
                "label": {lang: translate(f"office_queue_{q}", lang) for lang in LANGUAGES},
            }
            for q in _QUEUES
        ],
        "form_options": [{"value": f.id, "label": f.title} for f in forms.values()],
        "filters": QueueFilters(given["status"].upper(), given["day"], given["form"]),
        "columns": views.application_columns(kit, with_queue=True),
        "rows": [],
        "field_errors": {},
        "window": None,
        "next_url": None,
        "paged": bool(kit.query.get("cursor")),
        "first_url": "/staff?" + urlencode({k: v for k, v in given.items() if v}),
    }
    try:
        filters = parse_filters(given["status"], given["day"], given["form"], None, set(forms))
        page = kit.c.staff_queue.page(filters, kit.query.get("cursor") or None)
    except ValidationFailedError as error:
        context["errors"], context["field_errors"] = _errors(kit, error)
        if "cursor" in context["field_errors"]:
            context["errors"] = [
                {"anchor": "first-page", "message": context["field_errors"]["cursor"]}
            ]
            context["paged"] = True
        return kit.render("staff/queue.html", 422, **context)
    context["filters"] = filters
    context["rows"] = views.application_rows(kit, page["applications"], with_queue=True)
    context["window"] = page["window"]
    if page["next_cursor"]:
        query = {k: v for k, v in given.items() if v}
        query["cursor"] = page["next_cursor"]
        context["next_url"] = "/staff?" + urlencode(query)
    return kit.render("staff/queue.html", **context)


# -- search ----------------------------------------------------------------------------------


@bp.route("/staff/search", methods=["GET"])
@page_errors
def staff_search_page() -> Response:
    principal = require_staff(Role.VIEWER)
    kit = PageKit()
    q = kit.query.get("q", "")
    context: dict[str, Any] = {
        **_common(kit, principal),
        "q": q,
        "result": None,
        "rows": [],
        "columns": views.application_columns(kit, with_queue=False),
        "field_errors": {},
    }
    if not q.strip():
        return kit.render("staff/search.html", **context)
    try:
        result = kit.c.staff_search.search(q)
    except ValidationFailedError as error:
        context["errors"], context["field_errors"] = _errors(kit, error)
        return kit.render("staff/search.html", 422, **context)
    context["result"] = result
    context["rows"] = views.application_rows(kit, result["applications"], with_queue=False)
    return kit.render("staff/search.html", **context)


# -- detail ----------------------------------------------------------------------------------


@bp.route("/staff/applications/{application_id}", methods=["GET"])
@page_errors
def staff_application_page(application_id: str) -> Response:
    principal = require_staff(Role.VIEWER)
    kit = PageKit()
    detail = kit.c.staff.application(application_id, principal.actor)  # audited first
    app_id = detail["id"]
    form = kit.c.registry.get(detail["form_id"])
    payment = detail["payment"]
    overview = [
        views.row(kit.t("office_col_status"), kit.t(f"status_{detail['status']}")),
        views.row(kit.t("office_col_form"), views.form_title(kit, detail["form_id"])),
        views.row(kit.t("office_col_created"), views.local_time(detail["created_at"])),
        views.row(kit.t("office_fee"), views.money(kit, detail["fee"]["amount_cents"])),
        views.row(kit.t("office_col_reference"), payment["reference"]),
        views.row(kit.t("office_provider"), payment["provider"] or ""),
        views.row(kit.t("office_payment_id"), payment["payment_id"] or ""),
        views.row(
            kit.t("office_refunded"),
            *[
                f"{views.money(kit, r['amount_cents'])} ({r['payment_id']})"
                for r in payment["refunded"]
            ],
        ),
        views.row(
            kit.t("office_col_flags"), *[views.flag_text(kit, flag) for flag in detail["flags"]]
        ),
    ]
    permit = detail["permit"]
    permit_rows = None
    if permit:
        permit_rows = [
            views.row(kit.t("office_col_number"), permit["number"]),
            views.row(kit.t("office_permit_status"), kit.t(f"status_{permit['status']}")),
            views.row(kit.t("office_zone"), permit["zone"]),
            views.row(kit.t("office_plates"), ", ".join(permit["plates"])),
            views.row(
                kit.t("office_validity"), f"{permit['valid_from']} – {permit['valid_until']}"
            ),
        ]
    actions = []
    if principal.role.rank >= Role.CLERK.rank:
        base = f"/staff/applications/{quote(app_id)}"
        if detail["status"] == "ISSUED" and permit:
            actions.append(
                {
                    "text": kit.t("office_revoke_title"),
                    "href": f"{base}/revoke",
                    "id": "revoke",
                    "kind": "secondary",
                }
            )
            actions.append(
                {
                    "text": kit.t("supersede_title"),
                    "href": f"{base}/supersede",
                    "id": "supersede",
                    "kind": "secondary",
                }
            )
        if detail["status"] in ("SUBMITTED", "AWAITING_PAYMENT"):
            actions.append(
                {
                    "text": kit.t("office_cancel_title"),
                    "href": f"{base}/cancel",
                    "id": "cancel",
                    "kind": "secondary",
                }
            )
        for index, flag in enumerate(detail["flags"]):
            actions.append(
                {
                    "text": f"{kit.t('office_resolve_title')}: {views.flag_text(kit, flag)}",
                    "href": f"{base}/flags/resolve?" + urlencode({"flag": flag}),
                    "id": f"resolve-{index}",
                    "kind": "tertiary",
                }
            )
    if principal.role.rank >= Role.ADMIN.rank:  # erasure requests (routes/staff_erasure.py)
        actions.append(
            {
                "text": kit.t("erasure_title"),
                "href": f"/staff/applications/{quote(app_id)}/erasure",
                "id": "erasure",
                "kind": "tertiary",
            }
        )
    done_key = _DONE.get(kit.query.get("done", ""))
    audit_columns = [
        {"label": kit.t(key), "numeric": False}
        for key in (
            "office_col_when",
            "office_col_event",
            "office_col_change",
            "office_col_actor",
            "office_col_detail",
        )
    ]
    return kit.render(
        "staff/application.html",
        **_common(kit, principal),
        app=detail,
        form_title=views.form_title(kit, detail["form_id"]),
        overview=overview,
        permit=permit_rows,
        actions=actions,
        answers=views.answer_rows(kit, form, detail["data"]),
        audit_columns=audit_columns,
        audit_rows=views.audit_rows(kit, detail["audit"]),
        done=kit.t(done_key) if done_key else None,
    )


# -- actions ---------------------------------------------------------------------------------

_ACTIONS = {
    "revoke": ("office_revoke_title", "office_revoke_intro", "office_revoke_button", "revoked"),
    "cancel": ("office_cancel_title", "office_cancel_intro", "office_cancel_button", "cancelled"),
    "resolve": (
        "office_resolve_title",
        "office_resolve_intro",
        "office_resolve_button",
        "resolved",
    ),
}


def _action_page(
    kit: PageKit,
    principal: StaffPrincipal,
    action: str,
    application_id: str,
    *,
    flag: str = "",
    reason: str = "",
    status: int = 200,
    errors: list[dict[str, str]] | None = None,
    field_errors: dict[str, str] | None = None,
) -> Response:
    from chalicelib.domain.errors import NotFoundError

    app = kit.c.staff.summary(application_id)  # no answers: a summary is not audited
    if action == "resolve" and flag not in app["flags"]:
        raise NotFoundError("no such flag on this application")
    title_key, intro_key, button_key, _ = _ACTIONS[action]
    base = f"/staff/applications/{quote(app['id'])}"
    path = {"revoke": "revoke", "cancel": "cancel", "resolve": "flags/resolve"}[action]
    overview = [
        views.row(kit.t("office_col_application"), app["id"]),
        views.row(kit.t("office_col_status"), kit.t(f"status_{app['status']}")),
        views.row(kit.t("office_col_form"), views.form_title(kit, app["form_id"])),
        views.row(kit.t("office_col_number"), app["permit_number"] or ""),
    ]
    return kit.render(
        "staff/action.html",
        status,
        **_common(kit, principal),
        title=kit.t(title_key),
        intro=kit.t(intro_key, flag=views.flag_text(kit, flag)),
        submit_text=kit.t(button_key),
        kind="primary",
        overview=overview,
        action=f"{base}/{path}",
        back_href=base,
        hidden={"flag": flag} if flag else {},
        reason=reason,
        errors=errors,
        field_errors=field_errors or {},
    )


def _act(action: str, application_id: str) -> Response:
    principal = require_staff(Role.CLERK)
    kit = PageKit()
    fields = kit.form()  # the CSRF check, after the role check (a viewer gets 403 first)
    reason = (fields.get("reason") or [""])[-1]
    flag = (fields.get("flag") or [""])[-1]
    staff = kit.c.staff
    try:
        if action == "revoke":
            staff.revoke(application_id, principal.actor, reason)
        elif action == "cancel":
            staff.cancel(application_id, principal.actor, reason)
        else:
            staff.resolve_flag(application_id, principal.actor, flag, reason)
    except ValidationFailedError as error:
        errors, field_errors = _errors(kit, error)
        if "flag" in field_errors:  # resolved meanwhile (by a colleague): say so plainly
            return _conflict(kit, principal, action, application_id, reason, flag)
        return _action_page(
            kit,
            principal,
            action,
            application_id,
            flag=flag,
            reason=reason,
            status=422,
            errors=errors,
            field_errors=field_errors,
        )
    except ConflictError:
        return _conflict(kit, principal, action, application_id, reason, flag)
    done = _ACTIONS[action][3]
    return kit.redirect(f"/staff/applications/{quote(application_id)}?done={done}")


def _conflict(
    kit: PageKit,
    principal: StaffPrincipal,
    action: str,
    application_id: str,
    reason: str,
    flag: str = "",
) -> Response:
    """409: the page again with what happened, unless even that is gone (then the detail)."""
    message = kit.t("office_conflict")
    if action == "resolve":
        app = kit.c.staff.summary(application_id)
        if flag not in app["flags"]:
            return kit.render(
                "pages/message.html",
                409,
                title=kit.t("error_title"),
                paragraphs=[message],
                link={
                    "href": f"/staff/applications/{quote(application_id)}",
                    "text": kit.t("office_back_to_application"),
                },
            )
    return _action_page(
        kit,
        principal,
        action,
        application_id,
        flag=flag,
        reason=reason,
        status=409,
        errors=[{"anchor": "reason", "message": message}],
    )


@bp.route("/staff/applications/{application_id}/revoke", methods=["GET"])
@page_errors
def staff_revoke_page(application_id: str) -> Response:
    principal = require_staff(Role.CLERK)
    return _action_page(PageKit(), principal, "revoke", application_id)


@bp.route("/staff/applications/{application_id}/revoke", methods=["POST"], content_types=FORM_POST)
@page_errors
def staff_revoke_form(application_id: str) -> Response:
    return _act("revoke", application_id)


@bp.route("/staff/applications/{application_id}/cancel", methods=["GET"])
@page_errors
def staff_cancel_page(application_id: str) -> Response:
    principal = require_staff(Role.CLERK)
    return _action_page(PageKit(), principal, "cancel", application_id)


@bp.route("/staff/applications/{application_id}/cancel", methods=["POST"], content_types=FORM_POST)
@page_errors
def staff_cancel_form(application_id: str) -> Response:
    return _act("cancel", application_id)


@bp.route("/staff/applications/{application_id}/flags/resolve", methods=["GET"])
@page_errors
def staff_resolve_page(application_id: str) -> Response:
    principal = require_staff(Role.CLERK)
    kit = PageKit()
    return _action_page(kit, principal, "resolve", application_id, flag=kit.query.get("flag", ""))


@bp.route(
    "/staff/applications/{application_id}/flags/resolve", methods=["POST"], content_types=FORM_POST
)
@page_errors
def staff_resolve_form(application_id: str) -> Response:
    return _act("resolve", application_id)


# -- exports ---------------------------------------------------------------------------------


def _exports_page(
    kit: PageKit,
    principal: StaffPrincipal,
    values: dict[str, str],
    status: int = 200,
    error: ValidationFailedError | None = None,
) -> Response:
    errors, field_errors = _errors(kit, error) if error else (None, {})
    options = [
        {
            "value": "csv",
            "label": {"de": kit.t("office_export_csv"), "en": kit.t("office_export_csv")},
        },
        {"value": "json", "label": {"de": "JSON", "en": "JSON"}},
    ]
    return kit.render(
        "staff/exports.html",
        status,
        **_common(kit, principal),
        values=values,
        format_options=options,
        errors=errors,
        field_errors=field_errors,
    )


@bp.route("/staff/exports", methods=["GET"])
@page_errors
def staff_exports_page() -> Response:
    principal = require_staff(Role.ADMIN)
    kit = PageKit()
    from datetime import timedelta

    from chalicelib.domain.dates import berlin_today

    today = berlin_today(kit.c.clock.now())
    values = {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today - timedelta(days=1)).isoformat(),
        "format": "csv",
    }
    return _exports_page(kit, principal, values)


@bp.route("/staff/exports/download", methods=["GET"])
@page_errors
def staff_exports_download() -> Response:
    from chalicelib.domain.ledger_csv import ledger_csv
    from chalicelib.services.payment_export import parse_range

    principal = require_staff(Role.ADMIN)
    kit = PageKit()
    values = {name: kit.query.get(name, "") for name in ("from", "to", "format")}
    try:
        start, end, fmt = parse_range(values["from"], values["to"], values["format"] or "csv")
    except ValidationFailedError as error:
        return _exports_page(kit, principal, values, 422, error)
    body = kit.c.payment_export.export(start, end).as_json()
    name = f"zahlungen-{start.isoformat()}-{end.isoformat()}.{fmt}"
    if fmt == "csv":
        text, content_type = ledger_csv(body["entries"], body["totals"]), "text/csv; charset=utf-8"
    else:
        import json

        text, content_type = json.dumps(body, ensure_ascii=False), "application/json"
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
