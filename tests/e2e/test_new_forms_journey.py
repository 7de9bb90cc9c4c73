"""The visitor and tradesperson permits over real HTTP, from submission to a scanned QR code.

Against the live `chalice local` (the session's service): each example of each new form is
submitted, paid on the sandbox checkout page (the signed webhook issues it), downloaded as
a browser would, read back with pdftotext (the form's own title and fields, no resident
wording) and zbarimg (the QR code carries the verify URL), and verified: valid, and the
token's type byte is the form's own permit type.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
from chalicelib.domain.dates import berlin_today
from chalicelib.domain.fees import format_cents
from chalicelib.domain.forms import FormDefinition
from tests.e2e.conftest import LiveService, Submitted
from tests.e2e.test_journey import BROWSER_ACCEPT, _tool, decode_qr
from tests.web.journey import own_plates

pytestmark = pytest.mark.e2e

FORMS = {
    form_id: FormDefinition.from_schema(
        json.loads((APP_ROOT / "schemas" / f"{form_id}.json").read_text("utf-8"))
    )
    for form_id in ("visitor-parking-permit", "tradesperson-parking-permit")
}
SHOWN = {
    ("visitor-parking-permit", 0): [
        "BESUCHERPARKAUSWEIS",
        "Zofia Nowak",
        "C – Kaiserplatz",
        "3 Tage",
    ],
    ("visitor-parking-permit", 1): ["BESUCHERPARKAUSWEIS", "Ελένη Καραγιάννη", "E – Hohenzollern"],
    ("tradesperson-parking-permit", 0): [
        "HANDWERKERPARKAUSWEIS",
        "Elektro Şahin GmbH",
        "Elektrotechnik",
        "HW – alle Zonen",
    ],
    ("tradesperson-parking-permit", 1): [
        "HANDWERKERPARKAUSWEIS",
        "Dachdeckerei Müller & Söhne",
        "Dachdecker",
        "Z1 – Innenstadt (Zonen A–E)",
    ],
}


def _submit(live_service: LiveService, form_id: str, data: dict[str, Any]) -> Submitted:
    response = live_service.request("POST", f"/api/forms/{form_id}/applications", data)
    assert response.status == 201, response.text
    body = response.json()
    return Submitted(body["id"], body["access_token"], body)


@pytest.mark.parametrize(("form_id", "index"), sorted(SHOWN))
def test_an_example_is_submitted_paid_printed_and_verified(
    live_service: LiveService, tmp_path: Path, form_id: str, index: int
) -> None:
    form = FORMS[form_id]
    example = own_plates(form, form.schema["examples"][index])  # one active permit per plate
    submitted = _submit(live_service, form_id, example)
    fee = form.fee_on(example, berlin_today(datetime.now(UTC)))
    assert fee is not None
    assert submitted.body["fee"]["amount_cents"] == fee.amount_cents
    assert submitted.body["fee"]["breakdown"]["explanation"] == fee.breakdown["explanation"]

    checkout_url = live_service.open_checkout(submitted)
    page = live_service.request("GET", live_service.path_of(checkout_url))
    assert page.status == 200
    assert format_cents(fee.amount_cents, "de") in page.text
    assert live_service.pay(checkout_url).status == 303
    status = live_service.status(submitted)
    assert status["status"] == "ISSUED", status
    permit = status["permit"]

    pdf_path = f"/api/applications/{submitted.id}/permit.pdf"
    response = live_service.request(
        "GET", pdf_path, headers={"Accept": BROWSER_ACCEPT, **live_service.bearer(submitted)}
    )
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/pdf"
    (tmp_path / "permit.pdf").write_bytes(response.body)
    text = subprocess.run(
        [_tool("pdftotext"), "-layout", str(tmp_path / "permit.pdf"), "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    for shown in SHOWN[(form_id, index)]:
        assert shown in text, shown
    assert permit["number"] in text
    for plate in permit["plates"]:
        assert plate in text
    assert "BEWOHNERPARKAUSWEIS" not in text and "Bewohnerparkausweis" not in text

    qr = decode_qr(response.body, tmp_path)
    assert qr == permit["verify_url"]
    token = qr.split("#", 1)[1]
    verified = live_service.request("POST", "/api/verify", {"token": token}).json()
    assert verified["result"] == "valid", verified
    assert verified["permit"]["zone"] == permit["zone"]

    from chalicelib.domain.token import token_from_text

    raw = token_from_text(token)
    assert raw[8] == form.permit.permit_type  # the token's type byte (ARCHITECTURE.md)


def test_street_names_are_suggested_as_the_citizen_types(live_service: LiveService) -> None:
    response = live_service.request("GET", "/api/forms/visitor-parking-permit/streets?q=schen")
    assert response.status == 200
    assert response.json() == {"query": "schen", "streets": ["Schenkelstraße"]}


def test_the_listing_has_three_forms(live_service: LiveService) -> None:
    forms = live_service.request("GET", "/api/forms").json()["forms"]
    assert sorted((f["id"], f["permit_type"]) for f in forms) == [
        ("resident-parking-permit", 1),
        ("tradesperson-parking-permit", 3),
        ("visitor-parking-permit", 2),
    ]
