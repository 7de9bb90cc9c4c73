"""The visitor and tradesperson permits (and Koblenz's size-based resident permit) over HTTP.

Each example goes the whole way: submitted, paid through the sandbox's signed webhook,
issued, printed. The PDF text (pdftotext) must show the form's own title and fields, the QR
code (zbarimg) must carry the service's verify URL, and the token must verify with the
form's own permit type and zone.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
from tests.integration import pdf_tools
from tests.integration.payment_helpers import PaymentWorld, Submitted, open_world

SCHEMAS = APP_ROOT / "schemas"
VISITOR = json.loads((SCHEMAS / "visitor-parking-permit.json").read_text("utf-8"))
TRADES = json.loads((SCHEMAS / "tradesperson-parking-permit.json").read_text("utf-8"))

# What each example's printed permit must show (the test clock's day is 21 Nov 2026).
EXPECTED: dict[tuple[str, int], dict[str, Any]] = {
    ("visitor-parking-permit", 0): {
        "type": 2,
        "zone": "C",
        "plates": ["KLM4711"],
        "valid": ("2026-11-21", "2026-11-23"),  # 3 days, the last one included
        "fee": 750,
        "texts": [
            "BESUCHERPARKAUSWEIS",
            "Visitor parking permit",
            "Zofia Nowak",
            "Schenkelstr. 8",
            "C – Kaiserplatz",
            "21.11.2026",
            "23.11.2026",
            "3 Tage · 3 days",
            "KENNZEICHEN DES BESUCHS",
        ],
    },
    ("visitor-parking-permit", 1): {
        "type": 2,
        "zone": "E",
        "plates": ["ACXY99E"],
        "valid": ("2026-11-21", "2026-12-04"),
        "fee": 3500,
        "texts": ["BESUCHERPARKAUSWEIS", "Ελένη Καραγιάννη", "Kölnstraße 112a", "14 Tage"],
    },
    ("tradesperson-parking-permit", 0): {
        "type": 3,
        "zone": "HW",
        "plates": ["DNES101", "DNES102"],
        "valid": ("2026-11-21", "2027-11-20"),
        "fee": 24000,
        "texts": [
            "HANDWERKERPARKAUSWEIS",
            "Tradesperson parking permit",
            "Elektro Şahin GmbH",
            "Elektrotechnik",
            "Mehmet Şahin, Tel. 02421 556677",
            "HW – alle Zonen",
            "DNES101, DNES102",
        ],
    },
    ("tradesperson-parking-permit", 1): {
        "type": 3,
        "zone": "Z1",
        "plates": ["DNDM7"],
        "valid": ("2026-11-21", "2027-02-20"),
        "fee": 6000,
        "texts": ["HANDWERKERPARKAUSWEIS", "Dachdeckerei Müller & Söhne", "52372 Kreuzau"],
    },
}


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


def _pdf(world: PaymentWorld, app: Submitted) -> bytes:
    response = world.http.get(
        f"/api/applications/{app.id}/permit.pdf", headers={**app.auth, "Accept": "application/pdf"}
    )
    assert response.status_code == 200, response.body
    body: bytes = response.body
    return body


def _issue(world: PaymentWorld, data: dict[str, Any], form_id: str) -> tuple[Submitted, Any]:
    app = world.submit(data, form_id)
    paid, _ = world.pay(app)
    assert paid.status_code == 200, paid.body
    assert paid.json_body["result"] == "issued", paid.json_body
    status = world.status(app).json_body
    assert status["status"] == "ISSUED", status
    return app, status


@pytest.mark.parametrize(("form_id", "index"), sorted(EXPECTED))
def test_each_example_becomes_a_printed_permit_of_its_own_kind(
    world: PaymentWorld, form_id: str, index: int
) -> None:
    expected = EXPECTED[(form_id, index)]
    schema = VISITOR if form_id.startswith("visitor") else TRADES
    app, status = _issue(world, copy.deepcopy(schema["examples"][index]), form_id)
    assert app.body["fee"]["amount_cents"] == expected["fee"]
    assert status["fee"] == app.body["fee"]  # the breakdown stays with the application
    permit = status["permit"]
    assert (permit["zone"], permit["plates"]) == (expected["zone"], expected["plates"])
    assert (permit["valid_from"], permit["valid_until"]) == expected["valid"]

    pdf = _pdf(world, app)
    text = pdf_tools.pdftotext(pdf)
    for shown in expected["texts"]:
        assert shown in text, shown
    assert "BEWOHNERPARKAUSWEIS" not in text
    assert permit["number"] in text
    assert pdf_tools.decode_qr(pdf) == [permit["verify_url"]]

    token = permit["verify_url"].partition("#")[2]
    verified = world.verify(token).json_body
    assert verified["result"] == "valid"
    assert verified["permit"]["zone"] == expected["zone"]
    claims = world.container.keyring.verifier.verify_text(token)
    assert claims.permit_type == expected["type"]
    assert (claims.valid_from.isoformat(), claims.valid_to.isoformat()) == expected["valid"]


def test_the_fee_breakdown_is_shown_in_the_submission_and_status(world: PaymentWorld) -> None:
    app = world.submit(copy.deepcopy(VISITOR["examples"][0]), "visitor-parking-permit")
    assert app.body["fee"] == {
        "amount_cents": 750,
        "currency": "EUR",
        "breakdown": {
            "kind": "per_unit",
            "effective_from": "2025-01-01",
            "explanation": {"de": "3 Tage × 2,50 € = 7,50 €", "en": "3 days × €2.50 = €7.50"},
            "inputs": {"/visit/duration_days": 3},
        },
    }
    assert world.status(app).json_body["fee"] == app.body["fee"]


def test_the_fee_in_force_on_the_day_of_submission_applies(world: PaymentWorld) -> None:
    """The per-day rate rises on 1 Jan 2027: a submission that day pays the new rate."""
    world.clock.advance(days=41)  # 1 Jan 2027, 11:00 Berlin
    app = world.submit(copy.deepcopy(VISITOR["examples"][0]), "visitor-parking-permit")
    assert app.body["fee"]["amount_cents"] == 900
    assert app.body["fee"]["breakdown"]["effective_from"] == "2027-01-01"


# -- one active permit per plate and permit type ---------------------------------------------


def _visitor(plate: str = "k-lm 4711", start: str | None = None, days: int = 3) -> dict[str, Any]:
    data = copy.deepcopy(VISITOR["examples"][0])
    data["visit"].update(plate=plate, duration_days=days)
    if start is not None:
        data["visit"]["start_date"] = start
    return data


def _post(world: PaymentWorld, data: dict[str, Any], form_id: str) -> Any:
    return world.http.post(
        f"/api/forms/{form_id}/applications",
        headers={"Content-Type": "application/json"},
        body=json.dumps(data),
    )


def test_a_second_application_for_a_plate_with_an_active_permit_is_refused(
    world: PaymentWorld,
) -> None:
    _issue(world, _visitor(), "visitor-parking-permit")
    before = world.items()
    refused = _post(world, _visitor("K LM 4711", days=1), "visitor-parking-permit")
    assert refused.status_code == 422, refused.body
    assert refused.json_body["errors"] == [
        {
            "pointer": "/visit/plate",
            "code": "plate_has_active_permit",
            "message": "Für dieses Kennzeichen gibt es schon einen gültigen Besucherparkausweis"
            " (bis 23.11.2026). Ein zweiter wird nicht ausgestellt.",
        }
    ]
    assert world.items() == before  # nothing written
    english = world.http.post(
        "/api/forms/visitor-parking-permit/applications",
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
        body=json.dumps(_visitor(days=1)),
    )
    assert english.json_body["errors"][0]["message"] == (
        "This plate already has a valid Visitor parking permit (until 23.11.2026)."
        " A second one is not issued."
    )


def test_a_permit_that_starts_after_the_active_one_ends_is_accepted(world: PaymentWorld) -> None:
    _issue(world, _visitor(), "visitor-parking-permit")  # 21-23 Nov
    assert _post(world, _visitor(start="2026-11-23"), "visitor-parking-permit").status_code == 422
    later, status = _issue(world, _visitor(start="2026-11-24"), "visitor-parking-permit")
    assert status["permit"]["valid_from"] == "2026-11-24"
    (claim,) = [i for i in world.items() if i["PK"]["S"] == "PLATE#2#KLM4711"]
    assert claim["application_id"]["S"] == later.id  # the later permit holds the plate now


def test_the_same_plate_may_hold_one_permit_of_each_type(world: PaymentWorld) -> None:
    _issue(world, _visitor("DN-AB 123"), "visitor-parking-permit")
    resident = world.submit()  # the resident form's first example: plate "dn ab 123"
    assert resident.body["status"] == "SUBMITTED"
    paid, _ = world.pay(resident)
    assert paid.json_body["result"] == "issued"
    claims = sorted(i["PK"]["S"] for i in world.items() if i["PK"]["S"].startswith("PLATE#"))
    assert claims == ["PLATE#1#DNAB123", "PLATE#2#DNAB123"]


def test_revoking_a_permit_releases_its_plate(world: PaymentWorld) -> None:
    app, _ = _issue(world, _visitor(), "visitor-parking-permit")
    world.container.staff.revoke(app.id, "staff:tests", "issued in error")
    assert [i for i in world.items() if i["PK"]["S"].startswith("PLATE#")] == []
    _, status = _issue(world, _visitor(days=2), "visitor-parking-permit")
    assert status["permit"]["plates"] == ["KLM4711"]


def test_a_refund_that_revokes_releases_the_plate_too(world: PaymentWorld) -> None:
    app = world.submit(_visitor(), "visitor-parking-permit")
    paid, session = world.pay(app)
    assert paid.json_body["result"] == "issued"
    refund = world.webhook("payment.refunded", app.id, session.payment_id, amount_cents=750)
    assert refund.json_body["result"] == "revoked"
    assert [i for i in world.items() if i["PK"]["S"].startswith("PLATE#")] == []
    assert _post(world, _visitor(days=1), "visitor-parking-permit").status_code == 201


def test_revocation_leaves_a_later_permits_claim_alone(world: PaymentWorld) -> None:
    first, _ = _issue(world, _visitor(), "visitor-parking-permit")  # 21-23 Nov
    later, _ = _issue(world, _visitor(start="2026-11-24"), "visitor-parking-permit")
    world.container.staff.revoke(first.id, "staff:tests", "visit cancelled")
    (claim,) = [i for i in world.items() if i["PK"]["S"] == "PLATE#2#KLM4711"]
    assert claim["application_id"]["S"] == later.id


# -- an issuance that fails anyway: flagged, audited, and the provider stops retrying -------


def test_two_paid_applications_for_one_plate_issue_one_and_flag_the_other(
    world: PaymentWorld,
) -> None:
    """Both were submitted before either was paid; the second payment cannot issue."""
    first = world.submit(_visitor(), "visitor-parking-permit")
    second = world.submit(_visitor(days=5), "visitor-parking-permit")
    assert world.pay(first)[0].json_body["result"] == "issued"
    response, _ = world.pay(second)
    assert response.status_code == 200
    assert response.json_body == {"received": True, "result": "flagged"}
    assert world.flags(second.id) == ["issuance_failed"]
    assert world.stored_status(second.id) == "AWAITING_PAYMENT"
    (detail,) = world.audit_details(second.id, "flagged")
    assert detail["flag"] == "issuance_failed"
    assert detail["reason"] == "PlateTakenError"
    assert len(world.permit_items()) == 1
    again, _ = world.pay(second)  # the provider's retry is a duplicate, not a 500
    assert again.status_code == 200


class _BrokenIssuer:
    """An issuer whose every permit fails: what a form the checks missed would do."""

    def build(self, form: Any, app: Any, **_: Any) -> Any:
        from chalicelib.services.issuance import IssuanceFailedError

        raise IssuanceFailedError(f"{form.id}: zone must be 1-2 characters")

    def issue_free(self, form: Any, app: Any) -> Any:
        return self.build(form, app)


def test_an_issuance_that_fails_is_flagged_for_staff_and_acknowledged(
    settings: Any, dynamodb_client: Any, clock: Any
) -> None:
    with open_world(settings, dynamodb_client, clock, issuance=_BrokenIssuer()) as world:
        app = world.submit()
        response, session = world.pay(app)
        assert response.status_code == 200, response.body
        assert response.json_body["result"] == "flagged"
        assert world.flags(app.id) == ["issuance_failed"]
        (detail,) = world.audit_details(app.id, "flagged")
        assert detail == {
            "flag": "issuance_failed",
            "payment_id": session.payment_id,
            "reason": "IssuanceFailedError",
        }
        assert world.permit_items() == []
        # The same delivery again (the provider retries on anything but 2xx): a duplicate.
        headers, body = world.provider.build_webhook(session, "succeeded")
        assert world.post_webhook(headers, body).status_code == 200


# -- inputs: names made of spaces, dates of birth, addresses outside every zone ---------------


@pytest.mark.parametrize(
    ("pointer", "value", "code", "message"),
    [
        ("/resident/family_name", "   ", "not", "Bitte ausfüllen – nur Leerzeichen reichen nicht."),
        (
            "/resident/given_names",
            "\u00a0 ",
            "not",
            "Bitte ausfüllen – nur Leerzeichen reichen nicht.",
        ),
        ("/address/street", "  ", "not", "Bitte ausfüllen – nur Leerzeichen reichen nicht."),
        (
            "/resident/date_of_birth",
            "0001-01-01",
            "date_of_birth_too_early",
            "Bitte prüfen Sie das Geburtsdatum (frühestens 21.11.1906).",
        ),
        (
            "/resident/date_of_birth",
            "2999-01-01",
            "date_of_birth_in_future",
            "Das Geburtsdatum liegt in der Zukunft.",
        ),
        (
            "/resident/date_of_birth",
            "2012-01-01",
            "too_young",
            "Den Ausweis können Sie ab 16 Jahren beantragen.",
        ),
        (
            "/address/street",
            "Am Ellernbusch",
            "zone_unknown_street",
            "Die Straße „Am Ellernbusch“ liegt in keiner Bewohnerparkzone von Musterstadt."
            " Bitte prüfen Sie die Schreibweise.",
        ),
        (
            "/address/house_number",
            "61",
            "zone_number_outside",
            "Die Hausnummer 61 der Hohenzollernstraße liegt in keiner Bewohnerparkzone.",
        ),
        (
            "/address/street",
            "Valencienner Str.",
            "zone_not_offered",
            "Für Zone N (Süd) wird dieser Ausweis nicht ausgestellt.",
        ),
    ],
)
def test_bad_inputs_are_field_errors_that_say_what_to_fix(
    world: PaymentWorld, pointer: str, value: str, code: str, message: str
) -> None:
    data = _visitor()
    if pointer == "/address/house_number":
        data["address"]["street"] = "Hohenzollernstraße"
    *parents, last = pointer.strip("/").split("/")
    target = data
    for part in parents:
        target = target[part]
    target[last] = value
    before = world.items()
    response = _post(world, data, "visitor-parking-permit")
    assert response.status_code == 422, response.body
    assert response.json_body["errors"] == [{"pointer": pointer, "code": code, "message": message}]
    assert world.items() == before


def test_a_resident_whose_entered_zone_is_not_the_addresss_is_told_the_right_one(
    world: PaymentWorld,
) -> None:
    data = copy.deepcopy(
        json.loads((SCHEMAS / "resident-parking-permit.json").read_text())["examples"][0]
    )
    data["zone"] = "B"  # Kaiserplatz is zone C
    response = _post(world, data, "resident-parking-permit")
    assert response.json_body["errors"] == [
        {
            "pointer": "/zone",
            "code": "zone_mismatch",
            "message": "Ihre Anschrift liegt in Zone C (Kaiserplatz), nicht in Zone B.",
        }
    ]


# -- another city: Koblenz's resident permit, priced by the vehicle's size -------------------


def test_koblenz_prices_the_resident_permit_by_vehicle_area(
    settings: Any, dynamodb_client: Any, clock: Any
) -> None:
    from chalicelib.services.form_registry import FormRegistry

    koblenz = FormRegistry(APP_ROOT / "cities" / "koblenz" / "schemas")
    schema = koblenz.get("resident-parking-permit")
    assert schema is not None
    with open_world(settings, dynamodb_client, clock, registry=koblenz) as world:
        golf, status = _issue(
            world, copy.deepcopy(schema.schema["examples"][0]), "resident-parking-permit"
        )
        assert golf.body["fee"]["amount_cents"] == 17912
        assert golf.body["fee"]["breakdown"]["explanation"]["de"] == (
            "4,255 m × 1,799 m × 23,40 €/m² = 179,12 € (kaufmännisch auf volle Cent gerundet)"
        )
        smart = world.submit(copy.deepcopy(schema.schema["examples"][1]), "resident-parking-permit")
        assert smart.body["fee"]["amount_cents"] == 10487
        assert status["permit"]["zone"] == "A"
        text = pdf_tools.pdftotext(_pdf(world, golf))
        assert "Firmungstraße 12" in text and "56068 Koblenz" in text and "A – Altstadt" in text
