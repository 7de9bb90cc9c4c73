"""Staff sign-in end to end over HTTP against the real local OIDC provider.

The service runs in chalice's test client (DynamoDB over HTTP on moto, the injected clock);
the provider is oidc-provider-mock on 127.0.0.1, reached over real HTTP both by this test
(as the browser would: its authorization form) and by the service (discovery, token
endpoint, JWK set). The settings use an https public URL, so cookies carry ``__Host-``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.conftest import FixedClock, table_items
from tests.oidc_provider import authorize_at_provider

APP_ID = "0123456789abcdef0123456789abcdef"
QUEUE = "/api/staff/queue/SUBMITTED/2026-11-21"


@dataclass
class Browser:
    """The cookies a browser would keep for the service (one host, Path=/)."""

    client: Any
    cookies: dict[str, str] = field(default_factory=dict)

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> Any:
        response = self.client.http.request(
            method, path, headers={**self._cookie_header(), **(headers or {})}, body=body
        )
        for line in _set_cookie_lines(response):
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response


def _set_cookie_lines(response: Any) -> list[str]:
    headers = response.headers
    raw = headers.get("Set-Cookie") or headers.get("set-cookie")
    if raw is None:
        return []
    if isinstance(raw, list):
        return raw
    # chalice's test client joins several Set-Cookie values with ", "
    return [part.strip() for part in str(raw).split(", ") if "=" in part.split(";")[0]]


def _sign_in(browser: Browser, sub: str, next_path: str = "/staff/applications/abc") -> Any:
    start = browser.request("GET", "/staff/signin?" + urlencode({"next": next_path}))
    assert start.status_code == 303
    authorize_url = start.headers["Location"]
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["scope"] == ["openid"]
    assert "__Host-staff_signin" in browser.cookies
    back = urlsplit(authorize_at_provider(authorize_url, sub))
    assert back.path == "/staff/signin/callback"
    return browser.request("GET", f"{back.path}?{back.query}")


def _csrf(browser: Browser) -> str:
    """A CSRF cookie and token, as every staff page hands out (the citizen forms' mechanism)."""
    from chalicelib.web import security
    from tests.conftest import TEST_APP_SECRET

    secret = security.new_csrf_secret()
    browser.cookies["__Host-csrf"] = secret
    from chalicelib.domain.access import purpose_key

    return security.csrf_token(purpose_key(TEST_APP_SECRET, "csrf"), secret)


def test_sign_in_as_clerk_gives_a_session_cookie_that_opens_the_api(
    signin_app: Any, dynamodb_client: Any, table_name: str
) -> None:
    browser = Browser(signin_app)
    callback = _sign_in(browser, "clerk")
    assert callback.status_code == 303
    assert callback.headers["Location"] == "/staff/applications/abc"
    assert "__Host-staff_signin" not in browser.cookies  # the one-use state cookie is gone
    session_id = browser.cookies["__Host-staff_session"]
    lines = [line for line in _set_cookie_lines(callback) if "staff_session" in line]
    assert lines and all(
        flag in lines[0] for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/")
    )
    assert "Max-Age" not in lines[0]
    queue = browser.request("GET", "/api/staff/queue/SUBMITTED/2026-11-21")
    assert queue.status_code == 200, queue.body
    # Stored under the hash only: the raw id appears nowhere in the table.
    items = table_items(dynamodb_client, table_name)
    assert session_id not in json.dumps(items)
    keys = {item["PK"]["S"] for item in items}
    assert f"STAFFSESSION#{hashlib.sha256(session_id.encode()).hexdigest()}" in keys
    assert not any(key.startswith("STAFFSIGNIN#") for key in keys)  # state used up


def test_clerk_cookie_write_needs_the_csrf_token(signin_app: Any) -> None:
    browser = Browser(signin_app)
    _sign_in(browser, "clerk")
    body = json.dumps({"reason": "plate changed"})
    json_headers = {"Content-Type": "application/json"}
    refused = browser.request(
        "POST", f"/api/staff/applications/{APP_ID}/revoke", body, json_headers
    )
    assert refused.status_code == 403
    assert json.loads(refused.body)["type"].endswith("/csrf")
    token = _csrf(browser)
    wrong = browser.request(
        "POST",
        f"/api/staff/applications/{APP_ID}/revoke",
        body,
        {**json_headers, "X-CSRF-Token": token + "x"},
    )
    assert wrong.status_code == 403
    cross_site = browser.request(
        "POST",
        f"/api/staff/applications/{APP_ID}/revoke",
        body,
        {**json_headers, "X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"},
    )
    assert cross_site.status_code == 403
    passed = browser.request(
        "POST",
        f"/api/staff/applications/{APP_ID}/revoke",
        body,
        {**json_headers, "X-CSRF-Token": token},
    )
    assert passed.status_code == 404  # through the gate: the application does not exist


def test_viewer_cookie_is_refused_a_clerks_action(signin_app: Any) -> None:
    browser = Browser(signin_app)
    _sign_in(browser, "viewer")
    token = _csrf(browser)
    response = browser.request(
        "POST",
        f"/api/staff/applications/{APP_ID}/revoke",
        json.dumps({"reason": "plate changed"}),
        {"Content-Type": "application/json", "X-CSRF-Token": token},
    )
    assert response.status_code == 403


def test_idle_timeout_ends_the_session(signin_app: Any, clock: FixedClock) -> None:
    browser = Browser(signin_app)
    _sign_in(browser, "viewer")
    clock.advance(minutes=25)
    assert browser.request("GET", "/api/staff/queue/SUBMITTED/2026-11-21").status_code == 200
    clock.advance(minutes=29)  # 54 minutes after sign-in, 29 after the last request
    assert browser.request("GET", "/api/staff/queue/SUBMITTED/2026-11-21").status_code == 200
    clock.advance(minutes=31)
    assert browser.request("GET", "/api/staff/queue/SUBMITTED/2026-11-21").status_code == 401


def test_sign_out_ends_the_session_and_needs_csrf(
    signin_app: Any, dynamodb_client: Any, table_name: str
) -> None:
    browser = Browser(signin_app)
    _sign_in(browser, "admin")
    stolen = dict(browser.cookies)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    no_csrf = browser.request("POST", "/staff/signout", "", form)
    assert no_csrf.status_code == 400  # the "session expired" page: a foreign form, refused
    assert browser.request("GET", "/api/staff/queue/SUBMITTED/2026-11-21").status_code == 200
    token = _csrf(browser)
    out = browser.request("POST", "/staff/signout", urlencode({"csrf_token": token}), form)
    assert out.status_code == 200
    assert "__Host-staff_session" not in browser.cookies
    assert not any(
        item["PK"]["S"].startswith("STAFFSESSION#")
        for item in table_items(dynamodb_client, table_name)
    )
    replay = Browser(signin_app, stolen)  # the old cookie, kept by someone: worthless now
    assert replay.request("GET", "/api/staff/queue/SUBMITTED/2026-11-21").status_code == 401


def test_signing_in_again_replaces_the_session(signin_app: Any) -> None:
    """A new session id at every sign-in, and the one the browser had before ends."""
    browser = Browser(signin_app)
    _sign_in(browser, "viewer")
    first = dict(browser.cookies)
    _sign_in(browser, "admin")
    assert browser.cookies["__Host-staff_session"] != first["__Host-staff_session"]
    assert Browser(signin_app, first).request("GET", QUEUE).status_code == 401
    assert browser.request("GET", QUEUE).status_code == 200


def test_member_of_no_staff_group_gets_the_no_role_page(signin_app: Any) -> None:
    browser = Browser(signin_app)
    response = _sign_in(browser, "no-role")
    assert response.status_code == 403
    assert "Keine Rolle" in response.body.decode()
    assert "__Host-staff_session" not in browser.cookies


def test_callback_from_another_browser_is_refused(signin_app: Any) -> None:
    """Login CSRF: a callback URL started in someone else's browser signs nobody in here."""
    attacker = Browser(signin_app)
    start = attacker.request("GET", "/staff/signin")
    back = urlsplit(authorize_at_provider(start.headers["Location"], "admin"))
    victim = Browser(signin_app)
    response = victim.request("GET", f"{back.path}?{back.query}")
    assert response.status_code == 401
    assert "__Host-staff_session" not in victim.cookies


def test_replayed_callback_is_refused(signin_app: Any) -> None:
    browser = Browser(signin_app)
    start = browser.request("GET", "/staff/signin")
    state_cookie = browser.cookies["__Host-staff_signin"]
    back = urlsplit(authorize_at_provider(start.headers["Location"], "clerk"))
    assert browser.request("GET", f"{back.path}?{back.query}").status_code == 303
    browser.cookies["__Host-staff_signin"] = state_cookie
    assert browser.request("GET", f"{back.path}?{back.query}").status_code == 401


def test_denied_at_the_provider_is_a_failed_sign_in_page(signin_app: Any) -> None:
    browser = Browser(signin_app)
    browser.request("GET", "/staff/signin")
    state = browser.cookies["__Host-staff_signin"]
    response = browser.request(
        "GET", "/staff/signin/callback?" + urlencode({"error": "access_denied", "state": state})
    )
    assert response.status_code == 401
    assert "Anmeldung fehlgeschlagen" in response.body.decode()


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example", "/forms/x"])
def test_next_never_leaves_the_staff_area(signin_app: Any, next_path: str) -> None:
    response = _sign_in(Browser(signin_app), "viewer", next_path)
    assert response.headers["Location"] == "/staff"


def test_provider_down_is_a_503_page(
    staff_settings: Any, dynamodb_client: Any, clock: FixedClock
) -> None:
    from dataclasses import replace

    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    dead = replace(staff_settings, oidc_issuer="http://127.0.0.1:9")  # nothing listens there
    app_module.set_container(Container(dead, dynamodb=dynamodb_client, clock=clock))
    try:
        with Client(app_module.app) as client:
            response = client.http.get("/staff/signin")
            assert response.status_code == 503
            assert response.headers.get("Retry-After")
    finally:
        app_module.set_container(None)


def test_without_an_issuer_sign_in_says_it_is_not_set_up(client: Any) -> None:
    """A stage with script tokens only: the sign-in is a 404 page that says so, no redirect."""
    response = client.http.get("/staff/signin?lang=en")
    assert response.status_code == 404
    assert "Sign-in not available" in response.body.decode()
    assert "Location" not in response.headers
