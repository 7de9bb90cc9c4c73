"""Observable: metrics on the right events only, JSON logs with request ids, and no personal data.

The app runs behind ``chalice.test.Client`` on moto's DynamoDB (``open_world``), with an
in-memory ``Metrics`` fake injected through the Container, and the log lines are read from
stdout, where the JSON handler writes them (``chalicelib/logs.py``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from chalicelib.config import Settings
from tests.conftest import TEST_WEBHOOK_SECRET, FixedClock
from tests.fakes import InMemoryMetrics
from tests.integration.payment_helpers import (
    EXAMPLE,
    FREE_FORM_ID,
    FREE_SCHEMAS_DIR,
    FlakyStore,
    PaymentWorld,
    event_body,
    free_registry,
    open_world,
    signed_webhook,
)

# Personal data that must never reach a log line (a name, an address, an e-mail address).
FAMILY_NAME = "Zabłocka"
GIVEN_NAMES = "Quirina Eulalia"
STREET = "Weierstraße"  # in the zone map (zone C, as the example), and in no log line
EMAIL = "quirina.zablocka@example.org"
PERSONAL = copy.deepcopy(EXAMPLE)
PERSONAL["applicant"].update(family_name=FAMILY_NAME, given_names=GIVEN_NAMES, email=EMAIL)
PERSONAL["address"].update(street=STREET)
PERSONAL["vehicle"]["plates"] = ["dn lo 99"]  # a plate of its own: one active permit per plate


class ExplodingRenderer:
    """A renderer bug whose exception quotes the permit's fields (name, address, QR token)."""

    def render(self, template: str, fields: Mapping[str, str], qr_content: str) -> bytes:
        try:
            raise ValueError("cannot fit: " + " | ".join(fields.values()))
        except ValueError as error:
            raise RuntimeError(f"rendering {template} failed for {qr_content}") from error


@pytest.fixture
def metrics() -> InMemoryMetrics:
    return InMemoryMetrics()


@pytest.fixture
def world(
    settings: Settings, dynamodb_client: Any, clock: FixedClock, metrics: InMemoryMetrics
) -> Iterator[PaymentWorld]:
    with open_world(
        settings,
        dynamodb_client,
        clock,
        store_wrapper=FlakyStore,
        metrics=metrics,
        renderer=ExplodingRenderer(),
    ) as opened:
        yield opened


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The JSON log lines written to stdout since the last call."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def _scheduled_event(world: PaymentWorld) -> dict[str, Any]:
    return dict(
        world.test_client.events.generate_cw_event(
            source="aws.events",
            detail_type="Scheduled Event",
            detail={},
            resources=[],
            region="eu-central-1",
        )
    )


def _messages(lines: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("message") == message]


# -- metrics ------------------------------------------------------------------------------


def test_permits_issued_counts_each_issued_permit_once(
    world: PaymentWorld, metrics: InMemoryMetrics
) -> None:
    app = world.submit()
    assert world.checkout(app).status_code == 200
    assert metrics.snapshot()["PermitsIssued"] == 0  # submitted and checked out: not issued

    paid, session = world.pay(app)
    assert paid.json_body["result"] == "issued"
    assert metrics.snapshot() == {"PermitsIssued": 1, "WebhooksRefused": 0, "ServerErrors": 0}

    again = world.webhook("payment.succeeded", app.id, session.payment_id)  # another event id
    assert again.json_body["result"] == "duplicate"
    other = world.submit()
    assert world.webhook("payment.failed", other.id, "pay_failed").json_body["result"] == "recorded"
    mismatch = world.webhook("payment.succeeded", other.id, "pay_low", amount_cents=1)
    assert mismatch.json_body["result"] == "flagged"
    refund = world.webhook("payment.refunded", app.id, session.payment_id)
    assert refund.json_body["result"] == "revoked"
    assert metrics.snapshot() == {"PermitsIssued": 1, "WebhooksRefused": 0, "ServerErrors": 0}


def test_a_free_permit_is_counted_when_the_submission_issues_it(
    settings: Settings, dynamodb_client: Any, clock: FixedClock, metrics: InMemoryMetrics
) -> None:
    free = json.loads((FREE_SCHEMAS_DIR / f"{FREE_FORM_ID}.json").read_text(encoding="utf-8"))
    with open_world(
        settings, dynamodb_client, clock, registry=free_registry(), metrics=metrics
    ) as world:
        first = world.http.post(
            f"/api/forms/{FREE_FORM_ID}/applications",
            headers={"Content-Type": "application/json", "Idempotency-Key": "free-1"},
            body=json.dumps(free["examples"][0]),
        )
        assert first.status_code == 201 and first.json_body["status"] == "ISSUED"
        replay = world.http.post(
            f"/api/forms/{FREE_FORM_ID}/applications",
            headers={"Content-Type": "application/json", "Idempotency-Key": "free-1"},
            body=json.dumps(free["examples"][0]),
        )
        assert replay.headers.get("Idempotent-Replayed") == "true"
    assert metrics.snapshot()["PermitsIssued"] == 1


def test_every_refused_webhook_is_counted_and_logged_with_provider_event_and_reason(
    world: PaymentWorld, metrics: InMemoryMetrics, capsys: pytest.CaptureFixture[str]
) -> None:
    app = world.submit()
    body = event_body("payment.succeeded", app.id, "pay_1")
    good = signed_webhook(body, "evt_good_1", world.now_ts())
    capsys.readouterr()

    bad_signature = {**good, "webhook-id": "evt_forged_1"}  # signed for another id
    assert world.post_webhook(bad_signature, body).status_code == 401
    unreadable = b"not json at all"
    signed_garbage = signed_webhook(unreadable, "evt_garbage_1", world.now_ts())
    assert world.post_webhook(signed_garbage, unreadable).status_code == 400
    assert world.post_webhook(good, body, provider="paypal").status_code == 404
    too_large = b"{" + b" " * (64 * 1024) + b"}"
    assert world.post_webhook(good, too_large).status_code == 413
    refused = _messages(_lines(capsys), "webhook refused")

    assert metrics.snapshot()["WebhooksRefused"] == 4
    assert [(line["provider"], line["event_id"]) for line in refused] == [
        ("sandbox", "evt_forged_1"),
        ("sandbox", "evt_garbage_1"),
        ("paypal", "evt_good_1"),
        ("sandbox", "evt_good_1"),
    ]
    reasons = [line["reason"] for line in refused]
    assert reasons[0] == "signature: no valid webhook signature"
    assert reasons[1:] == ["malformed", "unknown-provider", "body-too-large"]
    assert all(line["level"] == "WARNING" and line["request_id"] for line in refused)

    accepted = world.post_webhook(good, body)  # the genuine event is still welcome
    assert accepted.status_code == 200
    assert world.post_webhook(good, body).json_body["result"] == "duplicate"
    assert metrics.snapshot()["WebhooksRefused"] == 4


def test_server_errors_counts_every_5xx_answer_and_nothing_else(
    world: PaymentWorld, metrics: InMemoryMetrics
) -> None:
    app = world.submit()
    world.pay(app)
    assert world.status(app).status_code == 200
    assert world.http.get("/api/applications/" + "f" * 32, headers=app.auth).status_code == 404
    invalid = world.http.post(
        "/api/forms/resident-parking-permit/applications",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"applicant": {}}),
    )
    assert invalid.status_code == 422
    assert metrics.snapshot()["ServerErrors"] == 0

    pdf = world.http.get(
        f"/api/applications/{app.id}/permit.pdf",
        headers={**app.auth, "Accept": "application/pdf"},
    )
    assert pdf.status_code == 500
    assert world.store is not None
    world.store.arm("get_application")
    assert world.status(app).status_code == 503
    assert metrics.snapshot()["ServerErrors"] == 2


# -- logs ---------------------------------------------------------------------------------


def test_each_request_logs_one_line_with_its_request_id(
    world: PaymentWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    app = world.submit()
    capsys.readouterr()
    response = world.status(app)
    (line,) = _messages(_lines(capsys), "request")
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert len(line["request_id"]) == 32  # generated: the test client, like chalice local, has none
    assert line["route"] == "/api/applications/{application_id}"
    assert (line["method"], line["status"]) == ("GET", 200)
    assert line["application_id"] == app.id
    assert isinstance(line["duration_ms"], float)

    other = world.status(app)
    assert other.headers["X-Request-Id"] != response.headers["X-Request-Id"]


def test_a_submission_logs_the_new_application_id(
    world: PaymentWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    app = world.submit()
    (line,) = _messages(_lines(capsys), "request")
    assert (line["status"], line["application_id"]) == (201, app.id)


def test_a_500_logs_its_traceback_without_the_exceptions_messages(
    world: PaymentWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    app = world.submit()
    world.pay(app)
    capsys.readouterr()
    response = world.http.get(
        f"/api/applications/{app.id}/permit.pdf",
        headers={**app.auth, "Accept": "application/pdf"},
    )
    assert response.status_code == 500
    (error,) = [line for line in _lines(capsys) if line["level"] == "ERROR"]
    assert error["message"] == "unhandled RuntimeError in permit_pdf"
    assert error["exception_type"] == "RuntimeError"
    assert error["application_id"] == app.id
    assert error["request_id"] == response.headers["X-Request-Id"]
    trace = error["traceback"]
    assert "in render" in trace and "in permit_pdf" in trace  # the frames, ours and the route's
    assert "ValueError: <message withheld>" in trace
    assert "RuntimeError: <message withheld>" in trace


def test_a_503_logs_the_dependency_failure_with_its_traceback(
    world: PaymentWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    app = world.submit()
    assert world.store is not None
    world.store.arm("get_application")
    capsys.readouterr()
    assert world.status(app).status_code == 503
    (warning,) = [line for line in _lines(capsys) if line["level"] == "WARNING"]
    assert warning["exception_type"].endswith("StoreUnavailableError")
    assert "injected failure of get_application" in warning["traceback"]


def test_the_scheduled_job_logs_what_it_did(
    world: PaymentWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    import app as app_module

    for _ in range(2):
        world.submit()
    world.clock.advance(hours=49)
    capsys.readouterr()
    assert app_module.cancel_unpaid(_scheduled_event(world), None) == {"cancelled": 2}
    (line,) = _messages(_lines(capsys), "unpaid cancellation finished")
    assert line["cancelled"] == 2
    assert line["job"] == "cancel-unpaid"
    assert line["request_id"]


def test_a_failing_scheduled_job_logs_its_traceback_and_fails(
    world: PaymentWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    import app as app_module
    from chalicelib.services.store_errors import StoreUnavailableError

    world.submit()
    world.clock.advance(hours=49)
    assert world.store is not None
    world.store.arm("all_queued_application_ids")
    capsys.readouterr()
    with pytest.raises(StoreUnavailableError):
        app_module.cancel_unpaid(_scheduled_event(world), None)
    (line,) = _messages(_lines(capsys), "unpaid cancellation failed")
    assert line["level"] == "ERROR" and "all_queued_application_ids" in line["traceback"]


def test_no_personal_data_or_secret_reaches_any_log_line(
    world: PaymentWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    """Personal data and secrets go through every log path; none comes out."""
    import app as app_module

    capsys.readouterr()
    # submission (request line), with personal data in the body and in the Idempotency-Key
    submitted = world.http.post(
        "/api/forms/resident-parking-permit/applications",
        headers={"Content-Type": "application/json", "Idempotency-Key": f"key-{EMAIL}"},
        body=json.dumps(PERSONAL),
    )
    assert submitted.status_code == 201, submitted.body
    app_id, token = submitted.json_body["id"], submitted.json_body["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    # a 422 that names the fields
    bad = copy.deepcopy(PERSONAL)
    bad["applicant"]["email"] = f"{FAMILY_NAME} at {STREET}"
    assert (
        world.http.post(
            "/api/forms/resident-parking-permit/applications",
            headers={"Content-Type": "application/json"},
            body=json.dumps(bad),
        ).status_code
        == 422
    )
    # checkout, payment (issued: a service log line), status
    checkout_url = world.http.post(f"/api/applications/{app_id}/checkout", headers=auth)
    session = world.session_of(checkout_url.json_body["checkout_url"])
    headers, body = world.provider.build_webhook(session, "succeeded")
    assert world.post_webhook(headers, body).json_body["result"] == "issued"
    status = world.http.get(f"/api/applications/{app_id}", headers=auth).json_body
    verify_token = status["permit"]["verify_url"].split("#", 1)[1]
    # the PDF: the renderer fails, a 500 whose exceptions quote the name, the address and
    # the QR URL
    pdf = world.http.get(
        f"/api/applications/{app_id}/permit.pdf",
        headers={**auth, "Accept": "application/pdf"},
    )
    assert pdf.status_code == 500
    # verification with the real token
    assert world.verify(verify_token).json_body["result"] == "valid"
    # refused webhooks: personal data in the body and in the claimed event id
    pii_body = json.dumps({"type": "payment.succeeded", "data": PERSONAL}).encode()
    forged = signed_webhook(pii_body, "evt_forged_2", world.now_ts(), secret=TEST_WEBHOOK_SECRET)
    forged["webhook-id"] = EMAIL
    assert world.post_webhook(forged, pii_body).status_code == 401
    signed_pii = signed_webhook(pii_body, "evt_pii_3", world.now_ts())
    assert world.post_webhook(signed_pii, pii_body).status_code == 400
    # the store down: a 503 with the dependency's traceback
    assert world.store is not None
    world.store.arm("get_application")
    assert world.http.get(f"/api/applications/{app_id}", headers=auth).status_code == 503
    # the scheduled job (another plate: the first application's permit holds this one)
    world.submit({**PERSONAL, "vehicle": {**PERSONAL["vehicle"], "plates": ["dn lo 98"]}})
    world.clock.advance(hours=49)
    assert app_module.cancel_unpaid(_scheduled_event(world), None) == {"cancelled": 1}

    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    seen = {line["message"] for line in lines}
    assert {"request", "permit issued", "webhook refused", "unpaid cancellation finished"} <= seen
    assert any("traceback" in line for line in lines)
    for secret in (
        FAMILY_NAME,
        "Zab",  # any part of it
        "Quirina",
        "Eulalia",
        STREET,
        EMAIL,
        "example.org",
        token,
        verify_token,
        verify_token[:40],
        TEST_WEBHOOK_SECRET,
        forged["webhook-signature"],
        checkout_url.json_body["checkout_url"].rsplit("/", 1)[1],  # the session capability
    ):
        assert secret not in out, f"{secret!r} reached the logs"
