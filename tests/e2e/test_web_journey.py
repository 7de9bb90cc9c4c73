"""The citizen's web journey in Chromium, for every form in ``schemas/`` and each example:
from ``/`` to the downloaded permit, with JavaScript and without; by keyboard alone; every
field wrong once; save and return through the e-mailed link in a second browser.

The mails are read from the embedded SMTP server the session started (``live_service``).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import LiveService
from tests.e2e.forms import (
    PAGE_TIMEOUT,
    error_anchor_ids,
    fill_page,
    fill_page_by_keyboard,
    visible_fields,
)
from tests.web.journey import examples, form_files, load_form, own_plates

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.e2e

FORMS = form_files()
CASES = [
    (path, index) for path in FORMS for index in range(len(load_form(path)[0].schema["examples"]))
]


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    opened: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(locale="de-DE", accept_downloads=True, **options)
        context.set_default_timeout(PAGE_TIMEOUT)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def _unique_email(example: dict[str, Any], form: Any, tag: str) -> tuple[dict[str, Any], str]:
    """The example with an address of its own, so this test reads only its own mail."""
    from chalicelib.web.questions.binding import _set

    example = own_plates(form, example)  # a plate holds one active permit
    address = f"{tag}-{uuid.uuid4().hex[:12]}@example.org"
    if form.email_pointer is not None:
        _set(example, form.email_pointer, address)
    return example, address


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "permit.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _go_through_pages(page: Page, live: LiveService, form: Any, model: Any, example: Any) -> None:
    page.goto(f"{live.base_url}/")
    page.click(f'a[href="/forms/{form.id}"]')
    page.click("#start")
    for model_page in model.pages:
        assert page.url.endswith(f"/forms/{form.id}/{model_page.id}"), page.url
        fill_page(page, model_page, example)
        page.click("#continue")
        page.wait_for_load_state()
        assert "Fehler" not in page.title(), (model_page.id, page.inner_text("#main")[:800])


def _press_continue(page: Page) -> None:
    """Tab forward to "Weiter" and press Enter: no pointer involved."""
    for _ in range(60):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == "continue":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
        page.keyboard.press("Tab")
    raise AssertionError("Tab never reached the continue button")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize(
    ("form_path", "example_index"), CASES, ids=lambda v: getattr(v, "stem", str(v))
)
def test_journey_from_start_page_to_printed_permit(
    live_service: LiveService,
    new_context: Callable[..., BrowserContext],
    tmp_path: Path,
    form_path: Path,
    example_index: int,
    javascript: bool,
) -> None:
    form, model = load_form(form_path)
    example, address = _unique_email(
        examples(form)[example_index], form, f"journey{int(javascript)}"
    )
    page = new_context(java_script_enabled=javascript).new_page()
    _go_through_pages(page, live_service, form, model, example)

    assert page.url.endswith(f"/forms/{form.id}/check")
    summary = page.inner_text("#main")
    assert "Prüfen Sie Ihre Angaben" in summary
    for model_page in model.pages:
        assert model_page.title["de"] in summary
    page.click("#submit")
    page.wait_for_load_state()
    if "/sandbox/checkout/" in page.url:  # paid: straight to the provider, then back
        page.click("button.pay")
        page.wait_for_load_state()
    assert "/status/" in page.url, (page.url, page.inner_text("#main")[:600])
    if javascript:
        page.wait_for_selector('[data-status="ISSUED"]')
    assert page.get_attribute("#status", "data-status") == "ISSUED"
    number = page.inner_text("#permit-number").strip()
    assert re.fullmatch(r"\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", number)
    assert page.locator("#private-link").count() == 1

    with page.expect_download() as download_info:
        page.click("#pdf-link")
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf, tmp_path)
    assert number in text
    applicant = example.get("applicant", {})
    if "family_name" in applicant:
        assert applicant["family_name"] in text

    # the mails: confirmation with the private link, "issued" with a download link
    confirmation = live_service.mails_to(address, "Ihr Antrag")
    assert len(confirmation) == 1, "one confirmation per submission"
    issued = live_service.mails_to(address, "ausgestellt")
    assert len(issued) == 1
    body = issued[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(http://\S+/permit\.pdf\?\S+)", body)
    assert link, body
    fetched = live_service.request(
        "GET", live_service.path_of(link.group(1)), headers={"Accept": "application/pdf"}
    )
    assert fetched.status == 200 and fetched.body.startswith(b"%PDF-")


def test_keyboard_only_journey(
    live_service: LiveService, new_context: Callable[..., BrowserContext]
) -> None:
    form, model = load_form(FORMS[0])
    example, _ = _unique_email(examples(form)[0], form, "keyboard")
    page = new_context().new_page()
    page.goto(f"{live_service.base_url}/forms/{form.id}")
    for _ in range(40):  # Tab to "Jetzt starten", Enter
        if page.evaluate("() => document.activeElement && document.activeElement.id") == "start":
            break
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for model_page in model.pages:
        assert page.url.endswith(f"/{model_page.id}"), page.url
        fill_page_by_keyboard(page, model_page, example)
        _press_continue(page)
        page.wait_for_load_state()
        assert "Fehler" not in page.title(), (model_page.id, page.inner_text("#main")[:800])
    assert page.url.endswith("/check")
    for _ in range(80):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == "submit":
            break
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/sandbox/checkout/" in page.url or "/status/" in page.url


@pytest.mark.parametrize("form_path", FORMS, ids=lambda p: p.stem)
def test_each_field_wrong_once_summary_links_focus_the_field(
    live_service: LiveService, new_context: Callable[..., BrowserContext], form_path: Path
) -> None:
    """Every page sent empty (optional dates impossible): each field is named and reachable."""
    form, model = load_form(form_path)
    page = new_context().new_page()
    for model_page in model.pages:
        page.goto(f"{live_service.base_url}/forms/{form.id}/{model_page.id}")
        expected = set()
        for f in visible_fields(model_page, {}):
            if f.required:
                expected.add(f.anchor)
            elif f.widget == "date":
                page.fill(f'[name="{f.name}.day"]', "31")
                page.fill(f'[name="{f.name}.month"]', "2")
                page.fill(f'[name="{f.name}.year"]', "2020")
                expected.add(f.anchor)
        if not expected:
            continue
        page.click("#continue")
        page.wait_for_load_state()
        assert page.title().startswith("Fehler: "), page.title()
        assert page.evaluate("() => document.activeElement.id") == "error-summary"
        anchors = error_anchor_ids(page)
        assert expected <= set(anchors), (model_page.id, expected, anchors)
        for anchor in anchors:
            page.click(f'#error-summary a[href="#{anchor}"]')
            assert page.evaluate("() => document.activeElement.id") == anchor
            describedby = page.get_attribute(f"#{anchor}", "aria-invalid") or page.get_attribute(
                f"#{anchor}", "class"
            )
            assert describedby


def test_save_and_return_on_another_device_through_the_mailed_link(
    live_service: LiveService, new_context: Callable[..., BrowserContext]
) -> None:
    form, model = load_form(FORMS[0])
    example, address = _unique_email(examples(form)[0], form, "resume")
    first = new_context().new_page()
    first.goto(f"{live_service.base_url}/forms/{form.id}/{model.pages[0].id}")
    fill_page(first, model.pages[0], example)
    first.click('button[value="save"]')
    first.wait_for_load_state()
    assert first.url.endswith(f"/forms/{form.id}/save")
    if form.email_pointer is None:
        first.fill("#f-save-email", address)
    assert first.input_value("#f-save-email") == address
    first.click("#save-send")
    first.wait_for_load_state()
    assert address in first.inner_text("#main")

    (mail,) = live_service.mails_to(address, "gespeichert")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(http://\S+/resume/\S+)", body)
    assert link, body
    other = new_context(java_script_enabled=False).new_page()  # another device, no shared cookies
    other.goto(link.group(1))
    other.click("#resume")
    other.wait_for_load_state()
    second = model.pages[1] if len(model.pages) > 1 else model.pages[0]
    assert other.url.endswith(f"/forms/{form.id}/{second.id}"), other.url
    other.goto(f"{live_service.base_url}/forms/{form.id}/{model.pages[0].id}")
    first_field = next(
        f for f in visible_fields(model.pages[0], example) if f.widget in ("text", "email")
    )
    assert other.input_value(f'[name="{first_field.name}"]') != ""


def test_status_page_updates_itself_once_the_payment_is_confirmed(
    live_service: LiveService, new_context: Callable[..., BrowserContext]
) -> None:
    form, model = load_form(FORMS[0])
    example, _ = _unique_email(examples(form)[0], form, "poll")
    page = new_context().new_page()
    _go_through_pages(page, live_service, form, model, example)
    page.click("#submit")
    page.wait_for_load_state()
    if "/sandbox/checkout/" not in page.url:
        pytest.skip("the first form is free: nothing to wait for")
    page.click("button.cancel")  # "Abbrechen": back without paying
    page.wait_for_load_state()
    assert page.get_attribute("#status", "data-status") == "AWAITING_PAYMENT"
    assert page.is_visible("#pay-button"), "the way to pay is there at once"
    assert "Zahlung wird bestätigt" not in page.inner_text("#main")
    application_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    app = live_service.dynamodb.get_item(
        TableName=live_service.table_name,
        Key={"PK": {"S": f"APP#{application_id}"}, "SK": {"S": "A"}},
    )["Item"]
    response = live_service.send_webhook(
        "payment.succeeded",
        application_id=application_id,
        payment_id="pay_poll_1",
        amount_cents=int(app["fee_cents"]["N"]),
    )
    assert response.status == 200
    page.wait_for_selector('[data-status="ISSUED"]', timeout=15_000)  # the script reloaded it
