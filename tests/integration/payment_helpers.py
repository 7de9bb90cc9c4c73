"""Shared helpers for the payment and issuance integration tests (issue 3).

Everything goes through ``chalice.test.Client`` (``client.http``) against the app wired to
this test's DynamoDB table; assertions look at the HTTP answers AND at the table itself
(``table_items``), so "nothing changed" means the scan is identical.

Time: one clock for everything
------------------------------
The sandbox provider's webhook verifier reads ``time.time`` by default. These tests instead
inject a :class:`SandboxProvider` whose clock is the test's :class:`FixedClock`
(``clock=lambda: clock.now().timestamp()``) through ``Container(..., payment_provider=...)``,
and sign every webhook at the FixedClock's time. So the 5-minute tolerance is tested to the
second (exactly 6 minutes old / ahead), ``clock.advance`` moves the verifier, the checkout
session's ``issued_at`` and the service together, and no test depends on the wall clock.
(The Container's own ``sandbox`` property, used only by the sandbox HTML pages, still reads
the wall clock; no test here uses those pages.)

DynamoDB requests are counted with a botocore ``before-send`` hook on the session's client
(one count per HTTP request actually sent, retries included), see :class:`RequestCounter`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.adapters.payments.sandbox import SandboxProvider, SandboxSession
from chalicelib.adapters.payments.standard_webhooks import signed_headers
from chalicelib.config import APP_ROOT, Settings
from chalicelib.services.store_errors import StoreUnavailableError
from tests.conftest import TEST_WEBHOOK_SECRET, FixedClock, table_items

__all__ = [
    "EXAMPLE",
    "FORM_ID",
    "FREE_FORM_ID",
    "FREE_SCHEMAS_DIR",
    "FlakyStore",
    "PaymentWorld",
    "RequestCounter",
    "Submitted",
    "event_body",
    "open_world",
    "signed_webhook",
]

FORM_ID = "resident-parking-permit"
FREE_FORM_ID = "free-visitor-permit"
FREE_SCHEMAS_DIR = APP_ROOT / "tests" / "fixtures" / "free-schemas"
_SCHEMA = json.loads((APP_ROOT / "schemas" / f"{FORM_ID}.json").read_text(encoding="utf-8"))
#: The form's first example: zone C, plate "dn ab 123", 12 months, fee 3000 EUR cents.
EXAMPLE: dict[str, Any] = _SCHEMA["examples"][0]
FEE_CENTS = 3000
_DELIVERY_IDS = itertools.count(1)


# -- webhooks ---------------------------------------------------------------------------


def event_body(
    event_type: str,
    application_id: str,
    payment_id: str,
    amount_cents: int = FEE_CENTS,
    currency: str = "EUR",
    refunded_cents: int | None = None,
) -> bytes:
    """A webhook body exactly as the contract (ARCHITECTURE.md, sandbox provider) has it.

    A ``payment.refunded`` says how much was refunded so far in total (``refunded_cents``,
    the whole amount unless given).
    """
    data: dict[str, Any] = {
        "payment_id": payment_id,
        "application_id": application_id,
        "amount_cents": amount_cents,
        "currency": currency,
    }
    if event_type == "payment.refunded":
        data["refunded_cents"] = amount_cents if refunded_cents is None else refunded_cents
    event = {"type": event_type, "data": data}
    return json.dumps(event, separators=(",", ":")).encode("utf-8")


def signed_webhook(
    body: bytes, event_id: str, timestamp: int, secret: str = TEST_WEBHOOK_SECRET
) -> dict[str, str]:
    """The three Standard Webhooks headers plus the JSON content type, for ``body``."""
    headers = signed_headers(secret, event_id, timestamp, body)
    headers["content-type"] = "application/json"
    return headers


# -- DynamoDB request counting ------------------------------------------------------------


class RequestCounter:
    """Counts DynamoDB HTTP requests (by operation) sent through one boto3 client."""

    def __init__(self, dynamodb_client: Any) -> None:
        self._events = dynamodb_client.meta.events
        self._unique_id = f"payment-tests-counter-{secrets.token_hex(4)}"
        self.operations: list[str] = []
        self._events.register("before-send.dynamodb", self._on_send, unique_id=self._unique_id)

    def _on_send(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        if isinstance(target, bytes):
            target = target.decode("ascii")
        self.operations.append(str(target).rpartition(".")[2])

    @contextlib.contextmanager
    def measure(self) -> Iterator[list[str]]:
        """``with counter.measure() as ops:`` -> ``ops`` lists the operations sent inside."""
        start = len(self.operations)
        window: list[str] = []
        try:
            yield window
        finally:
            window.extend(self.operations[start:])

    def close(self) -> None:
        self._events.unregister("before-send.dynamodb", unique_id=self._unique_id)


# -- a store that fails once on purpose ---------------------------------------------------


class FlakyStore:
    """Delegates to the real DynamoDBStore; ``arm(method)`` makes that method's next call fail.

    The failure is raised *instead of* the call (nothing reaches DynamoDB), like a request
    the database refused or that timed out before it was applied. Injected through
    ``Container(..., store=FlakyStore(real))``; no patching of our own code.
    """

    def __init__(self, real: Any) -> None:
        self._real = real
        self._armed: dict[str, int] = {}
        self.failures: list[str] = []

    def arm(self, method: str, times: int = 1) -> None:
        if not callable(getattr(self._real, method, None)):
            raise AttributeError(f"the store has no method {method!r}")
        self._armed[method] = times

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._armed.get(name, 0) > 0:
                self._armed[name] -= 1
                self.failures.append(name)
                raise StoreUnavailableError(f"injected failure of {name}")
            return attribute(*args, **kwargs)

        return call


# -- table views --------------------------------------------------------------------------


def kind_of(item: dict[str, Any]) -> str:
    pk, sk = item["PK"]["S"], item["SK"]["S"]
    if pk.startswith("APP#"):
        if sk.startswith("MAIL#"):
            return "mail"  # the application's record of a mail (kind, outbox id)
        return "application" if sk == "A" else "audit" if sk.startswith("AUDIT#") else "app-other"
    return {
        "PERMIT": "permit",
        "EVENT": "event",
        "IDEM": "idempotency",
        "PLATE": "plate_claim",
        "OUTBOX": "outbox",
        "LEDGER": "ledger",
    }.get(pk.partition("#")[0], "other")


def kinds(items: list[dict[str, Any]]) -> Counter[str]:
    return Counter(kind_of(item) for item in items)


def sorted_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items in a stable order, so two scans compare equal when the table did not change."""
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


# -- the app under test -------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    id: str
    token: str
    body: dict[str, Any]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class PaymentWorld:
    """The app wired to one test's table and clock, with request counting and helpers."""

    container: Any
    http: Any
    test_client: Any
    clock: FixedClock
    dynamodb: Any
    table_name: str
    provider: SandboxProvider
    counter: RequestCounter
    store: Any = None
    _submitted: dict[str, Submitted] = field(default_factory=dict)
    _examples_sent: int = 0

    # table
    def items(self) -> list[dict[str, Any]]:
        return sorted_items(table_items(self.dynamodb, self.table_name))

    def application_item(self, application_id: str) -> dict[str, Any]:
        found = [
            item
            for item in table_items(self.dynamodb, self.table_name)
            if item["PK"]["S"] == f"APP#{application_id}" and item["SK"]["S"] == "A"
        ]
        assert len(found) == 1, found
        return found[0]

    def audit_events(self, application_id: str) -> list[str]:
        """Audit ``event`` names of one application, oldest first (the sort key's order)."""
        audits = [
            item
            for item in self.items()
            if item["PK"]["S"] == f"APP#{application_id}" and kind_of(item) == "audit"
        ]
        return [item["event"]["S"] for item in audits]

    def audit_details(self, application_id: str, event: str) -> list[dict[str, str]]:
        return [
            {k: v["S"] for k, v in item.get("detail", {}).get("M", {}).items()}
            for item in self.items()
            if item["PK"]["S"] == f"APP#{application_id}"
            and kind_of(item) == "audit"
            and item["event"]["S"] == event
        ]

    def flags(self, application_id: str) -> list[str]:
        item = self.application_item(application_id)
        return [flag["S"] for flag in item.get("flags", {}).get("L", [])]

    def stored_status(self, application_id: str) -> str:
        return str(self.application_item(application_id)["status"]["S"])

    def permit_items(self) -> list[dict[str, Any]]:
        return [item for item in self.items() if kind_of(item) == "permit"]

    # HTTP
    def submit(self, data: dict[str, Any] | None = None, form_id: str = FORM_ID) -> Submitted:
        """Submit ``data``, or the form's first example; each further example gets its own
        plate ("dn ab 124", ...), since a plate holds one active permit per permit type."""
        if data is None:
            data = json.loads(json.dumps(EXAMPLE))
            if self._examples_sent:
                data["vehicle"]["plates"] = [f"dn ab {123 + self._examples_sent}"]
            self._examples_sent += 1
        response = self.http.post(
            f"/api/forms/{form_id}/applications",
            headers={"Content-Type": "application/json"},
            body=json.dumps(data),
        )
        assert response.status_code == 201, response.body
        body = response.json_body
        return Submitted(body["id"], body["access_token"], body)

    def checkout(self, app: Submitted) -> Any:
        return self.http.post(f"/api/applications/{app.id}/checkout", headers=app.auth)

    def checkout_url(self, app: Submitted) -> str:
        response = self.checkout(app)
        assert response.status_code == 200, response.body
        url: str = response.json_body["checkout_url"]
        return url

    def session_of(self, checkout_url: str) -> SandboxSession:
        prefix = f"{self.provider.public_base_url}/sandbox/checkout/"
        assert checkout_url.startswith(prefix), checkout_url
        return self.provider.open_session(checkout_url.removeprefix(prefix))

    def status(self, app: Submitted) -> Any:
        return self.http.get(f"/api/applications/{app.id}", headers=app.auth)

    def verify(self, token: str) -> Any:
        return self.http.post(
            "/api/verify",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"token": token}),
        )

    def now_ts(self) -> int:
        return int(self.clock.now().timestamp())

    def post_webhook(self, headers: dict[str, str], body: bytes, provider: str = "sandbox") -> Any:
        return self.http.post(f"/api/payments/{provider}/webhook", headers=headers, body=body)

    def webhook(
        self,
        event_type: str,
        application_id: str,
        payment_id: str,
        *,
        event_id: str | None = None,
        amount_cents: int = FEE_CENTS,
        currency: str = "EUR",
        secret: str = TEST_WEBHOOK_SECRET,
    ) -> Any:
        """Sign (at the FixedClock's time) and POST one event; a fresh event id by default."""
        body = event_body(event_type, application_id, payment_id, amount_cents, currency)
        msg_id = event_id or f"evt_test_{next(_DELIVERY_IDS)}"
        return self.post_webhook(signed_webhook(body, msg_id, self.now_ts(), secret), body)

    def refund_webhook(
        self,
        session: SandboxSession,
        event_id: str | None = None,
        refunded_cents: int | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed ``payment.refunded`` delivery for a sandbox session, as a provider sends it.

        The sandbox itself never refunds (no caller in the service needs it); the event has
        the shape and signature a real provider's refund would have. The default event id is
        stable per session, so sending it twice dedupes like a provider's retry.
        """
        body = event_body(
            "payment.refunded",
            session.application_id,
            session.payment_id,
            session.amount_cents,
            refunded_cents=refunded_cents,
        )
        msg_id = event_id or session.event_id("refunded")
        return signed_webhook(body, msg_id, self.now_ts()), body

    def pay(self, app: Submitted, outcome: str = "succeeded") -> tuple[Any, SandboxSession]:
        """Checkout, then the provider's own signed webhook for that session's outcome."""
        session = self.session_of(self.checkout_url(app))
        headers, body = self.provider.build_webhook(session, outcome)  # type: ignore[arg-type]
        return self.post_webhook(headers, body), session


def sandbox_provider(settings: Settings, clock: FixedClock) -> SandboxProvider:
    """The sandbox provider the Container would build, but on the test's clock."""
    from chalicelib.wiring import Container

    return SandboxProvider(
        settings.public_base_url,
        settings.webhook_secrets,
        Container(settings).subkey("sandbox-session"),
        clock=lambda: clock.now().timestamp(),
    )


@contextlib.contextmanager
def open_world(
    settings: Settings,
    dynamodb_client: Any,
    clock: FixedClock,
    *,
    store_wrapper: Callable[[Any], Any] | None = None,
    **overrides: Any,
) -> Iterator[PaymentWorld]:
    """Wire the app (Container + chalice test Client) for one test; undo it afterwards.

    ``store_wrapper`` wraps the real DynamoDBStore (e.g. ``FlakyStore``); ``overrides`` go
    to the Container as they are (``registry=...``, ...).
    """
    from chalice.test import Client

    import app as app_module
    from chalicelib.adapters.dynamodb.store import DynamoDBStore
    from chalicelib.wiring import Container

    provider = overrides.pop("payment_provider", None) or sandbox_provider(settings, clock)
    store = None
    if store_wrapper is not None:
        store = store_wrapper(DynamoDBStore(dynamodb_client, settings.table_name))
        overrides["store"] = store
    container = Container(
        settings, dynamodb=dynamodb_client, clock=clock, payment_provider=provider, **overrides
    )
    counter = RequestCounter(dynamodb_client)
    app_module.set_container(container)
    try:
        with Client(app_module.app) as test_client:
            yield PaymentWorld(
                container=container,
                http=test_client.http,
                test_client=test_client,
                clock=clock,
                dynamodb=dynamodb_client,
                table_name=settings.table_name,
                provider=provider,
                counter=counter,
                store=store,
            )
    finally:
        app_module.set_container(None)
        counter.close()


def free_registry() -> Any:
    from chalicelib.services.form_registry import FormRegistry

    return FormRegistry(Path(FREE_SCHEMAS_DIR))
