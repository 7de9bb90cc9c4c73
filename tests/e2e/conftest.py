"""The running service for end-to-end tests, started the way `make run` starts it.

One live stack per test session: moto's DynamoDB server on 127.0.0.1 (a free port), the table
created from infra/, an embedded SMTP server (aiosmtpd) keeping every mail in a temporary
folder, the outbox drain that sends mail from the table's stream (as `make run` does), and
`chalice local --no-autoreload` as a real subprocess on another free port, with the
environment `scripts.run_local.local_environment` builds (sandbox payments, the local
signing key under the git-ignored `.local/`). Tests talk to it over real HTTP only;
the table is read directly (boto3) for assertions and, in one documented case, for set-up.

Helpers for the common steps (submit an example, open a checkout, pay in the sandbox, send a
signed webhook) live on :class:`LiveService`, so each test reads as the journey it checks.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from chalicelib.config import APP_ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from scripts.localstripe_server import LocalStripe

FORM_ID = "resident-parking-permit"
SCHEMA_PATH = APP_ROOT / "schemas" / f"{FORM_ID}.json"
START_TIMEOUT_SECONDS = 60
HOST = "127.0.0.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # hand 3xx back to the caller, who asserts on it


_OPENER = urllib.request.build_opener(_NoRedirect())


@dataclass(frozen=True)
class Submitted:
    id: str
    access_token: str
    body: dict[str, Any]


#: Plate numbers for examples, shared by every LiveService of the session: the citizen and
#: the Stripe service may share a table, and a plate holds one active permit.
_EXAMPLE_PLATES = itertools.count(123)


@dataclass
class LiveService:
    base_url: str
    env: dict[str, str]
    dynamodb: Any  # boto3 DynamoDB client on the same endpoint as the service
    table_name: str
    log_path: Path
    mail_dir: Path
    #: The local OIDC provider the service's staff sign-in trusts (scripts/oidc_server.py).
    oidc: Any = None
    _example: dict[str, Any] = field(default_factory=dict)

    # -- mail -----------------------------------------------------------------------------

    def mails_to(
        self, address: str, subject_contains: str = "", timeout: float = 15, body_contains: str = ""
    ) -> list[Any]:
        """The messages the embedded SMTP server received for ``address`` (waits for one).

        Tests share the example's address: ``body_contains`` (e.g. the application's
        reference) picks one application's mails."""
        from email import policy
        from email.parser import BytesParser

        deadline = time.monotonic() + timeout
        while True:
            found = []
            for path in sorted(self.mail_dir.glob("*.eml")):
                message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
                if str(message["To"]) == address and subject_contains in str(message["Subject"]):
                    body = message.get_body(preferencelist=("plain",))
                    if body is not None and body_contains in body.get_content():
                        found.append(message)
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    # -- HTTP -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> HttpResponse:
        """One real HTTP request; any status comes back as a response (3xx not followed)."""
        data: bytes | None
        all_headers = dict(headers or {})
        if isinstance(body, dict):
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        else:
            data = body
        url = path if path.startswith("http") else self.base_url + path
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return HttpResponse(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, dict(error.headers), error.read())

    def path_of(self, url: str) -> str:
        """The path (and query) of an absolute URL the service gave out."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == self.base_url, url
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # -- journey steps --------------------------------------------------------------------

    def example(self) -> dict[str, Any]:
        """The resident form's first example, each time with a plate of its own.

        A plate holds one active permit per permit type, and the session shares one table:
        the first call keeps the example's "dn ab 123", later ones get "dn ab 124", ...
        """
        if not self._example:
            schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
            self._example.update(schema["examples"][0])
        copy: dict[str, Any] = json.loads(json.dumps(self._example))  # a fresh copy per call
        copy["vehicle"]["plates"] = [f"dn ab {next(_EXAMPLE_PLATES)}"]
        return copy

    def submit_example(self) -> Submitted:
        response = self.request("POST", f"/api/forms/{FORM_ID}/applications", self.example())
        assert response.status == 201, response.text
        body = response.json()
        return Submitted(body["id"], body["access_token"], body)

    def bearer(self, submitted: Submitted) -> dict[str, str]:
        return {"Authorization": f"Bearer {submitted.access_token}"}

    def status(self, submitted: Submitted) -> dict[str, Any]:
        response = self.request(
            "GET", f"/api/applications/{submitted.id}", headers=self.bearer(submitted)
        )
        assert response.status == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def open_checkout(self, submitted: Submitted) -> str:
        """The sandbox checkout URL (absolute, on this service)."""
        response = self.request(
            "POST", f"/api/applications/{submitted.id}/checkout", headers=self.bearer(submitted)
        )
        assert response.status == 200, response.text
        url: str = response.json()["checkout_url"]
        return url

    def pay(self, checkout_url: str) -> HttpResponse:
        """Press "Bezahlen" on the sandbox page: the service sends itself the signed webhook."""
        return self.request(
            "POST",
            self.path_of(checkout_url) + "/pay",
            b"",
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def issue_permit(self) -> tuple[Submitted, dict[str, Any]]:
        """Submit, check out and pay in the sandbox; the application's status body once ISSUED."""
        submitted = self.submit_example()
        response = self.pay(self.open_checkout(submitted))
        assert response.status == 303, response.text
        status = self.status(submitted)
        assert status["status"] == "ISSUED", status
        return submitted, status

    def payment_id(self, application_id: str) -> str:
        item = self.dynamodb.get_item(
            TableName=self.table_name,
            Key={"PK": {"S": f"APP#{application_id}"}, "SK": {"S": "A"}},
            ConsistentRead=True,
        )["Item"]
        payment_id: str = item["payment_id"]["S"]
        return payment_id

    def send_webhook(
        self,
        event_type: str,
        *,
        application_id: str,
        payment_id: str,
        amount_cents: int,
        currency: str = "EUR",
        event_id: str | None = None,
    ) -> HttpResponse:
        """A payment event signed with the local sandbox secret, as the provider sends it."""
        from chalicelib.adapters.payments.standard_webhooks import signed_headers
        from scripts.run_local import LOCAL_WEBHOOK_SECRET

        body = self.webhook_body(event_type, application_id, payment_id, amount_cents, currency)
        event_id = event_id or f"evt_e2e_{os.urandom(8).hex()}"
        headers = signed_headers(LOCAL_WEBHOOK_SECRET, event_id, int(time.time()), body)
        return self.post_webhook(headers, body)

    @staticmethod
    def webhook_body(
        event_type: str, application_id: str, payment_id: str, amount_cents: int, currency: str
    ) -> bytes:
        from tests.integration.payment_helpers import event_body

        return event_body(event_type, application_id, payment_id, amount_cents, currency)

    def post_webhook(self, headers: Mapping[str, str], body: bytes) -> HttpResponse:
        return self.request(
            "POST",
            "/api/payments/sandbox/webhook",
            body,
            {"Content-Type": "application/json", **headers},
        )

    # -- table ----------------------------------------------------------------------------

    def items_of_application(self, application_id: str) -> list[dict[str, Any]]:
        """Every item under the application's partition (the application and its audit)."""
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"APP#{application_id}"}},
            "ConsistentRead": True,
        }
        while True:
            page = self.dynamodb.query(**kwargs)
            found += page["Items"]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def permit_items_of_application(self, application_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "FilterExpression": "#type = :permit AND application_id = :app",
            "ExpressionAttributeNames": {"#type": "type"},
            "ExpressionAttributeValues": {
                ":permit": {"S": "permit"},
                ":app": {"S": application_id},
            },
            "ConsistentRead": True,
        }
        while True:
            page = self.dynamodb.scan(**kwargs)
            found += page["Items"]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_serving(base_url: str, child: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last_error = ""
    while time.monotonic() < deadline:
        if child.poll() is not None:
            log = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
            raise RuntimeError(f"chalice local exited with {child.returncode}:\n{log}")
        try:
            with urllib.request.urlopen(base_url + "/api/forms", timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError) as error:
            last_error = str(error)
        time.sleep(0.2)
    log = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    raise RuntimeError(
        f"service did not answer GET /api/forms within {START_TIMEOUT_SECONDS} s "
        f"({last_error}):\n{log}"
    )


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGINT)  # what Ctrl-C does to `make run`
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=10)


@contextlib.contextmanager
def _running_service(extra_env: Mapping[str, str] | None = None) -> Iterator[LiveService]:
    """moto + table + `chalice local` on free ports, with the local stage's environment."""
    import boto3

    from chalicelib.adapters.dynamodb.table import create_table
    from scripts.local_mail import LocalMailServer
    from scripts.moto_server import LocalDynamoDB
    from scripts.oidc_server import LocalOidcProvider
    from scripts.run_local import local_environment
    from scripts.stream_drain import drain_for

    port = _free_port()
    base_url = f"http://{HOST}:{port}"
    with (
        LocalDynamoDB(HOST, 0) as dynamodb_server,
        tempfile.TemporaryDirectory(prefix="e2e-service-") as workdir,
        LocalMailServer(Path(workdir) / "mail") as mail,
        LocalOidcProvider() as oidc,
    ):
        env = {
            **local_environment(
                dynamodb_server.endpoint,
                port,
                smtp_port=mail.port,
                mail_dir=mail.folder,
                oidc_issuer=oidc.issuer,
            ),
            # The suite runs its two halves side by side on two cores: moto in this process
            # answers slower than on an idle laptop. Fast 503s are tested in integration.
            "PERMIT_LOCAL_AWS_READ_TIMEOUT_SECONDS": "15",
            **(extra_env or {}),
        }
        client = boto3.client(
            "dynamodb",
            endpoint_url=dynamodb_server.endpoint,
            region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        table_name = env["PERMIT_TABLE_NAME"]
        create_table(client, table_name)
        log_path = Path(workdir) / "chalice-local.log"
        chalice = Path(sys.executable).parent / "chalice"
        command = [
            str(chalice), "local", "--host", HOST, "--port", str(port),
            "--stage", "local", "--no-autoreload",
        ]  # fmt: skip
        with log_path.open("wb") as log:
            child = subprocess.Popen(
                command, cwd=APP_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        drain = drain_for(env).start()
        try:
            _wait_until_serving(base_url, child, log_path)
            yield LiveService(base_url, env, client, table_name, log_path, mail.folder, oidc)
        finally:
            drain.stop()
            _stop(child)


@pytest.fixture(scope="session")
def live_service() -> Iterator[LiveService]:
    """The service as `make run` starts it: sandbox payments."""
    with _running_service() as service:
        yield service


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    """localstripe (the stateful Stripe emulator) on 127.0.0.1, one per session."""
    from scripts.localstripe_server import LocalStripe

    with LocalStripe() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def stripe_service(localstripe: LocalStripe) -> Iterator[LiveService]:
    """The service as `PERMIT_PAYMENT_PROVIDER=stripe make run` starts it, on localstripe.

    localstripe delivers its signed webhooks to this service's Stripe endpoint.
    """
    from scripts.run_local import LOCAL_STRIPE_WEBHOOK_SECRET, stripe_environment

    # A table of its own: moto's backend is shared by the session's in-process servers, and
    # each service's stream drain must see (and mail, and list) only its own writes.
    extra = {**stripe_environment(localstripe.endpoint), "PERMIT_TABLE_NAME": "permits-stripe"}
    with _running_service(extra) as service:
        localstripe.register_webhook(
            f"{service.base_url}/api/payments/stripe/webhook", LOCAL_STRIPE_WEBHOOK_SECRET
        )
        yield service


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium binary; the browser tests are skipped (saying why) without one."""
    from tests.e2e.browser import find_chromium

    found = find_chromium()
    if found is None:
        pytest.skip("Chromium is not installed (run `make system-deps`; CI installs it)")
    return found


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    """One Playwright-driven Chromium for the whole session (Debian's, never a download)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.web import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context per test (no shared cookies, storage or cache), German first."""
    context = browser.new_context(locale="de-DE")
    try:
        yield context.new_page()
    finally:
        context.close()
