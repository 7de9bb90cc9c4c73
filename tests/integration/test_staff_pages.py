"""The back office in the browser's requests (chalice test client, DynamoDB over HTTP).

Signed in with the static script token (the e2e tests do the same through the browser's
extra headers); roles are walked by the role matrix. Pages show what the API shows, every
view of answers is audited, actions are CSRF-checked POST forms with a required reason
that redirect on success (PRG) and answer the same page with an error summary otherwise.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import table_items
from tests.fakes import AuditRefusingStore
from tests.integration.staff_helpers import STAFF, StaffWorld, staff_world
from tests.web.client import WebSession

__all__ = ["staff_world"]


@pytest.fixture
def web(staff_world: StaffWorld) -> WebSession:
    return WebSession(staff_world.client)


def _get(web: WebSession, path: str) -> Any:
    return web.get(path, headers=STAFF)


def _post(web: WebSession, path: str, fields: dict[str, str], csrf: str | None) -> Any:
    pairs = list(fields.items())
    if csrf is not None:
        pairs.append(("csrf_token", csrf))
    from urllib.parse import urlencode

    headers = web._headers({"Content-Type": "application/x-www-form-urlencoded", **STAFF})
    response = web.client.http.post(path, headers=headers, body=urlencode(pairs).encode())
    return web._keep(response)


def _events(world: StaffWorld, app_id: str) -> list[str]:
    return [entry.event for entry in world.container.store.list_audit(app_id)]


def test_the_queue_page_lists_applications_in_work_order(
    staff_world: StaffWorld, web: WebSession
) -> None:
    submitted = staff_world.apply()
    flagged = staff_world.apply()
    staff_world.checkout(flagged)
    assert staff_world.pay(flagged, amount_cents=1) == "flagged"
    page = _get(web, "/staff")
    assert page.status == 200
    assert '<html lang="de">' in page.text
    rows = re.findall(r'href="/staff/applications/([0-9a-f]{32})"', page.text)
    assert rows == [flagged.id, submitted.id]
    assert "Betrag stimmt nicht" in page.text  # the flag in words
    english = _get(web, "/staff?lang=en")
    assert "Work queue" in english.text
    filtered = _get(web, "/staff?status=SUBMITTED")
    assert re.findall(r'href="/staff/applications/([0-9a-f]{32})"', filtered.text) == [submitted.id]


def test_the_queue_page_pages_and_refuses_a_tampered_cursor(
    staff_world: StaffWorld, web: WebSession
) -> None:
    from chalicelib.services import staff_queue

    for _ in range(staff_queue.DEFAULT_LIMIT + 1):
        staff_world.apply()
    first = _get(web, "/staff")
    next_url = re.search(r'href="(/staff\?cursor=[^"]+)"', first.text)
    assert next_url
    second = _get(web, next_url.group(1).replace("&amp;", "&"))
    assert second.status == 200
    assert len(re.findall(r'href="/staff/applications/', second.text)) == 1
    tampered = _get(web, "/staff?cursor=abc.def")
    assert tampered.status == 422
    assert "error-summary" in tampered.text
    bad_day = _get(web, "/staff?day=21.11.2026")
    assert bad_day.status == 422
    assert 'href="#day"' in bad_day.text and 'aria-invalid="true"' in bad_day.text


def test_the_search_page_finds_by_plate_and_offers_did_you_mean(
    staff_world: StaffWorld, web: WebSession
) -> None:
    applied = staff_world.apply()
    staff_world.checkout(applied)
    assert staff_world.pay(applied) == "issued"
    number = staff_world.permit_number(applied)
    district, letters, digits = applied.plate.split()
    found = _get(web, f"/staff/search?q={district.upper()}-{letters}{digits}")
    assert found.status == 200
    assert f'href="/staff/applications/{applied.id}"' in found.text
    typo = number[:-1] + ("0" if number[-1] != "0" else "1")
    offered = _get(web, f"/staff/search?q={typo}")
    assert 'id="did-you-mean"' in offered.text and number in offered.text
    assert _get(web, "/staff/search").status == 200  # just the box
    too_long = _get(web, "/staff/search?q=" + "x" * 300)
    assert too_long.status == 422 and 'href="#q"' in too_long.text


def test_the_detail_page_shows_answers_after_auditing_the_view(
    staff_world: StaffWorld, web: WebSession
) -> None:
    applied = staff_world.apply(email="page.viewer@example.org")
    page = _get(web, f"/staff/applications/{applied.id}")
    assert page.status == 200
    assert "page.viewer@example.org" in page.text
    assert "E-Mail-Adresse" in page.text  # the schema's label
    assert _events(staff_world, applied.id) == ["submitted", "viewed"]
    assert 'id="cancel"' in page.text  # unpaid: the clerk may cancel
    assert 'id="revoke"' not in page.text
    missing = _get(web, f"/staff/applications/{'0' * 32}")
    assert missing.status == 404


def test_the_detail_page_shows_nothing_when_the_view_cannot_be_audited(
    settings: Any, dynamodb_client: Any, clock: Any
) -> None:
    from chalice.test import Client

    import app as app_module
    from chalicelib.adapters.dynamodb.store import DynamoDBStore
    from chalicelib.wiring import Container

    token = STAFF["Authorization"].split()[1]
    staff_settings = replace(
        settings, staff_token_hashes=(hashlib.sha256(token.encode()).hexdigest(),)
    )
    refusing = AuditRefusingStore(DynamoDBStore(dynamodb_client, settings.table_name))
    container = Container(staff_settings, dynamodb=dynamodb_client, clock=clock, store=refusing)  # type: ignore[typeddict-item]
    app_module.set_container(container)
    try:
        with Client(app_module.app) as client:
            world = StaffWorld(client, container)
            applied = world.apply(email="never.shown@example.org")
            page = WebSession(client).get(f"/staff/applications/{applied.id}", headers=STAFF)
            assert page.status == 503
            assert "never.shown" not in page.text
            assert "Retry-After" in page.headers
    finally:
        app_module.set_container(None)


def test_cancel_through_the_page_with_reason_redirects_and_audits(
    staff_world: StaffWorld, web: WebSession, dynamodb_client: Any, table_name: str
) -> None:
    applied = staff_world.apply()
    path = f"/staff/applications/{applied.id}/cancel"
    form = _get(web, path)
    assert form.status == 200
    csrf = web.csrf_from(form)
    before = table_items(dynamodb_client, table_name)

    empty = _post(web, path, {"reason": " "}, csrf)
    assert empty.status == 422
    assert 'href="#reason"' in empty.text and 'aria-invalid="true"' in empty.text
    no_csrf = _post(web, path, {"reason": "citizen withdrew"}, None)
    assert no_csrf.status == 400
    assert table_items(dynamodb_client, table_name) == before

    done = _post(web, path, {"reason": "citizen withdrew by phone"}, csrf)
    assert done.status == 303
    assert done.location == f"/staff/applications/{applied.id}?done=cancelled"
    shown = _get(web, done.location)
    assert 'id="done"' in shown.text
    entries = staff_world.container.store.list_audit(applied.id)
    cancelled = next(e for e in entries if e.event == "cancelled")
    assert cancelled.detail == {"reason": "citizen withdrew by phone"}
    assert cancelled.actor.startswith("staff:")
    again = _post(web, path, {"reason": "once more"}, csrf)
    assert again.status == 409  # already cancelled: said on the page, nothing changed


def test_revoke_and_resolve_flag_through_the_pages(
    staff_world: StaffWorld, web: WebSession
) -> None:
    issued = staff_world.apply()
    staff_world.checkout(issued)
    assert staff_world.pay(issued) == "issued"
    assert staff_world.pay(issued, amount_cents=issued.fee_cents) in ("duplicate", "flagged")
    detail = _get(web, f"/staff/applications/{issued.id}")
    assert 'id="revoke"' in detail.text

    revoke_path = f"/staff/applications/{issued.id}/revoke"
    csrf = web.csrf_from(_get(web, revoke_path))
    assert _post(web, revoke_path, {"reason": "vehicle sold"}, csrf).status == 303
    assert staff_world.get_json(f"/api/staff/applications/{issued.id}")["status"] == "REVOKED"

    flagged = staff_world.apply()
    staff_world.checkout(flagged)
    assert staff_world.pay(flagged, amount_cents=1) == "flagged"
    resolve_path = f"/staff/applications/{flagged.id}/flags/resolve"
    page = _get(web, f"{resolve_path}?flag=amount_mismatch")
    assert page.status == 200
    csrf = web.csrf_from(page)
    assert _get(web, f"{resolve_path}?flag=made_up").status == 404
    done = _post(web, resolve_path, {"flag": "amount_mismatch", "reason": "refunded"}, csrf)
    assert done.status == 303 and done.location.endswith("?done=resolved")
    gone = _post(web, resolve_path, {"flag": "amount_mismatch", "reason": "twice"}, csrf)
    assert gone.status == 409


def test_the_exports_page_downloads_csv_and_refuses_long_ranges(
    staff_world: StaffWorld, web: WebSession
) -> None:
    applied = staff_world.apply()
    staff_world.checkout(applied)
    assert staff_world.pay(applied) == "issued"
    page = _get(web, "/staff/exports")
    assert page.status == 200 and 'id="download"' in page.text
    download = _get(web, "/staff/exports/download?from=2026-11-21&to=2026-11-21&format=csv")
    assert download.status == 200
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert download.body.startswith("\ufeff".encode())
    assert applied.id in download.text
    too_long = _get(web, "/staff/exports/download?from=2026-01-01&to=2026-03-01&format=csv")
    assert too_long.status == 422 and 'href="#to"' in too_long.text


@pytest.mark.parametrize(
    "path",
    ["/staff", "/staff/search?q=x@example.org", "/staff/exports", "/staff/exports/download"],
)
def test_anonymous_staff_pages_show_no_data(staff_world: StaffWorld, path: str) -> None:
    applied = staff_world.apply(email="x@example.org")
    response = WebSession(staff_world.client).get(path)
    assert response.status != 200
    assert applied.id not in response.text
    detail = WebSession(staff_world.client).get(f"/staff/applications/{applied.id}")
    assert detail.status != 200 and "x@example.org" not in detail.text


@pytest.mark.parametrize(
    ("role", "offered", "exports"),
    [("viewer", False, False), ("clerk", True, False), ("admin", True, True)],
)
def test_each_role_is_offered_only_what_it_may_do(
    signin_app: Any, oidc_provider: Any, role: str, offered: bool, exports: bool
) -> None:
    """A viewer reads (no action buttons, no export link); a clerk acts; an admin exports."""
    import json

    schema = json.loads(signin_app.http.get("/api/forms/resident-parking-permit").body)
    document = schema["examples"][0]
    document["vehicle"]["plates"] = [f"dn ro {1 + ['viewer', 'clerk', 'admin'].index(role)}"]
    created = signin_app.http.post(
        "/api/forms/resident-parking-permit/applications",
        body=json.dumps(document),
        headers={"Content-Type": "application/json"},
    )
    app_id = json.loads(created.body)["id"]
    headers = {"Authorization": f"Bearer {oidc_provider.access_token(role)}"}
    page = signin_app.http.get(f"/staff/applications/{app_id}", headers=headers)
    assert page.status_code == 200
    text = page.body.decode()
    assert ('id="cancel"' in text) is offered
    assert ('href="/staff/exports"' in text) is exports
    queue = signin_app.http.get("/staff", headers=headers).body.decode()
    assert ('href="/staff/exports"' in queue) is exports
