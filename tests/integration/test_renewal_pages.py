"""The renewal in the browser's pages (no browser): status page -> "Verlängern" -> the form's
pages pre-filled -> check -> pay -> the new permit, with an injected clock."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.web.questions.model import form_model
from tests.integration.lifecycle_helpers import PLENTY_OF_TIME, issued
from tests.integration.payment_helpers import EXAMPLE, PaymentWorld, open_world
from tests.web.client import WebSession
from tests.web.journey import page_fields

NEW_ADDRESS = {
    "street": "Weierstraße",
    "house_number": "3",
    "postcode": "52349",
    "city": "Musterstadt",
    "main_residence": True,
}


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


def _browser_for(world: PaymentWorld, app_id: str) -> WebSession:
    """A browser that opened the reminder mail's link (a session for this application)."""
    links = world.container.links
    browser = WebSession(world.test_client)
    link = links.renewal_link(app_id, world.now_ts() + 3600).removeprefix(links.base_url)
    assert browser.get(link).status == 303
    return browser


def test_before_the_window_the_page_says_when_renewal_opens(world: PaymentWorld) -> None:
    app, _ = issued(world)
    browser = _browser_for(world, app.id)
    page = browser.get(f"/status/{app.id}")
    assert page.status == 200
    assert 'id="renewal-text"' in page.text
    assert "Ab 21.10.2027 können Sie ihn hier verlängern" in page.text
    assert 'id="renew"' not in page.text
    first = form_model(world.container.registry.get("resident-parking-permit"))
    question = browser.get(f"/forms/resident-parking-permit/{first.pages[0].id}")
    refused = browser.post(f"/status/{app.id}/renew", {}, browser.csrf_from(question))
    assert refused.status == 409  # a hand-made POST before the window: refused


def test_a_renewal_through_the_pages(world: PaymentWorld) -> None:
    app, old_permit = issued(world)
    world.clock.advance(days=340)  # 27 Oct 2027: inside the window
    browser = _browser_for(world, app.id)
    status = browser.get(f"/status/{app.id}")
    assert 'id="renew"' in status.text
    assert "der neue Ausweis gilt ab 21.11.2027" in status.text
    started = browser.post(f"/status/{app.id}/renew", {}, browser.csrf_from(status))
    assert started.status == 303
    form = world.container.registry.get("resident-parking-permit")
    model = form_model(form)
    assert started.location == f"/forms/{form.id}/{model.pages[0].id}"

    expected = copy.deepcopy(EXAMPLE)
    expected["vehicle"]["plates"] = old_permit["plates"]
    expected["address"] = NEW_ADDRESS
    expected["start_date"] = "2027-11-21"
    for page in model.pages:
        shown = browser.get(f"/forms/{form.id}/{page.id}")
        assert shown.status == 200, shown.text[:300]
        if page.id == model.pages[0].id:
            assert "Gülşen Ayşe" in shown.text  # pre-filled from the last application
        answered = browser.post(
            f"/forms/{form.id}/{page.id}", page_fields(page, expected), browser.csrf_from(shown)
        )
        assert answered.status == 303, answered.text[:2000]
    check = browser.get(f"/forms/{form.id}/check")
    assert check.status == 200
    assert "Weierstraße" in check.text
    submitted = browser.post(f"/forms/{form.id}/check", {}, browser.csrf_from(check))
    assert submitted.status == 303
    checkout = submitted.location
    assert "/sandbox/checkout/" in checkout

    renewal_id = world.container.store.get_application(app.id).renewal_id
    assert renewal_id is not None
    session = world.session_of(checkout)
    headers, body = world.provider.build_webhook(session, "succeeded")
    assert world.post_webhook(headers, body).status_code == 200
    renewal = world.container.store.get_application(renewal_id)
    assert renewal.status.value == "ISSUED"
    assert renewal.permit.valid_from.isoformat() == "2027-11-21"
    assert renewal.data["address"] == NEW_ADDRESS

    new_page = browser.get(f"/status/{renewal_id}")  # the browser's session is the new one's
    assert new_page.status == 200 and 'id="permit-number"' in new_page.text
    again = _browser_for(world, app.id).get(f"/status/{app.id}")
    assert 'id="renewal-started"' in again.text


def test_the_status_page_shows_an_expired_permit(world: PaymentWorld) -> None:
    app, _ = issued(world)
    world.clock.advance(days=366)
    world.container.permit_lifecycle.run(lambda: PLENTY_OF_TIME)
    browser = _browser_for(world, app.id)
    page = browser.get(f"/status/{app.id}")
    assert 'data-status="EXPIRED"' in page.text
    assert "Abgelaufen" in page.text
    assert "Dieser Ausweis ist am 20.11.2027 abgelaufen" in page.text
    assert 'id="renew"' not in page.text
