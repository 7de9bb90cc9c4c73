"""The DynamoDB Streams consumers: one dispatcher, one line per consumer.

``app.py`` has one ``@app.on_dynamodb_record`` handler that calls :func:`dispatch`; the
local run's drain loop calls the same function with the records it reads from the local
stream, so both paths run the same code. A consumer is a function taking one record (the
Lambda event's shape) and deciding itself whether the record concerns it; add another
(a revocation-list regeneration, say) by appending it to ``CONSUMERS``.

A consumer that raises makes the whole batch fail, so Lambda (or the drain loop) retries
it; consumers must therefore be idempotent, which the mail consumer is by its conditional
claim.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.wiring import Container

__all__ = ["CONSUMERS", "Record", "dispatch", "send_outbox_mail"]

Record = Mapping[str, Any]
"""One stream record as Lambda delivers it: ``eventName``, ``dynamodb.Keys``, ``NewImage``."""


def send_outbox_mail(container: Container, record: Record) -> None:
    """A new OUTBOX item: send its mail once."""
    if record.get("eventName") != "INSERT":
        return
    keys = record.get("dynamodb", {}).get("Keys", {})
    pk = keys.get("PK", {}).get("S", "")
    if not pk.startswith("OUTBOX#"):
        return
    container.notifier.deliver(pk.removeprefix("OUTBOX#"))


CONSUMERS: list[Callable[[Container, Record], None]] = [send_outbox_mail]


def dispatch(container: Container, records: Iterable[Record]) -> int:
    """Every consumer sees every record; returns how many records were handled."""
    count = 0
    for record in records:
        for consumer in CONSUMERS:
            consumer(container, record)
        count += 1
    return count
