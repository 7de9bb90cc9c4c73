"""The table's stream after the merge of issues 10 and 13: one dispatcher, every consumer.

The records come from moto's DynamoDB stream (the local drain reads it exactly as the e2e
session and ``make run`` do) and from a hand-made Lambda event; the Container runs in the
AWS mode (``status_list_updates="stream"``), where nothing but the stream remakes the list.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.services.notifications import MailDeliveryError
from chalicelib.services.ports import MailMessage, PaymentEvent
from tests.conftest import REPO_ROOT, FixedClock, table_items

FORM_ID = "resident-parking-permit"
EXAMPLE = json.loads((REPO_ROOT / "schemas" / f"{FORM_ID}.json").read_text())["examples"][0]


class Captured:
    """A mailer that keeps what it was asked to send (injected, never patched in)."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []

    def send(self, message: MailMessage) -> None:
        self.sent.append(message)


class Refusing:
    """A mail server that is down."""

    def send(self, message: MailMessage) -> None:
        raise MailDeliveryError("connection refused")


def _stream_container(settings: Any, dynamodb_client: Any, clock: FixedClock, mailer: Any) -> Any:
    from chalicelib.wiring import Container

    aws_like = replace(settings, status_list_updates="stream")
    return Container(aws_like, dynamodb=dynamodb_client, clock=clock, mailer=mailer)


def _issue_and_revoke(c: Any) -> int:
    submitted = c.submissions.submit(FORM_ID, copy.deepcopy(EXAMPLE), None)
    app_id, token = submitted.body["id"], submitted.body["access_token"]
    c.checkout.start(app_id, token)
    event = PaymentEvent("evt-1", "payment.succeeded", "pay-1", app_id, 3000, "EUR")
    assert c.payments.apply("sandbox", event).result == "issued"
    c.staff.revoke(app_id, "staff:test", "vehicle sold")
    permit = c.store.get_application(app_id).permit
    assert permit is not None
    serial: int = permit.serial
    return serial


def test_the_local_drain_runs_every_consumer_on_the_real_stream(
    settings: Any, dynamodb_client: Any, dynamodb_endpoint: str, clock: FixedClock, table_name: str
) -> None:
    import boto3

    from chalicelib.services.table_stream import dispatch
    from scripts.stream_drain import StreamDrain

    mailer = Captured()
    c = _stream_container(settings, dynamodb_client, clock, mailer)
    first = c.status_list.regenerate()
    serial = _issue_and_revoke(c)
    assert c.store.get_status_list() == first  # stream mode: the write did not remake it

    streams = boto3.client(
        "dynamodbstreams", endpoint_url=dynamodb_endpoint, region_name="eu-central-1"
    )
    drain = StreamDrain(dynamodb_client, streams, table_name, lambda records: dispatch(c, records))
    clock.advance(seconds=1)
    assert drain.drain_once() > 0

    listed = c.store.get_status_list()
    assert listed is not None and listed != first
    assert c.status_list.read(listed.document).revoked == {serial}  # issue 13's consumer
    subjects = [m.subject for m in mailer.sent]  # issue 10's consumer
    assert subjects == [
        "Ihr Antrag: Bewohnerparkausweis",
        "Ihr Ausweis ist ausgestellt: Bewohnerparkausweis",
    ]


def test_a_failing_consumer_holds_back_no_other_and_the_batch_is_retried(
    settings: Any, dynamodb_client: Any, clock: FixedClock
) -> None:
    import app as app_module

    c = _stream_container(settings, dynamodb_client, clock, Refusing())
    first = c.status_list.regenerate()
    serial = _issue_and_revoke(c)
    outbox = [
        item["PK"]["S"]
        for item in table_items(dynamodb_client, settings.table_name)
        if item["PK"]["S"].startswith("OUTBOX#")
    ]
    assert outbox

    def record(pk: str) -> dict[str, Any]:
        return {
            "eventID": pk,
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "awsRegion": "eu-central-1",
            "eventSourceARN": app_module.TABLE_STREAM_ARN,
            "dynamodb": {
                "Keys": {"PK": {"S": pk}, "SK": {"S": "x"}},
                "SequenceNumber": "1",
                "SizeBytes": 10,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        }

    batch = {"Records": [record(outbox[0]), record("PERMITSTATUS")]}
    clock.advance(seconds=1)
    app_module.set_container(c)
    try:
        with pytest.raises(MailDeliveryError):  # Lambda retries the batch
            app_module.table_stream(batch, None)
    finally:
        app_module.set_container(None)
    listed = c.store.get_status_list()
    assert listed is not None and listed != first  # the mail outage did not hold it back
    assert c.status_list.read(listed.document).revoked == {serial}
