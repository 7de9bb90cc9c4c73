"""Issue 12's "done when", in Chromium against the live service and the local OIDC provider.

A clerk signs in at the provider, finds a permit by its number typed the way people type it
(lower case, no hyphens), replaces it with a new plate; the old QR then verifies as
superseded and the new one as valid. An admin (exports are the admin's, see
docs/decisions.md) signs in and downloads the day's reconciliation as CSV, which books the
permit's payment under its Kassenzeichen.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.plates import normalise_plate
from tests.e2e.conftest import LiveService
from tests.e2e.forms import PAGE_TIMEOUT

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

_PLATES = itertools.count(301)


def _sign_in(page: Page, live: LiveService, path: str, user: str) -> None:
    page.goto(live.base_url + path)
    assert page.url.startswith(live.oidc.issuer), page.url  # anonymous: off to the provider
    page.get_by_role("button", name=f"Authorize as {user}").click()
    page.wait_for_load_state()
    assert page.url.startswith(live.base_url + path.split("?")[0]), page.url


def _verify(live: LiveService, token: str) -> str:
    response = live.request("POST", "/api/verify", {"token": token})
    assert response.status == 200, response.text
    result: str = response.json()["result"]
    return result


def _token(status: dict[str, Any]) -> str:
    token: str = status["permit"]["verify_url"].split("#", 1)[1]
    return token


def test_clerk_finds_and_replaces_a_permit_and_admin_downloads_the_days_payments(
    live_service: LiveService, page: Page, tmp_path: Path
) -> None:
    live = live_service
    page.set_default_timeout(PAGE_TIMEOUT)
    submitted, status = live.issue_permit()
    number: str = status["permit"]["number"]
    old_token = _token(status)

    _sign_in(page, live, "/staff", "clerk")
    page.fill("#q", number.replace("-", "").lower())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.click(f'a[href="/staff/applications/{submitted.id}"]')
    page.wait_for_load_state()
    page.click("#supersede")
    page.wait_for_load_state()
    new_plate = f"dn bo {next(_PLATES)}"
    page.fill("#plates", new_plate)
    page.fill("#reason", "Fahrzeugwechsel, Zulassung vorgelegt")
    page.click("#supersede")
    page.wait_for_load_state()
    assert page.url.endswith(f"/staff/applications/{submitted.id}?done=superseded"), page.url

    after = live.status(submitted)
    assert after["permit"]["number"] != number
    assert after["permit"]["plates"] == [normalise_plate(new_plate)]
    assert _verify(live, old_token) == "superseded"
    assert _verify(live, _token(after)) == "valid"

    page.click("#staff-signout")
    page.wait_for_load_state()
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    _sign_in(page, live, "/staff/exports", "admin")
    page.fill("#from", today)
    page.fill("#to", today)
    page.check("input[name=format][value=csv]")
    with page.expect_download() as download_info:
        page.click("#download")
    saved = tmp_path / "payments.csv"
    download_info.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]  # UTF-8 with BOM, for spreadsheets
    lines = raw.decode("utf-8-sig").splitlines()
    assert ";" in lines[0]
    reference = payment_reference(submitted.id)
    booked = [line for line in lines if reference in line]
    assert booked, json.dumps(lines[:5])
