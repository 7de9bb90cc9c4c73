"""Failures of the application store, one class per failure mode.

Services catch these to tell "already done" (a duplicate webhook, a replayed idempotency
key) from "someone else changed it" and from "the database is unreachable".
"""

from __future__ import annotations

from chalicelib.domain.errors import ConflictError
from chalicelib.domain.records import Application, IdempotencyRecord

__all__ = [
    "DraftChangedError",
    "DuplicateEventError",
    "IdempotencyKeyUsedError",
    "PermitSerialTakenError",
    "StaleApplicationError",
    "StoreError",
    "StoreUnavailableError",
]


class StoreError(Exception):
    """Base class for store failures."""


class StoreUnavailableError(StoreError):
    """The database refused or did not answer; the request may be retried as a whole."""


class StaleApplicationError(StoreError, ConflictError):
    """The application changed since it was read; ``current`` is the stored version if known."""

    def __init__(self, current: Application | None) -> None:
        super().__init__("the application was changed concurrently")
        self.current = current


class DuplicateEventError(StoreError):
    """The provider event id was already processed; its effect is in place."""


class IdempotencyKeyUsedError(StoreError):
    def __init__(self, existing: IdempotencyRecord | None) -> None:
        super().__init__("idempotency key already used")
        self.existing = existing


class PermitSerialTakenError(StoreError):
    """The random permit serial collided with an existing permit; draw another."""


class DraftChangedError(StoreError):
    """The draft was changed (another tab) or created concurrently since it was read."""
