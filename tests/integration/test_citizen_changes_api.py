"""The citizen's changes over HTTP (issue 15 item 3): plate change and move within the city.

Authorised by the application's access token; every change is one transaction with its
audit entry; the old QR verifies as superseded (or revoked) at once, the new one as valid.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
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


def free_change_registry(tmp_path: Path) -> Any:
    """The published forms, but the resident permit without its change fee."""
    from chalicelib.services.form_registry import FormRegistry

    schemas = tmp_path / "schemas"
    shutil.copytree(APP_ROOT / "schemas", schemas)
    path = schemas / "resident-parking-permit.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    del schema["x-service"]["change_fee"]
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return FormRegistry(schemas)


@pytest.fixture
def world(
    settings: Any, dynamodb_client: Any, clock: FixedClock, tmp_path: Path
) -> Iterator[PaymentWorld]:
    """Changes are free here (the fee path has its own tests below)."""
    registry = free_change_registry(tmp_path)
    with open_world(settings, dynamodb_client, clock, registry=registry) as opened:
        yield opened


@pytest.fixture
def fee_world(settings: Any, dynamodb_client: Any, clock: FixedClock) -> Iterator[PaymentWorld]:
    """The published forms: the resident permit's change costs 10 EUR."""
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


# -- with the form's change fee ---------------------------------------------------------------

CHANGE_FEE = 1000


def _pay_change(world: PaymentWorld, checkout_url: str) -> Any:
    """The sandbox's own signed webhook for the change's checkout, as paying would send."""
    session = world.session_of(checkout_url)
    assert session.amount_cents == CHANGE_FEE
    headers, body = world.provider.build_webhook(session, "succeeded")
    return world.post_webhook(headers, body), (headers, body)


def test_a_plate_change_with_a_fee_waits_for_payment_then_applies_once(
    fee_world: PaymentWorld,
) -> None:
    world = fee_world
    app, old_token = _issued(world, "dn fe 1")
    response = _post(world, app, "plate-change", {"plates": ["DN FE 2"]})
    assert response.status_code == 202, response.body
    body = response.json_body
    assert body["result"] == "payment_required"
    assert body["pending_change"]["fee"] == {"amount_cents": CHANGE_FEE, "currency": "EUR"}
    checkout_url = body["checkout_url"]
    assert body["pending_change"]["checkout_url"] == checkout_url
    # Until paid, nothing changes for the permit: the old QR stays valid.
    assert world.verify(old_token).json_body["result"] == "valid"
    assert sorted(p["status"]["S"] for p in world.permit_items()) == ["ISSUED"]
    assert world.status(app).json_body["permit"]["plates"] == ["DNFE1"]
    assert world.container.checkout.is_payable(app.id)

    paid, delivery = _pay_change(world, checkout_url)
    assert paid.status_code == 200, paid.body
    assert paid.json_body["result"] == "issued"
    status = world.status(app).json_body
    assert status["permit"]["plates"] == ["DNFE2"]
    assert "pending_change" not in status
    new_token = status["permit"]["verify_url"].split("#", 1)[1]
    assert world.verify(old_token).json_body["result"] == "superseded"
    assert world.verify(new_token).json_body["result"] == "valid"
    assert not world.container.checkout.is_payable(app.id)

    # The same delivery again, and another event id for the same payment: applied once.
    assert world.post_webhook(*delivery).json_body["result"] == "duplicate"
    session = world.session_of(checkout_url)
    again = world.webhook("payment.succeeded", app.id, session.payment_id, amount_cents=CHANGE_FEE)
    assert again.json_body["result"] == "duplicate"
    assert sorted(p["status"]["S"] for p in world.permit_items()) == ["ISSUED", "SUPERSEDED"]
    assert world.audit_events(app.id).count("superseded") == 1
    assert world.flags(app.id) == []
    # Finance sees the change fee once, beside the permit's own fee (issue 12 ledger).
    paid = sorted(
        int(i["amount_cents"]["N"])
        for i in world.items()
        if i["PK"]["S"].startswith("LEDGER#") and i["kind"]["S"] == "payment"
    )
    assert CHANGE_FEE in paid and len(paid) == 2


def test_a_change_fee_for_the_wrong_amount_is_flagged_and_changes_nothing(
    fee_world: PaymentWorld,
) -> None:
    world = fee_world
    app, token = _issued(world, "dn fe 3")
    response = _post(world, app, "plate-change", {"plates": ["DN FE 4"]})
    assert response.status_code == 202
    session = world.session_of(response.json_body["checkout_url"])
    result = world.webhook("payment.succeeded", app.id, session.payment_id, amount_cents=999)
    assert result.json_body["result"] == "flagged"
    assert world.verify(token).json_body["result"] == "valid"
    assert sorted(p["status"]["S"] for p in world.permit_items()) == ["ISSUED"]


def test_a_plate_taken_before_payment_is_refused_at_once(fee_world: PaymentWorld) -> None:
    world = fee_world
    _issued(world, "dn fe 5")
    app, _ = _issued(world, "dn fe 6")
    before = world.items()
    response = _post(world, app, "plate-change", {"plates": ["DNFE5"]})
    assert response.status_code == 409
    assert response.json_body["errors"][0]["pointer"] == "/plates/0"
    assert world.items() == before


def test_a_plate_taken_while_the_fee_was_open_flags_the_payment_for_staff(
    fee_world: PaymentWorld,
) -> None:
    world = fee_world
    app, token = _issued(world, "dn fe 7")
    response = _post(world, app, "plate-change", {"plates": ["DN FE 8"]})
    assert response.status_code == 202
    _issued(world, "dn fe 8")  # someone else gets a permit for that plate meanwhile
    paid, _ = _pay_change(world, response.json_body["checkout_url"])
    assert paid.status_code == 200
    assert paid.json_body["result"] == "flagged"
    assert world.flags(app.id) == ["issuance_failed"]
    assert world.verify(token).json_body["result"] == "valid"


def test_a_move_to_another_zone_costs_the_change_fee_a_move_within_does_not(
    fee_world: PaymentWorld,
) -> None:
    world = fee_world
    app, token = _issued(world, "dn fe 9")
    within = _post(world, app, "move", {"address": SAME_ZONE})
    assert within.status_code == 200
    assert within.json_body["result"] == "address_updated"
    away = _post(world, app, "move", {"address": OTHER_ZONE})
    assert away.status_code == 202, away.body
    assert world.verify(token).json_body["result"] == "valid"
    paid, _ = _pay_change(world, away.json_body["checkout_url"])
    assert paid.json_body["result"] == "issued"
    status = world.status(app).json_body
    assert status["permit"]["zone"] == "A"
    assert world.verify(token).json_body["result"] == "superseded"
    assert _stored_data(world, app)["address"]["street"] == "Markt"


# -- the other forms: one plate in a text field, a zone without an address ------------------


def _issued_form(world: PaymentWorld, form_id: str, plate: str) -> tuple[Submitted, str]:
    from chalicelib.domain.pointers import resolve_pointer

    schema = json.loads((APP_ROOT / "schemas" / f"{form_id}.json").read_text(encoding="utf-8"))
    data = json.loads(json.dumps(schema["examples"][0]))
    pointer = schema["x-service"]["permit"]["plates"]
    parent_path, _, key = pointer.rpartition("/")
    parent = resolve_pointer(data, parent_path)
    parent[key] = [plate] if isinstance(parent[key], list) else plate
    app = world.submit(data, form_id=form_id)
    response, _ = world.pay(app)
    assert response.status_code == 200, response.body
    return app, _token(world, app)


def test_a_form_with_one_plate_in_a_text_field_changes_it_too(fee_world: PaymentWorld) -> None:
    world = fee_world  # the visitor form sets no change fee: free
    app, old_token = _issued_form(world, "visitor-parking-permit", "dn vi 1")
    response = _post(world, app, "plate-change", {"plates": ["dn vi 2"]})
    assert response.status_code == 201, response.body
    assert response.json_body["permit"]["plates"] == ["DNVI2"]
    assert _stored_data(world, app)["visit"]["plate"] == "DNVI2"
    assert world.verify(old_token).json_body["result"] == "superseded"
    two = _post(world, app, "plate-change", {"plates": ["DNVI3", "DNVI4"]})
    assert two.status_code == 422
    assert two.json_body["errors"][0]["pointer"] == "/plates"


def test_a_permit_without_an_address_has_no_move(fee_world: PaymentWorld) -> None:
    world = fee_world
    app, token = _issued_form(world, "tradesperson-parking-permit", "dn tr 1")
    before = world.items()
    response = _post(world, app, "move", {"address": SAME_ZONE})
    assert response.status_code == 409
    assert world.items() == before
    changed = _post(world, app, "plate-change", {"plates": ["dn tr 2"]})
    assert changed.status_code == 201, changed.body
    assert world.verify(token).json_body["result"] == "superseded"


def test_a_move_drops_a_plate_change_still_waiting_for_its_fee(fee_world: PaymentWorld) -> None:
    """Applying the old request later would put the old address back: it is dropped, and a
    payment that still comes for it is flagged for staff instead of applied."""
    world = fee_world
    app, token = _issued(world, "dn fe 20")
    waiting = _post(world, app, "plate-change", {"plates": ["DN FE 21"]})
    assert waiting.status_code == 202
    moved = _post(world, app, "move", {"address": SAME_ZONE})
    assert moved.status_code == 200
    assert "pending_change" not in moved.json_body
    change_id = world.audit_details(app.id, "change_requested")[0]["change_id"]
    assert world.audit_details(app.id, "address_changed") == [{"dropped_change": change_id}]
    paid, _ = _pay_change(world, waiting.json_body["checkout_url"])
    assert paid.json_body["result"] == "flagged"
    assert world.verify(token).json_body["result"] == "valid"
    assert _stored_data(world, app)["address"]["street"] == "Weierstraße"
    assert _stored_data(world, app)["vehicle"]["plates"] == ["DNFE20"]


def test_after_a_paid_change_a_late_event_for_that_payment_stays_a_duplicate(
    fee_world: PaymentWorld,
) -> None:
    world = fee_world
    app, _ = _issued(world, "dn fe 22")
    waiting = _post(world, app, "plate-change", {"plates": ["DN FE 23"]})
    paid, _ = _pay_change(world, waiting.json_body["checkout_url"])
    assert paid.json_body["result"] == "issued"
    assert _post(world, app, "move", {"address": SAME_ZONE}).status_code == 200
    session = world.session_of(waiting.json_body["checkout_url"])
    late = world.webhook("payment.succeeded", app.id, session.payment_id, amount_cents=1000)
    assert late.json_body["result"] == "duplicate"
    assert world.flags(app.id) == []


class _BarrierStore:
    """The real store; ``replace_permit`` waits until both deliveries have read and signed."""

    def __init__(self, real: Any, parties: int) -> None:
        self._real = real
        self._barrier = threading.Barrier(parties, timeout=30)

    def replace_permit(self, *args: Any, **kwargs: Any) -> None:
        self._barrier.wait()  # the loser's retry re-reads first: it finds the change applied
        self._real.replace_permit(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_two_deliveries_of_one_change_payment_at_once_apply_it_once_and_flag_nothing(
    settings: Any, dynamodb_client: Any, clock: FixedClock
) -> None:
    from chalicelib.adapters.dynamodb.store import DynamoDBStore
    from chalicelib.services.ports import PaymentEvent
    from chalicelib.wiring import Container

    with open_world(settings, dynamodb_client, clock) as world:
        app, old_token = _issued(world, "dn fe 30")
        waiting = _post(world, app, "plate-change", {"plates": ["DN FE 31"]})
        assert waiting.status_code == 202
        payment_id = world.session_of(waiting.json_body["checkout_url"]).payment_id
        store = _BarrierStore(DynamoDBStore(dynamodb_client, settings.table_name), 2)
        results: list[str] = []

        def deliver(event_id: str) -> None:
            container = Container(
                settings, dynamodb=dynamodb_client, clock=clock, store=store,
                payment_provider=world.provider,
            )  # fmt: skip
            event = PaymentEvent(event_id, "payment.succeeded", payment_id, app.id, 1000, "EUR")
            results.append(container.payments.apply("sandbox", event).result)

        threads = [threading.Thread(target=deliver, args=(f"evt-{i}",)) for i in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert sorted(results) == ["duplicate", "issued"]
        assert world.flags(app.id) == []
        assert sorted(p["status"]["S"] for p in world.permit_items()) == ["ISSUED", "SUPERSEDED"]
        assert world.verify(old_token).json_body["result"] == "superseded"


def test_an_anonymised_application_keeps_no_address_of_a_waiting_change(
    fee_world: PaymentWorld,
) -> None:
    """Retention (issue 15 item 5) removes personal data; a waiting change's new document
    (name, address, e-mail) must go with it, whoever anonymises the application."""
    from dataclasses import replace

    world = fee_world
    app, _ = _issued(world, "dn fe 40")
    assert _post(world, app, "move", {"address": OTHER_ZONE}).status_code == 202
    store = world.container.store
    stored = store.get_application(app.id)
    assert stored.change is not None and stored.change.document is not None
    anonymised = replace(
        stored.with_changes(world.clock.now(), data={}), anonymised_at=world.clock.now()
    )
    store.save(stored, anonymised, [])
    text = json.dumps(world.application_item(app.id), ensure_ascii=False)
    assert "Markt" not in text and EXAMPLE["applicant"]["email"] not in text


@pytest.mark.parametrize(
    ("what", "body"),
    [
        ("plate-change", {"plates": [None]}),
        ("plate-change", {"plates": [{"a": 1}]}),
        ("plate-change", {"plates": [123, True]}),
        ("plate-change", {"plates": ["DNAB1"] * 40}),
        ("plate-change", ["DNAB1"]),
        ("plate-change", "DNAB1"),
        ("move", {"address": {"street": 5, "house_number": []}}),
        ("move", {"address": {**SAME_ZONE, "extra": "x"}}),
        ("move", {"address": None}),
        ("move", {}),
        ("move", {"address": [SAME_ZONE]}),
    ],
)
def test_odd_bodies_are_client_errors_never_500_and_change_nothing(
    world: PaymentWorld, what: str, body: Any
) -> None:
    app, _ = _issued(world, "dn od 1")
    before = world.items()
    response = _post(world, app, what, body)
    assert 400 <= response.status_code < 500, (response.status_code, response.body)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert world.items() == before


def test_a_refunded_change_fee_is_flagged_for_staff_and_the_new_permit_stays(
    fee_world: PaymentWorld,
) -> None:
    world = fee_world
    app, _ = _issued(world, "dn fe 50")
    waiting = _post(world, app, "plate-change", {"plates": ["DN FE 51"]})
    session = world.session_of(waiting.json_body["checkout_url"])
    paid, _ = _pay_change(world, waiting.json_body["checkout_url"])
    assert paid.json_body["result"] == "issued"
    new_token = _token(world, app)
    headers, body = world.refund_webhook(session)
    refunded = world.post_webhook(headers, body)
    assert refunded.status_code == 200
    assert refunded.json_body["result"] == "flagged"
    assert world.flags(app.id) == ["change_fee_refunded"]
    assert world.stored_status(app.id) == "ISSUED"
    assert world.verify(new_token).json_body["result"] == "valid"
