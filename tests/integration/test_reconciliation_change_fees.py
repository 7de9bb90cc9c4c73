"""A change fee whose webhook got lost is found by the reconciliation job (issue 15).

The change request files the application under ``CHANGEPAY#<Berlin day>``; the job asks
the provider about the change's own checkout and feeds the answer through the same
exactly-once path as a webhook. The sandbox records what its Pay button paid (its ledger),
so "the webhook got lost" is set up by paying without delivering.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.payment_helpers import EXAMPLE, PaymentWorld, open_world

PLENTY_OF_TIME = 60_000


@pytest.fixture
def world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[PaymentWorld]:
    from chalicelib.adapters.dynamodb.sandbox_ledger import DynamoDBSandboxLedger
    from chalicelib.adapters.payments.sandbox import SandboxProvider
    from chalicelib.wiring import Container

    provider = SandboxProvider(
        settings.public_base_url,
        settings.webhook_secrets,
        Container(settings).subkey("sandbox-session"),
        clock=lambda: clock.now().timestamp(),
        ledger=DynamoDBSandboxLedger(dynamodb_client, settings.table_name),
    )
    with open_world(settings, dynamodb_client, clock, payment_provider=provider) as opened:
        yield opened


def test_a_lost_change_fee_webhook_is_found_and_applied_once(world: PaymentWorld) -> None:
    data = json.loads(json.dumps(EXAMPLE))
    data["vehicle"]["plates"] = ["dn rc 1"]
    app = world.submit(data)
    paid, _ = world.pay(app)
    assert paid.status_code == 200
    old = world.status(app).json_body["permit"]
    change = world.http.post(
        f"/api/applications/{app.id}/plate-change",
        headers={**app.auth, "Content-Type": "application/json"},
        body=json.dumps({"plates": ["dn rc 2"]}),
    )
    assert change.status_code == 202, change.body
    session = world.session_of(change.json_body["checkout_url"])
    world.provider.record_payment(session)  # paid; the webhook never arrives

    reconciler = world.container.reconciler
    world.clock.advance(minutes=4)  # younger than the job's minimum age: left to the webhook
    assert reconciler.run(lambda: PLENTY_OF_TIME).checked == 0
    assert world.status(app).json_body["permit"]["number"] == old["number"]

    world.clock.advance(minutes=2)
    report = reconciler.run(lambda: PLENTY_OF_TIME)
    assert (report.checked, dict(report.results)) == (1, {"issued": 1})
    new = world.status(app).json_body["permit"]
    assert new["plates"] == ["DNRC2"]
    old_token = old["verify_url"].split("#", 1)[1]
    assert world.verify(old_token).json_body["result"] == "superseded"

    # Nothing left to ask; the webhook that finally arrives is a duplicate.
    before = world.items()
    assert reconciler.run(lambda: PLENTY_OF_TIME).checked == 0
    late = world.post_webhook(*world.provider.build_webhook(session, "succeeded"))
    assert late.json_body["result"] == "duplicate"
    assert world.items() == before


def test_the_change_marker_holds_ids_only_and_expires(world: PaymentWorld) -> None:
    data = json.loads(json.dumps(EXAMPLE))
    data["vehicle"]["plates"] = ["dn rc 3"]
    app = world.submit(data)
    world.pay(app)
    change = world.http.post(
        f"/api/applications/{app.id}/plate-change",
        headers={**app.auth, "Content-Type": "application/json"},
        body=json.dumps({"plates": ["dn rc 4"]}),
    )
    assert change.status_code == 202
    (marker,) = [i for i in world.items() if i["PK"]["S"].startswith("CHANGEPAY#")]
    assert marker["PK"]["S"] == "CHANGEPAY#2026-11-21"
    assert set(marker) == {"PK", "SK", "type", "change_id", "expires_at"}
    assert marker["SK"]["S"] == app.id
    assert int(marker["expires_at"]["N"]) > world.now_ts()
