"""The citizen's changes over HTTP (issue 15 item 3): plate change and move within the city.

Authorised by the application's access token; every change is one transaction with its
audit entry; the old QR verifies as superseded (or revoked) at once, the new one as valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import FixedClock
from tests.integration.payment_helpers import (
    EXAMPLE,
    PaymentWorld,
    Submitted,
    kind_of,
    open_world,
)

SAME_ZONE = {  # the example lives at Kaiserplatz 7a, zone C; Weierstraße is zone C too
    "street": "Weierstraße",
    "house_number": "3",
    "postcode": "52349",
    "city": "Musterstadt",
    "main_residence": True,
}
OTHER_ZONE = {**SAME_ZONE, "street": "Markt", "house_number": "1"}  # zone A
NO_ZONE = {**SAME_ZONE, "street": "Hohenzollernstraße", "house_number": "61"}  # past zone E


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: FixedClock) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


def _issued(world: PaymentWorld, plate: str) -> tuple[Submitted, str]:
    data = json.loads(json.dumps(EXAMPLE))
    data["vehicle"]["plates"] = [plate]
    app = world.submit(data)
    response, _ = world.pay(app)
    assert response.status_code == 200, response.body
    return app, _token(world, app)


def _token(world: PaymentWorld, app: Submitted) -> str:
    token: str = world.status(app).json_body["permit"]["verify_url"].split("#", 1)[1]
    return token


def _post(world: PaymentWorld, app: Submitted, what: str, body: Any, auth: Any = None) -> Any:
    return world.http.post(
        f"/api/applications/{app.id}/{what}",
        headers={**(auth if auth is not None else app.auth), "Content-Type": "application/json"},
        body=json.dumps(body),
    )


def _stored_data(world: PaymentWorld, app: Submitted) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(world.application_item(app.id)["data"]["S"])
    return data


# -- plate change ---------------------------------------------------------------------------


def test_plate_change_issues_a_new_permit_and_the_old_qr_is_superseded(
    world: PaymentWorld,
) -> None:
    app, old_token = _issued(world, "dn pc 1")
    response = _post(world, app, "plate-change", {"plates": ["dn-pc 2"]})
    assert response.status_code == 201, response.body
    body = response.json_body
    assert body["result"] == "superseded"
    assert body["permit"]["plates"] == ["DNPC2"]
    new_token = body["permit"]["verify_url"].split("#", 1)[1]
    assert world.verify(old_token).json_body["result"] == "superseded"
    assert world.verify(new_token).json_body["result"] == "valid"
    assert _stored_data(world, app)["vehicle"]["plates"] == ["DNPC2"]
    assert world.audit_details(app.id, "superseded")[0]["reason"] == "plate_change"
    audits = [i for i in world.items() if kind_of(i) == "audit" and i["event"]["S"] == "superseded"]
    assert [a["actor"]["S"] for a in audits] == ["citizen"]


def test_plate_change_needs_the_access_token_and_changes_nothing_without(
    world: PaymentWorld,
) -> None:
    app, token = _issued(world, "dn pc 3")
    before = world.items()
    for auth in ({}, {"Authorization": "Bearer " + "x" * 43}):
        assert _post(world, app, "plate-change", {"plates": ["DNPC4"]}, auth).status_code == 404
    assert world.items() == before
    assert world.verify(token).json_body["result"] == "valid"


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        ({"plates": ["DN PC 5"]}, "/plates", "plates_unchanged"),
        ({"plates": ["1234"]}, "/plates/0", "pattern"),
        ({"plates": None}, "/plates", "type"),
        ({}, "/plates", "type"),
    ],
)
def test_bad_plate_change_is_422_naming_the_field_and_changes_nothing(
    world: PaymentWorld, body: dict[str, Any], pointer: str, code: str
) -> None:
    app, token = _issued(world, "dn pc 5")
    before = world.items()
    response = _post(world, app, "plate-change", body)
    assert response.status_code == 422, response.body
    errors = [(e["pointer"], e["code"]) for e in response.json_body["errors"]]
    assert (pointer, code) in errors
    assert world.items() == before
    assert world.verify(token).json_body["result"] == "valid"


def test_plate_of_another_active_permit_is_409_and_changes_nothing(world: PaymentWorld) -> None:
    _issued(world, "dn pc 6")
    app, _ = _issued(world, "dn pc 7")
    before = world.items()
    response = _post(world, app, "plate-change", {"plates": ["DNPC6"]})
    assert response.status_code == 409
    assert response.json_body["errors"][0]["pointer"] == "/plates/0"
    assert world.items() == before


def test_an_unpaid_application_cannot_change_plates(world: PaymentWorld) -> None:
    app = world.submit()
    response = _post(world, app, "plate-change", {"plates": ["DNPC8"]})
    assert response.status_code == 409


# -- move -----------------------------------------------------------------------------------


def test_move_within_the_zone_updates_the_address_and_keeps_the_permit(
    world: PaymentWorld,
) -> None:
    app, token = _issued(world, "dn mv 1")
    number = world.status(app).json_body["permit"]["number"]
    response = _post(world, app, "move", {"address": SAME_ZONE})
    assert response.status_code == 200, response.body
    assert response.json_body["result"] == "address_updated"
    assert response.json_body["permit"]["number"] == number
    assert world.verify(token).json_body["result"] == "valid"
    assert _stored_data(world, app)["address"]["street"] == "Weierstraße"
    assert world.audit_events(app.id)[-1] == "address_changed"
    assert sorted(p["status"]["S"] for p in world.permit_items()) == ["ISSUED"]


def test_move_to_another_zone_supersedes_with_the_new_zone(world: PaymentWorld) -> None:
    app, old_token = _issued(world, "dn mv 2")
    response = _post(world, app, "move", {"address": OTHER_ZONE})
    assert response.status_code == 201, response.body
    body = response.json_body
    assert body["result"] == "superseded"
    assert body["permit"]["zone"] == "A"
    new_token = body["permit"]["verify_url"].split("#", 1)[1]
    assert world.verify(old_token).json_body["result"] == "superseded"
    verdict = world.verify(new_token).json_body
    assert (verdict["result"], verdict["permit"]["zone"]) == ("valid", "A")
    stored = _stored_data(world, app)
    assert (stored["address"]["street"], stored["zone"]) == ("Markt", "A")
    assert world.application_item(app.id)["zone"]["S"] == "A"
    assert world.audit_details(app.id, "superseded")[0]["reason"] == "moved"


def test_move_out_of_every_zone_needs_confirmation_then_ends_the_permit(
    world: PaymentWorld,
) -> None:
    app, token = _issued(world, "dn mv 3")
    before = world.items()
    refused = _post(world, app, "move", {"address": NO_ZONE})
    assert refused.status_code == 409
    assert refused.json_body["errors"][0]["pointer"] == "/confirm_end"
    assert refused.json_body["errors"][0]["code"] == "move_ends_permit"
    assert world.items() == before

    ended = _post(world, app, "move", {"address": NO_ZONE, "confirm_end": True})
    assert ended.status_code == 200, ended.body
    assert ended.json_body["result"] == "ended"
    assert ended.json_body["status"] == "REVOKED"
    assert world.verify(token).json_body["result"] == "revoked"
    assert world.audit_details(app.id, "ended") == [
        {"reason": "moved_out_of_zones", "permit_number": ended.json_body["ended_permit_number"]}
    ]
    # The plate is free again, and the address outside the zones was not kept.
    assert [i for i in world.items() if kind_of(i) == "plate_claim"] == []
    assert _stored_data(world, app)["address"]["street"] == "Kaiserplatz"


def test_an_unknown_street_is_outside_every_zone_too(world: PaymentWorld) -> None:
    app, _ = _issued(world, "dn mv 4")
    unknown = {**SAME_ZONE, "street": "Feldweg"}
    response = _post(world, app, "move", {"address": unknown})
    assert response.status_code == 409
    assert response.json_body["errors"][0]["pointer"] == "/confirm_end"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"address": {**SAME_ZONE, "postcode": "5234"}}, "/address/postcode"),
        ({"address": {**SAME_ZONE, "city": "Köln"}}, "/address/city"),
        ({"address": {k: v for k, v in SAME_ZONE.items() if k != "house_number"}},
         "/address/house_number"),
        ({"address": "Markt 1"}, "/address"),
        ({"address": SAME_ZONE, "confirm_end": "yes"}, "/confirm_end"),
        ({"address": {**EXAMPLE["address"]}}, "/address"),  # unchanged
    ],
)  # fmt: skip
def test_bad_move_is_422_naming_the_field_and_changes_nothing(
    world: PaymentWorld, body: dict[str, Any], pointer: str
) -> None:
    app, token = _issued(world, "dn mv 5")
    before = world.items()
    response = _post(world, app, "move", body)
    assert response.status_code == 422, response.body
    assert pointer in [e["pointer"] for e in response.json_body["errors"]]
    assert world.items() == before
    assert world.verify(token).json_body["result"] == "valid"
