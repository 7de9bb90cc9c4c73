"""Retention, the data export and staff erasure (issue 15 items 5 and 6), over HTTP.

After anonymisation the verify answer and the permit stay, and no name, address or e-mail
of the application remains anywhere in the table (scanned here; scans are for tests only).
The export holds every stored field of the application and nothing of another one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.export import NOT_EXPORTED, plain_item
from tests.integration.lifecycle_helpers import (
    PLENTY_OF_TIME,
    STAFF,
    deliver_pending,
    issued,
    person,
    staff_settings,
)
from tests.integration.payment_helpers import EXAMPLE, PaymentWorld, Submitted, open_world


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    from tests.integration.lifecycle_helpers import Captured

    with open_world(staff_settings(settings), dynamodb_client, clock, mailer=Captured()) as w:
        yield w


def strings_in_table(world: PaymentWorld) -> str:
    return json.dumps(world.items(), ensure_ascii=False)


def export(world: PaymentWorld, app: Submitted) -> Any:
    return world.http.get(f"/api/applications/{app.id}/data", headers=app.auth)


def erase(world: PaymentWorld, app_id: str, reason: Any = "Antrag nach Art. 17 DSGVO") -> Any:
    return world.http.post(
        f"/api/staff/applications/{app_id}/erasure",
        headers=STAFF,
        body=json.dumps({"reason": reason}),
    )


# -- export ----------------------------------------------------------------------------------


def test_the_export_holds_every_stored_field_and_nothing_of_another_application(
    world: PaymentWorld,
) -> None:
    mine, _ = person()
    theirs, their_strings = person()
    app, _ = issued(world, mine)
    other, _ = issued(world, theirs)
    deliver_pending(world)
    response = export(world, app)
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.json_body

    stored = [i for i in world.items() if i["PK"]["S"] == f"APP#{app.id}"]
    (application,) = [i for i in stored if i["SK"]["S"] == "A"]
    assert body["application"] == plain_item(application)
    assert set(body["application"]) == set(application) - NOT_EXPORTED
    assert body["application"]["data"]["applicant"] == mine["applicant"]
    assert "access_token_hash" not in body["application"]
    audits = [plain_item(i) for i in stored if i["SK"]["S"].startswith("AUDIT#")]
    assert body["audit"] == audits and len(audits) == 3
    mails = [plain_item(i) for i in stored if i["SK"]["S"].startswith("MAIL#")]
    assert body["mails"] == mails and {m["kind"] for m in mails} == {"submitted", "issued"}
    (permit,) = [i for i in world.permit_items() if i["application_id"]["S"] == app.id]
    assert body["permits"] == [plain_item(permit)]
    assert body["payments"]["fee_cents"] == 3000
    assert body["payments"]["payment_id"] == application["payment_id"]["S"]

    text = json.dumps(body, ensure_ascii=False)
    assert other.id not in text
    for value in their_strings[:3]:
        assert value not in text

    assert export(world, Submitted(app.id, other.token, {})).status_code == 404


def test_the_status_page_offers_the_download(world: PaymentWorld) -> None:
    app, _ = issued(world)
    links = world.container.links
    opened = world.http.get(
        links.renewal_link(app.id, world.now_ts() + 600).removeprefix(links.base_url)
    )
    cookie = "; ".join(c.split(";", 1)[0] for c in opened.headers["Set-Cookie"])
    page = world.http.get(f"/status/{app.id}", headers={"Cookie": cookie})
    assert page.status_code == 200
    assert f'href="/status/{app.id}/data.json"' in page.body.decode()
    download = world.http.get(f"/status/{app.id}/data.json", headers={"Cookie": cookie})
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert json.loads(download.body)["application"]["id"] == app.id
    assert world.http.get(f"/status/{app.id}/data.json").status_code == 404  # no session


# -- retention -------------------------------------------------------------------------------


def test_personal_data_goes_12_months_after_the_end_and_the_permit_still_verifies(
    world: PaymentWorld,
) -> None:
    data, personal = person()
    app, permit = issued(world, data)
    deliver_pending(world)
    token = permit["verify_url"].split("#", 1)[1]
    job = world.container.permit_lifecycle
    world.clock.advance(days=365)  # 21 Nov 2027: expired
    assert job.run(lambda: PLENTY_OF_TIME).expired == 1
    world.clock.advance(days=366)  # 21 Nov 2028 = end (20 Nov 2027) + 12 months + 1 day
    world.clock.advance(days=-1)
    assert job.run(lambda: PLENTY_OF_TIME).anonymised == 0  # 20 Nov 2028: not yet
    assert all(value in strings_in_table(world) for value in personal[:3])
    world.clock.advance(days=1)
    assert job.run(lambda: PLENTY_OF_TIME).anonymised == 1
    assert job.run(lambda: PLENTY_OF_TIME).anonymised == 0  # once

    table = strings_in_table(world)
    for value in personal:
        assert value not in table, value
    stored = world.application_item(app.id)
    assert "email_hash" not in stored and "GSI2PK" not in stored
    kept = json.loads(stored["data"]["S"])
    assert kept == {
        "vehicle": {"plates": permit["plates"]},
        "start_date": "2026-11-21",
        "duration_months": 12,
        "zone": "C",
    }
    assert stored["status"]["S"] == "EXPIRED"
    assert "anonymised_at" in stored
    assert world.audit_details(app.id, "anonymised") == [{"reason": "retention"}]
    verified = world.verify(token).json_body
    assert verified["result"] == "expired"
    assert verified["permit"]["number"] == permit["number"]
    assert world.status(app).json_body["permit"]["number"] == permit["number"]
    assert export(world, app).status_code == 200


# -- erasure ---------------------------------------------------------------------------------


def test_erasure_is_refused_while_the_permit_is_valid_and_done_after(world: PaymentWorld) -> None:
    data, personal = person()
    app, _ = issued(world, data)
    before = world.items()
    held = erase(world, app.id)
    assert held.status_code == 409
    assert held.json_body["type"].endswith("/legal-hold")
    assert held.json_body["detail"] == "permit_valid"
    assert world.items() == before
    assert erase(world, app.id, "x").json_body["errors"][0]["pointer"] == "/reason"
    assert erase(world, "f" * 32).status_code == 404

    world.clock.advance(days=365)
    world.container.permit_lifecycle.run(lambda: PLENTY_OF_TIME)
    done = erase(world, app.id)
    assert done.status_code == 200, done.body
    assert done.json_body["id"] == app.id
    table = strings_in_table(world)
    for value in personal[:3]:
        assert value not in table
    (audit,) = world.audit_details(app.id, "anonymised")
    assert audit == {"reason": "erasure: Antrag nach Art. 17 DSGVO"}
    again = erase(world, app.id)
    assert again.status_code == 200
    assert again.json_body == done.json_body


def test_an_unpaid_application_is_erased_with_its_waiting_mail(world: PaymentWorld) -> None:
    data, personal = person()
    app = world.submit(data)  # the confirmation mail waits in the outbox
    assert erase(world, app.id).status_code == 200
    (outbox,) = [i for i in world.items() if i.get("type", {}).get("S") == "outbox"]
    assert outbox["mail_status"]["S"] == "DROPPED"
    assert "to" not in outbox and "params" not in outbox
    assert deliver_pending(world) == 0
    table = strings_in_table(world)
    for value in personal[:3]:
        assert value not in table


def test_a_payment_question_holds_the_erasure(world: PaymentWorld) -> None:
    app = world.submit()
    store = world.container.store
    before = store.get_application(app.id)
    store.save(before, before.with_changes(world.clock.now(), flags=("amount_mismatch",)), [])
    held = erase(world, app.id)
    assert held.status_code == 409
    assert held.json_body["detail"] == "payment_flag"


def test_the_erasure_page(world: PaymentWorld) -> None:
    from urllib.parse import urlencode

    from tests.web.client import WebSession

    app, _ = issued(world)
    bearer = {"Authorization": STAFF["Authorization"]}
    staff = WebSession(world.test_client)
    path = f"/staff/applications/{app.id}/erasure"
    detail = staff.get(f"/staff/applications/{app.id}", bearer)
    assert f'href="{path}"' in detail.text  # admins find it on the application's page
    page = staff.get(path, bearer)
    assert page.status == 200
    assert 'name="reason"' in page.text

    def post(reason: str) -> Any:
        fields = {"reason": reason, "csrf_token": staff.csrf_from(page)}
        headers = {**staff._headers(bearer), "Content-Type": "application/x-www-form-urlencoded"}
        return staff._keep(
            world.test_client.http.post(path, headers=headers, body=urlencode(fields))
        )

    held = post("Art. 17 DSGVO")
    assert held.status == 409
    assert "der Ausweis ist noch gültig" in held.text
    assert post("x").status == 422
    world.clock.advance(days=366)
    done = post("Art. 17 DSGVO")
    assert done.status == 200
    assert "Die Daten sind gelöscht." in done.text
    assert world.container.store.get_application(app.id).anonymised_at is not None
    anonymous = WebSession(world.test_client)
    assert anonymous.get(path).status == 303  # to the sign-in
    assert anonymous.post(path, {"reason": "Art. 17 DSGVO"}, None).status == 401


def test_a_submitted_draft_keeps_no_answers(world: PaymentWorld) -> None:
    drafts = world.container.drafts
    draft = drafts.save("resident-parking-permit", None, copy.deepcopy(EXAMPLE))
    drafts.mark_submitted(draft, "a" * 32)
    stored = [i for i in world.items() if i["PK"]["S"] == f"DRAFT#{draft.id}"]
    assert json.loads(stored[0]["data"]["S"]) == {}
