"""The table's change stream: one dispatcher, and the one list of its consumers.

``app.table_stream`` (a single ``@app.on_dynamodb_record`` Lambda on the table's stream,
view ``NEW_AND_OLD_IMAGES``) and the local run's drain loop (``scripts/stream_drain.py``)
both call :func:`dispatch` with batches of records in the Lambda event's shape, so AWS and
the local run execute the same consumers. A consumer takes the whole batch and picks the
records that concern it itself; a new one is one more entry in ``CONSUMERS``:

- :func:`send_outbox_mail` (issue 10): each new OUTBOX item is sent once;
- :func:`refresh_status_list` (issue 13): the signed revocation list is remade once per
  batch that touched the revocation partition.

Every consumer sees every batch even when an earlier one fails (a mail server that is down
must not hold back a revocation, nor the other way round); the first failure is raised
after all of them ran, so Lambda (or the drain loop) retries the batch whole. Consumers are
therefore idempotent: the mail by its conditional claim, the list because it is rebuilt
from the partition rather than patched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.wiring import Container

__all__ = ["CONSUMERS", "Consumer", "Record", "dispatch", "refresh_status_list", "send_outbox_mail"]

Record = Mapping[str, Any]
"""One stream record as Lambda delivers it: ``eventName``, ``dynamodb.Keys``, the images."""

Consumer = Callable[["Container", Sequence[Record]], None]


def send_outbox_mail(container: Container, records: Sequence[Record]) -> None:
    """Each new OUTBOX item: send its mail once."""
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        keys = record.get("dynamodb", {}).get("Keys", {})
        pk = keys.get("PK", {}).get("S", "")
        if pk.startswith("OUTBOX#"):
            container.notifier.deliver(pk.removeprefix("OUTBOX#"))


def refresh_status_list(container: Container, records: Sequence[Record]) -> None:
    """A revocation or supersession in the batch: remake the signed revocation list once."""
    container.status_list.on_table_records(records)


CONSUMERS: tuple[Consumer, ...] = (send_outbox_mail, refresh_status_list)


def dispatch(container: Container, records: Iterable[Record]) -> int:
    """Every consumer sees the whole batch; returns how many records it held."""
    batch = list(records)
    failure: Exception | None = None
    for consumer in CONSUMERS:
        try:
            consumer(container, batch)
        except Exception as error:  # the others still run; the batch is retried whole
            failure = failure or error
    if failure is not None:
        raise failure
    return len(batch)
