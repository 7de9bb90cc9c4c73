"""The citizen's application in the browser: status, payment, the permit PDF, the private link.

Access (threat model in ``services/links.py``): the private link ``/link/<id>/<token>`` is
checked against the stored token hash and exchanged at once for a signed session cookie
(2 hours, gone when the browser closes) and a redirect to ``/status/<id>``; the PDF is
fetched by a link signed for 10 minutes. Without a valid session the status page says how
to get one, identically for unknown and foreign ids. The JSON API is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.domain.access import unsign
from chalicelib.domain.errors import NotFoundError
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors
from chalicelib.web.routes.journey import grant_access

if TYPE_CHECKING:
    from chalicelib.domain.records import Application

__all__ = ["bp"]

bp = Blueprint(__name__)


def _session(kit: PageKit, application_id: str) -> tuple[Application, str] | None:
    """The application this browser may see, and the token seed if it submitted it here."""
    payload = unsign(kit.c.subkey("access-cookie"), kit.cookies.get("access"))
    if payload is None:
        return None
    app_id, _, rest = payload.partition("~")
    expires, _, seed = rest.partition("~")
    if app_id != application_id or not expires.isdigit():
        return None
    if int(expires) <= int(kit.c.clock.now().timestamp()):
        return None
    app = kit.c.store.get_application(application_id)
    return (app, seed) if app is not None else None


def _no_access(kit: PageKit) -> Response:
    return kit.message(404, "no_access_title", "no_access_text")


@bp.route("/link/{application_id}/{token}", methods=["GET"])
@page_errors
def private_link(application_id: str, token: str) -> Response:
    kit = PageKit()
    try:
        kit.c.access.get(application_id, token)
    except NotFoundError:
        return _no_access(kit)
    grant_access(kit, application_id)
    response = kit.redirect(f"/status/{application_id}")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/status/{application_id}", methods=["GET"])
@page_errors
def status_page(application_id: str) -> Response:
    from chalicelib.domain.dates import format_de
    from chalicelib.domain.lifecycle import Status
    from chalicelib.services.links import PDF_LINK_FROM_PAGE
    from chalicelib.web.change_forms import status_page_changes
    from chalicelib.web.questions.views import format_money
    from chalicelib.web.routes.renewal import status_page_lifecycle

    kit = PageKit()
    found = _session(kit, application_id)
    if found is None:
        return _no_access(kit)
    app, seed = found
    grant_access(kit, app.id, seed)  # sliding: the two hours start again
    form = kit.c.registry.get(app.form_id)
    now = int(kit.c.clock.now().timestamp())
    permit = None
    if app.permit is not None and app.status is Status.ISSUED:
        p = app.permit
        validity = kit.t("valid_range", start=format_de(p.valid_from), end=format_de(p.valid_to))
        permit = {"number": p.number, "zone": p.zone, "plates": p.plates, "validity": validity}
    private = None
    if seed:
        private = kit.c.links.private_link(
            app.id, kit.c.links.access_token(app.form_id, seed, app.id)
        )
    pending = app.status in (Status.SUBMITTED, Status.AWAITING_PAYMENT)
    return kit.render(
        "pages/status.html",
        form_origins=kit.c.settings.checkout_origins,
        form_title=kit.text(form.title) if form else app.form_id,
        app_status=app.status.value,
        pending=pending,
        poll_url=f"/status/{app.id}/state",
        reference=app.id[:8].upper(),
        fee=format_money(app.fee_cents, kit.lang) if app.fee_cents else kit.t("fee_free"),
        permit=permit,
        pdf_url=kit.c.links.pdf_path(app.id, now + PDF_LINK_FROM_PAGE),
        pay_url=f"/status/{app.id}/pay",
        refresh_url=f"/status/{app.id}",
        private_link=private,
        csrf=kit.csrf_token(),
        **status_page_changes(kit, app),
        **status_page_lifecycle(kit, app),
    )


@bp.route("/status/{application_id}/state", methods=["GET"])
@page_errors
def status_state(application_id: str) -> Response:
    """The status only, for the status page's script to poll (same session cookie)."""
    from chalicelib.web.responses import json_response

    kit = PageKit()
    found = _session(kit, application_id)
    if found is None:
        raise NotFoundError("no session")
    return json_response({"status": found[0].status.value})


@bp.route("/status/{application_id}/pay", methods=["POST"], content_types=FORM_POST)
@page_errors
def pay(application_id: str) -> Response:
    """Straight to the provider's checkout: the open one again, or a new one."""
    from chalicelib.domain.lifecycle import Status

    kit = PageKit()
    kit.form()
    found = _session(kit, application_id)
    if found is None:
        return _no_access(kit)
    app = found[0]
    if app.status not in (Status.SUBMITTED, Status.AWAITING_PAYMENT) or app.fee_cents == 0:
        return kit.redirect(f"/status/{app.id}")
    return kit.redirect(kit.c.checkout.start_for(app))


@bp.route("/status/{application_id}/permit.pdf", methods=["GET"])
@page_errors
def permit_pdf(application_id: str) -> Response:
    kit = PageKit()
    query = kit.query
    now = int(kit.c.clock.now().timestamp())
    if not kit.c.links.pdf_link_valid(application_id, query.get("expires"), query.get("sig"), now):
        return kit.message(410, "expired_link_title", "expired_link_text")
    app = kit.c.store.get_application(application_id)
    if app is None:
        return _no_access(kit)
    file_name, pdf = kit.c.documents.permit_pdf_for(app)
    return Response(
        body=pdf,
        status_code=200,
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{file_name}"',
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )
