"""The Chalice app: routes parse a request, call one service, shape the response.

No logic and no heavy imports here (Chalice imports this module while packaging, and every
cold start pays for what it imports): services and adapters are built lazily by the
Container on first use.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib.config import Settings
from chalicelib.domain.errors import NotFoundError
from chalicelib.web.problems import problem_responses
from chalicelib.web.requests import parse_json_body
from chalicelib.wiring import Container

app = Chalice(app_name="permit-service")
app.api.binary_types.append("application/pdf")

_container: Container | None = None


def container() -> Container:
    """The process-wide Container, built from the environment on first use."""
    global _container
    if _container is None:
        _container = Container(Settings.from_env())
    return _container


def set_container(new: Container | None) -> None:
    global _container
    _container = new


def _accept_language() -> str | None:
    request = app.current_request
    return request.headers.get("accept-language") if request is not None else None


def _request() -> Request:
    request = app.current_request
    assert request is not None, "only called inside a route"
    return request


def _raw_body() -> bytes:
    raw = _request().raw_body
    return raw.encode("utf-8") if isinstance(raw, str) else (raw or b"")


guarded = problem_responses(_accept_language)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def _header(name: str) -> str | None:
    value: str | None = _request().headers.get(name)
    return value


def _idempotency_key() -> str | None:
    """The Idempotency-Key header, if sent; a blank or unprintable key is refused, never shared."""
    from chalicelib.web.problems import ClientError

    key = _header("idempotency-key")
    if key is None:
        return None
    if not (1 <= len(key.strip()) <= 255 and key.isprintable() and key.isascii()):
        raise ClientError(
            400,
            "invalid-idempotency-key",
            "Ungültiger Idempotency-Key / Invalid Idempotency-Key",
            "Idempotency-Key must be 1-255 printable ASCII characters.",
        )
    return key.strip()


# -- forms --------------------------------------------------------------------------------


@app.route("/api/forms", methods=["GET"])
@guarded
def list_forms() -> Response:
    from chalicelib.services.catalogue import form_listing

    forms = container().registry.load_all().values()
    return _json({"forms": [form_listing(form) for form in forms]})


@app.route("/api/forms/{form_id}", methods=["GET"])
@guarded
def get_form(form_id: str) -> Response:
    form = container().registry.get(form_id)
    if form is None:
        raise NotFoundError("unknown form")
    return _json(form.schema, headers={"Cache-Control": "public, max-age=300"})


@app.route("/api/forms/{form_id}/applications", methods=["POST"])
@guarded
def submit_application(form_id: str) -> Response:
    c = container()
    if c.registry.get(form_id) is None:
        raise NotFoundError("unknown form")
    data = parse_json_body(_raw_body())
    key = _idempotency_key()
    result = c.submissions.submit(form_id, data, key)
    headers = {"Location": f"/api/applications/{result.body['id']}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json(result.body, 201, headers)


# -- applications -------------------------------------------------------------------------


@app.route("/api/applications/{application_id}", methods=["GET"])
@guarded
def get_application(application_id: str) -> Response:
    from chalicelib.services.applications import bearer_token, status_body

    c = container()
    application = c.access.get(application_id, bearer_token(_header("authorization")))
    return _json(status_body(application, c.settings.public_base_url))


@app.route("/api/applications/{application_id}/checkout", methods=["POST"])
@guarded
def start_checkout(application_id: str) -> Response:
    from chalicelib.services.applications import bearer_token

    url = container().checkout.start(application_id, bearer_token(_header("authorization")))
    return _json({"checkout_url": url})


@app.route("/api/applications/{application_id}/permit.pdf", methods=["GET"])
@guarded
def permit_pdf(application_id: str) -> Response:
    from chalicelib.services.applications import bearer_token

    query = _request().query_params
    token = bearer_token(_header("authorization")) or (query.get("access_token") if query else None)
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


# -- payments -----------------------------------------------------------------------------

_WEBHOOK_MAX_BYTES = 64 * 1024


@app.route(
    "/api/payments/{provider}/webhook",
    methods=["POST"],
    content_types=["application/json", "application/json; charset=utf-8"],
)
@guarded
def payment_webhook(provider: str) -> Response:
    from chalicelib.web.problems import ClientError

    raw = _raw_body()
    if len(raw) > _WEBHOOK_MAX_BYTES:
        raise ClientError(413, "body-too-large", "Body too large")
    headers = {name.lower(): value for name, value in _request().headers.items()}
    outcome = container().payments.handle_webhook(provider, headers, raw)
    return _json(outcome.body())


# -- verification -------------------------------------------------------------------------


@app.route("/api/verify", methods=["POST"])
@guarded
def verify_permit() -> Response:
    from chalicelib.web.problems import ClientError

    body = parse_json_body(_raw_body(), max_bytes=4096)
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str):
        raise ClientError(
            422,
            "validation-failed",
            "token (string) required",
            "token must be a string",
            pointer="/token",
        )
    return _json(container().verification.verify(token.strip()))


@app.route("/.well-known/permit-keys.json", methods=["GET"])
@guarded
def permit_keys() -> Response:
    return _json(container().keyring.jwks(), headers={"Cache-Control": "public, max-age=3600"})


# -- scheduled ----------------------------------------------------------------------------


@app.schedule("rate(1 hour)", name="cancel-unpaid")
def cancel_unpaid(event: Any) -> dict[str, int]:
    cancelled = container().unpaid_canceller.run()
    return {"cancelled": len(cancelled)}


# -- pages --------------------------------------------------------------------------------


def _html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=text,
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
    )


@app.route("/v", methods=["GET"])
def verification_page() -> Response:
    from chalicelib.web.pages import PAGE_HEADERS, verification_page_html

    return _html(verification_page_html(), headers=PAGE_HEADERS)


@app.route("/status/{application_id}", methods=["GET"])
def status_page(application_id: str) -> Response:
    from chalicelib.web.pages import PAGE_HEADERS, status_page_html

    return _html(status_page_html(), headers=PAGE_HEADERS)


def _sandbox_session(session: str) -> Any:
    """The open session, or a ready error page (400 invalid, 410 expired)."""
    from chalicelib.adapters.payments.sandbox import SandboxSessionError, SandboxSessionExpiredError
    from chalicelib.web.sandbox_checkout import render_result_page

    lang = _accept_language() or "de"
    try:
        return container().sandbox.open_session(session)
    except SandboxSessionExpiredError:
        return _html(render_result_page("session_expired", lang), 410)
    except SandboxSessionError:
        return _html(render_result_page("session_invalid", lang), 400)


@app.route("/sandbox/checkout/{session}", methods=["GET"])
@guarded
def sandbox_checkout_page(session: str) -> Response:
    from chalicelib.web.sandbox_checkout import checkout_page_headers, render_checkout_page

    opened = _sandbox_session(session)
    if isinstance(opened, Response):
        return opened
    page = render_checkout_page(opened, session, _accept_language() or "de")
    return _html(page, headers=checkout_page_headers(opened.return_url))


_FORM_POST = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]


@app.route("/sandbox/checkout/{session}/pay", methods=["POST"], content_types=_FORM_POST)
@guarded
def sandbox_pay(session: str) -> Response:
    """Sends the signed webhook exactly as a real provider would, then returns the citizen."""
    from chalicelib.web.sandbox_checkout import render_result_page

    opened = _sandbox_session(session)
    if isinstance(opened, Response):
        return opened
    c = container()
    headers, body = c.sandbox.build_webhook(opened, "succeeded")
    result = c.webhook_delivery.deliver(headers, body)
    if not result.delivered:
        page = render_result_page("delivery_failed", _accept_language() or "de", opened.return_url)
        return _html(page, 502)
    return Response(body="", status_code=303, headers={"Location": opened.return_url})


@app.route("/sandbox/checkout/{session}/cancel", methods=["POST"], content_types=_FORM_POST)
@guarded
def sandbox_cancel(session: str) -> Response:
    opened = _sandbox_session(session)
    if isinstance(opened, Response):
        return opened
    return Response(body="", status_code=303, headers={"Location": opened.return_url})


# -- staff --------------------------------------------------------------------------------


def _staff_actor() -> str:
    from chalicelib.services.staff import authenticate_staff

    return authenticate_staff(_header("authorization"), container().settings.staff_token_hashes)


@app.route("/api/staff/queue/{status}/{day}", methods=["GET"])
@guarded
def staff_queue(status: str, day: str) -> Response:
    _staff_actor()
    return _json({"applications": container().staff.queue(status, day)})


@app.route("/api/staff/applications/{application_id}", methods=["GET"])
@guarded
def staff_application(application_id: str) -> Response:
    _staff_actor()
    return _json(container().staff.application(application_id))


@app.route("/api/staff/applications/{application_id}/revoke", methods=["POST"])
@guarded
def staff_revoke(application_id: str) -> Response:
    from chalicelib.web.problems import ClientError

    actor = _staff_actor()
    body = parse_json_body(_raw_body(), max_bytes=4096)
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not 3 <= len(reason) <= 500:
        raise ClientError(
            422,
            "validation-failed",
            "reason (3-500 characters) required",
            "reason must be a string of 3-500 characters",
            pointer="/reason",
        )
    return _json(container().staff.revoke(application_id, actor, reason))
