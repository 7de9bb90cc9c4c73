"""The verification page an officer's phone opens from the QR code, in a real headless Chromium.

Permits are made through the running service exactly as citizens make them (submit, sandbox
checkout, Pay -> signed webhook), revoked the way a refund revokes them (a signed
`payment.refunded`). Two cases cannot be reached through the API and are set up directly:

- EXPIRED: no form accepts a start date in the past, and the service's clock is the real one.
  The test signs a token with the running service's own key (`PERMIT_LOCAL_KEY_PATH`, key id
  1, the key `local_environment` made) for last year's dates and writes the matching permit
  item into the table with `items.permit_item`, the same serialiser the service writes with.
  The service then verifies it like any other permit.

Offline behaviour (in-page signature check, revocation list, service worker) is covered by
`test_officer_app.py` with Playwright.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import Dom, dump_dom, parse_dom, screenshot
from tests.e2e.conftest import LiveService, Submitted

pytestmark = pytest.mark.e2e

# From schemas/resident-parking-permit.json examples[0]: none of it may reach the page.
PERSONAL_DATA = ("Öztürk", "Gülşen", "Ayşe", "Kaiserplatz", "guelsen.oeztuerk", "1984")


@dataclass(frozen=True)
class Issued:
    submitted: Submitted
    status: dict[str, Any]

    @property
    def token(self) -> str:
        url: str = self.status["permit"]["verify_url"]
        return url.split("#", 1)[1]


def german(iso_day: str) -> str:
    return date.fromisoformat(iso_day).strftime("%d.%m.%Y")


def open_page(live_service: LiveService, token: str | None) -> Dom:
    url = f"{live_service.base_url}/v" + (f"#{token}" if token is not None else "")
    return parse_dom(dump_dom(url))


def assert_no_personal_data(html_or_text: str) -> None:
    for fragment in PERSONAL_DATA:
        assert fragment not in html_or_text, fragment


@pytest.fixture(scope="module")
def valid_permit(live_service: LiveService, chromium: str) -> Issued:
    submitted, status = live_service.issue_permit()
    return Issued(submitted, status)


def test_the_page_is_small_self_contained_and_locked_down(live_service: LiveService) -> None:
    response = live_service.request("GET", "/v")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "connect-src 'self'" in csp
    assert "script-src 'self';" in csp  # the app's own script file, nothing inline
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    page = response.text
    assert len(response.body) < 16_000
    assert 'name="viewport"' in page
    assert "http://" not in page and "https://" not in page  # no external asset of any kind


def test_valid_permit_shows_valid_plate_zone_and_dates(
    live_service: LiveService, valid_permit: Issued
) -> None:
    html = dump_dom(f"{live_service.base_url}/v#{valid_permit.token}")
    dom = parse_dom(html)
    permit = valid_permit.status["permit"]

    assert dom.attr("result", "data-result") == "valid"
    assert dom.attr("result", "data-source") == "online"
    assert dom.text("verdict-de") == "✔ GÜLTIG – online bestätigt"
    assert dom.text("verdict-en") == "✔ VALID – confirmed online"
    assert dom.text("plates") == permit["plates"][0]
    assert dom.text("zone") == permit["zone"] == "C"
    assert dom.text("valid-from") == german(permit["valid_from"])
    assert dom.text("valid-until") == german(permit["valid_until"])
    assert dom.text("permit-number") == permit["number"]
    assert not dom.hidden("permit")
    assert dom.hidden("message")
    assert_no_personal_data(html)


def test_valid_page_screenshot_at_phone_size(
    live_service: LiveService, valid_permit: Issued, tmp_path: Path
) -> None:
    from PIL import Image

    png = screenshot(f"{live_service.base_url}/v#{valid_permit.token}", tmp_path / "valid.png")
    assert png.stat().st_size > 5_000
    with Image.open(png) as image:
        assert image.size == (390, 844)
        total = image.width * image.height
        counted = image.convert("RGB").getcolors(total) or []
        colours = {colour: count for count, colour in counted}
    # The verdict colours the page green; the permit card is white with black text.
    assert colours.get((0x00, 0x59, 0x16), 0) > total * 0.10, "no green verdict"
    assert colours.get((0xFF, 0xFF, 0xFF), 0) > total * 0.10, "no white permit card"
    assert colours.get((0x13, 0x15, 0x25), 0) > total * 0.01, "no dark plate text"


def test_revoked_permit_shows_revoked(live_service: LiveService, chromium: str) -> None:
    submitted, status = live_service.issue_permit()
    refund = live_service.send_webhook(
        "payment.refunded",
        application_id=submitted.id,
        payment_id=live_service.payment_id(submitted.id),
        amount_cents=submitted.body["fee"]["amount_cents"],
    )
    assert refund.status == 200 and refund.json()["result"] == "revoked", refund.text
    token = status["permit"]["verify_url"].split("#", 1)[1]

    html = dump_dom(f"{live_service.base_url}/v#{token}")
    dom = parse_dom(html)
    assert dom.attr("result", "data-result") == "revoked"
    assert dom.text("verdict-de") == "✖ WIDERRUFEN – online bestätigt"
    assert dom.text("verdict-en") == "✖ REVOKED – confirmed online"
    assert dom.text("plates") == status["permit"]["plates"][0]
    assert "GÜLTIG" not in dom.text("verdict-de")
    assert_no_personal_data(html)


def _expired_token(live_service: LiveService) -> tuple[str, str]:
    """A permit that ended last year, signed with the running service's key (see module doc)."""
    from chalicelib.adapters.dynamodb.items import permit_item
    from chalicelib.adapters.signing.local_key import LocalKeySigner
    from chalicelib.domain.lifecycle import Status
    from chalicelib.domain.permit_number import format_permit_number
    from chalicelib.domain.records import PermitRecord
    from chalicelib.domain.token import (
        PERMIT_TYPE_RESIDENT_PARKING,
        PermitClaims,
        sign_token,
        token_to_text,
    )

    env = live_service.env
    signer = LocalKeySigner(
        Path(env["PERMIT_LOCAL_KEY_PATH"]), int(env.get("PERMIT_SIGNING_KEY_ID", "1"))
    )
    last_year = datetime.now(UTC).year - 1
    serial = secrets.randbits(32)
    claims = PermitClaims(
        serial=serial,
        zone="C",
        permit_type=PERMIT_TYPE_RESIDENT_PARKING,
        valid_from=date(last_year, 1, 1),
        valid_to=date(last_year, 12, 31),
        plates=("DNEX2024",),
    )
    token = token_to_text(sign_token(claims, signer))
    number = format_permit_number(last_year, serial)
    record = PermitRecord(
        serial=serial,
        number=number,
        application_id=secrets.token_hex(16),
        form_id="resident-parking-permit",
        permit_type=PERMIT_TYPE_RESIDENT_PARKING,
        zone="C",
        plates=claims.plates,
        valid_from=claims.valid_from,
        valid_to=claims.valid_to,
        token=token,
        key_id=signer.key_id,
        status=Status.ISSUED,
        issued_at=datetime(last_year, 1, 1, 9, 0, tzinfo=UTC),
    )
    live_service.dynamodb.put_item(
        TableName=live_service.table_name,
        Item=permit_item(record),
        ConditionExpression="attribute_not_exists(PK)",
    )
    return token, number


def test_expired_permit_shows_expired(live_service: LiveService, chromium: str) -> None:
    token, number = _expired_token(live_service)
    api = live_service.request("POST", "/api/verify", {"token": token}).json()
    assert api["result"] == "expired", api  # the service accepts the signature: only dates fail

    dom = open_page(live_service, token)
    last_year = datetime.now(UTC).year - 1
    assert dom.attr("result", "data-result") == "expired"
    assert dom.text("verdict-de") == "✖ ABGELAUFEN – online bestätigt"
    assert dom.text("verdict-en") == "✖ EXPIRED – confirmed online"
    assert dom.text("plates") == "DNEX2024"
    assert dom.text("valid-until") == f"31.12.{last_year}"
    assert dom.text("permit-number") == number


def test_tampered_token_shows_invalid_and_nothing_else(
    live_service: LiveService, valid_permit: Issued
) -> None:
    token = valid_permit.token
    position = len(token) // 2  # inside the signed bytes; one digit changed
    tampered = token[:position] + str((int(token[position]) + 1) % 10) + token[position + 1 :]
    assert tampered != token

    html = dump_dom(f"{live_service.base_url}/v#{tampered}")
    dom = parse_dom(html)
    assert dom.attr("result", "data-result") == "invalid"
    assert dom.text("verdict-de") == "✖ UNGÜLTIG – online bestätigt"
    assert dom.text("verdict-en") == "✖ INVALID – confirmed online"
    assert dom.hidden("permit")
    assert valid_permit.status["permit"]["plates"][0] not in dom.body_text


def test_without_a_token_the_page_explains_what_to_do(
    live_service: LiveService, chromium: str
) -> None:
    dom = open_page(live_service, None)
    assert dom.attr("result", "data-result") == "no_token"
    assert "QR-Code" in dom.text("message")
    assert dom.hidden("permit")
