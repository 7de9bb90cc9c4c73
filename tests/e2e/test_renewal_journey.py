"""A citizen renews a permit in the browser (issue 15): status page -> "Verlängern" -> the
form's pages pre-filled -> check -> the sandbox payment page -> the new permit.

Against the live service (`chalice local`, moto, the sandbox provider) in Chromium. The
service runs on the real clock, so the permit is brought into its renewal window by moving
its stored last day 10 days ahead (application, permit item and plate claim, written
directly to the table as an operator would; no code of ours is replaced). Every new page
passes axe-core and reflows at 320 px.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.dates import berlin_today, format_de
from tests.e2e.conftest import LiveService
from tests.e2e.forms import PAGE_TIMEOUT, fill_page
from tests.e2e.web import assert_accessible, assert_reflows
from tests.web.journey import SCHEMAS, load_form

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
NEW_ADDRESS = {
    "street": "Kaiserplatz",
    "house_number": "21",
    "postcode": "52349",
    "city": "Musterstadt",
    "main_residence": True,
}


def _end_soon(live: LiveService, application_id: str, last_day: str) -> None:
    """Move the stored last valid day of the application's permit to ``last_day``."""
    client, table = live.dynamodb, live.table_name
    (app,) = [i for i in live.items_of_application(application_id) if i["SK"]["S"] == "A"]
    permit = app["permit"]["M"]
    serial = permit["serial"]["N"]
    client.update_item(
        TableName=table,
        Key={"PK": {"S": f"APP#{application_id}"}, "SK": {"S": "A"}},
        UpdateExpression="SET #p.valid_to = :d",
        ExpressionAttributeNames={"#p": "permit"},
        ExpressionAttributeValues={":d": {"S": last_day}},
    )
    client.update_item(
        TableName=table,
        Key={"PK": {"S": f"PERMIT#{serial}"}, "SK": {"S": "P"}},
        UpdateExpression="SET valid_to = :d, GSI3PK = :k",
        ExpressionAttributeValues={":d": {"S": last_day}, ":k": {"S": f"ENDS#{last_day}"}},
    )
    for plate in permit["claimed_plates"]["L"]:
        client.update_item(
            TableName=table,
            Key={"PK": {"S": f"PLATE#{permit['permit_type']['N']}#{plate['S']}"}, "SK": {"S": "C"}},
            UpdateExpression="SET valid_to = :d",
            ExpressionAttributeValues={":d": {"S": last_day}},
        )


def _check_page(page: Page, state: str) -> None:
    assert_accessible(page, state)
    assert_reflows(page)
    page.set_viewport_size(DESKTOP)


def test_citizen_renews_the_permit_from_the_status_page(
    live_service: LiveService, page: Page
) -> None:
    live = live_service
    submitted, issued = live.issue_permit()
    today = berlin_today(datetime.now(UTC))
    last_day = today + timedelta(days=10)
    _end_soon(live, submitted.id, last_day.isoformat())
    starts = last_day + timedelta(days=1)

    page.set_default_timeout(PAGE_TIMEOUT)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live.base_url}/link/{submitted.id}/{submitted.access_token}")
    assert page.url.endswith(f"/status/{submitted.id}"), page.url
    assert format_de(starts) in page.inner_text("#renewal-text")
    assert page.locator("#data-download").count() == 1
    _check_page(page, "(status page with the renewal offer)")
    page.click("#renew")
    page.wait_for_load_state()

    form, model = load_form(SCHEMAS / "resident-parking-permit.json")
    example = live.example()
    answers = copy.deepcopy(example)
    answers["vehicle"]["plates"] = issued["permit"]["plates"]
    answers["address"] = NEW_ADDRESS
    answers["start_date"] = starts.isoformat()
    for index, model_page in enumerate(model.pages):
        assert page.url.endswith(f"/forms/{form.id}/{model_page.id}"), page.url
        if index == 0:
            given = page.input_value('[name="applicant.given_names"]')
            assert given == example["applicant"]["given_names"]  # pre-filled
            _check_page(page, "(renewal, first page pre-filled)")
        fill_page(page, model_page, answers)
        page.click("#continue")
        page.wait_for_load_state()
        assert "Fehler" not in page.title(), (model_page.id, page.inner_text("#main")[:800])
    assert page.url.endswith(f"/forms/{form.id}/check")
    assert "Kaiserplatz" in page.inner_text("#main")
    _check_page(page, "(renewal, check your answers)")
    page.click("#submit")
    page.wait_for_load_state()
    assert "/sandbox/checkout/" in page.url, page.url
    page.click("button.pay")
    page.wait_for_load_state()
    assert "/status/" in page.url
    page.wait_for_selector('[data-status="ISSUED"]')
    renewal_id = page.url.rsplit("/", 1)[1].split("?")[0]
    assert renewal_id != submitted.id
    validity = page.inner_text("#permit")
    assert format_de(starts) in validity
    _check_page(page, "(the renewed permit)")

    # The old application now says a renewal exists; a second one is refused.
    page.goto(f"{live.base_url}/link/{submitted.id}/{submitted.access_token}")
    assert page.locator("#renewal-started").count() == 1
    assert page.locator("#renew").count() == 0
    again = live.request(
        "POST", f"/api/applications/{submitted.id}/renewal", {}, live.bearer(submitted)
    )
    assert again.status == 409, again.text


def test_the_erasure_page_and_the_data_download_are_accessible(
    live_service: LiveService, browser: Browser
) -> None:
    """Staff (the local script token, role admin) erase an unpaid application; its status
    page then says the personal data is gone and still offers the download."""
    from chalicelib.config import APP_ROOT

    live = live_service
    unpaid = live.submit_example()
    token = (APP_ROOT / ".local" / "staff-token").read_text(encoding="utf-8").strip()
    context = browser.new_context(
        locale="de-DE", viewport=DESKTOP, extra_http_headers={"Authorization": f"Bearer {token}"}
    )
    context.set_default_timeout(PAGE_TIMEOUT)
    try:
        page = context.new_page()
        page.goto(f"{live.base_url}/staff/applications/{unpaid.id}/erasure")
        _check_page(page, "(erasure form)")
        page.click("#erase")  # no reason: the error summary names the field
        page.wait_for_load_state()
        assert page.locator("#error-summary").count() == 1
        _check_page(page, "(erasure form with an error)")
        page.fill("#reason", "Antrag nach Art. 17 DSGVO")
        page.click("#erase")
        page.wait_for_load_state()
        assert page.locator("#erased").count() == 1
        _check_page(page, "(erased)")
    finally:
        context.close()

    citizen = browser.new_page(viewport=DESKTOP)
    citizen.set_default_timeout(PAGE_TIMEOUT)
    citizen.goto(f"{live.base_url}/link/{unpaid.id}/{unpaid.access_token}")
    assert citizen.locator("#anonymised").count() == 1
    with citizen.expect_download() as download:
        citizen.click("#data-download")
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["application"]["id"] == unpaid.id
    assert "applicant" not in exported["application"]["data"]
    _check_page(citizen, "(status page after erasure)")
    citizen.close()
