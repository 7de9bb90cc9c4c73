"""Webhook delivery: retry policy with a fake transport and a fake sleep (no real waiting).

One test class drives the real urllib transport against a throwaway HTTP server on
127.0.0.1, because "does not follow redirects" and "connection refused is retryable" are
properties of the standard library that a fake cannot prove.
"""

from __future__ import annotations

import base64
import http.client
import logging
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from chalicelib.adapters.payments.delivery import DeliveryResult, WebhookDelivery, urllib_transport
from chalicelib.adapters.payments.sandbox import SandboxProvider
from chalicelib.domain.errors import WebhookMalformedError, WebhookSignatureError
from chalicelib.services.ports import CheckoutRequest

URL = "http://127.0.0.1:8000/api/payments/sandbox/webhook"
HEADERS = {"webhook-id": "evt_1", "webhook-timestamp": "1700000000", "webhook-signature": "v1,x"}
BODY = b'{"type":"payment.succeeded"}'

Outcome = int | Exception


class FakeTransport:
    """Answers from a script of statuses or exceptions; records every call."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[str, dict[str, str], bytes, float]] = []

    def __call__(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
        self.calls.append((url, headers, body, timeout))
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def deliver(transport: FakeTransport, attempts: int = 4) -> tuple[DeliveryResult, FakeSleep]:
    sleep = FakeSleep()
    delivery = WebhookDelivery(URL, transport=transport, attempts=attempts, sleep=sleep)
    return delivery.deliver(HEADERS, BODY), sleep


def test_first_attempt_succeeds() -> None:
    result, sleep = deliver(FakeTransport(204))
    assert result == DeliveryResult(delivered=True, attempts=1, last_status=204)
    assert sleep.waits == []


def test_retries_on_500_then_succeeds() -> None:
    transport = FakeTransport(500, 200)
    result, sleep = deliver(transport)
    assert result == DeliveryResult(delivered=True, attempts=2, last_status=200)
    assert sleep.waits == [0.2]


def test_gives_up_after_n_attempts_with_exponential_backoff() -> None:
    transport = FakeTransport(503)
    result, sleep = deliver(transport, attempts=4)
    assert result == DeliveryResult(delivered=False, attempts=4, last_status=503)
    assert len(transport.calls) == 4
    assert sleep.waits == pytest.approx([0.2, 0.4, 0.8])


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422, 301, 302, 307])
def test_does_not_retry_other_4xx_or_redirects(status: int) -> None:
    transport = FakeTransport(status, 200)
    result, sleep = deliver(transport)
    assert result == DeliveryResult(delivered=False, attempts=1, last_status=status)
    assert len(transport.calls) == 1
    assert sleep.waits == []


def test_retries_on_429() -> None:
    result, _ = deliver(FakeTransport(429, 429, 202))
    assert result == DeliveryResult(delivered=True, attempts=3, last_status=202)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(),
        ConnectionResetError(),
        TimeoutError(),
        socket.gaierror(),
        OSError("network unreachable"),
        http.client.RemoteDisconnected("closed"),
        http.client.BadStatusLine("garbage"),
    ],
)
def test_retries_on_connection_errors(error: Exception) -> None:
    result, sleep = deliver(FakeTransport(error, 200))
    assert result == DeliveryResult(delivered=True, attempts=2, last_status=200)
    assert sleep.waits == [0.2]


def test_connection_errors_until_the_end_report_no_status() -> None:
    result, _ = deliver(FakeTransport(ConnectionRefusedError()), attempts=3)
    assert result == DeliveryResult(delivered=False, attempts=3, last_status=None)


def test_last_status_is_none_when_the_last_attempt_had_no_response() -> None:
    result, _ = deliver(FakeTransport(500, TimeoutError()), attempts=2)
    assert result == DeliveryResult(delivered=False, attempts=2, last_status=None)


def test_programming_errors_in_the_transport_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        deliver(FakeTransport(KeyError("bug")))


def test_every_attempt_sends_identical_headers_and_body() -> None:
    transport = FakeTransport(500, 500, 200)
    deliver(transport)
    assert len({(url, tuple(h.items()), b, t) for url, h, b, t in transport.calls}) == 1
    url, headers, body, timeout = transport.calls[0]
    assert url == URL
    assert body == BODY
    assert timeout == 5.0
    assert headers["webhook-id"] == "evt_1"
    assert headers["User-Agent"].startswith("permit-service")


def test_a_given_user_agent_is_kept() -> None:
    transport = FakeTransport(200)
    WebhookDelivery(URL, transport=transport).deliver({**HEADERS, "user-agent": "mine"}, BODY)
    headers = transport.calls[0][1]
    assert headers["user-agent"] == "mine"
    assert "User-Agent" not in headers


def test_one_attempt_means_no_retry() -> None:
    result, sleep = deliver(FakeTransport(500), attempts=1)
    assert result == DeliveryResult(delivered=False, attempts=1, last_status=500)
    assert sleep.waits == []


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"url": "ftp://x/y"}, "webhook URL must be an absolute http(s) URL"),
        ({"url": "/relative"}, "webhook URL must be an absolute http(s) URL"),
        ({"attempts": 0}, "attempts must be a positive integer"),
        ({"attempts": True}, "attempts must be a positive integer"),
        ({"backoff_seconds": -1}, "backoff_seconds must not be negative"),
        ({"timeout_seconds": 0}, "timeout_seconds must be positive"),
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, object], reason: str) -> None:
    args: dict[str, object] = {"url": URL, **kwargs}
    with pytest.raises(ValueError, match=re.escape(reason)):
        WebhookDelivery(**args)  # type: ignore[arg-type]


def test_logs_never_contain_the_body_or_the_signature(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    deliver(FakeTransport(500, ConnectionResetError(), 400))
    text = caplog.text
    assert "evt_1" in text  # the id is what ops need to trace a delivery
    assert "payment.succeeded" not in text
    assert "v1,x" not in text


def test_sandbox_webhook_delivered_to_a_fake_receiver_end_to_end() -> None:
    """build_webhook -> delivery -> parse_webhook, with a receiver that flakes once."""
    secret = "whsec_" + base64.b64encode(b"r" * 32).decode()
    provider = SandboxProvider("http://127.0.0.1:8000", [secret], b"k" * 32)
    request = CheckoutRequest("app_1", 3000, "EUR", "Parkausweis", "http://127.0.0.1:8000/a/1")
    token = provider.create_checkout(request).checkout_url.rsplit("/", 1)[1]
    session = provider.open_session(token)
    seen: list[str] = []

    def receiver(url: str, headers: dict[str, str], body: bytes, timeout: float) -> int:
        assert url == provider.webhook_url
        try:
            event = provider.parse_webhook(headers, body)
        except WebhookSignatureError:
            return 401
        except WebhookMalformedError:
            return 400
        seen.append(event.event_id)
        return 503 if len(seen) == 1 else 204  # the first delivery "fails" after processing

    delivery = WebhookDelivery(provider.webhook_url, transport=receiver, sleep=FakeSleep())
    result = delivery.deliver(*provider.build_webhook(session, "succeeded"))
    assert result.delivered
    assert result.attempts == 2
    # Both deliveries carried the same event id: the service's dedupe sees one event.
    assert len(set(seen)) == 1


# -- the real urllib transport against a local server ------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        type(self).received.append((self.path, dict(self.headers.items()), body))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = {"/ok": 204, "/fail": 500, "/bad": 400}.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_GET(self) -> None:
        type(self).received.append((self.path, dict(self.headers.items()), b""))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_urllib_transport_posts_headers_and_body(server: str) -> None:
    status = urllib_transport(server + "/ok", {**HEADERS, "Content-Type": "x/y"}, BODY, 5.0)
    assert status == 204
    path, headers, body = _Handler.received[0]
    assert (path, body) == ("/ok", BODY)
    lowered = {name.lower(): value for name, value in headers.items()}  # urllib re-cases names
    assert lowered["webhook-id"] == "evt_1"
    assert lowered["webhook-signature"] == "v1,x"
    assert lowered["content-type"] == "x/y"


@pytest.mark.parametrize(("path", "status"), [("/fail", 500), ("/bad", 400), ("/nope", 404)])
def test_urllib_transport_returns_error_statuses(server: str, path: str, status: int) -> None:
    assert urllib_transport(server + path, HEADERS, BODY, 5.0) == status


def test_urllib_transport_does_not_follow_redirects(server: str) -> None:
    assert urllib_transport(server + "/redirect", HEADERS, BODY, 5.0) == 302
    assert [path for path, _, _ in _Handler.received] == ["/redirect"]


def test_urllib_transport_raises_oserror_when_nobody_listens() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OSError):
        urllib_transport(f"http://127.0.0.1:{port}/x", HEADERS, BODY, 2.0)


def test_urllib_transport_ignores_proxies_for_loopback(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # discard port: would fail
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert urllib_transport(server + "/ok", HEADERS, BODY, 5.0) == 204


def test_delivery_with_the_default_transport_against_a_failing_server(server: str) -> None:
    sleep = FakeSleep()
    result = WebhookDelivery(server + "/fail", attempts=3, sleep=sleep).deliver(HEADERS, BODY)
    assert result == DeliveryResult(delivered=False, attempts=3, last_status=500)
    assert len(_Handler.received) == 3
    assert sleep.waits == pytest.approx([0.2, 0.4])


def test_urllib_transport_refuses_non_http_urls() -> None:
    with pytest.raises(ValueError, match=re.escape("webhook URL must be http(s)")):
        urllib_transport("file:///etc/passwd", HEADERS, BODY, 1.0)
