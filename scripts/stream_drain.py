"""The local run's stand-in for the DynamoDB Streams trigger: read the table's stream, dispatch.

It reads the local table's stream (moto's server implements DynamoDB Streams) shard by
shard and hands each batch of records to the same ``dispatch`` the Lambda handler calls
(``chalicelib/services/table_stream.py``), so the local run sends mail and remakes the
revocation list exactly as AWS does. A batch whose dispatch fails is retried
from the same position after a pause, as Lambda retries a failed batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["StreamDrain"]

log = logging.getLogger("permit_service.drain")
Dispatch = Callable[[Sequence[Mapping[str, Any]]], object]


class StreamDrain:
    def __init__(
        self,
        dynamodb: Any,
        streams: Any,
        table_name: str,
        dispatch: Dispatch,
        interval: float = 0.3,
    ) -> None:
        self._dynamodb = dynamodb
        self._streams = streams
        self._table = table_name
        self._dispatch = dispatch
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: dict[str, str] = {}  # shard id -> sequence number of the last record sent
        self.failures = 0

    def start(self) -> StreamDrain:
        self._thread = threading.Thread(target=self._run, name="stream-drain", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain_once()
            except Exception:  # keep draining; the next round retries from the same place
                self.failures += 1
                log.warning("stream drain round failed", exc_info=True)
                self._stop.wait(2.0)
            self._stop.wait(self._interval)

    def drain_once(self) -> int:
        """One pass over every shard; returns how many records were dispatched."""
        arn = self._dynamodb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"]
        shards = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        handled = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            # A fresh iterator each round, after the last record handled: moto's transactions
            # replace the table object (and its stream shard) when one fails, which leaves an
            # old iterator reading a shard nobody writes to any more. DynamoDB is fine either way.
            position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
            if shard_id in self._last:
                position = {
                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                    "SequenceNumber": self._last[shard_id],
                }
            iterator = self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard_id, **position
            )["ShardIterator"]
            while iterator:
                page = self._streams.get_records(ShardIterator=iterator, Limit=100)
                records = page.get("Records", [])
                if not records:
                    break
                self._dispatch(records)  # raises: the next round starts after the last success
                self._last[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                handled += len(records)
                iterator = page.get("NextShardIterator")
        return handled


def drain_for(env: Mapping[str, str]) -> StreamDrain:
    """A drain that runs every stream consumer through a Container built from the service's own
    environment."""
    import boto3

    from chalicelib.config import Settings
    from chalicelib.services.table_stream import dispatch
    from chalicelib.wiring import Container

    session = boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    endpoint = env["AWS_ENDPOINT_URL_DYNAMODB"]
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    streams = session.client("dynamodbstreams", endpoint_url=endpoint)
    container = Container(Settings.from_env(env), dynamodb=dynamodb)
    return StreamDrain(
        dynamodb, streams, env["PERMIT_TABLE_NAME"], lambda records: dispatch(container, records)
    )
