"""Helpers for the permit-lifecycle tests: a capturing mailer, the outbox drained by hand,
a day-by-day walk of the hourly job, and the staff token."""

from __future__ import annotations

import copy
import hashlib
import secrets
from dataclasses import replace
from typing import Any

from chalicelib.config import Settings
from chalicelib.services.ports import MailMessage
from tests.conftest import table_items
from tests.integration.payment_helpers import EXAMPLE, PaymentWorld, Submitted

__all__ = [
    "PLENTY_OF_TIME",
    "STAFF",
    "Captured",
    "deliver_pending",
    "issued",
    "person",
    "reminder_days_sent",
    "staff_settings",
]

PLENTY_OF_TIME = 600_000
STAFF_TOKEN = "staff-token-for-the-lifecycle-tests-0123456789"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}", "Content-Type": "application/json"}


def staff_settings(settings: Settings) -> Settings:
    """The test settings plus the static staff token (role admin)."""
    return replace(settings, staff_token_hashes=(hashlib.sha256(STAFF_TOKEN.encode()).hexdigest(),))


class Captured:
    """A mailer that keeps what it was asked to send (injected, never patched in)."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []

    def send(self, message: MailMessage) -> None:
        self.sent.append(message)


def deliver_pending(world: PaymentWorld) -> int:
    """Send every PENDING outbox mail through the container's notifier (as the stream does)."""
    pending = [
        item["id"]["S"]
        for item in table_items(world.dynamodb, world.table_name)
        if item.get("type", {}).get("S") == "outbox"
        and item.get("mail_status", {}).get("S") == "PENDING"
    ]
    return sum(1 for message_id in pending if world.container.notifier.deliver(message_id))


def reminder_days_sent(world: PaymentWorld, application_id: str) -> list[int]:
    """The reminders written for one application (days before the end), from its mail
    records (the outbox item itself loses its parameters once sent)."""
    return sorted(
        int(item["params"]["M"]["days"]["S"])
        for item in table_items(world.dynamodb, world.table_name)
        if item["PK"]["S"] == f"APP#{application_id}"
        and item["SK"]["S"].startswith("MAIL#")
        and item["kind"]["S"] == "reminder"
    )


def issued(world: PaymentWorld, data: dict[str, Any] | None = None) -> tuple[Submitted, Any]:
    """Submit (the example with its own plate, or ``data``) and pay: the permit as shown."""
    app = world.submit(data)
    assert world.pay(app)[0].status_code == 200
    permit = world.status(app).json_body["permit"]
    return app, permit


def person() -> tuple[dict[str, Any], list[str]]:
    """The example with a name, address, e-mail and plate of its own, and those strings."""
    tag = secrets.token_hex(4)
    data = copy.deepcopy(EXAMPLE)
    data["applicant"]["given_names"] = f"Ilse{tag}"
    data["applicant"]["family_name"] = f"Nachname{tag}"
    data["applicant"]["email"] = f"ilse.{tag}@example.org"
    data["address"]["street"] = "Weierstraße"
    data["address"]["house_number"] = f"{int(tag[:2], 16) % 90 + 1}"
    data["vehicle"]["plates"] = [f"dn r {int(tag[:4], 16) % 9000 + 1}"]
    return data, [f"Ilse{tag}", f"Nachname{tag}", f"ilse.{tag}@example.org", "Weierstraße"]
