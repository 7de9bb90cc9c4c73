"""The whole role x action matrix of the staff area, walked from the app's own route table.

Every route whose path starts with ``/staff`` or ``/api/staff`` must be listed in
:data:`REQUIRED_ROLE` with the lowest role that may call it (``None``: the sign-in routes,
open to everyone). A new staff route that is not listed fails
``test_every_staff_route_is_in_the_matrix``: whoever adds a route adds its row here (and
the values of its path parameters to :data:`PATH_PARAMS`).

For each route and each caller (anonymous, viewer, clerk, admin with OIDC access tokens of
the real local provider, and the static script token):

- anonymous: 401 problem+json on the JSON API, 303 to the sign-in on a page GET, 401 on a
  page POST;
- a role below the required one: 403;
- the required role or higher: neither 401 nor 403 (the route may still answer 404 for an
  unknown id, 409, 422: that is the route's business, not the gate's).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.staff_roles import Role
from tests.conftest import STAFF_SCRIPT_TOKEN

#: (method, route path as registered) -> the lowest role allowed, None for public routes.
REQUIRED_ROLE: dict[tuple[str, str], Role | None] = {
    ("GET", "/api/staff/queue"): Role.VIEWER,
    ("GET", "/api/staff/search"): Role.VIEWER,
    ("GET", "/api/staff/queue/{status}/{day}"): Role.VIEWER,
    ("GET", "/api/staff/applications/{application_id}"): Role.VIEWER,
    ("POST", "/api/staff/applications/{application_id}/revoke"): Role.CLERK,
    ("POST", "/api/staff/applications/{application_id}/supersede"): Role.CLERK,
    ("GET", "/staff/applications/{application_id}/supersede"): Role.CLERK,
    ("POST", "/staff/applications/{application_id}/supersede"): Role.CLERK,
    ("POST", "/api/staff/applications/{application_id}/flags/resolve"): Role.CLERK,
    ("POST", "/api/staff/applications/{application_id}/cancel"): Role.CLERK,
    ("GET", "/api/staff/exports/payments"): Role.ADMIN,
    ("POST", "/api/staff/applications/{application_id}/erasure"): Role.ADMIN,
    ("GET", "/staff/applications/{application_id}/erasure"): Role.ADMIN,
    ("POST", "/staff/applications/{application_id}/erasure"): Role.ADMIN,
    # The back-office pages (web/routes/staff_office.py): read, act, export.
    ("GET", "/staff"): Role.VIEWER,
    ("GET", "/staff/search"): Role.VIEWER,
    ("GET", "/staff/applications/{application_id}"): Role.VIEWER,
    ("GET", "/staff/applications/{application_id}/revoke"): Role.CLERK,
    ("POST", "/staff/applications/{application_id}/revoke"): Role.CLERK,
    ("GET", "/staff/applications/{application_id}/cancel"): Role.CLERK,
    ("POST", "/staff/applications/{application_id}/cancel"): Role.CLERK,
    ("GET", "/staff/applications/{application_id}/flags/resolve"): Role.CLERK,
    ("POST", "/staff/applications/{application_id}/flags/resolve"): Role.CLERK,
    ("GET", "/staff/exports"): Role.ADMIN,
    ("GET", "/staff/exports/download"): Role.ADMIN,
    # Sign-in itself: public by nature (the gate sends people here).
    ("GET", "/staff/signin"): None,
    ("GET", "/staff/signin/callback"): None,
    ("POST", "/staff/signout"): None,
}

#: A value for every path parameter a staff route uses (well-formed, need not exist).
PATH_PARAMS: dict[str, str] = {
    "status": "SUBMITTED",
    "day": "2026-11-21",
    "application_id": "0123456789abcdef0123456789abcdef",
}

#: Bodies for unsafe methods (the route's own validation may still refuse them: not 401/403).
JSON_BODY = {"reason": "role matrix check", "plates": ["DN AB 999"]}
FORM_BODY = {"reason": "role matrix check", "csrf_token": "not-checked-for-bearer"}

ROLES = [Role.VIEWER, Role.CLERK, Role.ADMIN]


def _staff_routes() -> Iterator[tuple[str, str, Any]]:
    import app as app_module

    for path, methods in app_module.app.routes.items():
        if path == "/staff" or path.startswith(("/staff/", "/api/staff")):
            for method, entry in methods.items():
                yield method, path, entry


def test_every_staff_route_is_in_the_matrix() -> None:
    registered = {(method, path) for method, path, _ in _staff_routes()}
    missing = sorted(registered - set(REQUIRED_ROLE))
    assert not missing, (
        f"staff routes without a row in REQUIRED_ROLE (add the lowest role allowed): {missing}"
    )
    stale = sorted(set(REQUIRED_ROLE) - registered)
    assert not stale, f"REQUIRED_ROLE names routes that no longer exist: {stale}"


def test_every_path_parameter_has_a_value() -> None:
    import re

    names = {name for _, path, _ in _staff_routes() for name in re.findall(r"{(\w+)}", path)}
    assert names <= set(PATH_PARAMS), sorted(names - set(PATH_PARAMS))


def _concrete(path: str) -> str:
    for name, value in PATH_PARAMS.items():
        path = path.replace("{" + name + "}", value)
    return path


def _call(client: Any, method: str, path: str, authorization: str | None) -> Any:
    import app as app_module

    entry = app_module.app.routes[path][method]
    headers: dict[str, str] = {}
    if authorization:
        headers["Authorization"] = authorization
    body: str | None = None
    if method not in ("GET", "HEAD"):
        content_types = entry.content_types or ["application/json"]
        if "application/x-www-form-urlencoded" in content_types:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(FORM_BODY)
        else:
            headers["Content-Type"] = "application/json"
            body = json.dumps(JSON_BODY)
    return client.http.request(method, _concrete(path), headers=headers, body=body or b"")


MATRIX = sorted(
    ((method, path) for (method, path), role in REQUIRED_ROLE.items() if role is not None)
)


@pytest.mark.parametrize(("method", "path"), MATRIX, ids=[f"{m} {p}" for m, p in MATRIX])
def test_role_matrix(signin_app: Any, oidc_provider: Any, method: str, path: str) -> None:
    needed = REQUIRED_ROLE[(method, path)]
    assert needed is not None
    is_api = path.startswith("/api/")

    anonymous = _call(signin_app, method, path, None)
    if is_api:
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.headers["Content-Type"] == "application/problem+json"
    elif method == "GET":
        assert anonymous.status_code == 303, (method, path)
        location = anonymous.headers["Location"]
        assert location == "/staff/signin?" + urlencode({"next": _concrete(path)}), location
    else:
        assert anonymous.status_code == 401, (method, path)

    for role in ROLES:
        token = oidc_provider.access_token(role.value)
        response = _call(signin_app, method, path, f"Bearer {token}")
        if role.rank < needed.rank:
            assert response.status_code == 403, (role, method, path, response.body)
        else:
            assert response.status_code not in (401, 403), (role, method, path, response.body)

    script = _call(signin_app, method, path, f"Bearer {STAFF_SCRIPT_TOKEN}")
    assert script.status_code not in (401, 403), ("script token", method, path)


@pytest.mark.parametrize(("method", "path"), MATRIX, ids=[f"{m} {p}" for m, p in MATRIX])
def test_refused_tokens_on_every_staff_route(
    signin_app: Any, oidc_provider: Any, method: str, path: str
) -> None:
    """Signed in at the issuer but in no staff group: 403; a foreign or broken token: 401."""
    import time

    no_role = _call(signin_app, method, path, f"Bearer {oidc_provider.access_token('no-role')}")
    assert no_role.status_code == 403, (method, path)
    expired = oidc_provider.access_token("admin", exp=int(time.time()) - 3600 * 24 * 30)
    wrong_audience = oidc_provider.access_token("admin", client_id="another-app")
    for token in (expired, wrong_audience, "x.y.z", oidc_provider.access_token("admin") + "x"):
        response = _call(signin_app, method, path, f"Bearer {token}")
        assert response.status_code == 401, (method, path, token[:20])
