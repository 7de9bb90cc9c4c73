"""RFC 9457 problem responses: the only error shape the API answers with.

Each domain exception class maps to one status and problem type. A dependency that is down
(any :class:`DependencyUnavailableError`: DynamoDB, KMS) answers 503 with ``Retry-After``.
Unexpected exceptions answer a generic 500 problem. Every 5xx is logged with its traceback;
the JSON log formatter (``chalicelib.logs``) writes frames without locals and withholds the
messages of exceptions that may quote request data, so no personal data reaches the logs.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Response

from chalicelib.domain import errors
from chalicelib.domain.messages import message_for, pick_language
from chalicelib.services.dependency_errors import DependencyUnavailableError

__all__ = [
    "MAX_LISTED_ERRORS",
    "ClientError",
    "problem",
    "problem_responses",
    "unavailable_problem",
]

log = logging.getLogger("permit_service")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://permit-service.example/problems/"

F = TypeVar("F", bound=Callable[..., Any])

#: A validation problem lists at most this many field errors (first by pointer), plus the
#: total: 12,000 bad plates in a 60 KB body must not answer 1.5 MB. A person fixes a form
#: a few fields at a time, and a client learns from the total that more are coming.
MAX_LISTED_ERRORS = 50


class ClientError(errors.DomainError):
    """An HTTP-level refusal (bad JSON, body too large) with its own status and type."""

    def __init__(
        self, status: int, slug: str, title: str, detail: str = "", pointer: str = ""
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.pointer = pointer


def problem(status: int, slug: str, title: str, detail: str = "", **extra: Any) -> Response:
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, "Cache-Control": "no-store"},
    )


def _field_items(field_errors: list[errors.FieldError], lang: str) -> list[dict[str, Any]]:
    items = []
    for field in field_errors[:MAX_LISTED_ERRORS]:
        params = dict(field.params)
        override = params.pop("override", None)
        items.append(
            {
                "pointer": field.pointer,
                "code": field.code,
                "message": message_for(field.code, lang, params, override),  # type: ignore[arg-type]
            }
        )
    return items


def _validation_problem(error: errors.ValidationFailedError, lang: str) -> Response:
    items = []
    total = len(error.errors)
    for field in error.errors[:MAX_LISTED_ERRORS]:
        params = dict(field.params)
        override = params.pop("override", None)
        items.append(
            {
                "pointer": field.pointer,
                "code": field.code,
                "message": message_for(field.code, lang, params, override),  # type: ignore[arg-type]
            }
        )
    title = "Bitte prüfen Sie Ihre Angaben." if lang == "de" else "Please check your entries."
    truncated = total > MAX_LISTED_ERRORS
    detail = ""
    if truncated:
        detail = (
            f"Die ersten {MAX_LISTED_ERRORS} von {total} Fehlern sind aufgeführt."
            if lang == "de"
            else f"The first {MAX_LISTED_ERRORS} of {total} errors are listed."
        )
    return problem(
        422,
        "validation-failed",
        title,
        detail,
        errors=items,
        errors_total=total,
        errors_truncated=truncated,
    )


_NOT_FOUND_TITLE = "Nicht gefunden / Not found"
_UNAVAILABLE_TITLE = "Vorübergehend nicht verfügbar / Temporarily unavailable"


def unavailable_problem(retry_after_seconds: int) -> Response:
    """503 for a dependency that is down: the client may retry the same request later."""
    response = problem(
        503,
        "unavailable",
        _UNAVAILABLE_TITLE,
        "Bitte versuchen Sie es in Kürze erneut. / Please try again shortly.",
    )
    response.headers["Retry-After"] = str(retry_after_seconds)
    return response


def map_error(error: Exception, accept_language: str | None) -> Response:
    lang = pick_language(accept_language)
    if isinstance(error, ClientError):
        extra = (
            {
                "errors": [
                    {
                        "pointer": error.pointer,
                        "code": error.slug,
                        "message": error.detail or error.title,
                    }
                ]
            }
            if error.pointer
            else {}
        )
        return problem(error.status, error.slug, error.title, error.detail, **extra)
    if isinstance(error, errors.ValidationFailedError):
        return _validation_problem(error, lang)
    if isinstance(error, errors.NotFoundError):
        return problem(404, "not-found", _NOT_FOUND_TITLE)
    if isinstance(error, errors.FieldConflictError):
        title = (
            "Das geht so nicht: bitte prüfen Sie Ihre Angaben."
            if lang == "de"
            else "This cannot be done: please check your entries."
        )
        return problem(409, "conflict", title, str(error), errors=_field_items(error.errors, lang))
    if isinstance(error, errors.PaymentRequiredError):
        return problem(
            409,
            "not-issued",
            "Der Ausweis ist noch nicht ausgestellt / The permit is not issued yet",
            str(error),
        )
    if isinstance(error, errors.ConflictError):
        return problem(409, "conflict", "Konflikt / Conflict", str(error))
    if isinstance(error, errors.WebhookSignatureError):
        return problem(401, "webhook-signature", "Webhook signature rejected", str(error))
    if isinstance(error, errors.WebhookMalformedError):
        return problem(400, "webhook-malformed", "Webhook body rejected", str(error))
    if isinstance(error, errors.ServiceUnavailableError):
        return problem(503, "unavailable", _UNAVAILABLE_TITLE, str(error))
    if isinstance(error, errors.StaffAuthError):
        response = problem(401, "unauthorized", "Anmeldung erforderlich / Authentication required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="staff"'
        return response
    if isinstance(error, errors.StaffForbiddenError):
        return problem(403, "forbidden", "Keine Berechtigung / Not allowed", str(error))
    if isinstance(error, errors.InvalidTokenError):
        return problem(400, "invalid-token", "Invalid token")
    raise error


def problem_responses(accept_language: Callable[[], str | None]) -> Callable[[F], F]:
    """Decorator factory for every route: domain errors become problems, no traceback leaks.

    ``accept_language`` reads the current request's header (the Chalice app owns the request).
    The wrapper is marked ``__guarded__`` so a test can check that every route has it.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except errors.DomainError as error:
                response = map_error(error, accept_language())
                if response.status_code >= 500:
                    log.warning(
                        "%s answered %d in %s",
                        type(error).__name__,
                        response.status_code,
                        view.__name__,
                        exc_info=error,
                    )
                return response
            except DependencyUnavailableError as error:
                log.warning(
                    "dependency unavailable in %s: %s (%s)",
                    view.__name__,
                    type(error).__name__,
                    error,
                    exc_info=error,
                )
                return unavailable_problem(error.retry_after_seconds)
            except Exception as error:  # the last line of defence: no stack trace to clients
                log.error("unhandled %s in %s", type(error).__name__, view.__name__, exc_info=error)
                return problem(500, "internal", "Interner Fehler / Internal error")

        wrapper.__guarded__ = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
