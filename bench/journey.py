"""A citizen's journey through the app in-process: submit, checkout, pay, status, PDF, verify.

Each step is one ``app.app(event, context)`` call (see :mod:`bench.lambda_events`) and checks
its HTTP status, so a broken step fails the benchmark (ERROR row) instead of being timed.
Payment: the sandbox provider's own signed webhook for the checkout session, delivered by
calling the webhook route, exactly what its Pay button makes the provider send.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

from bench.lambda_events import LambdaContext, body_bytes, json_body, rest_event

__all__ = ["FORM_ID", "BenchError", "Journey", "example_document"]

FORM_ID = "resident-parking-permit"


class BenchError(RuntimeError):
    """The service answered something the benchmark did not expect."""


_PLATES = itertools.count(1000)


def example_document(container: Any) -> dict[str, Any]:
    """The form's first example (zone C, 12 months) with a plate of its own per call.

    A plate holds one active permit per permit type, and the benchmarks share one table.
    """
    form = container.registry.get(FORM_ID)
    if form is None:
        raise BenchError(f"form {FORM_ID!r} not found")
    example: dict[str, Any] = copy.deepcopy(form.schema["examples"][0])
    example["vehicle"]["plates"] = [f"dn ab {next(_PLATES)}"]
    return example


def expect(response: dict[str, Any], status: int, what: str) -> dict[str, Any]:
    if response.get("statusCode") != status:
        detail = body_bytes(response)[:300].decode("utf-8", "replace")
        raise BenchError(f"{what}: HTTP {response.get('statusCode')} (expected {status}): {detail}")
    return response


class Journey:
    def __init__(self, app_module: Any, container: Any) -> None:
        self._app = app_module.app
        self._container = container

    def call(self, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self._app(event, LambdaContext())
        return response

    # events, built outside any timed region
    @staticmethod
    def submit_event(document: dict[str, Any]) -> dict[str, Any]:
        return rest_event(
            "POST",
            "/api/forms/{form_id}/applications",
            {"form_id": FORM_ID},
            {"Content-Type": "application/json"},
            json.dumps(document),
        )

    @staticmethod
    def verify_event(token: str) -> dict[str, Any]:
        return rest_event(
            "POST",
            "/api/verify",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"token": token}),
        )

    @staticmethod
    def status_event(application_id: str, access_token: str) -> dict[str, Any]:
        return rest_event(
            "GET",
            "/api/applications/{application_id}",
            {"application_id": application_id},
            {"Authorization": f"Bearer {access_token}"},
        )

    # steps
    def submit(self, document: dict[str, Any]) -> tuple[str, str]:
        """``(application id, access token)``."""
        body = json_body(expect(self.call(self.submit_event(document)), 201, "submit"))
        return str(body["id"]), str(body["access_token"])

    def checkout(self, application_id: str, access_token: str) -> str:
        event = rest_event(
            "POST",
            "/api/applications/{application_id}/checkout",
            {"application_id": application_id},
            {"Authorization": f"Bearer {access_token}"},
        )
        return str(json_body(expect(self.call(event), 200, "checkout"))["checkout_url"])

    def webhook_event(self, checkout_url: str) -> dict[str, Any]:
        """The provider's signed ``payment.succeeded`` delivery for this checkout."""
        sandbox = self._container.sandbox
        prefix = f"{self._container.settings.public_base_url}/sandbox/checkout/"
        if not checkout_url.startswith(prefix):
            raise BenchError(f"unexpected checkout URL {checkout_url!r}")
        session = sandbox.open_session(checkout_url.removeprefix(prefix))
        headers, body = sandbox.build_webhook(session, "succeeded")
        return rest_event(
            "POST",
            "/api/payments/{provider}/webhook",
            {"provider": "sandbox"},
            headers,
            body.decode("utf-8"),
        )

    def deliver(self, event: dict[str, Any]) -> None:
        outcome = json_body(expect(self.call(event), 200, "webhook"))
        if outcome.get("result") != "issued":
            raise BenchError(f"webhook: expected result 'issued', got {outcome}")

    def status(self, application_id: str, access_token: str) -> dict[str, Any]:
        event = self.status_event(application_id, access_token)
        body: dict[str, Any] = json_body(expect(self.call(event), 200, "status"))
        return body

    def permit_token(self, application_id: str, access_token: str) -> str:
        """The signed permit token, from the status body's verify URL."""
        permit = self.status(application_id, access_token).get("permit")
        if not permit:
            raise BenchError("status: no permit after a successful payment")
        return str(permit["verify_url"]).partition("#")[2]

    def pdf(self, application_id: str, access_token: str) -> bytes:
        event = rest_event(
            "GET",
            "/api/applications/{application_id}/permit.pdf",
            {"application_id": application_id},
            {"Authorization": f"Bearer {access_token}", "Accept": "application/pdf"},
        )
        pdf = body_bytes(expect(self.call(event), 200, "permit PDF"))
        if not pdf.startswith(b"%PDF-"):
            raise BenchError("permit PDF: the body is not a PDF")
        return pdf

    def verify(self, token: str) -> dict[str, Any]:
        body: dict[str, Any] = json_body(expect(self.call(self.verify_event(token)), 200, "verify"))
        if body.get("result") != "valid":
            raise BenchError(f"verify: expected 'valid', got {body}")
        return body

    def issued(self, document: dict[str, Any]) -> tuple[str, str, str]:
        """Submit, check out and pay: ``(application id, access token, permit token)``."""
        application_id, access_token = self.submit(document)
        self.deliver(self.webhook_event(self.checkout(application_id, access_token)))
        return application_id, access_token, self.permit_token(application_id, access_token)
