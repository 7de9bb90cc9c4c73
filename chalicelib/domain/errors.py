"""The domain's small exception hierarchy.

Every failure a client can cause maps to exactly one of these, and the HTTP layer maps each
class to one status code. Keeping the mapping by class (not by message) means a new failure
mode is a new class, never a string match.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ConflictError",
    "DomainError",
    "FieldConflictError",
    "FieldError",
    "InvalidTokenError",
    "NotFoundError",
    "PaymentRequiredError",
    "ServiceUnavailableError",
    "StaffAuthError",
    "StaffForbiddenError",
    "ValidationFailedError",
    "WebhookMalformedError",
    "WebhookSignatureError",
]


@dataclass(frozen=True)
class FieldError:
    """One failing field: an RFC 6901 pointer into the submitted document and a stable code.

    ``params`` carries the values a message needs (limits, allowed values); the messages
    themselves live in :mod:`chalicelib.domain.messages` so they can be translated.
    """

    pointer: str
    code: str
    params: dict[str, object] = field(default_factory=dict)


class DomainError(Exception):
    """Base class: anything the domain refuses on purpose."""


class ValidationFailedError(DomainError):
    """The document breaks the form's schema or its rules; lists every failing field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} field(s) failed validation")
        self.errors = errors


class NotFoundError(DomainError):
    """Unknown id, or a known id with the wrong credentials (indistinguishable on purpose)."""


class ConflictError(DomainError):
    """The request is well-formed but the resource is in a state that refuses it."""


class FieldConflictError(ConflictError):
    """A well-formed value that the current state refuses (a plate held by another permit).

    Answered 409 with the same ``errors: [{pointer, code, message}]`` list as a validation
    problem, so a client can show the refusal next to the field it names.
    """

    def __init__(self, errors: list[FieldError], message: str = "") -> None:
        super().__init__(message or f"{len(errors)} field(s) conflict with the current state")
        self.errors = errors


class PaymentRequiredError(ConflictError):
    """The permit does not exist yet because the application is not paid."""


class InvalidTokenError(DomainError):
    """A verification token that fails decoding or its signature check.

    ``reason`` is a stable code (``length``, ``version``, ``zone``, ``signature``, ...) that
    the browser's decoder reproduces exactly: the shared test vectors compare them, so the
    officer's phone and the server refuse the same tokens for the same reason.
    """

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


class WebhookSignatureError(DomainError):
    """A webhook whose signature, timestamp or headers do not prove it came from the provider."""


class WebhookMalformedError(DomainError):
    """A correctly signed webhook whose body is not an event we can read."""


class StaffAuthError(DomainError):
    """No or unknown staff credentials: 401, whatever the staff route."""


class StaffForbiddenError(DomainError):
    """A signed-in staff member whose role does not allow the action: 403."""


class ServiceUnavailableError(DomainError):
    """A part of the service is not configured in this stage (e.g. no payment provider)."""
