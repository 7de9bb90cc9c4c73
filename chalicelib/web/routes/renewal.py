"""The citizen's renewal in the browser: the reminder mail's link, then "Verlängern".

``/renew/<id>?expires&sig`` is the signed link of a reminder mail (``services/links.py``):
like the private link it is exchanged at once for the application's session on this
browser and a redirect to its status page, where the renewal is offered inside the window.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.web.pagekit import PageKit, page_errors
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
