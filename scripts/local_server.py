"""The start/stop contract shared by every local stand-in (moto, SMTP, Stripe, OIDC).

Each stand-in is used both by ``make run`` and by the test fixtures as a context manager;
one base class keeps ``with Server() as s:`` meaning the same thing for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

__all__ = ["LocalServer"]


class LocalServer(ABC):
    @abstractmethod
    def start(self) -> Self:
        """Start serving and return self once the server answers."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving; safe to call twice or before start."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
