"""Staff sign-in pages: to the city's identity provider and back, and sign-out.

- ``GET /staff/signin?next=/staff/...`` starts the authorization code flow with PKCE and
  sends the browser to the issuer; ``state`` rides in a ten-minute HttpOnly cookie.
- ``GET /staff/signin/callback`` finishes it: a session cookie for the role the groups
  grant, then back to ``next`` (local ``/staff`` paths only). A refused sign-in answers an
  accessible error page (401), a member of no staff group the "no role" page (403).
- ``POST /staff/signout`` (CSRF-checked form) deletes the session and its cookie.

Where no issuer is configured (PERMIT_OIDC_ISSUER unset: script tokens only), the sign-in
pages answer 404 with a page that says so: the feature does not exist in that stage.

The session cookie has no ``Max-Age``: it ends with the browser, and the server ends it
after 30 idle minutes or 10 hours whatever the browser does.
"""

from __future__ import annotations

import logging

from chalice.app import Blueprint, Response

from chalicelib.web import security
from chalicelib.web.pagekit import FORM_POST, PageKit, page_errors
from chalicelib.web.staff_access import STAFF_SESSION_COOKIE, staff_session_id

__all__ = ["SIGNIN_COOKIE", "bp"]

bp = Blueprint(__name__)
log = logging.getLogger("permit_service.staff")

SIGNIN_COOKIE = "staff_signin"
SIGNIN_COOKIE_AGE = 600


def _redirect_uri(kit: PageKit) -> str:
    return f"{kit.c.settings.public_base_url}/staff/signin/callback"


def _retry_link(kit: PageKit) -> dict[str, str]:
    return {"href": "/staff/signin", "text": kit.t("staff_signin_again")}


@bp.route("/staff/signin", methods=["GET"])
@page_errors
def staff_signin() -> Response:
    kit = PageKit()
    signin = kit.c.staff_signin
    if not signin.enabled:
        return kit.message(404, "staff_signin_unavailable_title", "staff_signin_unavailable_text")
    url, state = signin.begin(kit.query.get("next"), _redirect_uri(kit))
    kit.set_cookies.append(
        security.set_cookie(SIGNIN_COOKIE, state, secure=kit.secure, max_age=SIGNIN_COOKIE_AGE)
    )
    return kit.redirect(url)


@bp.route("/staff/signin/callback", methods=["GET"])
@page_errors
def staff_signin_callback() -> Response:
    from chalicelib.domain.staff_sessions import TokenRejectedError
    from chalicelib.services.staff_signin import NoStaffRoleError

    kit = PageKit()
    kit.set_cookies.append(security.set_cookie(SIGNIN_COOKIE, "", secure=kit.secure, max_age=0))
    if not kit.c.staff_signin.enabled:
        return kit.message(404, "staff_signin_unavailable_title", "staff_signin_unavailable_text")
    try:
        signed_in = kit.c.staff_signin.complete(
            cookie_state=kit.cookies.get(SIGNIN_COOKIE),
            state=kit.query.get("state"),
            code=kit.query.get("code"),
            redirect_uri=_redirect_uri(kit),
        )
    except NoStaffRoleError:
        return kit.message(403, "staff_no_role_title", "staff_no_role_text")
    except TokenRejectedError as error:  # the reason (never a token) for the operators
        log.info("staff sign-in refused: %s", error)
        return kit.message(
            401, "staff_signin_failed_title", "staff_signin_failed_text", _retry_link(kit)
        )
    kit.c.staff_signin.sign_out(staff_session_id())  # a session this browser had ends now
    kit.set_cookies.append(
        security.set_cookie(STAFF_SESSION_COOKIE, signed_in.session_id, secure=kit.secure)
    )
    return kit.redirect(signed_in.next_path)


@bp.route("/staff/signout", methods=["POST"], content_types=FORM_POST)
@page_errors
def staff_signout() -> Response:
    kit = PageKit()
    kit.form()  # the CSRF check: a foreign page must not sign staff out
    kit.c.staff_signin.sign_out(staff_session_id())
    kit.set_cookies.append(
        security.set_cookie(STAFF_SESSION_COOKIE, "", secure=kit.secure, max_age=0)
    )
    return kit.message(200, "staff_signed_out_title", "staff_signed_out_text", _retry_link(kit))
