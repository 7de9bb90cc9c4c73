"""The citizen's pages in-process (chalice.test.Client, DynamoDB over HTTP): every form in
``schemas/`` from its examples, errors from the API's validator, drafts, CSRF, cookies,
private links and signed PDF links. The browser tests (tests/e2e) add JavaScript on/off,
keyboard, axe-core and reflow on top of the same journey.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_items
from tests.web.client import WebSession
from tests.web.journey import examples, form_files, load_form, page_fields

FORMS = form_files()


@pytest.fixture
def web(client: Any) -> WebSession:
    return WebSession(client)


def _walk(web: WebSession, form_path: Path, example_index: int = 0) -> tuple[Any, Any]:
    form, model = load_form(form_path)
    example = examples(form)[example_index]
    for page in model.pages:
        response = web.submit_page(f"/forms/{form.id}/{page.id}", page_fields(page, example))
        assert response.status == 303, (page.id, response.text[:3000])
    return form, model


def test_services_page_lists_every_form_in_german_and_english(web: WebSession) -> None:
    page = web.get("/")
    assert page.status == 200
    assert '<html lang="de">' in page.text
    for path in FORMS:
        form, _ = load_form(path)
        assert form.title["de"] in page.text
        assert f'href="/forms/{form.id}"' in page.text
    english = web.get("/?lang=en")
    assert '<html lang="en">' in english.text
    for path in FORMS:
        form, _ = load_form(path)
        assert form.title["en"] in english.text
    assert any(c.startswith("__Host-lang=en") for c in english.set_cookies())
    assert '<html lang="en">' in web.get("/").text, "the choice is kept in a cookie"


def test_accept_language_picks_english_without_a_choice(web: WebSession) -> None:
    web.accept_language = "en-GB,en;q=0.9"
    assert '<html lang="en">' in web.get("/").text


@pytest.mark.parametrize("form_path", FORMS, ids=lambda p: p.stem)
def test_every_page_of_every_form_renders_its_fields(web: WebSession, form_path: Path) -> None:
    form, model = load_form(form_path)
    start = web.get(f"/forms/{form.id}")
    assert start.status == 200 and form.title["de"] in start.text
    for page in model.pages:
        shown = web.get(f"/forms/{form.id}/{page.id}")
        assert shown.status == 200
        for f in page.fields:
            if f.widget != "fixed":
                assert f'id="{f.anchor}"' in shown.text, (page.id, f.pointer)
        headers = shown.headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["Cache-Control"] == "no-store"
        assert len(shown.body) <= 30 * 1024


def test_autocomplete_inputmode_and_widgets_come_from_the_schema(web: WebSession) -> None:
    applicant = web.get("/forms/resident-parking-permit/applicant").text
    assert re.search(r'id="f-applicant-family_name"[^>]*autocomplete="family-name"', applicant)
    assert re.search(r'id="f-applicant-email"[^>]*type="email"[^>]*autocomplete="email"', applicant)
    assert (
        'autocomplete="bday-day"' in applicant
        and 'name="applicant.date_of_birth.year"' in applicant
    )
    address = web.get("/forms/resident-parking-permit/address").text
    assert re.search(r'id="f-address-postcode"[^>]*inputmode="numeric"', address)
    assert 'type="checkbox"' in address  # the main-residence declaration
    permit = web.get("/forms/resident-parking-permit/permit").text
    assert "<select" in permit and 'name="zone"' in permit  # 14 zones: a select
    assert 'type="radio"' in permit and 'name="duration_months"' in permit  # 3 options: radios
    vehicle = web.get("/forms/resident-parking-permit/vehicle").text
    assert 'value="add:vehicle.plates"' in vehicle  # "add another"
    assert 'data-reveal-name="vehicle.relation"' in vehicle  # the follow-up question


@pytest.mark.parametrize("form_path", FORMS, ids=lambda p: p.stem)
def test_whole_journey_from_the_examples_creates_one_application(
    web: WebSession, form_path: Path, dynamodb_client: Any, table_name: str
) -> None:
    form, _ = _walk(web, form_path)
    check = web.get(f"/forms/{form.id}/check")
    assert check.status == 200, check.text[:2000]
    assert "Prüfen Sie Ihre Angaben" in check.text
    assert 'id="fee-amount"' in check.text
    submitted = web.post(f"/forms/{form.id}/check", {}, web.csrf_from(check))
    assert submitted.status == 303
    again = web.post(f"/forms/{form.id}/check", {}, web.csrf_from(check))  # reload / double click
    assert again.status == 303
    apps = [
        i
        for i in table_items(dynamodb_client, table_name)
        if i.get("type", {}).get("S") == "application"
    ]
    assert len(apps) == 1, "a second POST must not create a second application"
    outbox = [
        i
        for i in table_items(dynamodb_client, table_name)
        if i.get("type", {}).get("S") == "outbox"
    ]
    assert {m["kind"]["S"] for m in outbox} >= {"submitted"}
    assert len([m for m in outbox if m["kind"]["S"] == "submitted"]) == 1


def test_paid_form_goes_straight_to_the_checkout(web: WebSession) -> None:
    form, _ = _walk(web, Path("schemas/resident-parking-permit.json").resolve())
    check = web.get(f"/forms/{form.id}/check")
    assert "30,00 €" in check.text and "12 Monate" in check.text
    submitted = web.post(f"/forms/{form.id}/check", {}, web.csrf_from(check))
    assert "/sandbox/checkout/" in submitted.location


def test_post_without_csrf_token_is_refused_and_changes_nothing(
    web: WebSession, dynamodb_client: Any, table_name: str
) -> None:
    web.get("/forms/resident-parking-permit/applicant")
    response = web.post(
        "/forms/resident-parking-permit/applicant", {"applicant.family_name": "X"}, "wrong"
    )
    assert response.status == 400
    assert "Sitzung abgelaufen" in response.text
    assert table_items(dynamodb_client, table_name) == []


def test_errors_name_each_field_keep_every_value_and_title_says_error(web: WebSession) -> None:
    fields = {
        "applicant.family_name": "Müller😀",
        "applicant.given_names": "",
        "applicant.date_of_birth.day": "31",
        "applicant.date_of_birth.month": "2",
        "applicant.date_of_birth.year": "1990",
        "applicant.email": "not-an-address",
    }
    response = web.submit_page("/forms/resident-parking-permit/applicant", fields)
    assert response.status == 422
    text = response.text
    assert re.search(r"<title>Fehler: ", text)
    assert 'id="error-summary"' in text and "autofocus" in text
    for anchor in (
        "f-applicant-family_name",
        "f-applicant-given_names",
        "f-applicant-date_of_birth-day",
        "f-applicant-email",
    ):
        assert f'href="#{anchor}"' in text, anchor
    assert 'value="Müller😀"' in text and 'value="not-an-address"' in text and 'value="31"' in text
    assert "lateinischer, griechischer oder kyrillischer Schrift" in text  # the form's x-messages
    assert 'aria-invalid="true"' in text


def test_domain_rule_errors_show_at_their_field(web: WebSession) -> None:
    fields = [
        ("vehicle.plates.0", "DN-AB 1"),
        ("vehicle.plates.1", "DN-AB 2"),
        ("vehicle.relation", "holder"),
    ]
    response = web.submit_page("/forms/resident-parking-permit/vehicle", fields)
    assert response.status == 422
    assert "Mehrere Kennzeichen sind nur für wechselnde Firmenwagen möglich." in response.text


def test_follow_up_is_required_only_when_its_condition_holds(web: WebSession) -> None:
    leased = [("vehicle.plates.0", "DN-AB 1"), ("vehicle.relation", "leased")]
    response = web.submit_page("/forms/resident-parking-permit/vehicle", leased)
    assert response.status == 422 and 'href="#f-vehicle-holder_confirmation"' in response.text
    holder = [
        ("vehicle.plates.0", "DN-AB 1"),
        ("vehicle.relation", "holder"),
        ("vehicle.holder_confirmation", "true"),
    ]
    assert web.submit_page("/forms/resident-parking-permit/vehicle", holder).status == 303


def test_add_another_and_remove_keep_the_typed_plates(web: WebSession) -> None:
    page = web.get("/forms/resident-parking-permit/vehicle")
    added = web.post(
        "/forms/resident-parking-permit/vehicle",
        [("vehicle.plates.0", "DN-AB 1"), ("action", "add:vehicle.plates")],
        web.csrf_from(page),
    )
    assert added.status == 200
    assert 'name="vehicle.plates.1"' in added.text and 'value="DN-AB 1"' in added.text
    removed = web.post(
        "/forms/resident-parking-permit/vehicle",
        [
            ("vehicle.plates.0", "DN-AB 1"),
            ("vehicle.plates.1", "DN-AB 2"),
            ("action", "remove:vehicle.plates:0"),
        ],
        web.csrf_from(page),
    )
    assert 'value="DN-AB 2"' in removed.text and 'value="DN-AB 1"' not in removed.text


def test_draft_cookie_is_secure_httponly_samesite_and_session_only(web: WebSession) -> None:
    form, model = load_form(FORMS[0])
    page = model.pages[0]
    response = web.submit_page(f"/forms/{form.id}/{page.id}", page_fields(page, examples(form)[0]))
    draft_cookie = next(
        c for c in response.set_cookies() if c.startswith(f"__Host-draft-{form.id}=")
    )
    assert (
        "HttpOnly" in draft_cookie and "SameSite=Lax" in draft_cookie and "; Secure" in draft_cookie
    )
    assert "Max-Age" not in draft_cookie and "Expires" not in draft_cookie


def test_on_plain_http_127_0_0_1_cookies_drop_secure(
    settings: Any, dynamodb_client: Any, clock: Any
) -> None:
    """make run serves http://127.0.0.1: Safari and curl would drop a Secure cookie there."""
    from dataclasses import replace

    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    local = Container(
        replace(settings, public_base_url="http://127.0.0.1:8000"),
        dynamodb=dynamodb_client,
        clock=clock,
    )
    app_module.set_container(local)
    try:
        with Client(app_module.app) as client:
            response = client.http.get("/forms/resident-parking-permit/applicant")
    finally:
        app_module.set_container(None)
    cookies = response.headers["Set-Cookie"]
    cookies = cookies if isinstance(cookies, list) else [cookies]
    csrf = next(c for c in cookies if "csrf=" in c)
    assert csrf.startswith("csrf=") and "Secure" not in csrf and "HttpOnly" in csrf


def test_expired_drafts_are_not_read(container: Any, clock: Any) -> None:
    draft = container.drafts.save("resident-parking-permit", None, {"zone": "A"})
    assert container.drafts.get(draft.id, "resident-parking-permit") is not None
    clock.advance(days=30, seconds=1)  # moto never deletes TTL-expired items
    assert container.drafts.get(draft.id, "resident-parking-permit") is None


def _submit_paid(web: WebSession) -> str:
    form, _ = _walk(web, FORMS[0])
    check = web.get(f"/forms/{form.id}/check")
    web.post(f"/forms/{form.id}/check", {}, web.csrf_from(check))
    status = web.get(f"/forms/{form.id}/check")  # the draft now forwards to the application
    application_id = status.location.rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9a-f]{32}", application_id), status.location
    return application_id


def test_status_page_needs_the_session_or_the_private_link(client: Any, container: Any) -> None:
    owner = WebSession(client)
    application_id = _submit_paid(owner)
    page = owner.get(f"/status/{application_id}")
    assert page.status == 200 and 'id="pay-button"' in page.text
    link = re.search(r'<a [^>]*id="private-link" href="([^"]+)"', page.text)
    assert link, "the submitting browser sees its private link"
    stranger = WebSession(client)
    refused = stranger.get(f"/status/{application_id}")
    assert refused.status == 404 and "persönlichen Link" in refused.text
    wrong = stranger.get(f"/link/{application_id}/{'x' * 32}")
    assert wrong.status == 404
    opened = stranger.get(link.group(1))
    assert opened.status == 303 and opened.location == f"/status/{application_id}"
    access = next(c for c in opened.set_cookies() if c.startswith("__Host-access="))
    assert "HttpOnly" in access and "Max-Age" not in access
    assert stranger.get(f"/status/{application_id}").status == 200


def test_awaiting_payment_offers_pay_at_once_and_never_claims_confirmation(client: Any) -> None:
    web = WebSession(client)
    application_id = _submit_paid(web)  # the checkout was opened: AWAITING_PAYMENT
    page = web.get(f"/status/{application_id}")
    assert 'data-status="AWAITING_PAYMENT"' in page.text
    assert 'id="pay-button"' in page.text, "the pay button is there at once, not after a minute"
    assert "Zahlung wird bestätigt" not in page.text
    paid = web.post(f"/status/{application_id}/pay", {}, web.csrf_from(page))
    assert "/sandbox/checkout/" in paid.location


def _pay(container: Any, application_id: str) -> None:
    """The provider's confirmation, through the same path a webhook takes after its signature."""
    from chalicelib.services.ports import PaymentEvent

    app = container.store.get_application(application_id)
    event = PaymentEvent(
        "evt_web_1", "payment.succeeded", "pay_web_1", application_id, app.fee_cents, "EUR"
    )
    assert container.payments.apply("sandbox", event).result == "issued"


def test_pdf_link_is_signed_and_short_lived(client: Any, container: Any, clock: Any) -> None:
    web = WebSession(client)
    application_id = _submit_paid(web)
    _pay(container, application_id)
    page = web.get(f"/status/{application_id}")
    assert 'data-status="ISSUED"' in page.text and "PDF herunterladen" in page.text
    href = re.search(r'<a [^>]*href="([^"]+)"[^>]*id="pdf-link"', page.text)
    assert href and "access_token" not in href.group(1)
    url = href.group(1).replace("&amp;", "&")
    pdf = WebSession(client).get(url, {"Accept": "application/pdf,*/*"})  # no cookie needed
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-")
    tampered = WebSession(client).get(
        url[:-2] + ("A" if url[-2] != "A" else "B") + url[-1], {"Accept": "application/pdf,*/*"}
    )
    assert tampered.status == 410
    clock.advance(minutes=11)
    assert WebSession(client).get(url, {"Accept": "application/pdf,*/*"}).status == 410
    outbox = [
        i
        for i in table_items(container.dynamodb, container.settings.table_name)
        if i.get("type", {}).get("S") == "outbox"
    ]
    assert sorted(m["kind"]["S"] for m in outbox) == ["issued", "submitted"]


def test_legal_pages_are_filled_from_configuration(web: WebSession) -> None:
    for path, words in (
        ("/impressum", "Rathausplatz 1"),
        ("/datenschutz", "Datenschutzbeauftragte"),
        ("/barrierefreiheit", "barrierefreiheit@musterstadt.example"),
    ):
        page = web.get(path)
        assert page.status == 200 and words in page.text, path
    assert "Accessibility statement" in web.get("/barrierefreiheit?lang=en").text


def test_assets_are_content_hashed_and_immutable(web: WebSession) -> None:
    page = web.get("/")
    css = re.search(r'href="(/assets/site\.[0-9a-f]{12}\.css)"', page.text)
    assert css
    response = web.get(css.group(1))
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Type"].startswith("text/css")
    font = re.search(r"url\('(FiraSans-Regular\.[0-9a-f]{12}\.woff2)'\)", response.text)
    assert font
    assert (
        web.get(f"/assets/{font.group(1)}", {"Accept": "*/*"})
        .headers["Cache-Control"]
        .endswith("immutable")
    )
    assert web.get("/assets/site.000000000000.css").status == 404


def test_local_mailbox_is_refused_outside_local_and_test(
    settings: Any, dynamodb_client: Any
) -> None:
    from dataclasses import replace

    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    for stage, expected in (("test", 200), ("prod", 404), ("staging", 404)):
        app_module.set_container(
            Container(replace(settings, stage=stage), dynamodb=dynamodb_client)
        )
        try:
            with Client(app_module.app) as client:
                assert client.http.get("/local/mail").status_code == expected, stage
        finally:
            app_module.set_container(None)
