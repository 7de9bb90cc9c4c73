"""The sandbox provider's memory of paid checkouts, in the service's one table.

One item per paid checkout, ``SANDBOX#<checkout id>``/``S``, expiring after 30 days. Only
the sandbox (stages ``local`` and ``test``) writes it: it lets the sandbox answer a poll as
a real provider does, so a lost sandbox webhook is found by the reconciliation job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.payments.sandbox import SandboxPayment
from chalicelib.services.store_errors import StoreUnavailableError

__all__ = ["DynamoDBSandboxLedger"]

_RETENTION_SECONDS = 30 * 24 * 3600


def _key(checkout_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"SANDBOX#{checkout_id}"}, "SK": {"S": "S"}}


class DynamoDBSandboxLedger:
    """``client`` is a boto3 DynamoDB client, or a function that makes one on first use
    (so opening a sandbox page does not pay for a client it does not need)."""

    def __init__(self, client: Any | Callable[[], Any], table_name: str) -> None:
        self._client_or_factory = client
        self._table = table_name

    @property
    def _client(self) -> Any:
        if callable(self._client_or_factory) and not hasattr(self._client_or_factory, "meta"):
            self._client_or_factory = self._client_or_factory()
        return self._client_or_factory

    def record(self, checkout_id: str, payment: SandboxPayment) -> None:
        item = {
            **_key(checkout_id),
            "type": {"S": "sandbox_payment"},
            "application_id": {"S": payment.application_id},
            "amount_cents": {"N": str(payment.amount_cents)},
            "currency": {"S": payment.currency},
            "expires_at": {"N": str(int(time.time()) + _RETENTION_SECONDS)},
        }
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except self._client.exceptions.ClientError as error:
            raise StoreUnavailableError("sandbox ledger unavailable") from error

    def lookup(self, checkout_id: str) -> SandboxPayment | None:
        try:
            response = self._client.get_item(
                TableName=self._table, Key=_key(checkout_id), ConsistentRead=True
            )
        except self._client.exceptions.ClientError as error:
            raise StoreUnavailableError("sandbox ledger unavailable") from error
        item = response.get("Item")
        if not item:
            return None
        return SandboxPayment(
            item["application_id"]["S"], int(item["amount_cents"]["N"]), item["currency"]["S"]
        )
