"""Endpoints that are down, for the outage tests: a closed port, and a socket that never answers.

Both are real sockets on 127.0.0.1 that a real boto3 client talks to over TCP:

- ``closed_port_endpoint``: nothing listens there; every connect is refused at once.
- :class:`SilentEndpoint`: accepts every connection (a thread calls ``accept``) and then
  never sends a byte, like a hung load balancer or a stuck emulator. The client only finds
  out through its read timeout.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from types import TracebackType

__all__ = ["SilentEndpoint", "closed_port_endpoint", "dead_endpoint"]

HOST = "127.0.0.1"


def closed_port_endpoint() -> str:
    """The URL of a port that was free a moment ago and that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    return f"http://{HOST}:{port}"


class SilentEndpoint:
    """A listening socket whose accepted connections are held open and never answered."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(64)
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._listener.getsockname()[1]}"

    @property
    def connections(self) -> int:
        return len(self._held)

    def _accept_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            self._held.append(connection)  # read nothing, answer nothing

    def __enter__(self) -> SilentEndpoint:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()


@contextlib.contextmanager
def dead_endpoint(mode: str) -> Iterator[str]:
    """``"closed-port"`` or ``"silent-socket"``: the URL of an endpoint that is down that way."""
    if mode == "closed-port":
        yield closed_port_endpoint()
    elif mode == "silent-socket":
        with SilentEndpoint() as silent:
            yield silent.url
    else:
        raise ValueError(f"unknown mode {mode!r}")
