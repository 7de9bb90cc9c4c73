"""Staff supersede a permit over HTTP (issue 12): new plates, new token and PDF, one transaction.

Each test pays a real application through the sandbox provider's signed webhook, then calls
``POST /api/staff/applications/{id}/supersede`` and looks at the HTTP answers, the verify
answers for both tokens and the table itself (moto over HTTP).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
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

STAFF_TOKEN = "staff-token-for-supersede-tests-0123"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}", "Content-Type": "application/json"}


def _staff_settings(settings: Any) -> Any:
    return replace(settings, staff_token_hashes=(hashlib.sha256(STAFF_TOKEN.encode()).hexdigest(),))


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: FixedClock) -> Iterator[PaymentWorld]:
    with open_world(_staff_settings(settings), dynamodb_client, clock) as opened:
        yield opened


def _issued(world: PaymentWorld, plate: str) -> tuple[Submitted, str]:
    """A paid application with ``plate``; returns it and its permit's token."""
    data = json.loads(json.dumps(EXAMPLE))
    data["vehicle"]["plates"] = [plate]
    app = world.submit(data)
    response, _ = world.pay(app)
    assert response.status_code == 200, response.body
    permit = world.status(app).json_body["permit"]
    return app, permit["verify_url"].split("#", 1)[1]


def _supersede(world: PaymentWorld, app_id: str, body: Any, headers: Any = None) -> Any:
    return world.http.post(
        f"/api/staff/applications/{app_id}/supersede",
        headers=headers or STAFF,
        body=json.dumps(body),
    )


def _claims(world: PaymentWorld) -> dict[str, int]:
    """Plate -> serial of every plate claim in the table."""
    return {
        item["PK"]["S"].rpartition("#")[2]: int(item["serial"]["N"])
        for item in world.items()
        if kind_of(item) == "plate_claim"
    }


def _permits(world: PaymentWorld) -> dict[int, str]:
    return {int(item["serial"]["N"]): item["status"]["S"] for item in world.permit_items()}


def test_supersede_issues_a_new_permit_and_the_old_qr_verifies_as_superseded(
    world: PaymentWorld,
) -> None:
    app, old_token = _issued(world, "dn su 1")
    old_number = world.status(app).json_body["permit"]["number"]

    response = _supersede(world, app.id, {"plates": ["dn-su 2"], "reason": "new car"})

    assert response.status_code == 201, response.body
    body = response.json_body
    assert body["status"] == "ISSUED"
    assert body["result"] == "superseded"
    assert body["superseded_permit_number"] == old_number
    new = body["permit"]
    assert new["number"] != old_number
    assert new["plates"] == ["DNSU2"]
    new_token = new["verify_url"].split("#", 1)[1]
    assert new_token != old_token
    # The old QR verifies as superseded at once, the new one as valid.
    assert world.verify(old_token).json_body["result"] == "superseded"
    assert world.verify(new_token).json_body["result"] == "valid"
    assert world.verify(new_token).json_body["permit"]["plates"] == ["DNSU2"]
    # The table: old permit SUPERSEDED, new ISSUED; the claim moved to the new plate.
    permits = _permits(world)
    assert sorted(permits.values()) == ["ISSUED", "SUPERSEDED"]
    new_serial = next(serial for serial, status in permits.items() if status == "ISSUED")
    assert _claims(world) == {"DNSU2": new_serial}
    # The citizen's status and stored answers show the new plate; the old stays in force
    # until the new validity: same last day.
    status = world.status(app).json_body
    assert status["permit"]["number"] == new["number"]
    assert status["permit"]["valid_until"] == new["valid_until"]
    assert world.application_item(app.id)["data"]["S"].count("DNSU2") == 1
    # Audit names the actor and the reason; the revocation list entry exists.
    audit = world.audit_details(app.id, "superseded")
    assert audit == [
        {
            "reason": "new car",
            "old_permit_number": old_number,
            "permit_number": new["number"],
        }
    ]
    actors = [
        item["actor"]["S"]
        for item in world.items()
        if kind_of(item) == "audit" and item["event"]["S"] == "superseded"
    ]
    assert actors == [f"staff:{hashlib.sha256(STAFF_TOKEN.encode()).hexdigest()[:8]}"]
    listed = [item for item in world.items() if item["PK"]["S"] == "PERMITSTATUS"]
    old_serial = next(serial for serial, status in permits.items() if status == "SUPERSEDED")
    assert [(int(i["serial"]["N"]), i["status"]["S"]) for i in listed] == [
        (old_serial, "SUPERSEDED")
    ]
    # The citizen gets the new link by mail (through the outbox).
    kinds = [item["kind"]["S"] for item in world.items() if kind_of(item) == "outbox"]
    assert kinds.count("reissued") == 1


def test_the_signed_status_list_names_the_superseded_serial(world: PaymentWorld) -> None:
    app, _ = _issued(world, "dn su 3")
    old_serial = _permits(world).popitem()[0]
    assert (
        _supersede(world, app.id, {"plates": ["dn su 4"], "reason": "new car"}).status_code == 201
    )
    document = world.http.get("/.well-known/permit-status.json").body
    text = document.decode() if isinstance(document, bytes) else document
    parsed = world.container.status_list.read(text)
    assert old_serial in parsed.superseded
    assert old_serial not in parsed.revoked


def test_same_plate_keeps_its_claim_for_the_new_permit(world: PaymentWorld) -> None:
    """Staff may re-issue with the same plate (a stolen printout): the claim is handed over."""
    app, old_token = _issued(world, "dn su 5")
    response = _supersede(world, app.id, {"plates": ["DN SU 5"], "reason": "printout stolen"})
    assert response.status_code == 201, response.body
    new_serial = next(s for s, status in _permits(world).items() if status == "ISSUED")
    assert _claims(world) == {"DNSU5": new_serial}
    assert world.verify(old_token).json_body["result"] == "superseded"


def test_a_plate_with_another_active_permit_is_409_naming_the_plate_and_changes_nothing(
    world: PaymentWorld,
) -> None:
    _issued(world, "dn su 6")
    app, token = _issued(world, "dn su 7")
    before = world.items()

    response = _supersede(world, app.id, {"plates": ["dn su 6"], "reason": "new car"})

    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    errors = response.json_body["errors"]
    assert [(e["pointer"], e["code"]) for e in errors] == [("/plates/0", "plate_has_active_permit")]
    assert world.items() == before
    assert world.verify(token).json_body["result"] == "valid"


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        ({"plates": "DNSU8", "reason": "new car"}, "/plates", "type"),
        ({"plates": [], "reason": "new car"}, "/plates", "minItems"),
        ({"plates": ["not a plate!"], "reason": "new car"}, "/plates/0", "pattern"),
        ({"plates": ["DN SU 8", "DN-SU8"], "reason": "new car"}, "/plates/1", "duplicate_plate"),
        ({"plates": [None], "reason": "new car"}, "/plates/0", "type"),
        ({"plates": ["DNSU8"]}, "/reason", "validation-failed"),
        ({"plates": ["DNSU8"], "reason": "x"}, "/reason", "validation-failed"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_changes_nothing(
    world: PaymentWorld, body: dict[str, Any], pointer: str, code: str
) -> None:
    app, token = _issued(world, "dn su 9")
    before = world.items()
    response = _supersede(world, app.id, body)
    assert response.status_code == 422, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    errors = response.json_body["errors"]
    assert (pointer, code) in [(error["pointer"], error["code"]) for error in errors]
    assert world.items() == before
    assert world.verify(token).json_body["result"] == "valid"


def test_several_plates_need_a_company_car_as_in_the_form(world: PaymentWorld) -> None:
    app, _ = _issued(world, "dn su 10")
    response = _supersede(world, app.id, {"plates": ["DNSU11", "DNSU12"], "reason": "two cars"})
    assert response.status_code == 422
    assert response.json_body["errors"][0]["pointer"] == "/plates"


def test_unissued_is_409_unknown_is_404_and_nothing_changes(world: PaymentWorld) -> None:
    app = world.submit()
    before = world.items()
    body = {"plates": ["DNSU13"], "reason": "new car"}
    assert _supersede(world, app.id, body).status_code == 409
    assert _supersede(world, "0" * 32, body).status_code == 404
    assert _supersede(world, "not-an-id", body).status_code == 404
    assert world.items() == before


def test_supersede_refuses_anonymous_and_wrong_tokens(world: PaymentWorld) -> None:
    app, _ = _issued(world, "dn su 14")
    before = world.items()
    body = {"plates": ["DNSU15"], "reason": "new car"}
    for headers in (
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json", "Authorization": "Bearer wrong-token-0000000000"},
        {"Content-Type": "application/json", "Authorization": f"Bearer {app.token}"},
    ):
        assert _supersede(world, app.id, body, headers).status_code == 401
    assert world.items() == before


def test_a_revoked_permit_cannot_be_superseded(world: PaymentWorld) -> None:
    app, _ = _issued(world, "dn su 16")
    revoked = world.http.post(
        f"/api/staff/applications/{app.id}/revoke",
        headers=STAFF,
        body=json.dumps({"reason": "vehicle sold"}),
    )
    assert revoked.status_code == 200
    response = _supersede(world, app.id, {"plates": ["DNSU17"], "reason": "new car"})
    assert response.status_code == 409


class _BarrierStore:
    """The real store, but ``replace_permit`` waits until both clerks have read and signed.

    So both requests carry the same expected version into DynamoDB at the same moment: the
    race the version condition must decide. Injected through the Container; nothing patched.
    """

    def __init__(self, real: Any, parties: int) -> None:
        self._real = real
        self._barrier = threading.Barrier(parties, timeout=30)

    def replace_permit(self, *args: Any, **kwargs: Any) -> None:
        self._barrier.wait()
        self._real.replace_permit(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_two_clerks_at_once_exactly_one_succeeds_and_one_permit_is_active(
    settings: Any, dynamodb_client: Any, clock: FixedClock
) -> None:
    from chalicelib.adapters.dynamodb.store import DynamoDBStore
    from chalicelib.domain.errors import ConflictError
    from chalicelib.wiring import Container

    with open_world(_staff_settings(settings), dynamodb_client, clock) as world:
        app, old_token = _issued(world, "dn su 20")
        store = _BarrierStore(DynamoDBStore(dynamodb_client, settings.table_name), 2)
        outcomes: dict[str, str] = {}

        def clerk(plate: str) -> None:
            # Each clerk is its own Lambda: its own Container, the same table.
            container = Container(settings, dynamodb=dynamodb_client, clock=clock, store=store)
            try:
                container.changes.supersede(app.id, [plate], "new car", f"staff:{plate}")
                outcomes[plate] = "ok"
            except ConflictError:
                outcomes[plate] = "conflict"

        threads = [threading.Thread(target=clerk, args=(p,)) for p in ("DNSU21", "DNSU22")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        assert sorted(outcomes.values()) == ["conflict", "ok"]
        winner = next(plate for plate, result in outcomes.items() if result == "ok")
        permits = _permits(world)
        assert sorted(permits.values()) == ["ISSUED", "SUPERSEDED"]
        active = next(serial for serial, status in permits.items() if status == "ISSUED")
        assert _claims(world) == {winner: active}
        assert world.verify(old_token).json_body["result"] == "superseded"
        assert world.audit_events(app.id).count("superseded") == 1


def test_two_clerks_over_http_one_after_the_other_second_sees_the_new_permit(
    world: PaymentWorld,
) -> None:
    """A clerk whose page is stale is not refused (no version in the request): the second
    supersession replaces the first's permit, and still exactly one permit is active."""
    app, _ = _issued(world, "dn su 23")
    assert _supersede(world, app.id, {"plates": ["DNSU24"], "reason": "a" * 3}).status_code == 201
    assert _supersede(world, app.id, {"plates": ["DNSU25"], "reason": "b" * 3}).status_code == 201
    permits = _permits(world)
    assert sorted(permits.values()) == ["ISSUED", "SUPERSEDED", "SUPERSEDED"]
    active = next(serial for serial, status in permits.items() if status == "ISSUED")
    assert _claims(world) == {"DNSU25": active}


def test_the_new_permit_pdf_shows_the_new_plate(world: PaymentWorld) -> None:
    from tests.integration.pdf_tools import pdftotext

    app, _ = _issued(world, "dn su 26")
    response = _supersede(world, app.id, {"plates": ["DN SU 27"], "reason": "new car"})
    number = response.json_body["permit"]["number"]
    pdf = world.http.get(
        f"/api/applications/{app.id}/permit.pdf",
        headers={**app.auth, "Accept": "application/pdf"},
    )
    assert pdf.status_code == 200
    text = pdftotext(pdf.body)
    assert "DNSU27" in text
    assert number in text
    assert "DNSU26" not in text


def test_the_reissued_mail_links_the_new_pdf_and_names_no_plate(world: PaymentWorld) -> None:
    from chalicelib.adapters.dynamodb import items

    app, _ = _issued(world, "dn su 28")
    assert _supersede(world, app.id, {"plates": ["DNSU29"], "reason": "new car"}).status_code == 201
    (message,) = [
        items.outbox_from_item(item)
        for item in world.items()
        if kind_of(item) == "outbox" and item["kind"]["S"] == "reissued"
    ]
    assert message.to == EXAMPLE["applicant"]["email"]
    mail = world.container.notifier.compose(message, world.clock.now())
    assert mail.subject.startswith("Ihr neuer Ausweis ist ausgestellt")
    assert f"https://permits.example.de/status/{app.id}/permit.pdf?expires=" in mail.text
    assert "DNSU29" not in mail.text and "DNSU28" not in mail.text


def test_reminders_already_sent_stay_sent_for_the_new_permit(world: PaymentWorld) -> None:
    """A permit superseded after its 30-day reminder: the new one must not get it again."""
    app, _ = _issued(world, "dn su 30")
    (old_serial,) = _permits(world)
    world.dynamodb.update_item(
        TableName=world.table_name,
        Key={"PK": {"S": f"PERMIT#{old_serial}"}, "SK": {"S": "P"}},
        UpdateExpression="SET reminded_30 = :at",
        ExpressionAttributeValues={":at": {"S": "2026-11-21T10:00:00+00:00"}},
    )
    assert _supersede(world, app.id, {"plates": ["DNSU31"], "reason": "new car"}).status_code == 201
    new_serial = next(s for s, status in _permits(world).items() if status == "ISSUED")
    new_permit = world.container.store.get_permit(new_serial)
    assert new_permit.reminded == (30,)
