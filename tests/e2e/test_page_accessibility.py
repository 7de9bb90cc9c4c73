"""Every page a citizen sees passes axe-core (WCAG 2.1 AA + best practice) and reflows at
320 CSS px, for every form in ``schemas/``, in German and in English, with errors shown.

The officer app `/v` is checked in every state (online, offline, revoked, invalid, stale list,
after a scan) in `test_officer_app.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import LiveService
from tests.e2e.forms import PAGE_TIMEOUT, fill_page
from tests.e2e.web import assert_accessible, assert_reflows
from tests.web.journey import examples, form_files, load_form, own_plates

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
FORMS = form_files()


@pytest.fixture(params=["de", "en"])
def lang_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    lang = request.param
    context = browser.new_context(locale="de-DE" if lang == "de" else "en-GB", viewport=DESKTOP)
    context.set_default_timeout(PAGE_TIMEOUT)
    try:
        yield lang, context.new_page()
    finally:
        context.close()


def _check(page: Page, lang: str, state: str, checked: list[str]) -> None:
    assert page.get_attribute("html", "lang") == lang, (page.url, state)
    assert_accessible(page, f"[{lang}] {state}")
    assert_reflows(page)
    page.set_viewport_size(DESKTOP)
    checked.append(f"{state} {page.url}")


@pytest.mark.parametrize("form_path", FORMS, ids=lambda p: p.stem)
def test_every_page_of_the_journey_is_accessible_and_reflows(
    live_service: LiveService, lang_page: tuple[str, Page], form_path: Path
) -> None:
    lang, page = lang_page
    form, model = load_form(form_path)
    example = own_plates(form, examples(form)[0])  # one active permit per plate
    base = live_service.base_url
    checked: list[str] = []
    page.goto(f"{base}/?lang={lang}")
    _check(page, lang, "services", checked)
    page.goto(f"{base}/forms/{form.id}")
    _check(page, lang, "start", checked)
    for model_page in model.pages:
        page.goto(f"{base}/forms/{form.id}/{model_page.id}")
        _check(page, lang, f"question {model_page.id}", checked)
        page.click("#continue")
        page.wait_for_load_state()
        if page.locator("#error-summary").count():
            assert re.match(r"^(Fehler|Error): ", page.title()), page.title()
            _check(page, lang, f"errors {model_page.id}", checked)
        fill_page(page, model_page, example)
        page.click("#continue")
        page.wait_for_load_state()
    assert page.url.endswith("/check"), page.url
    _check(page, lang, "check answers", checked)
    page.goto(f"{base}/forms/{form.id}/save")
    _check(page, lang, "save", checked)
    page.fill("#f-save-email", "")
    page.click("#save-send")
    page.wait_for_load_state()
    _check(page, lang, "save with error", checked)
    page.goto(f"{base}/forms/{form.id}/check")
    page.click("#submit")
    page.wait_for_load_state()
    if "/sandbox/checkout/" in page.url:
        page.click("button.cancel")
        page.wait_for_load_state()
        _check(page, lang, "status awaiting payment", checked)
        application_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        item = live_service.dynamodb.get_item(
            TableName=live_service.table_name,
            Key={"PK": {"S": f"APP#{application_id}"}, "SK": {"S": "A"}},
        )["Item"]
        live_service.send_webhook(
            "payment.succeeded",
            application_id=application_id,
            payment_id=f"pay_axe_{lang}_{form.id}",
            amount_cents=int(item["fee_cents"]["N"]),
        )
        page.reload()
    page.wait_for_selector('[data-status="ISSUED"]')
    _check(page, lang, "status issued", checked)
    for path in (
        "/impressum",
        "/datenschutz",
        "/barrierefreiheit",
        "/status/0123456789abcdef0123456789abcdef",
        "/forms/no-such-form",
    ):
        page.goto(f"{base}{path}")
        _check(page, lang, path, checked)
    assert len(checked) >= 2 * len(model.pages) + 10, checked
