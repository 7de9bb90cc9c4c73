"""Each role in the packaged template grants exactly the DynamoDB calls its code makes.

A permission the code needs but the role lacks is an outage on the first deploy; one the
role has but the code never makes is attack surface. So this test does not read the code:
it runs the journeys (submit with an Idempotency-Key, replay, pay, status, PDF, verify, staff
queue, detail and revoke; then the hourly cancellation) on moto's DynamoDB, records every
call botocore sends (TransactWriteItems by the action of each item, Query by table or
index), and compares that with the statements of the API's, CancelUnpaid's and
PermitLifecycle's roles.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.conftest import FixedClock
from tests.integration.payment_helpers import open_world

TABLE = {"Fn::GetAtt": ["PermitTable", "Arn"]}
INDEX = {"Fn::Sub": "${PermitTable.Arn}/index/GSI1"}
END_DAY_INDEX = {"Fn::Sub": "${PermitTable.Arn}/index/GSI3"}
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
STAFF_TOKEN = "staff-token-for-the-iam-test-0123456789"


class Calls:
    """(IAM action, "table" | "index") for every DynamoDB request one client sends."""

    def __init__(self, client: Any) -> None:
        self.seen: set[tuple[str, str]] = set()
        client.meta.events.register("before-parameter-build.dynamodb", self._record)

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        operation = model.name
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                (kind,) = item
                self.seen.add((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", "table"))
        else:
            self.seen.add(
                (f"dynamodb:{operation}", "index" if params.get("IndexName") else "table")
            )

    def take(self) -> set[tuple[str, str]]:
        taken, self.seen = self.seen, set()
        return taken


def _granted(packaged: Path, role: str) -> set[tuple[str, str]]:
    template = json.loads((packaged / "sam.json").read_text())
    granted = set()
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            resources = (
                statement["Resource"]
                if isinstance(statement["Resource"], list)
                else [statement["Resource"]]
            )
            for action in statement["Action"]:
                if not action.startswith("dynamodb:"):
                    continue
                for resource in resources:
                    assert resource in (TABLE, INDEX, END_DAY_INDEX), resource
                    granted.add((action, "table" if resource == TABLE else "index"))
    return granted


def test_roles_grant_exactly_the_dynamodb_calls_the_code_makes(
    packaged: Path, settings: Any, dynamodb_endpoint: str, clock: FixedClock
) -> None:
    import boto3

    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="eu-central-1")
    calls = Calls(client)
    staff = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    staff_settings = replace(
        settings, staff_token_hashes=(hashlib.sha256(STAFF_TOKEN.encode()).hexdigest(),)
    )
    with open_world(staff_settings, client, clock) as world:
        day = clock.now().date().isoformat()
        form = "/api/forms/resident-parking-permit/applications"
        example = json.loads(world.http.get("/api/forms/resident-parking-permit").body)["examples"][
            0
        ]
        keyed = {"Content-Type": "application/json", "Idempotency-Key": "iam-1"}
        for _ in range(2):  # the second is the replay
            assert world.http.post(form, headers=keyed, body=json.dumps(example)).status_code == 201
        paid = world.submit()
        assert world.pay(paid)[0].status_code == 200
        status = world.status(paid).json_body
        assert status["status"] == "ISSUED", status
        pdf = world.http.get(
            f"/api/applications/{paid.id}/permit.pdf",
            headers={**paid.auth, "Accept": "application/pdf"},
        )
        assert pdf.status_code == 200
        token = status["permit"]["verify_url"].split("#", 1)[1]
        assert world.verify(token).json_body["result"] == "valid"
        assert world.http.get(f"/api/staff/queue/SUBMITTED/{day}", headers=staff).status_code == 200
        assert (
            world.http.get(f"/api/staff/applications/{paid.id}", headers=staff).status_code == 200
        )
        revoked = world.http.post(
            f"/api/staff/applications/{paid.id}/revoke",
            headers={**staff, "Content-Type": "application/json"},
            body=json.dumps({"reason": "test of the role"}),
        )
        assert revoked.status_code == 200, revoked.body
        api_calls = calls.take()

        world.submit()  # left unpaid
        calls.take()
        clock.advance(hours=49)
        assert world.container.unpaid_canceller.run()
        canceller_calls = calls.take()

        lifecycle = world.submit()  # issued, then carried through its life by the job
        assert world.pay(lifecycle)[0].status_code == 200
        calls.take()
        clock.advance(days=366)
        assert world.container.permit_lifecycle.run(lambda: 600_000).expired == 1
        clock.advance(days=366)  # past the retention: the personal data goes
        assert world.container.permit_lifecycle.run(lambda: 600_000).anonymised >= 1
        lifecycle_calls = calls.take()

    assert api_calls == _granted(packaged, "ApiHandlerRole")
    assert canceller_calls == _granted(packaged, "CancelUnpaidRole")
    assert lifecycle_calls == _granted(packaged, "PermitLifecycleRole")


def test_staff_sign_in_makes_only_calls_the_api_role_grants(
    packaged: Path, staff_settings: Any, dynamodb_endpoint: str, clock: FixedClock
) -> None:
    """Sign-in, a session used and refreshed, sign-out: the API role covers every call."""
    import boto3
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container
    from tests.integration.test_staff_signin import Browser, _csrf, _sign_in

    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="eu-central-1")
    calls = Calls(client)
    app_module.set_container(Container(staff_settings, dynamodb=client, clock=clock))
    try:
        with Client(app_module.app) as test_client:
            browser = Browser(test_client)
            assert _sign_in(browser, "clerk").status_code == 303
            clock.advance(minutes=5)  # the next request refreshes the idle deadline
            queue = "/api/staff/queue/SUBMITTED/2026-11-21"
            assert browser.request("GET", queue).status_code == 200
            token = _csrf(browser)
            out = browser.request(
                "POST",
                "/staff/signout",
                f"csrf_token={token}",
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert out.status_code == 200
    finally:
        app_module.set_container(None)
    used = calls.take()
    assert {"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"} <= {a for a, _ in used}
    assert used <= _granted(packaged, "ApiHandlerRole")
