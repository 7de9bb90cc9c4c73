"""Parse a verified webhook body into a :class:`PaymentEvent`.

Only the webhook path imports this module, so pydantic's import cost (and model building)
is paid there and not by every route sharing the Lambda.

Body shape (the contract in ARCHITECTURE.md)::

    {"type": "payment.succeeded" | "payment.failed" | "payment.refunded" | <any other>,
     "data": {"payment_id": str, "application_id": str, "amount_cents": int, "currency": "EUR",
              "refunded_cents": int}}

``refunded_cents`` is required for ``payment.refunded`` (the total refunded for the payment
so far, at most ``amount_cents``) and ignored otherwise.

Decisions, and why:

- Strict types: ``"3000"`` is not an amount and ``true`` is not an integer. A provider that
  sends strings has changed its contract and we want to hear about it, not guess.
- Unknown top-level keys and unknown keys inside ``data`` are ignored: providers add fields
  without notice, and a new field must not turn every delivery into a 400 and a retry storm.
- Unknown ``type`` values parse fine; the confirm-payment use case acknowledges and ignores
  them. The shape of ``data`` is still required, because our own event types all carry it.
- Duplicate JSON keys, ``NaN``/``Infinity`` and non-UTF-8 bodies are refused: two parsers
  reading one signed body differently is how signature schemes get bypassed.
- Errors name the failing field (``data.amount_cents``) but never echo values.
- The body length limit belongs to the caller (the HTTP layer), before verification.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.errors import WebhookMalformedError
from chalicelib.services.ports import PaymentEvent

__all__ = ["MAX_AMOUNT_CENTS", "MAX_ID_LENGTH", "parse_event"]

MAX_ID_LENGTH = 200
#: The largest integer every JSON implementation (JavaScript included) reads exactly.
MAX_AMOUNT_CENTS = 2**53 - 1
_MAX_TYPE_LENGTH = 100
_MAX_REPORTED_FIELDS = 5

# Printable ASCII without spaces: ids become DynamoDB keys and log fields.
_ID_PATTERN = r"^[\x21-\x7e]+$"

_Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=_ID_PATTERN)]


class EventData(BaseModel):
    """``data`` of a payment event; unknown keys are ignored (forward compatibility)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    payment_id: _Id
    application_id: _Id
    amount_cents: Annotated[int, Field(ge=0, le=MAX_AMOUNT_CENTS)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    refunded_cents: Annotated[int, Field(ge=0, le=MAX_AMOUNT_CENTS)] | None = None


class EventBody(BaseModel):
    """The whole event body; unknown top-level keys are ignored (providers add fields)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    type: Annotated[str, Field(min_length=1, max_length=_MAX_TYPE_LENGTH, pattern=_ID_PATTERN)]
    data: EventData


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_event(body: bytes, event_id: str) -> PaymentEvent:
    """Parse a signature-verified body; ``event_id`` is the verified ``webhook-id``.

    Raises :class:`WebhookMalformedError` naming the field for anything unreadable.
    """
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID_LENGTH:
        raise WebhookMalformedError(f"event id must be 1..{MAX_ID_LENGTH} characters")
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookMalformedError("body is not UTF-8") from None
    try:
        document = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant
        )
    except _DuplicateKeyError:
        raise WebhookMalformedError("body has a duplicate JSON key") from None
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError, NaN/Infinity and over-long integer literals.
        raise WebhookMalformedError("body is not valid JSON") from None
    if not isinstance(document, dict):
        raise WebhookMalformedError("body must be a JSON object")
    try:
        event = EventBody.model_validate(document)
    except ValidationError as exc:
        raise WebhookMalformedError(_describe(exc)) from None
    refunded = event.data.refunded_cents
    if event.type == "payment.refunded":
        if refunded is None:
            raise WebhookMalformedError("invalid event: data.refunded_cents: Field required")
        if not 0 < refunded <= event.data.amount_cents:
            raise WebhookMalformedError(
                "invalid event: data.refunded_cents: must be 1..data.amount_cents"
            )
    return PaymentEvent(
        event_id=event_id,
        type=event.type,
        payment_id=event.data.payment_id,
        application_id=event.data.application_id,
        amount_cents=event.data.amount_cents,
        currency=event.data.currency,
        refunded_cents=refunded if event.type == "payment.refunded" and refunded else 0,
    )


def _describe(exc: ValidationError) -> str:
    """``"invalid event: data.amount_cents: Input should be ..."``, no input values."""
    parts: list[str] = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{field}: {error['msg']}")
    shown = parts[:_MAX_REPORTED_FIELDS]
    if len(parts) > len(shown):
        shown.append(f"and {len(parts) - len(shown)} more")
    return "invalid event: " + "; ".join(shown)
