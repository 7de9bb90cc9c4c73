"""The citizen's application: status, checkout and the permit PDF (JSON API, Bearer token)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.services.applications import bearer_token
from chalicelib.web.context import container, guarded, header
from chalicelib.web.responses import json_response

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/api/applications/{application_id}", methods=["GET"])
@guarded
def get_application(application_id: str) -> Response:
    from chalicelib.services.applications import status_body

    c = container()
    application = c.access.get(application_id, bearer_token(header("authorization")))
    body = status_body(application, c.settings.public_base_url, c.clock.now())
    offer = c.renewal.offer(application)
    if offer is not None:  # when POST .../renewal will be accepted (issue 15)
        body["renewal"] = {
            "window_opens": offer.opens.isoformat(),
            "window_closes": offer.ends.isoformat(),
            "open": offer.open_now and offer.renewal_id is None,
            "started": offer.renewal_id is not None,
        }
    return json_response(body)


@bp.route("/api/applications/{application_id}/checkout", methods=["POST"])
@guarded
def start_checkout(application_id: str) -> Response:
    url = container().checkout.start(application_id, bearer_token(header("authorization")))
    return json_response({"checkout_url": url})


@bp.route("/api/applications/{application_id}/permit.pdf", methods=["GET"])
@guarded
def permit_pdf(application_id: str) -> Response:
    """Bearer only: the long-lived access token never travels in a URL (issue 9 item 11).

    Browsers download through a short-lived signed link instead (``/status/<id>/permit.pdf``).
    """
    token = bearer_token(header("authorization"))
    file_name, pdf = container().documents.permit_pdf(application_id, token)
    return Response(
        body=pdf,
        status_code=200,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{file_name}"',
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
