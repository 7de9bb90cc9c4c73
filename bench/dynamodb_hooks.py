"""botocore event hooks on one DynamoDB client: time spent inside calls, requests sent.

- :class:`DynamoDBTimer` adds up the wall time from ``before-call.dynamodb.*`` to
  ``after-call.dynamodb.*`` (or ``after-call-error``): signing, the HTTP round trip, the
  server's work and parsing the answer. Parameter validation and serialisation happen before
  ``before-call`` and so count as the caller's time.
- :class:`RequestCounter` records the operation of every HTTP request actually sent
  (``before-send.dynamodb``, retries included).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

__all__ = ["DynamoDBTimer", "RequestCounter"]


class _Hooks:
    def __init__(self, client: Any) -> None:
        self._events = client.meta.events
        self._registered: list[tuple[str, str]] = []

    def _on(self, event: str, handler: Any) -> None:
        unique_id = f"permit-bench-{secrets.token_hex(6)}"
        self._events.register(event, handler, unique_id=unique_id)
        self._registered.append((event, unique_id))

    def close(self) -> None:
        for event, unique_id in self._registered:
            self._events.unregister(event, unique_id=unique_id)
        self._registered.clear()


class DynamoDBTimer(_Hooks):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.seconds = 0.0
        self.calls = 0
        self._started: float | None = None
        self._on("before-call.dynamodb", self._before)
        self._on("after-call.dynamodb", self._after)
        self._on("after-call-error.dynamodb", self._after)

    def _before(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, **_: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self.calls += 1
            self._started = None

    def reset(self) -> None:
        self.seconds, self.calls, self._started = 0.0, 0, None


class RequestCounter(_Hooks):
    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.operations: list[str] = []
        self._on("before-send.dynamodb", self._sent)

    def _sent(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        if isinstance(target, bytes):
            target = target.decode("ascii")
        self.operations.append(str(target).rpartition(".")[2])

    def take(self) -> list[str]:
        """The operations sent since the last ``take``."""
        taken, self.operations = self.operations, []
        return taken
