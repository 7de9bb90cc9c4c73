"""Local DynamoDB data that survives a restart: a write-ahead journal around moto's server.

moto keeps its tables in memory; `make run` wraps moto's WSGI app in :class:`JournaledApp`,
which appends what every successful write changed to ``.local/dynamodb.jsonl`` before the
answer leaves the server. A client therefore never sees a write that is not on disk: after
Ctrl-C, a crash or ``kill -9``, the next start replays the journal and every application,
permit and audit entry is back (and permits printed before still verify).

What is journaled, one JSON line per successful request (a line is all or nothing: a torn
last line from a crash mid-write belongs to a request whose answer was never sent, and is
skipped on replay):

- item writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems): the
  *after-image* of every item the request changed, or its deletion. A Put's image is its
  Item; an Update's is read back from moto at once (the server is single-threaded, so
  nothing can come in between). Replaying images needs no conditions and no transactions,
  which matters: moto copies the whole table for each transaction, so replaying the original
  requests of a long session would take minutes;
- table changes (CreateTable, UpdateTable, UpdateTimeToLive, DeleteTable): the request
  itself, replayed as it was.

PartiQL writes (ExecuteStatement and friends) are not journaled; the service uses none.

At start the journal is folded in memory into its final state (live tables, last image per
item), that state is loaded into moto with BatchWriteItem, and the journal is compacted:
rewritten (to a temporary file, then renamed over the old one) as exactly that state. So
the start-up time follows the amount of data, not the length of its history, and nothing
is read back from moto (whose response serialisation is slow for large scans).

Each line is written with one ``write`` call and ``fsync``-ed before the answer is sent:
the data survives a killed process and, as far as the disk keeps its promises, a power cut.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = ["JournaledApp", "ReplayReport"]

_TARGET_PREFIX: Final = "DynamoDB_20120810."
_ITEM_WRITES: Final = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)
_TABLE_WRITES: Final = frozenset({"CreateTable", "UpdateTable", "UpdateTimeToLive", "DeleteTable"})
_BATCH: Final = 25  # BatchWriteItem's limit
_SNAPSHOT_ITEMS_PER_LINE: Final = 100

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Item = dict[str, Any]


@dataclass(frozen=True)
class ReplayReport:
    """What a start-up replay did, for the local run's banner and the benchmark."""

    lines: int
    changes: int
    tables: int
    items: int
    skipped_torn_line: bool


@dataclass
class _Change:
    """One item after a write: its image, or None when the write deleted it."""

    table: str
    key: Item
    image: Item | None

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "key": self.key, "image": self.image}


@dataclass
class _State:
    """What a journal folds to: each live table's definition requests and last item images."""

    tables: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    images: dict[tuple[str, str], dict[str, Item | None]] = field(default_factory=dict)
    lines: int = 0
    changes: int = 0
    torn: bool = False

    def define(self, region: str, request: str, body: dict[str, Any]) -> None:
        table = (region, body["TableName"])
        if request == "DeleteTable":
            self.tables.pop(table, None)
            self.images.pop(table, None)
        elif request == "CreateTable":
            self.tables[table] = [(request, body)]
            self.images[table] = {}
        else:
            self.tables.setdefault(table, []).append((request, body))

    def apply(self, region: str, table: str, key: Item, image: Item | None) -> None:
        self.changes += 1
        images = self.images.setdefault((region, table), {})
        images[json.dumps(key, sort_keys=True)] = image  # None: deleted (dropped at compaction)

    def item_count(self) -> int:
        return sum(
            1 for table in self.tables for image in self.images.get(table, {}).values() if image
        )


class JournaledApp:
    """moto's WSGI app with a write-ahead journal; serve it single-threaded only."""

    def __init__(self, inner: WsgiApp, journal_path: Path, *, fsync: bool = True) -> None:
        self._inner = inner
        self._path = journal_path
        self._fsync = fsync
        self._key_names: dict[tuple[str, str], tuple[str, ...]] = {}
        self._file: Any = None

    # -- start-up ---------------------------------------------------------------------------

    def open(self) -> ReplayReport:
        """Replay the journal (if any) into the empty backend, compact it, open it for appends."""
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        report = ReplayReport(0, 0, 0, 0, False)
        if self._path.exists():
            state = self._fold()
            self._restore(state)
            self._compact(state)
            report = ReplayReport(
                state.lines, state.changes, len(state.tables), state.item_count(), state.torn
            )
        # Personal data lives in here: readable by its owner only, like the rest of .local/.
        descriptor = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file = os.fdopen(descriptor, "a", encoding="utf-8")
        return report

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _lines(self) -> Iterator[dict[str, Any] | None]:
        """Each line parsed; None for a torn last line. A damaged earlier line is an error."""
        with open(self._path, encoding="utf-8") as journal:
            raw = journal.read().split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        for number, text in enumerate(raw, start=1):
            try:
                yield json.loads(text)
            except json.JSONDecodeError:
                if number != len(raw):
                    raise RuntimeError(
                        f"{self._path}: line {number} is damaged; move the file away to start "
                        "with empty local data"
                    ) from None
                yield None

    def _fold(self) -> _State:
        """The journal folded into the final state: live tables and the last image per item.

        Replaying the final images (not every write of the history) makes a restart cost
        what the data weighs, however long the session that wrote it.
        """
        state = _State()
        for entry in self._lines():
            if entry is None:
                state.torn = True
                continue
            state.lines += 1
            region = entry["region"]
            if "request" in entry:
                state.define(region, entry["request"], entry["body"])
                continue
            for change in entry["changes"]:
                state.apply(region, change["table"], change["key"], change["image"])
        return state

    def _restore(self, state: _State) -> None:
        """Send the live tables' definitions, then their items in batches, to the backend."""
        for (region, table), requests in state.tables.items():
            for request, body in requests:
                status, answer = self._call(request, body, region)
                if not status.startswith("200"):
                    raise RuntimeError(f"replaying {request} failed: {status} {answer}")
            images = [image for image in state.images.get((region, table), {}).values() if image]
            for start in range(0, len(images), _BATCH):
                writes = [{"PutRequest": {"Item": item}} for item in images[start : start + _BATCH]]
                status, answer = self._call(
                    "BatchWriteItem", {"RequestItems": {table: writes}}, region
                )
                if not status.startswith("200") or answer.get("UnprocessedItems"):
                    raise RuntimeError(f"replaying into {table} failed: {status} {answer}")

    def _compact(self, state: _State) -> None:
        """Rewrite the journal as the state: definitions, then one image per live item.

        Written beside the journal and renamed over it, so a crash while compacting leaves
        the old journal, which folds to the same state.
        """
        temporary = self._path.with_name(self._path.name + ".compacting")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            for (region, table), requests in state.tables.items():
                for request, body in requests:
                    out.write(_line({"region": region, "request": request, "body": body}))
                live = [
                    {"table": table, "key": json.loads(key), "image": image}
                    for key, image in state.images.get((region, table), {}).items()
                    if image
                ]
                for start in range(0, len(live), _SNAPSHOT_ITEMS_PER_LINE):
                    chunk = live[start : start + _SNAPSHOT_ITEMS_PER_LINE]
                    out.write(_line({"region": region, "changes": chunk}))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self._path)
        directory = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    # -- serving ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.removeprefix(_TARGET_PREFIX) if target.startswith(_TARGET_PREFIX) else ""
        if operation not in _ITEM_WRITES and operation not in _TABLE_WRITES:
            return self._inner(environ, start_response)
        request_body = _read_body(environ)
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers, exc_info]
            return lambda data: None  # moto returns its body; nothing writes through this

        response_body = _drain(self._inner(environ, capture))
        status, headers, exc_info = captured
        if status.startswith("200"):
            self._journal(
                operation, json.loads(request_body), json.loads(response_body or b"{}"), environ
            )
        start_response(status, headers, exc_info)
        return [response_body]

    def _journal(
        self,
        operation: str,
        request: dict[str, Any],
        response: dict[str, Any],
        environ: dict[str, Any],
    ) -> None:
        region = _region(environ)
        if operation in _TABLE_WRITES:
            entry: dict[str, Any] = {"region": region, "request": operation, "body": request}
            if operation in ("CreateTable", "DeleteTable"):
                self._key_names.pop((region, request["TableName"]), None)
        else:
            changes = [
                change.as_json() for change in self._changes(operation, request, response, region)
            ]
            if not changes:
                return
            entry = {"region": region, "changes": changes}
        assert self._file is not None, "open() the journal before serving"
        self._file.write(_line(entry))
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())

    def _changes(
        self, operation: str, request: dict[str, Any], response: dict[str, Any], region: str
    ) -> list[_Change]:
        if operation == "PutItem":
            return [self._put(region, request["TableName"], request["Item"])]
        if operation == "DeleteItem":
            return [_Change(request["TableName"], request["Key"], None)]
        if operation == "UpdateItem":
            return [self._read_back(region, request["TableName"], request["Key"])]
        if operation == "BatchWriteItem":
            unprocessed = response.get("UnprocessedItems") or {}
            changes = []
            for table, writes in request["RequestItems"].items():
                for write in writes:
                    if write in unprocessed.get(table, []):
                        continue
                    if "PutRequest" in write:
                        changes.append(self._put(region, table, write["PutRequest"]["Item"]))
                    else:
                        changes.append(_Change(table, write["DeleteRequest"]["Key"], None))
            return changes
        changes = []  # TransactWriteItems: all applied, or the answer was not 200
        for action in request["TransactItems"]:
            if "Put" in action:
                changes.append(self._put(region, action["Put"]["TableName"], action["Put"]["Item"]))
            elif "Delete" in action:
                changes.append(
                    _Change(action["Delete"]["TableName"], action["Delete"]["Key"], None)
                )
            elif "Update" in action:
                update = action["Update"]
                changes.append(self._read_back(region, update["TableName"], update["Key"]))
        return changes

    def _put(self, region: str, table: str, item: Item) -> _Change:
        key = {name: item[name] for name in self._table_key_names(region, table)}
        return _Change(table, key, item)

    def _read_back(self, region: str, table: str, key: Item) -> _Change:
        status, body = self._call(
            "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}, region
        )
        if not status.startswith("200"):
            raise RuntimeError(f"reading back {table} failed: {status} {body}")
        return _Change(table, key, body.get("Item"))

    def _table_key_names(self, region: str, table: str) -> tuple[str, ...]:
        cached = self._key_names.get((region, table))
        if cached is None:
            status, body = self._call("DescribeTable", {"TableName": table}, region)
            if not status.startswith("200"):
                raise RuntimeError(f"describing {table} failed: {status} {body}")
            cached = tuple(part["AttributeName"] for part in body["Table"]["KeySchema"])
            self._key_names[(region, table)] = cached
        return cached

    def _call(
        self, operation: str, body: dict[str, Any], region: str
    ) -> tuple[str, dict[str, Any]]:
        """One DynamoDB request straight into moto's WSGI app (no socket, no journal)."""
        from werkzeug.test import EnvironBuilder

        headers: dict[str, str] = {
            "X-Amz-Target": _TARGET_PREFIX + operation,
            "Content-Type": "application/x-amz-json-1.0",
            "Host": f"dynamodb.{region}.amazonaws.com",
            # moto routes by the credential scope (service, region); it checks no signature
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential=journal/20200101/{region}/dynamodb/aws4_request,"
                " SignedHeaders=host, Signature=0"
            ),
        }
        environ = EnvironBuilder(
            method="POST", path="/", headers=list(headers.items()), data=json.dumps(body)
        ).get_environ()
        captured: list[str] = []
        payload = _drain(
            self._inner(environ, lambda status, headers, exc_info=None: captured.append(status))
        )
        return captured[0], json.loads(payload or b"{}")


def _drain(response: Iterable[bytes]) -> bytes:
    """The whole body of a WSGI response, closing it as the WSGI contract asks."""
    try:
        return b"".join(response)
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back, so moto reads the same bytes."""
    import io

    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _region(environ: dict[str, Any]) -> str:
    """The region of the request's credential scope (moto keeps one backend per region)."""
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    marker = "Credential="
    if marker in authorization:
        scope = authorization.split(marker, 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 3:
            return scope[2]
    return "us-east-1"
