"""Failures of the application store, one class per failure mode.

Services catch these to tell "already done" (a duplicate webhook, a replayed idempotency
key) from "someone else changed it" and from "the database is unreachable".
"""

from __future__ import annotations

from chalicelib.domain.errors import ConflictError
from chalicelib.domain.records import Application, IdempotencyRecord, PlateClaim
from chalicelib.services.dependency_errors import DependencyUnavailableError

__all__ = [
    "DraftChangedError",
    "DuplicateEventError",
    "IdempotencyKeyUsedError",
    "PermitSerialTakenError",
    "PlateTakenError",
    "StaleApplicationError",
    "StoreError",
    "StoreRejectedError",
    "StoreUnavailableError",
]


class StoreError(Exception):
    """Base class for store failures."""


class StoreUnavailableError(StoreError, DependencyUnavailableError):
    """The database did not answer in time, or throttled or failed: retry the request as a whole."""


class StoreRejectedError(StoreError):
    """The database refused the request itself (access denied, no such table, invalid request).

    A bug or a misconfiguration, not an outage: no retry helps, so it is answered 500 and
    counted as a server error, where an operator's alarm sees it.
    """


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


class PlateTakenError(StoreError):
    """A plate already has an active permit of this type (its claim is ``held``, if known)."""

    def __init__(self, plate: str, held: PlateClaim | None) -> None:
        # The plate stays out of the message: store errors' messages reach the logs.
        super().__init__("the plate already has an active permit of this type")
        self.plate = plate
        self.held = held


class DraftChangedError(StoreError):
    """The draft was changed (another tab) or created concurrently since it was read."""
