"""The citizen's renewal: the JSON API, the reminder mail's link and the page flow.

``POST /api/applications/{id}/renewal`` (Bearer access token) with the answers to change
(at least those asked again: address, declarations): 201 with the renewal application
(``id``, ``status``, ``access_token``, ``fee``, ``renewal_of``), then checkout and payment as
for any application; 409 problem+json outside the window or when a renewal exists; 422
naming the fields that are missing or wrong.

``/renew/<id>?expires&sig`` is the signed link of a reminder mail (``services/links.py``):
like the private link it is exchanged at once for the application's session on this
browser and a redirect to its status page, where the renewal is offered inside the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.services.applications import bearer_token
from chalicelib.web.context import container, guarded, header, raw_body
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors
from chalicelib.web.problems import ClientError
from chalicelib.web.responses import json_response
from chalicelib.web.routes.journey import grant_access

if TYPE_CHECKING:
    from chalicelib.domain.records import Application

__all__ = ["bp", "status_page_lifecycle"]

bp = Blueprint(__name__)


@bp.route("/renew/{application_id}", methods=["GET"])
@page_errors
def renewal_link(application_id: str) -> Response:
    kit = PageKit()
    query = kit.query
    now = int(kit.c.clock.now().timestamp())
    links = kit.c.links
    if not links.renewal_link_valid(application_id, query.get("expires"), query.get("sig"), now):
        return kit.message(410, "expired_link_title", "expired_link_text")
    if kit.c.store.get_application(application_id) is None:
        return kit.message(404, "no_access_title", "no_access_text")
    grant_access(kit, application_id)
    response = kit.redirect(f"/status/{application_id}")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


_REFUSALS = {
    "outside_window": (
        "renewal-window",
        "Jetzt nicht verlängerbar / Not renewable now",
    ),
    "renewal_exists": (
        "renewal-exists",
        "Verlängerung schon begonnen / Renewal already started",
    ),
}


@bp.route("/api/applications/{application_id}/renewal", methods=["POST"])
@guarded
def renew(application_id: str) -> Response:
    from chalicelib.services.renewal import RenewalRefusedError
    from chalicelib.web.requests import parse_json_body
    from chalicelib.web.routes.forms import idempotency_key

    c = container()
    app = c.access.get(application_id, bearer_token(header("authorization")))
    raw = raw_body()
    answers = parse_json_body(raw, max_bytes=16384) if raw.strip() else {}
    if not isinstance(answers, dict):
        raise ClientError(422, "validation-failed", "a JSON object required", "", "")
    try:
        result = c.renewal.renew(app, answers, app.lang, idempotency_key())
    except RenewalRefusedError as refused:
        slug, title = _REFUSALS[refused.reason]
        raise ClientError(409, slug, title, str(refused)) from refused
    body = {**result.body, "renewal_of": app.id}
    headers = {"Location": f"/api/applications/{result.body['id']}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(body, 201, headers)


# -- the status page's part, "Verlängern", the data download ---------------------------------


def status_page_lifecycle(kit: PageKit, app: Application) -> dict[str, Any]:
    """The status page's renewal section, the expired note and the data download."""
    from chalicelib.domain.dates import format_de
    from chalicelib.domain.lifecycle import Status

    form = kit.c.registry.get(app.form_id)
    context: dict[str, Any] = {
        "renewal": None,
        "expired": None,
        "anonymised": app.anonymised_at is not None,
        "data_url": f"/status/{app.id}/data.json",
        "retention_months": form.lifecycle.retention_months if form else 12,
    }
    permit = app.permit
    if app.status is Status.EXPIRED and permit is not None:
        context["expired"] = {
            "end": format_de(permit.valid_to),
            "apply_url": f"/forms/{app.form_id}",
        }
    offer = kit.c.renewal.offer(app)
    if offer is not None:
        context["renewal"] = {
            "open": offer.open_now,
            "started": offer.renewal_id is not None,
            "end": format_de(offer.ends),
            "start": format_de(offer.starts),
            "opens": format_de(offer.opens),
            "url": f"/status/{app.id}/renew",
        }
    return context


@bp.route("/status/{application_id}/renew", methods=["POST"], content_types=FORM_POST)
@page_errors
def start_renewal(application_id: str) -> Response:
    """A draft pre-filled from this application, then the form's pages from the first one:
    the citizen confirms or changes each answer (address and declarations are empty)."""
    from chalicelib.services.renewal import RenewalRefusedError
    from chalicelib.web.questions.model import form_model
    from chalicelib.web.routes.journey import remember_draft
    from chalicelib.web.routes.status import _session

    kit = PageKit()
    kit.form()  # the CSRF check
    found = _session(kit, application_id)
    if found is None:
        return kit.message(404, "no_access_title", "no_access_text")
    app = found[0]
    try:
        form = kit.c.renewal.check(app)
    except RenewalRefusedError:
        link = {"href": f"/status/{app.id}", "text": kit.t("renewal_back")}
        return kit.message(409, "renewal_refused_title", "renewal_refused_text", link)
    draft = kit.c.drafts.start_renewal(form.id, kit.c.renewal.prefill(app, form), app.id)
    remember_draft(kit, draft)
    first = form_model(form).pages[0]
    return kit.redirect(f"/forms/{form.id}/{first.id}")


@bp.route("/status/{application_id}/data.json", methods=["GET"])
@page_errors
def data_download(application_id: str) -> Response:
    """The data export as a file, for the browser holding this application's session."""
    import json

    from chalicelib.web.routes.status import _session

    kit = PageKit()
    found = _session(kit, application_id)
    if found is None:
        return kit.message(404, "no_access_title", "no_access_text")
    export = kit.c.anonymiser.export(found[0])
    return Response(
        body=json.dumps(export, ensure_ascii=False, indent=2),
        status_code=200,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Content-Disposition": f'attachment; filename="antrag-{application_id[:8]}.json"',
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.route("/api/applications/{application_id}/data", methods=["GET"])
@guarded
def data_export(application_id: str) -> Response:
    """Everything stored about this application (Art. 15 GDPR), nothing of another one."""
    c = container()
    app = c.access.get(application_id, bearer_token(header("authorization")))
    return json_response(c.anonymiser.export(app), headers={"Cache-Control": "private, no-store"})
