"""Staff tests' shared parts: the app with a static staff token, and citizens who apply and pay.

Applications go through the real HTTP routes (moto over HTTP underneath); payments through
the payment service's one entry point for provider events, as a verified webhook would.
Each application brings its own plate and e-mail address (tests share nothing).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

STAFF_TOKEN = "staff-token-for-tests-0123456789"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
FORM = "resident-parking-permit"
_SEQUENCE = itertools.count(1000)


@dataclass
class Applied:
    id: str
    access_token: str
    fee_cents: int
    plate: str
    email: str


class StaffWorld:
    def __init__(self, client: Any, container: Any) -> None:
        self.client = client
        self.container = container
        self._events = itertools.count(1)

    def apply(self, form_id: str = FORM, email: str | None = None) -> Applied:
        from chalicelib.domain.pointers import resolve_pointer

        form = self.container.registry.get(form_id)
        document = json.loads(json.dumps(form.schema["examples"][0]))
        n = next(_SEQUENCE)
        plate = f"dn st {n}"
        address = email or f"person{n}@example.org"
        for pointer, value in ((form.permit.plates, plate), (form.email_pointer, address)):
            tokens = pointer.strip("/").split("/")
            parent = (
                resolve_pointer(document, "/" + "/".join(tokens[:-1]))
                if len(tokens) > 1
                else document
            )
            parent[tokens[-1]] = [value] if isinstance(parent[tokens[-1]], list) else value
        response = self.client.http.post(
            f"/api/forms/{form_id}/applications",
            body=json.dumps(document),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.body
        body = json.loads(response.body)
        return Applied(
            body["id"], body["access_token"], body["fee"]["amount_cents"], plate, address
        )

    def checkout(self, applied: Applied) -> None:
        response = self.client.http.post(
            f"/api/applications/{applied.id}/checkout",
            headers={"Authorization": f"Bearer {applied.access_token}"},
        )
        assert response.status_code == 200, response.body

    def pay(self, applied: Applied, amount_cents: int | None = None) -> str:
        """A verified payment.succeeded event; returns the service's result (issued, flagged)."""
        from chalicelib.services.ports import PaymentEvent

        n = next(self._events)
        amount = applied.fee_cents if amount_cents is None else amount_cents
        event = PaymentEvent(
            f"evt-{applied.id[:8]}-{n}",
            "payment.succeeded",
            f"pay-{applied.id[:8]}",
            applied.id,
            amount,
            "EUR",
        )
        result: str = self.container.payments.apply("sandbox", event).result
        return result

    def webhook(
        self,
        event_type: str,
        applied: Applied,
        payment_id: str,
        amount_cents: int | None = None,
        refunded_cents: int | None = None,
        event_id: str | None = None,
    ) -> tuple[str, str]:
        """A signed sandbox webhook over HTTP; returns (event id, the service's result)."""
        from tests.integration.payment_helpers import event_body, signed_webhook

        event_id = event_id or f"evt_{applied.id[:6]}_{next(self._events)}"
        amount = applied.fee_cents if amount_cents is None else amount_cents
        body = event_body(event_type, applied.id, payment_id, amount, "EUR", refunded_cents)
        timestamp = int(self.container.clock.now().timestamp())
        response = self.client.http.post(
            "/api/payments/sandbox/webhook",
            body=body,
            headers=signed_webhook(body, event_id, timestamp),
        )
        assert response.status_code == 200, response.body
        return event_id, str(json.loads(response.body)["result"])

    def get(self, path: str, **headers: str) -> Any:
        return self.client.http.get(path, headers={**STAFF, **headers})

    def get_json(self, path: str) -> Any:
        response = self.get(path)
        assert response.status_code == 200, response.body
        return json.loads(response.body)

    def permit_number(self, applied: Applied) -> str:
        status = json.loads(
            self.client.http.get(
                f"/api/applications/{applied.id}",
                headers={"Authorization": f"Bearer {applied.access_token}"},
            ).body
        )
        number: str = status["permit"]["number"]
        return number


@pytest.fixture
def staff_world(settings: Any, dynamodb_client: Any, clock: Any) -> Iterator[StaffWorld]:
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    staff_settings = replace(
        settings, staff_token_hashes=(hashlib.sha256(STAFF_TOKEN.encode()).hexdigest(),)
    )
    container = Container(staff_settings, dynamodb=dynamodb_client, clock=clock)
    app_module.set_container(container)
    with Client(app_module.app) as test_client:
        yield StaffWorld(test_client, container)
    app_module.set_container(None)
