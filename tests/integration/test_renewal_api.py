"""Renewal (issue 15 item 1) over HTTP: ``POST /api/applications/{id}/renewal``.

With an injected clock: 409 outside the window and for a second renewal, 201 inside it with
the answers pre-filled from the last application and the address and declarations asked
again; the new permit starts the day after the old one ends (no gap, no overlap), the plate
is held for the new period, and no reminder follows an issued renewal.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.lifecycle_helpers import PLENTY_OF_TIME, issued, reminder_days_sent
from tests.integration.payment_helpers import EXAMPLE, PaymentWorld, Submitted, open_world

NEW_ADDRESS = {
    "street": "Weierstraße",  # moved within zone C
    "house_number": "12",
    "postcode": "52349",
    "city": "Musterstadt",
    "main_residence": True,
}
DECLARATIONS = {"no_private_parking": True, "truthful": True}
ANSWERS = {"address": NEW_ADDRESS, "declarations": DECLARATIONS}


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    with open_world(settings, dynamodb_client, clock) as opened:
        yield opened


def renew(world: PaymentWorld, app: Submitted, answers: Any = None) -> Any:
    return world.http.post(
        f"/api/applications/{app.id}/renewal",
        headers={**app.auth, "Content-Type": "application/json"},
        body=json.dumps(ANSWERS if answers is None else answers),
    )


def _submitted(response: Any) -> Submitted:
    body = response.json_body
    return Submitted(body["id"], body["access_token"], body)


def test_outside_the_window_the_renewal_is_refused_with_409(world: PaymentWorld) -> None:
    app, _ = issued(world)
    assert world.status(app).json_body["renewal"] == {
        "window_opens": "2027-10-21",
        "window_closes": "2027-11-20",
        "open": False,
        "started": False,
    }
    before = world.items()
    response = renew(world, app)
    assert response.status_code == 409, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json_body["type"].endswith("/renewal-window")
    assert "2027-10-21" in response.json_body["detail"]  # when it opens
    assert world.items() == before  # nothing written
    world.clock.advance(days=333)  # 31 days before the end: one day too early
    assert renew(world, app).status_code == 409
    world.clock.advance(days=32)  # the day after the end (and EXPIRED by the job)
    world.container.permit_lifecycle.run(lambda: PLENTY_OF_TIME)
    assert renew(world, app).status_code == 409


def test_a_wrong_token_is_404_like_an_unknown_id(world: PaymentWorld) -> None:
    app, _ = issued(world)
    world.clock.advance(days=334)
    stranger = Submitted(app.id, "x" * 43, {})
    assert renew(world, stranger).status_code == 404


def test_a_renewal_inside_the_window_is_prefilled_and_starts_the_day_after(
    world: PaymentWorld,
) -> None:
    app, old_permit = issued(world)
    world.clock.advance(days=334)  # 21 Oct 2027: 30 days before the end
    assert world.status(app).json_body["renewal"]["open"] is True
    response = renew(world, app)
    assert response.status_code == 201, response.body
    body = response.json_body
    assert body["renewal_of"] == app.id
    assert body["status"] == "SUBMITTED"
    assert body["fee"]["amount_cents"] == 3000  # the fee in force today
    renewal = _submitted(response)
    stored = world.container.store.get_application(renewal.id)
    assert stored.renewal_of == app.id
    expected = copy.deepcopy(EXAMPLE)
    expected["address"] = NEW_ADDRESS
    expected["vehicle"]["plates"] = ["DNAB123"]  # normalised, as stored for the first one
    expected["start_date"] = "2027-11-21"
    assert stored.data == expected
    assert world.container.store.get_application(app.id).renewal_id == renewal.id
    assert world.audit_details(app.id, "renewal_started") == [{"renewal": renewal.id}]

    assert world.status(app).json_body["renewal"]["started"] is True
    assert world.status(app).json_body["renewal"]["open"] is False
    # A second renewal of the same permit: 409.
    again = renew(world, app)
    assert again.status_code == 409
    assert again.json_body["type"].endswith("/renewal-exists")

    # Pay as usual: the new permit follows the old one without a gap or an overlap.
    assert world.pay(renewal)[0].status_code == 200
    new_permit = world.status(renewal).json_body["permit"]
    assert old_permit["valid_until"] == "2027-11-20"
    assert new_permit["valid_from"] == "2027-11-21"
    assert new_permit["valid_until"] == "2028-11-20"
    assert new_permit["plates"] == old_permit["plates"]
    token = new_permit["verify_url"].split("#", 1)[1]
    assert world.verify(token).json_body["result"] == "not_yet_valid"
    old_token = old_permit["verify_url"].split("#", 1)[1]
    assert world.verify(old_token).json_body["result"] == "valid"

    # The plate is held for the new period: nobody else gets it then.
    other = copy.deepcopy(EXAMPLE)
    other["start_date"] = "2027-12-01"
    taken = world.http.post(
        "/api/forms/resident-parking-permit/applications",
        headers={"Content-Type": "application/json"},
        body=json.dumps(other),
    )
    assert taken.status_code == 422
    assert taken.json_body["errors"][0]["code"] == "plate_has_active_permit"

    # No reminder after the renewal: the 7- and 1-day ones stay away.
    job = world.container.permit_lifecycle
    job.run(lambda: PLENTY_OF_TIME)
    assert reminder_days_sent(world, app.id) == []
    world.clock.advance(days=23)  # 7 days left
    job.run(lambda: PLENTY_OF_TIME)
    world.clock.advance(days=6)
    job.run(lambda: PLENTY_OF_TIME)
    assert reminder_days_sent(world, app.id) == []
    world.clock.advance(days=2)  # 22 Nov 2027: the old one expired, the new one is valid
    job.run(lambda: PLENTY_OF_TIME)
    assert world.stored_status(app.id) == "EXPIRED"
    assert world.verify(old_token).json_body["result"] == "expired"
    assert world.verify(token).json_body["result"] == "valid"


def test_the_answers_asked_again_must_be_given(world: PaymentWorld) -> None:
    app, _ = issued(world)
    world.clock.advance(days=340)
    response = renew(world, app, {})
    assert response.status_code == 422
    pointers = {error["pointer"] for error in response.json_body["errors"]}
    assert "/address" in pointers or any(p.startswith("/address") for p in pointers)
    assert any(p.startswith("/declarations") for p in pointers)
    assert world.container.store.get_application(app.id).renewal_id is None
    changed = renew(
        world, app, {**ANSWERS, "vehicle": {"plates": ["dn xy 999"], "relation": "holder"}}
    )
    assert changed.status_code == 201, changed.body  # a changed answer replaces the old one
    stored = world.container.store.get_application(changed.json_body["id"])
    assert stored.data["vehicle"]["plates"] == ["DNXY999"]


def test_an_unpaid_renewal_that_was_cancelled_frees_the_way(world: PaymentWorld) -> None:
    app, _ = issued(world)
    world.clock.advance(days=334)
    first = renew(world, app)
    assert first.status_code == 201
    world.clock.advance(hours=49)
    assert world.container.unpaid_canceller.run() == [first.json_body["id"]]
    second = renew(world, app)
    assert second.status_code == 201, second.body
    assert world.container.store.get_application(app.id).renewal_id == second.json_body["id"]
