"""Mail through the outbox: written with the state change, sent once however often the
stream record is handled, over real SMTP (aiosmtpd) and SES v2 (moto), from the Lambda
stream handler and from the local drain loop reading moto's DynamoDB stream.
"""

from __future__ import annotations

import copy
import json
import socket
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from chalicelib.services.notifications import MailDeliveryError
from chalicelib.services.ports import MailMessage
from tests.conftest import REPO_ROOT, table_items

EXAMPLE = json.loads((REPO_ROOT / "schemas/resident-parking-permit.json").read_text())["examples"][
    0
]
FORM_ID = "resident-parking-permit"


class Captured:
    """A mailer that keeps what it was asked to send (injected, never patched in)."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []

    def send(self, message: MailMessage) -> None:
        self.sent.append(message)


def _container(settings: Any, dynamodb_client: Any, clock: Any, mailer: Any) -> Any:
    from chalicelib.wiring import Container

    return Container(settings, dynamodb=dynamodb_client, clock=clock, mailer=mailer)


def _outbox_ids(dynamodb_client: Any, table_name: str) -> list[str]:
    return [
        item["id"]["S"]
        for item in table_items(dynamodb_client, table_name)
        if item.get("type", {}).get("S") == "outbox"
    ]


def test_confirmation_is_sent_once_however_often_it_is_delivered(
    settings: Any, dynamodb_client: Any, clock: Any, table_name: str
) -> None:
    mailer = Captured()
    c = _container(settings, dynamodb_client, clock, mailer)
    result = c.submissions.submit(FORM_ID, copy.deepcopy(EXAMPLE), "key-1", "en")
    c.submissions.submit(FORM_ID, copy.deepcopy(EXAMPLE), "key-1", "en")  # a retried request
    (message_id,) = _outbox_ids(dynamodb_client, table_name)
    assert c.notifier.deliver(message_id) is True
    assert c.notifier.deliver(message_id) is False  # the stream record handled again
    (mail,) = mailer.sent
    assert mail.to == EXAMPLE["applicant"]["email"]
    assert mail.subject.startswith("Your application")
    token = result.body["access_token"]
    assert f"/link/{result.body['id']}/{token}" in mail.text, "the private link, derived again"
    # The plate never ("DN" alone could occur inside the random payment reference).
    for personal in (EXAMPLE["applicant"]["family_name"], EXAMPLE["address"]["street"]):
        assert personal not in mail.text
    assert "DN AB" not in mail.text.upper() and "DNAB123" not in mail.text
    from chalicelib.domain.payment_reference import payment_reference

    assert (
        f"(Kassenzeichen, for questions about the payment): {payment_reference(result.body['id'])}"
        in mail.text
    )
    item = next(
        i
        for i in table_items(dynamodb_client, table_name)
        if i.get("type", {}).get("S") == "outbox"
    )
    assert item["mail_status"]["S"] == "SENT"
    assert "to" not in item and "params" not in item, "address and link seed removed once sent"


def test_a_refused_mail_goes_back_to_pending_and_is_sent_by_the_retry(
    settings: Any, dynamodb_client: Any, clock: Any, table_name: str
) -> None:
    class Flaky(Captured):
        def __init__(self) -> None:
            super().__init__()
            self.fail = True

        def send(self, message: MailMessage) -> None:
            if self.fail:
                raise MailDeliveryError("server down")
            super().send(message)

    mailer = Flaky()
    c = _container(settings, dynamodb_client, clock, mailer)
    c.submissions.submit(FORM_ID, copy.deepcopy(EXAMPLE), None)
    (message_id,) = _outbox_ids(dynamodb_client, table_name)
    with pytest.raises(MailDeliveryError, match="server down"):
        c.notifier.deliver(message_id)
    mailer.fail = False
    assert c.notifier.deliver(message_id) is True
    assert len(mailer.sent) == 1


def test_smtp_mailer_delivers_to_a_real_smtp_server(
    settings: Any, dynamodb_client: Any, clock: Any, table_name: str, tmp_path: Path
) -> None:
    from chalicelib.adapters.mail.smtp import SmtpMailer
    from scripts.local_mail import LocalMailServer

    with LocalMailServer(tmp_path / "mail") as server:
        c = _container(
            settings,
            dynamodb_client,
            clock,
            SmtpMailer("127.0.0.1", server.port, "city@example.org"),
        )
        draft = c.drafts.save(FORM_ID, None, {"zone": "C"})
        c.drafts.send_resume_link(draft, "saver@example.org", "de")
        (message_id,) = _outbox_ids(dynamodb_client, table_name)
        c.notifier.deliver(message_id)
        c.notifier.deliver(message_id)
        (path,) = server.messages()
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert mail["To"] == "saver@example.org"
    assert "gespeichert" in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"https://permits.example.de/forms/{FORM_ID}/resume/" in body


def test_smtp_mailer_says_when_the_server_is_down() -> None:
    from chalicelib.adapters.mail.smtp import SmtpMailer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nobody listens
    with pytest.raises(MailDeliveryError, match="SMTP"):
        SmtpMailer("127.0.0.1", port, "city@example.org", timeout=2).send(
            MailMessage("a@example.org", "s", "t", "id1")
        )


def test_ses_v2_mailer_sends_on_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib.adapters.mail.ses import SesMailer

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL_SES"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        boto3.client("ses", region_name="eu-central-1").verify_email_identity(
            EmailAddress="city@example.org"
        )
        client = boto3.client("sesv2", region_name="eu-central-1")
        SesMailer(client, "city@example.org").send(
            MailMessage("citizen@example.org", "Betreff äöü", "Text mit Link", "outbox-1")
        )
        sent = ses_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"].sent_messages
        assert len(sent) == 1
        assert sent[0].destinations["ToAddresses"] == ["citizen@example.org"]
        with pytest.raises(MailDeliveryError, match="SES refused"):
            SesMailer(client, "unverified@example.org").send(
                MailMessage("citizen@example.org", "s", "t", "outbox-2")
            )


def test_lambda_stream_handler_dispatches_outbox_inserts(
    settings: Any, dynamodb_client: Any, clock: Any, table_name: str
) -> None:
    import app as app_module

    mailer = Captured()
    c = _container(settings, dynamodb_client, clock, mailer)
    c.submissions.submit(FORM_ID, copy.deepcopy(EXAMPLE), None)
    (message_id,) = _outbox_ids(dynamodb_client, table_name)
    record = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-central-1",
        "eventSourceARN": "arn:aws:dynamodb:eu-central-1:1:table/t/stream/s",
        "dynamodb": {
            "ApproximateCreationDateTime": 1,
            "Keys": {"PK": {"S": f"OUTBOX#{message_id}"}, "SK": {"S": "O"}},
            "SequenceNumber": "1",
            "SizeBytes": 1,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    other = {
        **record,
        "dynamodb": {**record["dynamodb"], "Keys": {"PK": {"S": "APP#x"}, "SK": {"S": "A"}}},
    }
    app_module.set_container(c)
    try:
        for _ in range(2):  # Lambda retries the batch: still one mail
            app_module.table_stream({"Records": [record, other]}, None)
    finally:
        app_module.set_container(None)
    assert len(mailer.sent) == 1


def test_local_drain_reads_the_tables_stream_and_sends(
    settings: Any, dynamodb_client: Any, dynamodb_endpoint: str, clock: Any, table_name: str
) -> None:
    import boto3

    from chalicelib.services.table_stream import dispatch
    from scripts.stream_drain import StreamDrain

    mailer = Captured()
    c = _container(settings, dynamodb_client, clock, mailer)
    streams = boto3.client(
        "dynamodbstreams", endpoint_url=dynamodb_endpoint, region_name="eu-central-1"
    )
    drain = StreamDrain(dynamodb_client, streams, table_name, lambda records: dispatch(c, records))
    c.submissions.submit(FORM_ID, copy.deepcopy(EXAMPLE), None)
    assert drain.drain_once() >= 1
    drain.drain_once()
    assert [m.subject for m in mailer.sent] == ["Ihr Antrag: Bewohnerparkausweis"]
