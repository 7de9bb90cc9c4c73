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

from chalice.app import Blueprint, Response

from chalicelib.services.applications import bearer_token
from chalicelib.web.context import container, guarded, header, raw_body
from chalicelib.web.pagekit import PageKit, page_errors
from chalicelib.web.problems import ClientError
from chalicelib.web.responses import json_response
from chalicelib.web.routes.journey import grant_access

__all__ = ["bp"]

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
