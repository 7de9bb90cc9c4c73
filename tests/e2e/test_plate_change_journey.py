"""A citizen changes the plate from the status page and prints the new permit (issue 15).

Against the live service (`chalice local`, moto, the sandbox provider, real mail) in
Chromium: private link -> status page -> "Kennzeichen ändern" -> confirmation -> the
sandbox payment page (the demo form charges 10 EUR for a change) -> back on the status page
with the new number -> the new PDF, read with pdftotext. The old QR then verifies as
superseded, the new one as valid. Every new page (citizen and staff) passes axe-core and
reflows at 320 px, in German and English, with errors shown.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import LiveService
from tests.e2e.forms import PAGE_TIMEOUT
from tests.e2e.web import assert_accessible, assert_reflows

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
_PLATES = iter(range(7000, 8000))


def _own_plate() -> str:
    return f"dn ch {next(_PLATES)}"


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "permit.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _verify(live: LiveService, token: str) -> str:
    response = live.request("POST", "/api/verify", {"token": token})
    assert response.status == 200, response.text
    result: str = response.json()["result"]
    return result


def _token(status: dict[str, Any]) -> str:
    token: str = status["permit"]["verify_url"].split("#", 1)[1]
    return token


def test_citizen_changes_the_plate_on_the_status_page_and_gets_the_new_pdf(
    live_service: LiveService, page: Page, tmp_path: Path
) -> None:
    live = live_service
    submitted, issued = live.issue_permit()
    old_number = issued["permit"]["number"]
    old_token = _token(issued)
    new_plate = _own_plate()
    canonical = new_plate.replace(" ", "").upper()

    page.set_default_timeout(PAGE_TIMEOUT)
    page.goto(f"{live.base_url}/link/{submitted.id}/{submitted.access_token}")
    assert page.url.endswith(f"/status/{submitted.id}"), page.url
    page.click("#change-plates")
    assert page.url.endswith(f"/status/{submitted.id}/plates"), page.url
    assert "10,00" in page.inner_text("#change-fee")
    page.fill("#f-vehicle-plates-0", new_plate)
    page.click("#continue")
    page.wait_for_load_state()
    summary = page.inner_text("#change-summary")
    assert canonical in summary
    assert _verify(live, old_token) == "valid"  # nothing changed before the confirmation
    page.click("#confirm")
    page.wait_for_load_state()
    assert "/sandbox/checkout/" in page.url, page.url
    assert "10,00" in page.inner_text("body")
    page.click("button.pay")
    page.wait_for_load_state()
    assert page.url.endswith(f"/status/{submitted.id}"), page.url
    assert page.get_attribute("#status", "data-status") == "ISSUED"
    new_number = page.inner_text("#permit-number").strip()
    assert re.fullmatch(r"\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", new_number)
    assert new_number != old_number
    assert canonical in page.inner_text("#permit-plates")

    with page.expect_download() as download_info:
        page.click("#pdf-link")
    pdf = Path(download_info.value.path()).read_bytes()
    text = _pdf_text(pdf, tmp_path)
    assert new_number in text
    assert canonical in text
    assert old_number not in text

    status = live.status(submitted)
    assert _verify(live, old_token) == "superseded"
    assert _verify(live, _token(status)) == "valid"
    address = live.example()["applicant"]["email"]  # the example's, shared by other tests
    reference = f"Antragsnummer {submitted.id[:8].upper()}"
    assert len(live.mails_to(address, "neuer Ausweis", body_contains=reference)) == 1


@pytest.fixture(params=["de", "en"])
def lang_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    lang = request.param
    context = browser.new_context(locale="de-DE" if lang == "de" else "en-GB", viewport=DESKTOP)
    context.set_default_timeout(PAGE_TIMEOUT)
    try:
        yield lang, context.new_page()
    finally:
        context.close()


def _check(page: Page, lang: str, state: str) -> None:
    assert page.get_attribute("html", "lang") == lang, (page.url, state)
    assert_accessible(page, f"[{lang}] {state}")
    assert_reflows(page)
    page.set_viewport_size(DESKTOP)


def test_every_change_page_is_accessible_and_reflows(
    live_service: LiveService, lang_page: tuple[str, Page], browser: Browser
) -> None:
    lang, page = lang_page
    live = live_service
    submitted, issued = live.issue_permit()
    old_token = _token(issued)
    base = live.base_url
    page.goto(f"{base}/link/{submitted.id}/{submitted.access_token}?lang={lang}")
    _check(page, lang, "status with changes")

    page.click("#change-plates")
    _check(page, lang, "plate form")
    page.fill("#f-vehicle-plates-0", "12345")
    page.click("#continue")
    page.wait_for_load_state()
    assert page.locator("#error-summary").count() == 1
    assert re.match(r"^(Fehler|Error): ", page.title()), page.title()
    _check(page, lang, "plate form with errors")
    page.fill("#f-vehicle-plates-0", _own_plate())
    page.click("#continue")
    page.wait_for_load_state()
    _check(page, lang, "plate confirmation")
    page.click("#confirm")
    page.wait_for_load_state()
    assert "/sandbox/checkout/" in page.url
    page.goto(f"{base}/status/{submitted.id}")
    assert page.locator("#pending-change").count() == 1
    _check(page, lang, "status with a change waiting for payment")

    page.click("#change-move")
    _check(page, lang, "move form")
    page.click("#continue")
    page.wait_for_load_state()
    assert page.locator("#error-summary").count() == 1
    _check(page, lang, "move form with errors")
    page.fill("#f-address-street", "Hohenzollernstraße")
    page.fill("#f-address-house_number", "61")
    page.fill("#f-address-postcode", "52349")
    page.check("#f-address-main_residence")
    page.click("#continue")
    page.wait_for_load_state()
    assert page.locator("#confirm_end").count() == 1, page.inner_text("#main")[:500]
    _check(page, lang, "move confirmation (out of every zone)")
    page.click("#confirm")
    page.wait_for_load_state()
    assert page.locator("#error-summary").count() == 1
    _check(page, lang, "move confirmation without the checkbox")

    # Staff: the supersede page, signed in as a clerk (an access token of the local provider).
    token = live.oidc.access_token("clerk")
    staff = browser.new_context(
        locale="de-DE" if lang == "de" else "en-GB",
        viewport=DESKTOP,
        extra_http_headers={"Authorization": f"Bearer {token}"},
    )
    try:
        staff_page = staff.new_page()
        staff_page.set_default_timeout(PAGE_TIMEOUT)
        staff_page.goto(f"{base}/staff/applications/{submitted.id}/supersede?lang={lang}")
        _check(staff_page, lang, "staff supersede")
        staff_page.fill("#plates", "12345")
        staff_page.click("#supersede")
        staff_page.wait_for_load_state()
        assert staff_page.locator("#error-summary").count() == 1
        _check(staff_page, lang, "staff supersede with errors")
        staff_page.fill("#plates", _own_plate())
        staff_page.fill("#reason", "Fahrzeugwechsel" if lang == "de" else "new vehicle")
        staff_page.click("#supersede")
        staff_page.wait_for_load_state()
        assert staff_page.url.endswith(f"/staff/applications/{submitted.id}?done=superseded")
        assert staff_page.locator("#done").count() == 1
        assert _verify(live, old_token) == "superseded"
    finally:
        staff.close()
