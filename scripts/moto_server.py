"""moto's DynamoDB server on 127.0.0.1 for the local run and the tests.

Served single-threaded on purpose: moto's transactions copy and restore the table without a
lock, so concurrent requests could interleave inside one "transaction". One request at a
time makes the emulator atomic, as DynamoDB is. (Real DynamoDB needs no such care.)

In memory by default (the tests' tables). With ``journal_path`` (the local run's
``.local/dynamodb.jsonl``) every successful write is journaled before it is answered and the
journal is replayed at start, so local data survives a restart, a crash or ``kill -9``
(``scripts/dynamodb_journal.py``; single-threaded serving is what keeps the journal in the
order the writes happened).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, make_server

from scripts.local_server import LocalServer

if TYPE_CHECKING:
    from scripts.dynamodb_journal import JournaledApp, ReplayReport

__all__ = ["LocalDynamoDB"]


class LocalDynamoDB(LocalServer):
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, journal_path: Path | None = None
    ) -> None:
        self._host = host
        self._port = port
        self._journal_path = journal_path
        self._journal: JournaledApp | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        #: What the start-up replay restored (None without a journal).
        self.replayed: ReplayReport | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalDynamoDB:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise
        app: Any = DomainDispatcherApplication(create_backend_app)
        if self._journal_path is not None:
            from scripts.dynamodb_journal import JournaledApp

            self._journal = JournaledApp(app, self._journal_path)
            self.replayed = self._journal.open()  # before the first request is served
            app = self._journal
        self._server = make_server(self._host, self._port, app, threaded=False)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._journal is not None:
            self._journal.close()


def main(argv: list[str] | None = None) -> int:
    """Serve in this process until SIGINT/SIGTERM; print one JSON line once serving.

    moto's backends are process-wide, so a journal must be replayed into a process of its
    own: the restart test and the benchmark start the journaled server this way.
    """
    import argparse
    import json
    import signal
    import time

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--journal", type=Path, help="journal file (default: in memory only)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    started = time.perf_counter()
    with LocalDynamoDB(args.host, args.port, args.journal) as server:
        report = server.replayed
        ready = {
            "endpoint": server.endpoint,
            "start_s": time.perf_counter() - started,
            "replayed_lines": report.lines if report else 0,
            "items": report.items if report else 0,
        }
        print(json.dumps(ready), flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
