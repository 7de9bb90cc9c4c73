"""Staff sign-in in Chromium against the live service and the real local OIDC provider.

The live service (``live_service``, as `make run` starts it) trusts the oidc-provider-mock
instance started with it (``live_service.oidc``). A clerk opens a staff page, is sent to the
provider, presses the predefined ``clerk`` user, lands on the page asked for with the staff
navigation, and signs out. Tokens a browser cannot be made to produce (a wrong audience,
expired, another issuer) are sent over HTTP to the live JSON API, each refused with 401.
axe-core checks the sign-in's own pages: failed, no role, signed out.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.e2e.conftest import LiveService
from tests.e2e.forms import PAGE_TIMEOUT
from tests.e2e.web import assert_accessible, assert_reflows
from tests.oidc_provider import authorize_at_provider

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

QUEUE_API = "/api/staff/queue/SUBMITTED/2026-11-21"


def _sign_in_at_provider(page: Page, user: str) -> None:
    """The provider's page: press the predefined user's button."""
    page.get_by_role("button", name=f"Authorize as {user}").click()
    page.wait_for_load_state()


def test_clerk_signs_in_lands_on_the_requested_page_and_signs_out(
    live_service: LiveService, page: Page
) -> None:
    page.set_default_timeout(PAGE_TIMEOUT)
    base = live_service.base_url
    submitted, _ = live_service.issue_permit()
    wanted = f"/staff/applications/{submitted.id}/supersede"  # a clerk's page
    page.goto(base + wanted)
    assert page.url.startswith(live_service.oidc.issuer + "/oauth2/authorize"), page.url
    _sign_in_at_provider(page, "clerk")
    assert urlsplit(page.url).path == wanted, page.url
    assert page.get_attribute("html", "lang") == "de"
    role = page.locator("#staff-role")
    assert "Sachbearbeitung" in role.inner_text()
    cookies = {c["name"]: c for c in page.context.cookies(base)}
    session = cookies["staff_session"]  # plain http locally: no __Host- prefix, no Secure
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == "/"
    assert session["expires"] == -1  # a browser-session cookie
    assert_accessible(page, "staff page with navigation")
    page.locator("#staff-signout").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Abgemeldet"
    assert "staff_session" not in {c["name"] for c in page.context.cookies(base)}
    assert_accessible(page, "signed out")
    assert_reflows(page)
    page.goto(base + wanted)  # signed out: back to the provider
    assert page.url.startswith(live_service.oidc.issuer), page.url


def test_viewer_comes_back_to_the_search_asked_for_with_its_query(
    live_service: LiveService, page: Page
) -> None:
    page.set_default_timeout(PAGE_TIMEOUT)
    wanted = "/staff/search?" + urlencode({"q": "dn ab 123"})
    page.goto(live_service.base_url + wanted)
    _sign_in_at_provider(page, "viewer")
    landed = urlsplit(page.url)
    assert (landed.path, parse_qs(landed.query)) == ("/staff/search", {"q": ["dn ab 123"]})
    assert "Lesen" in page.locator("#staff-role").inner_text()


def test_member_of_no_staff_group_sees_the_no_role_page(
    live_service: LiveService, page: Page
) -> None:
    page.set_default_timeout(PAGE_TIMEOUT)
    page.goto(live_service.base_url + "/staff/signin?next=/staff")
    _sign_in_at_provider(page, "no-role")
    assert page.locator("h1").inner_text() == "Keine Rolle zugewiesen"
    assert "staff_session" not in {c["name"] for c in page.context.cookies()}
    assert_accessible(page, "no role")
    assert_reflows(page)


def test_a_callback_for_another_browser_shows_the_failed_page_in_english(
    live_service: LiveService, page: Page
) -> None:
    """Login CSRF: a callback URL made in one browser signs nobody in in another."""
    page.set_default_timeout(PAGE_TIMEOUT)
    start = live_service.request("GET", "/staff/signin?next=/staff")
    callback = authorize_at_provider(start.headers["Location"], "admin")
    page.goto(callback + "&lang=en")
    assert page.locator("h1").inner_text() == "Sign-in failed"
    assert page.get_attribute("html", "lang") == "en"
    assert "staff_session" not in {c["name"] for c in page.context.cookies()}
    assert_accessible(page, "sign-in failed")
    assert_reflows(page)


# -- tokens a browser cannot be made to produce, over HTTP ---------------------------------


def _access_token_from(issuer: str, client_id: str, user: str) -> str:
    """An access token through the provider's real code flow, for any client id."""
    redirect = "http://127.0.0.1:9/callback"
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect,
            "scope": "openid",
            "state": "s",
            "nonce": "n",
        }
    )
    back = authorize_at_provider(f"{issuer}/oauth2/authorize?{query}", user)
    code = parse_qs(urlsplit(back).query)["code"][0]
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": client_id,
            "client_secret": "any",
        }
    ).encode()
    with urllib.request.urlopen(f"{issuer}/oauth2/token", form, timeout=10) as response:
        token: str = json.load(response)["access_token"]
    return token


def _bearer(live_service: LiveService, token: str) -> Any:
    return live_service.request("GET", QUEUE_API, headers={"Authorization": f"Bearer {token}"})


def test_the_providers_own_token_for_our_client_is_accepted(live_service: LiveService) -> None:
    from scripts.oidc_server import LOCAL_CLIENT_ID

    token = _access_token_from(live_service.oidc.issuer, LOCAL_CLIENT_ID, "viewer")
    assert _bearer(live_service, token).status == 200


def test_token_for_another_audience_is_refused(live_service: LiveService) -> None:
    token = _access_token_from(live_service.oidc.issuer, "another-application", "admin")
    response = _bearer(live_service, token)
    assert response.status == 401
    assert response.headers["Content-Type"] == "application/problem+json"


def test_expired_token_is_refused(live_service: LiveService) -> None:
    token = live_service.oidc.access_token("admin", exp=int(time.time()) - 120)
    assert _bearer(live_service, token).status == 401


def test_token_from_another_issuer_is_refused(live_service: LiveService) -> None:
    from scripts.oidc_server import LOCAL_CLIENT_ID, LocalOidcProvider

    with LocalOidcProvider() as other:
        token = _access_token_from(other.issuer, LOCAL_CLIENT_ID, "admin")
        assert _bearer(live_service, token).status == 401
        # The same token with the trusted issuer's name but the other key: still refused.
        forged = other.access_token("admin", iss=live_service.oidc.issuer)
        assert _bearer(live_service, forged).status == 401
