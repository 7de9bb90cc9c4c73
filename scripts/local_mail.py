"""An embedded SMTP server for the local run and the tests: keeps every message as a file.

aiosmtpd (a real SMTP server) on 127.0.0.1; each message lands in ``folder`` as
``<UTC time>-<n>.eml``, which the local-only page ``/local/mail`` lists and tests read.
"""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

from scripts.local_server import LocalServer

__all__ = ["LocalMailServer"]


class _Keep:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._counter = itertools.count()
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{next(self._counter):05d}.eml"
        data = envelope.original_content or envelope.content
        (self._folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())
        return "250 Message accepted for delivery"


class LocalMailServer(LocalServer):
    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = folder
        self._host = host
        self._port = port
        self._controller: Any = None

    @property
    def port(self) -> int:
        assert self._controller is not None, "start() first"
        return int(self._controller.server.sockets[0].getsockname()[1])

    def start(self) -> LocalMailServer:
        from aiosmtpd.controller import Controller

        self.folder.mkdir(parents=True, exist_ok=True)
        port = self._port or _free_port(self._host)
        self._controller = Controller(_Keep(self.folder), hostname=self._host, port=port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
