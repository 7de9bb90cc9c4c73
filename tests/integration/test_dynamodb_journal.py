"""The local DynamoDB's journal: every acknowledged write survives kill -9, nothing else is kept.

Each server runs as ``python -m scripts.moto_server --journal <file>`` in a process of its own
(moto's backends are process-wide, so a replay needs a fresh process, as `make run` has),
and is killed with SIGKILL: no clean-up code runs. The tests' own tables (conftest) stay in
memory; only the local run journals.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.table import table_definition
from chalicelib.config import APP_ROOT

TABLE = "permits-local"


@contextlib.contextmanager
def journaled_server(journal: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(boto3 client, the server's ready line); the server is SIGKILLed afterwards."""
    import boto3

    child = subprocess.Popen(
        [sys.executable, "-m", "scripts.moto_server", "--journal", str(journal)],
        cwd=APP_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            child.wait(timeout=30)
            raise RuntimeError(child.stderr.read() if child.stderr else "no output")
        ready = json.loads(line)
        client = boto3.client(
            "dynamodb",
            endpoint_url=ready["endpoint"],
            region_name="eu-central-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        yield client, ready
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)  # a crash: nothing is flushed or closed
        child.wait(timeout=30)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def _everything(client: Any) -> list[dict[str, Any]]:
    items = client.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def _key(pk: str, sk: str = "A") -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _item(pk: str, sk: str = "A", **attributes: str) -> dict[str, Any]:
    return {**_key(pk, sk), **{name: {"S": value} for name, value in attributes.items()}}


def _write_every_kind(client: Any) -> None:
    from chalicelib.adapters.dynamodb.table import create_table

    create_table(client, TABLE)
    client.put_item(TableName=TABLE, Item=_item("APP#put", status="SUBMITTED"))
    client.put_item(TableName=TABLE, Item=_item("APP#gone"))
    client.delete_item(TableName=TABLE, Key=_key("APP#gone"))
    client.update_item(
        TableName=TABLE,
        Key=_key("APP#put"),
        UpdateExpression="SET #s = :s, note = :n",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "ISSUED"}, ":n": {"S": "Öztürk prints"}},
    )
    client.batch_write_item(
        RequestItems={
            TABLE: [
                {"PutRequest": {"Item": _item(f"APP#batch{n}", status="SUBMITTED")}}
                for n in range(20)
            ]
            + [{"DeleteRequest": {"Key": _key("APP#put-later")}}]
        }
    )
    client.put_item(TableName=TABLE, Item=_item("APP#tx-delete"))
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": _item("PERMIT#1", "P", status="ISSUED")}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": _key("APP#batch0"),
                    "UpdateExpression": "SET #s = :s",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":s": {"S": "AWAITING_PAYMENT"}},
                }
            },
            {"Delete": {"TableName": TABLE, "Key": _key("APP#tx-delete")}},
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": _key("APP#batch1"),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
        ]
    )


def test_every_kind_of_write_survives_kill_9(tmp_path: Path) -> None:
    journal = tmp_path / "dynamodb.jsonl"
    with journaled_server(journal) as (client, ready):
        assert ready["replayed_lines"] == 0
        _write_every_kind(client)
        before = _everything(client)
        ttl = client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert len(before) == 22  # put, 20 batch, permit; the deleted ones are gone

    with journaled_server(journal) as (client, ready):
        assert _everything(client) == before
        assert ready["items"] == 22
        assert client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"] == ttl
        index = client.describe_table(TableName=TABLE)["Table"]["GlobalSecondaryIndexes"]
        expected = [gsi["IndexName"] for gsi in table_definition()["GlobalSecondaryIndexes"]]
        assert [gsi["IndexName"] for gsi in index] == expected  # the definition came back too
        client.put_item(TableName=TABLE, Item=_item("APP#after-restart"))
        after = _everything(client)

    with journaled_server(journal) as (client, _):  # from the compacted journal plus a write
        assert _everything(client) == after


def test_refused_writes_leave_no_trace(tmp_path: Path) -> None:
    journal = tmp_path / "dynamodb.jsonl"
    with journaled_server(journal) as (client, _):
        _write_every_kind(client)
        size = journal.stat().st_size
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(
                TableName=TABLE,
                Item=_item("APP#put", status="HIJACKED"),
                ConditionExpression="attribute_not_exists(PK)",
            )
        with pytest.raises(client.exceptions.TransactionCanceledException):
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": _item("APP#new")}},
                    {
                        "Put": {
                            "TableName": TABLE,
                            "Item": _item("PERMIT#1", "P", status="TWICE"),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                ]
            )
        client.get_item(TableName=TABLE, Key=_key("APP#put"))
        client.query(
            TableName=TABLE,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "APP#put"}},
        )
        assert journal.stat().st_size == size  # reads and refusals are not journaled


def test_the_journal_is_private_and_compacted_at_start(tmp_path: Path) -> None:
    journal = tmp_path / "local" / "dynamodb.jsonl"
    with journaled_server(journal) as (client, _):
        _write_every_kind(client)
        for n in range(30):  # a long history of one item
            client.put_item(TableName=TABLE, Item=_item("APP#busy", version=str(n)))
    history = journal.read_text(encoding="utf-8").splitlines()
    assert os.stat(journal).st_mode & 0o777 == 0o600  # it holds personal data
    assert os.stat(journal.parent).st_mode & 0o777 == 0o700

    with journaled_server(journal) as (client, ready):
        assert ready["replayed_lines"] == len(history)
        busy = client.get_item(TableName=TABLE, Key=_key("APP#busy"))["Item"]
        assert busy["version"]["S"] == "29"
    compacted = journal.read_text(encoding="utf-8").splitlines()
    assert len(compacted) < len(history)
    assert [json.loads(line).get("request") for line in compacted[:2]] == [
        "CreateTable",
        "UpdateTimeToLive",
    ]
    assert sum(len(json.loads(line).get("changes", [])) for line in compacted) == 23
    assert os.stat(journal).st_mode & 0o777 == 0o600


def test_a_torn_last_line_is_skipped_and_a_damaged_one_refused(tmp_path: Path) -> None:
    journal = tmp_path / "dynamodb.jsonl"
    with journaled_server(journal) as (client, _):
        _write_every_kind(client)
        before = _everything(client)
    intact = journal.read_text(encoding="utf-8")
    # A crash in the middle of writing the last line: that write was never answered.
    journal.write_text(intact + '{"region":"eu-central-1","changes":[{"table":"perm', "utf-8")
    with journaled_server(journal) as (client, _):
        assert _everything(client) == before

    lines = intact.splitlines()
    journal.write_text("\n".join([lines[0], "{not json", *lines[1:]]) + "\n", "utf-8")
    with pytest.raises(RuntimeError, match="line 2 is damaged"), journaled_server(journal):
        pass
