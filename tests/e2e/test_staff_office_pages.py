"""The back office in Chromium: every staff page passes axe-core, reflows at 320 px and works
by keyboard, in German and English, with errors shown.

Signed in with the local stage's static script token (role admin) through the browser's
extra HTTP headers, so this test does not depend on the identity provider; sign-in itself
and the roles are tested elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from chalicelib.config import APP_ROOT
from tests.e2e.conftest import LiveService
from tests.e2e.forms import PAGE_TIMEOUT
from tests.e2e.web import assert_accessible, assert_reflows

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}


def _staff_token() -> str:
    """The local stage's script token (``make run`` prints it; the e2e service reads it too)."""
    return (APP_ROOT / ".local" / "staff-token").read_text(encoding="utf-8").strip()


@pytest.fixture(params=["de", "en"])
def staff_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    lang = request.param
    context = browser.new_context(
        locale="de-DE" if lang == "de" else "en-GB",
        viewport=DESKTOP,
        extra_http_headers={"Authorization": f"Bearer {_staff_token()}"},
    )
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
    checked.append(state)


def test_every_staff_page_is_accessible_reflows_and_works_by_keyboard(
    live_service: LiveService, staff_page: tuple[str, Page]
) -> None:
    lang, page = staff_page
    base = live_service.base_url
    issued, status = live_service.issue_permit()
    unpaid = live_service.submit_example()
    flagged = live_service.submit_example()
    live_service.open_checkout(flagged)
    wrong = live_service.send_webhook(
        "payment.succeeded",
        application_id=flagged.id,
        payment_id=f"pay_{flagged.id[:8]}",
        amount_cents=1,
    )
    assert wrong.status == 200
    number = status["permit"]["number"]
    plate = status["permit"]["plates"][0]
    checked: list[str] = []

    page.goto(f"{base}/staff?lang={lang}")
    assert page.locator(f'a[href="/staff/applications/{flagged.id}"]').count() == 1
    _check(page, lang, "queue", checked)
    page.goto(f"{base}/staff?day=21.11.2026")
    assert page.locator("#error-summary").count() == 1
    _check(page, lang, "queue with an error", checked)

    # Keyboard: Tab to the search box, type the plate in another spelling, Enter.
    page.goto(f"{base}/staff")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "q":
            break
    else:
        pytest.fail("the search box is not reachable by keyboard")
    page.keyboard.type(plate.lower())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(f'a[href="/staff/applications/{issued.id}"]').count() == 1
    _check(page, lang, "search results", checked)
    typo = number[:-1] + ("0" if number[-1] != "0" else "1")
    page.goto(f"{base}/staff/search?q={typo}")
    assert page.locator("#did-you-mean").count() == 1
    _check(page, lang, "did you mean", checked)
    page.goto(f"{base}/staff/search?q={'x' * 300}")
    _check(page, lang, "search with an error", checked)

    for app_id in (issued.id, unpaid.id, flagged.id):
        page.goto(f"{base}/staff/applications/{app_id}")
        assert page.locator("#logged").count() == 1
        _check(page, lang, f"detail {app_id[:6]}", checked)

    page.goto(f"{base}/staff/applications/{issued.id}/revoke")
    _check(page, lang, "revoke form", checked)
    with page.expect_navigation():
        page.click("#reason-submit")  # no reason: the error summary
    assert page.locator("#error-summary").count() == 1
    _check(page, lang, "revoke form with an error", checked)

    page.goto(f"{base}/staff/applications/{unpaid.id}/cancel")
    _check(page, lang, "cancel form", checked)
    page.focus("#reason")
    page.keyboard.type("Antrag zurückgezogen")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/staff/applications/{unpaid.id}?done=cancelled"), page.url
    assert page.locator("#done").count() == 1
    _check(page, lang, "after cancelling", checked)

    page.goto(f"{base}/staff/applications/{flagged.id}/flags/resolve?flag=amount_mismatch")
    _check(page, lang, "resolve form", checked)

    page.goto(f"{base}/staff/exports")
    _check(page, lang, "exports", checked)
    page.goto(f"{base}/staff/exports/download?from=2026-01-01&to=2026-03-31&format=csv")
    assert page.locator("#error-summary").count() == 1
    _check(page, lang, "exports with an error", checked)
    assert len(checked) == 15
