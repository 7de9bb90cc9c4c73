"""The one place every HTTP response passes: Chalice's own refusals become RFC 9457 problems,
and every response gets the service's security headers.

Chalice answers some requests itself, around our route code, with its own JSON shape
(``{"Code": ..., "Message": ...}``): a method the route lacks (405), a Content-Type the route
does not take (415), a binary answer the request's Accept header does not admit (400
"BadRequest"), an exception a view let escape (500). Its HTTP middleware sees each of them
(it wraps the whole route dispatch, in ``chalice local``, the test client and Lambda alike),
so this is where they are rewritten. Unknown paths never reach the app in ``chalice local``
(its gateway answers 403 first): ``routes/fallback.py`` answers them, and in the deployment
API Gateway's own answers are problems through the Gateway Responses in ``infra/``.

Security headers are defaults: a route that sets its own (the pages' hash-based CSP, the
forms' public caching) keeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.web.problems import problem

__all__ = ["DEFAULT_CSP", "PDF_CSP", "SECURITY_HEADERS", "http_middleware"]

#: Anything that is not a page: nothing may load, run, frame or be framed.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: PDFs: no framing (the permit must not be shown inside someone else's page), but no
#: fetch directives either, so no browser's built-in PDF viewer is hindered.
PDF_CSP = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_GENERIC = {
    400: ("bad-request", "Ungültige Anfrage / Bad request"),
    401: ("unauthorized", "Anmeldung erforderlich / Authentication required"),
    403: ("forbidden", "Nicht erlaubt / Forbidden"),
    404: ("not-found", "Nicht gefunden / Not found"),
    409: ("conflict", "Konflikt / Conflict"),
    422: ("validation-failed", "Ungültige Angaben / Unprocessable content"),
    429: ("too-many-requests", "Zu viele Anfragen / Too many requests"),
}


def http_middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Registered in ``app.py``: ``app.register_middleware(http_middleware, "http")``."""
    response = get_response(event)
    if _is_chalice_error(response):
        response = _as_problem(response)
    _add_security_headers(response)
    return response


def _is_chalice_error(response: Response) -> bool:
    """Chalice's own error shape: a dict body with Code and Message (ours are text)."""
    body = response.body
    return (
        response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}
    )


def _as_problem(response: Response) -> Response:
    body: dict[str, Any] = response.body
    code, message = str(body["Code"]), str(body["Message"])
    status = response.status_code
    if status == 405:
        allowed = response.headers.get("Allow", "")
        rewritten = problem(
            405,
            "method-not-allowed",
            "Methode nicht erlaubt / Method not allowed",
            f"{message.removeprefix('Unsupported method: ')} is not allowed here; "
            f"allowed: {allowed}.",
        )
        rewritten.headers["Allow"] = allowed
        return rewritten
    if status == 415:
        sent = message.removeprefix("Unsupported media type: ")
        return problem(
            415,
            "unsupported-media-type",
            "Nicht unterstützter Inhaltstyp / Unsupported media type",
            f"This route does not take {sent}.",
        )
    if status == 400 and code == "BadRequest" and "Accept header" in message:
        # The view answered a binary type (the PDF) the request's Accept does not admit.
        return problem(
            406,
            "not-acceptable",
            "Nicht akzeptabel / Not acceptable",
            "This resource is application/pdf: send an Accept header that admits it.",
        )
    if status >= 500:
        return problem(500, "internal", "Interner Fehler / Internal error")
    slug, title = _GENERIC.get(status, ("client-error", "Fehlerhafte Anfrage / Client error"))
    return problem(status, slug, title, message[:200])


def _add_security_headers(response: Response) -> None:
    present = {name.lower() for name in response.headers}
    for name, value in SECURITY_HEADERS.items():
        if name.lower() not in present:
            response.headers[name] = value
    if "content-security-policy" not in present:
        content_type = next(
            (str(v) for k, v in response.headers.items() if k.lower() == "content-type"), ""
        )
        is_pdf = content_type.split(";")[0].strip().lower() == "application/pdf"
        response.headers["Content-Security-Policy"] = PDF_CSP if is_pdf else DEFAULT_CSP
