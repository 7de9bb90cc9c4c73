"""The sandbox payment provider's checkout pages (test stages only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.web.context import accept_language, container, guarded
from chalicelib.web.responses import html_response

if TYPE_CHECKING:
    from chalicelib.adapters.payments.sandbox import SandboxSession

__all__ = ["bp"]

bp = Blueprint(__name__)

_FORM_POST = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]


def _sandbox_session(session: str) -> SandboxSession | Response:
    """The open session, or a ready error page (400 invalid, 410 expired)."""
    from chalicelib.adapters.payments.sandbox import SandboxSessionError, SandboxSessionExpiredError
    from chalicelib.web.sandbox_checkout import render_result_page

    lang = accept_language() or "de"
    try:
        return container().sandbox.open_session(session)
    except SandboxSessionExpiredError:
        return html_response(render_result_page("session_expired", lang), 410)
    except SandboxSessionError:
        return html_response(render_result_page("session_invalid", lang), 400)


@bp.route("/sandbox/checkout/{session}", methods=["GET"])
@guarded
def sandbox_checkout_page(session: str) -> Response:
    from chalicelib.web.sandbox_checkout import checkout_page_headers, render_checkout_page

    opened = _sandbox_session(session)
    if isinstance(opened, Response):
        return opened
    page = render_checkout_page(opened, session, accept_language() or "de")
    return html_response(page, headers=checkout_page_headers(opened.return_url))


@bp.route("/sandbox/checkout/{session}/pay", methods=["POST"], content_types=_FORM_POST)
@guarded
def sandbox_pay(session: str) -> Response:
    """Sends the signed webhook exactly as a real provider would, then returns the citizen."""
    from chalicelib.web.sandbox_checkout import render_result_page

    opened = _sandbox_session(session)
    if isinstance(opened, Response):
        return opened
    c = container()
    c.sandbox.record_payment(opened)  # the sandbox now knows, even if the webhook gets lost
    headers, body = c.sandbox.build_webhook(opened, "succeeded")
    result = c.webhook_delivery.deliver(headers, body)
    if not result.delivered:
        page = render_result_page("delivery_failed", accept_language() or "de", opened.return_url)
        return html_response(page, 502)
    return Response(body="", status_code=303, headers={"Location": opened.return_url})


@bp.route("/sandbox/checkout/{session}/cancel", methods=["POST"], content_types=_FORM_POST)
@guarded
def sandbox_cancel(session: str) -> Response:
    opened = _sandbox_session(session)
    if isinstance(opened, Response):
        return opened
    return Response(body="", status_code=303, headers={"Location": opened.return_url})
