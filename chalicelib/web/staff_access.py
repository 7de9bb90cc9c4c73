"""The one gate in front of every staff route, page or JSON: who is calling, may they do it.

Every staff route starts with ``require_staff(Role.X)``; it raises StaffAuthError (401; on
a page GET the page wrapper turns it into a 303 to the sign-in) when no valid credential
comes with the request, and StaffForbiddenError (403) when the role is too low.

Credentials, tried in this order:

1. ``Authorization: Bearer`` with a static script token (configured as a SHA-256 hash, role
   admin): for scripts and the local stage.
2. ``Authorization: Bearer`` with an access token (a JWT) of the configured OIDC issuer:
   signature against the issuer's JWK set, issuer, audience (or Cognito's ``client_id``),
   expiry; the role from the groups claim.
3. The staff session cookie a browser got at sign-in (role stored in the session).

A Bearer header that is present but wrong is refused; it never falls back to the cookie.
A cookie is sent by the browser on its own, so a cookie-authenticated unsafe request (POST
and the like) must also carry the CSRF token of the citizen forms' mechanism (form field
``csrf_token`` or header ``X-CSRF-Token``) and must not be marked cross-site: without it a
page answers the "session expired" page (400), the JSON API a 403 problem.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from chalicelib.domain.errors import StaffAuthError
from chalicelib.domain.staff_roles import Role, StaffPrincipal
from chalicelib.web import security
from chalicelib.web.context import container, current_request

__all__ = [
    "CSRF_HEADER",
    "SAFE_METHODS",
    "STAFF_SESSION_COOKIE",
    "current_principal",
    "require_staff",
    "staff_session_id",
]

STAFF_SESSION_COOKIE = "staff_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_FORM_BYTES = 64 * 1024
#: A compact JWS (three base64url parts); Cognito's access tokens are about 1 KB.
_BEARER_JWT = re.compile(r"Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")
_MAX_JWT = 8192


_PRINCIPAL_ATTRIBUTE = "permit_staff_principal"


def require_staff(needed: Role) -> StaffPrincipal:
    principal = _authenticate()
    principal.require(needed)
    # Kept on this request's object (Chalice makes a new one per request, so nothing
    # outlives it): the page kit shows the staff navigation with this principal's role.
    setattr(current_request(), _PRINCIPAL_ATTRIBUTE, principal)
    return principal


def current_principal() -> StaffPrincipal | None:
    """Who passed ``require_staff`` in this request, if anyone."""
    principal = getattr(current_request(), _PRINCIPAL_ATTRIBUTE, None)
    return principal if isinstance(principal, StaffPrincipal) else None


def staff_session_id() -> str | None:
    """The session id from this request's cookie, if it carries one."""
    request = current_request()
    cookies = security.parse_cookies(
        request.headers.get("cookie"), container().settings.secure_cookies
    )
    return cookies.get(STAFF_SESSION_COOKIE)


def _authenticate() -> StaffPrincipal:
    from chalicelib.services.staff import authenticate_staff

    c = container()
    request = current_request()
    authorization = request.headers.get("authorization")
    if authorization is not None:
        try:
            return authenticate_staff(authorization, c.settings.staff_token_hashes)
        except StaffAuthError:
            match = _BEARER_JWT.fullmatch(authorization.strip())
            if match is None or len(authorization) > _MAX_JWT or not c.settings.oidc_issuer:
                raise
        return c.staff_signin.authenticate_access_token(match.group(1))
    session_id = staff_session_id()
    if not session_id:
        raise StaffAuthError("staff credentials required")
    principal = c.staff_signin.authenticate_session(session_id)
    if request.method.upper() not in SAFE_METHODS:
        _require_csrf()
    return principal


def _require_csrf() -> None:
    """The signed double-submit check of the citizen forms, for a cookie-authenticated write."""
    c = container()
    request = current_request()
    cookies = security.parse_cookies(request.headers.get("cookie"), c.settings.secure_cookies)
    token = request.headers.get(CSRF_HEADER)
    if token is None and (request.headers.get("content-type") or "").startswith(
        "application/x-www-form-urlencoded"
    ):
        raw = request.raw_body or b""
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
        if len(raw) <= _MAX_FORM_BYTES:
            fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=500)
            token = (fields.get("csrf_token") or [""])[-1] or None
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if cross_site or not security.csrf_matches(
        c.subkey("csrf"), cookies.get(security.CSRF_COOKIE), token
    ):
        path = request.context.get("resourcePath", "") if request.context else ""
        if path.startswith("/api/"):
            from chalicelib.web.problems import ClientError

            raise ClientError(
                403,
                "csrf",
                "CSRF-Token fehlt / CSRF token missing",
                "a cookie-authenticated change needs the X-CSRF-Token header",
            )
        from chalicelib.web.pagekit import CsrfError

        raise CsrfError("staff form without a valid CSRF token")
