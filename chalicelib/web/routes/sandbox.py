"""The sandbox payment provider's checkout pages (test stages only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.web.context import accept_language, container, guarded
from chalicelib.web.responses import html_response

if TYPE_CHECKING:
    from chalicelib.adapters.payments.sandbox import SandboxSession
    from chalicelib.web.sandbox_checkout import ResultKind

__all__ = ["bp"]

bp = Blueprint(__name__)

_FORM_POST = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]


def _result(kind: ResultKind, status: int, return_url: str | None = None) -> Response:
    from chalicelib.web.sandbox_checkout import checkout_page_headers, render_result_page

    page = render_result_page(kind, accept_language() or "de", return_url)
    return html_response(page, status, checkout_page_headers(return_url))


def _sandbox_session(session: str, *, payable: bool = True) -> SandboxSession | Response:
    """The open session, or a ready error page (400 invalid, 410 expired or not payable).

    ``payable``: also refuse (410) when the application can no longer be paid (paid through
    another page, cancelled, past its deadline), as a provider refuses a closed session.
    """
    from chalicelib.adapters.payments.sandbox import SandboxSessionError, SandboxSessionExpiredError

    c = container()
    try:
        opened = c.sandbox.open_session(session)
    except SandboxSessionExpiredError:
        return _result("session_expired", 410)
    except SandboxSessionError:
        return _result("session_invalid", 400)
    if payable and not c.checkout.is_payable(opened.application_id):
        return _result("not_payable", 410, opened.return_url)
    return opened


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
    opened = _sandbox_session(session)
    if isinstance(opened, Response):
        return opened
    c = container()
    c.sandbox.record_payment(opened)  # the sandbox now knows, even if the webhook gets lost
    headers, body = c.sandbox.build_webhook(opened, "succeeded")
    result = c.webhook_delivery.deliver(headers, body)
    if not result.delivered:
        return _result("delivery_failed", 502, opened.return_url)
    return Response(body="", status_code=303, headers={"Location": opened.return_url})


@bp.route("/sandbox/checkout/{session}/cancel", methods=["POST"], content_types=_FORM_POST)
@guarded
def sandbox_cancel(session: str) -> Response:
    opened = _sandbox_session(session, payable=False)  # back to the status page either way
    if isinstance(opened, Response):
        return opened
    return Response(body="", status_code=303, headers={"Location": opened.return_url})
