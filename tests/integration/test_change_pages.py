"""The change pages without a browser (issue 15 item 3, issue 12 supersede page).

A browser-like session (cookies, CSRF) over the chalice test client: the citizen opens the
private link, changes the plate or reports a move from the status page; staff replace a
permit from the supersede page. Each refusal names its field and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
from tests.conftest import FixedClock
from tests.integration.payment_helpers import EXAMPLE, PaymentWorld, Submitted, open_world
from tests.web.client import WebSession

STAFF_TOKEN = "staff-token-for-change-pages-0123456"
NO_ZONE = {
    "street": "Hohenzollernstraße",
    "house_number": "61",
    "postcode": "52349",
    "main_residence": "true",
}


def _registry(tmp_path: Path, change_fee: int | None) -> Any:
    from chalicelib.services.form_registry import FormRegistry

    schemas = tmp_path / "schemas"
    shutil.copytree(APP_ROOT / "schemas", schemas)
    path = schemas / "resident-parking-permit.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    if change_fee is None:
        del schema["x-service"]["change_fee"]
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return FormRegistry(schemas)


def _open(settings: Any, dynamodb_client: Any, clock: FixedClock, registry: Any) -> Any:
    staff = replace(
        settings, staff_token_hashes=(hashlib.sha256(STAFF_TOKEN.encode()).hexdigest(),)
    )
    return open_world(staff, dynamodb_client, clock, registry=registry)


@pytest.fixture
def world(
    settings: Any, dynamodb_client: Any, clock: FixedClock, tmp_path: Path
) -> Iterator[PaymentWorld]:
    with _open(settings, dynamodb_client, clock, _registry(tmp_path, None)) as opened:
        yield opened


@pytest.fixture
def fee_world(settings: Any, dynamodb_client: Any, clock: FixedClock) -> Iterator[PaymentWorld]:
    from chalicelib.services.form_registry import FormRegistry

    with _open(settings, dynamodb_client, clock, FormRegistry(APP_ROOT / "schemas")) as opened:
        yield opened


def _issued(world: PaymentWorld, plate: str) -> tuple[Submitted, WebSession, str]:
    """A paid application, a browser session on its status page, and the permit's token."""
    data = json.loads(json.dumps(EXAMPLE))
    data["vehicle"]["plates"] = [plate]
    app = world.submit(data)
    response, _ = world.pay(app)
    assert response.status_code == 200, response.body
    web = WebSession(world.test_client)
    assert web.get(f"/link/{app.id}/{app.token}").status == 303
    token = world.status(app).json_body["permit"]["verify_url"].split("#", 1)[1]
    return app, web, token


def _hidden(page: Any) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)


def test_status_page_offers_plate_change_and_move(world: PaymentWorld) -> None:
    app, web, _ = _issued(world, "dn wp 1")
    page = web.get(f"/status/{app.id}")
    assert page.status == 200
    assert f'href="/status/{app.id}/plates"' in page.text
    assert f'href="/status/{app.id}/move"' in page.text
    assert "Kennzeichen ändern" in page.text


def test_plate_change_form_confirm_and_new_permit(world: PaymentWorld) -> None:
    app, web, old_token = _issued(world, "dn wp 2")
    form = web.get(f"/status/{app.id}/plates")
    assert form.status == 200
    assert 'value="DNWP2"' in form.text  # the current plate, to overwrite
    assert "kostenlos" in form.text
    confirm = web.post(
        f"/status/{app.id}/plates", {"vehicle.plates.0": "dn-wp 3"}, web.csrf_from(form)
    )
    assert confirm.status == 200, confirm.text
    assert "DNWP3" in confirm.text
    assert "sofort ungültig" in confirm.text
    # Nothing is written before the confirmation.
    assert world.verify(old_token).json_body["result"] == "valid"
    done = web.post(f"/status/{app.id}/plates/confirm", _hidden(confirm), web.csrf_from(confirm))
    assert done.status == 303
    assert done.location == f"/status/{app.id}?changed=plates"
    status = web.get(done.location)
    assert "Ihr neuer Ausweis ist ausgestellt" in status.text
    assert "DNWP3" in status.text
    assert world.verify(old_token).json_body["result"] == "superseded"


def test_a_bad_plate_is_shown_at_its_field_and_changes_nothing(world: PaymentWorld) -> None:
    app, web, _token = _issued(world, "dn wp 4")
    form = web.get(f"/status/{app.id}/plates")
    before = world.items()
    page = web.post(f"/status/{app.id}/plates", {"vehicle.plates.0": "12345"}, web.csrf_from(form))
    assert page.status == 422
    assert 'id="error-summary"' in page.text
    assert 'aria-invalid="true"' in page.text
    assert page.text.count("Fehler:") >= 1
    assert world.items() == before


def test_a_plate_held_by_another_permit_is_409_at_its_field(world: PaymentWorld) -> None:
    _issued(world, "dn wp 5")
    app, web, _token = _issued(world, "dn wp 6")
    form = web.get(f"/status/{app.id}/plates")
    before = world.items()
    page = web.post(f"/status/{app.id}/plates", {"vehicle.plates.0": "DNWP5"}, web.csrf_from(form))
    assert page.status == 409
    assert "schon einen gültigen" in page.text
    assert world.items() == before


def test_change_forms_refuse_a_post_without_csrf(world: PaymentWorld) -> None:
    app, web, token = _issued(world, "dn wp 7")
    before = world.items()
    page = web.post(f"/status/{app.id}/plates/confirm", {"vehicle.plates.0": "DNWP8"}, "nope")
    assert page.status == 400
    assert world.items() == before
    assert world.verify(token).json_body["result"] == "valid"


def test_change_pages_need_the_session(world: PaymentWorld) -> None:
    app, _, _ = _issued(world, "dn wp 9")
    stranger = WebSession(world.test_client)
    assert stranger.get(f"/status/{app.id}/plates").status == 404
    assert stranger.get(f"/status/{app.id}/move").status == 404


def test_move_out_of_every_zone_needs_the_checkbox_then_ends_the_permit(
    world: PaymentWorld,
) -> None:
    app, web, token = _issued(world, "dn wp 10")
    form = web.get(f"/status/{app.id}/move")
    assert form.status == 200
    assert 'name="address.street"' in form.text
    fields = {f"address.{k}": v for k, v in NO_ZONE.items()}
    confirm = web.post(f"/status/{app.id}/move", fields, web.csrf_from(form))
    assert confirm.status == 200, confirm.text
    assert "keiner Bewohnerparkzone" in confirm.text
    assert 'name="confirm_end"' in confirm.text
    before = world.items()
    refused = web.post(f"/status/{app.id}/move/confirm", _hidden(confirm), web.csrf_from(confirm))
    assert refused.status == 409
    assert 'id="error-summary"' in refused.text
    assert world.items() == before
    ended = web.post(
        f"/status/{app.id}/move/confirm",
        [*_hidden(refused), ("confirm_end", "true")],
        web.csrf_from(refused),
    )
    assert ended.status == 303
    assert ended.location == f"/status/{app.id}?changed=ended"
    assert world.verify(token).json_body["result"] == "revoked"
    assert "Ihr Ausweis ist beendet" in web.get(ended.location).text


def test_move_with_a_bad_postcode_shows_the_field_error(world: PaymentWorld) -> None:
    app, web, _ = _issued(world, "dn wp 11")
    form = web.get(f"/status/{app.id}/move")
    fields = {f"address.{k}": v for k, v in {**NO_ZONE, "postcode": "123"}.items()}
    page = web.post(f"/status/{app.id}/move", fields, web.csrf_from(form))
    assert page.status == 422
    assert "fünf Ziffern" in page.text


def test_with_a_change_fee_the_confirmation_goes_to_the_payment_page(
    fee_world: PaymentWorld,
) -> None:
    world = fee_world
    app, web, old_token = _issued(world, "dn wp 12")
    form = web.get(f"/status/{app.id}/plates")
    assert "10,00" in form.text
    confirm = web.post(
        f"/status/{app.id}/plates", {"vehicle.plates.0": "DNWP13"}, web.csrf_from(form)
    )
    assert "Ändern und bezahlen" in confirm.text
    paying = web.post(f"/status/{app.id}/plates/confirm", _hidden(confirm), web.csrf_from(confirm))
    assert paying.status == 303
    assert "/sandbox/checkout/" in paying.location
    status = web.get(f"/status/{app.id}")
    assert 'id="pending-change"' in status.text
    assert world.verify(old_token).json_body["result"] == "valid"
    again = web.post(f"/status/{app.id}/change/pay", {}, web.csrf_from(status))
    assert again.status == 303
    assert again.location == paying.location
    # The provider's webhook applies it; the status page then shows the new plate.
    session = world.session_of(paying.location)
    headers, body = world.provider.build_webhook(session, "succeeded")
    assert world.post_webhook(headers, body).json_body["result"] == "issued"
    after = web.get(f"/status/{app.id}")
    assert "DNWP13" in after.text
    assert 'id="pending-change"' not in after.text


# -- staff ----------------------------------------------------------------------------------

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


def test_staff_supersede_page_redirects_to_the_application(world: PaymentWorld) -> None:
    app, _, old_token = _issued(world, "dn ws 1")
    staff = WebSession(world.test_client)
    detail = staff.get(f"/staff/applications/{app.id}", STAFF)
    assert f'href="/staff/applications/{app.id}/supersede"' in detail.text
    page = staff.get(f"/staff/applications/{app.id}/supersede", STAFF)
    assert page.status == 200, page.text
    assert 'name="plates"' in page.text and 'name="reason"' in page.text
    assert "DNWS1" in page.text
    fields = {"plates": "dn ws 2", "reason": "neues Fahrzeug", "csrf_token": staff.csrf_from(page)}
    done = _staff_post(world, staff, app.id, fields)
    assert done.status == 303
    assert done.location == f"/staff/applications/{app.id}?done=superseded"
    detail = staff.get(done.location, STAFF)
    assert detail.status == 200, detail.text
    assert 'id="done"' in detail.text
    assert "DNWS2" in detail.text
    assert world.verify(old_token).json_body["result"] == "superseded"


def _staff_post(world: PaymentWorld, staff: WebSession, app_id: str, fields: dict[str, str]) -> Any:
    from urllib.parse import urlencode

    return staff._keep(
        world.test_client.http.post(
            f"/staff/applications/{app_id}/supersede",
            headers={**staff._headers(STAFF), "Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(fields),
        )
    )


@pytest.mark.parametrize(
    ("fields", "status", "text"),
    [
        ({"plates": "DNWS4", "reason": "x"}, 422, "3 bis 500"),
        ({"plates": "12345", "reason": "neues Auto"}, 422, "Neue Kennzeichen 1"),
        ({"plates": "", "reason": "neues Auto"}, 422, "Mindestens 1"),
        ({"plates": "DNWS3", "reason": "neues Auto"}, 409, "schon einen gültigen"),
    ],
)
def test_staff_supersede_page_shows_errors_and_changes_nothing(
    world: PaymentWorld, fields: dict[str, str], status: int, text: str
) -> None:
    _issued(world, "dn ws 3")
    app, _, token = _issued(world, "dn ws 5")
    staff = WebSession(world.test_client)
    page = staff.get(f"/staff/applications/{app.id}/supersede", STAFF)
    before = world.items()
    refused = _staff_post(world, staff, app.id, {**fields, "csrf_token": staff.csrf_from(page)})
    assert refused.status == status, refused.text
    assert 'id="error-summary"' in refused.text
    assert text in refused.text
    assert world.items() == before
    assert world.verify(token).json_body["result"] == "valid"


def test_staff_supersede_page_refuses_without_csrf_or_credentials(world: PaymentWorld) -> None:
    app, _, _token = _issued(world, "dn ws 6")
    staff = WebSession(world.test_client)
    staff.get(f"/staff/applications/{app.id}/supersede", STAFF)
    before = world.items()
    fields = {"plates": "DNWS7", "reason": "neues Auto", "csrf_token": "wrong"}
    assert _staff_post(world, staff, app.id, fields).status == 400
    anonymous = WebSession(world.test_client)
    assert anonymous.get(f"/staff/applications/{app.id}/supersede").status == 303
    assert anonymous.post(f"/staff/applications/{app.id}/supersede", fields, None).status == 401
    assert world.items() == before
