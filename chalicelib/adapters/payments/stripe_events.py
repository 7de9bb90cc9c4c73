"""Stripe events and PaymentIntents -> the port's :class:`PaymentEvent`.

The mapping (``docs/payments.md`` has the table):

==============================================  =====================================
Stripe                                          ours
==============================================  =====================================
``payment_intent.succeeded``                    ``payment.succeeded``
``payment_intent.payment_failed``, ``.canceled``  ``payment.failed``
``charge.refunded`` (full *and* partial)        ``payment.refunded``, ``refunded_cents``
                                                = the charge's ``amount_refunded`` total
anything else                                   passed on as ``stripe:<type>``: the
                                                service acknowledges and ignores it
==============================================  =====================================

The payment id is always the PaymentIntent id (``pi_...``), whichever object the event is
about, so a refund, a polled status and a webhook for one payment agree. The application id
comes from the PaymentIntent's ``metadata.application_id`` (we put it there at checkout). A
charge does not necessarily carry its PaymentIntent's metadata, so for ``charge.refunded``
without it the adapter asks Stripe for the PaymentIntent (``lookup_application``).

The body was verified before it gets here; it is still parsed strictly: duplicate keys,
``NaN`` and non-objects are refused, amounts must be JSON integers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.domain.errors import WebhookMalformedError
from chalicelib.services.ports import PaymentEvent

__all__ = ["event_from_stripe", "events_from_intent"]

_ID = re.compile(r"[A-Za-z0-9_]{1,200}")
_MAX_AMOUNT = 2**53 - 1


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise WebhookMalformedError("body has a duplicate JSON key")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise WebhookMalformedError("body is not valid JSON")


def _load(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(
            bytes(body).decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_refuse_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WebhookMalformedError("body is not valid JSON") from None
    if not isinstance(document, dict):
        raise WebhookMalformedError("body must be a JSON object")
    return document


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise WebhookMalformedError(f"{where}.{key}: missing or not an id")
    return value


def _amount(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if type(value) is not int or not 0 <= value <= _MAX_AMOUNT:
        raise WebhookMalformedError(f"{where}.{key}: must be a non-negative integer")
    return value


def _currency(obj: Mapping[str, Any], where: str) -> str:
    value = obj.get("currency")
    if not isinstance(value, str) or not re.fullmatch(r"[a-zA-Z]{3}", value):
        raise WebhookMalformedError(f"{where}.currency: must be a three-letter code")
    return value.upper()


def _application_of(obj: Mapping[str, Any]) -> str | None:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return None
    value = metadata.get("application_id")
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def event_from_stripe(body: bytes, lookup_application: Callable[[str], str | None]) -> PaymentEvent:
    """Parse a verified Stripe event body (see the module docstring for the mapping)."""
    event = _load(body)
    event_id = _text(event, "id", "event")
    kind = event.get("type")
    if not isinstance(kind, str) or not 0 < len(kind) <= 100:
        raise WebhookMalformedError("event.type: missing")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise WebhookMalformedError("event.data.object: missing")
    if kind.startswith("payment_intent."):
        ours = {
            "payment_intent.succeeded": "payment.succeeded",
            "payment_intent.payment_failed": "payment.failed",
            "payment_intent.canceled": "payment.failed",
        }.get(kind)
        application_id = _application_of(obj)
        if ours is None or application_id is None:
            return _ignored(event_id, kind)  # another type, or a payment not made by us
        where = "data.object"
        received = obj.get("amount_received")
        amount_key = "amount_received" if ours == "payment.succeeded" and received else "amount"
        return PaymentEvent(
            event_id=event_id,
            type=ours,
            payment_id=_text(obj, "id", where),
            application_id=application_id,
            amount_cents=_amount(obj, amount_key, where),
            currency=_currency(obj, where),
        )
    if kind == "charge.refunded":
        where = "data.object"
        payment_intent = obj.get("payment_intent")
        if not isinstance(payment_intent, str):
            return _ignored(event_id, kind)  # a charge without a PaymentIntent: not ours
        payment_id = _text(obj, "payment_intent", where)
        application_id = _application_of(obj) or lookup_application(payment_id)
        if application_id is None:
            return _ignored(event_id, kind)
        refunded = _amount(obj, "amount_refunded", where)
        if refunded == 0:
            return _ignored(event_id, kind)
        return PaymentEvent(
            event_id=event_id,
            type="payment.refunded",
            payment_id=payment_id,
            application_id=application_id,
            amount_cents=_amount(obj, "amount", where),
            currency=_currency(obj, where),
            refunded_cents=refunded,
        )
    return _ignored(event_id, kind)


def _ignored(event_id: str, kind: str) -> PaymentEvent:
    return PaymentEvent(event_id, f"stripe:{kind}", "", "", 0, "EUR")


def events_from_intent(intent: Mapping[str, Any], application_id: str) -> list[PaymentEvent]:
    """What a retrieved PaymentIntent (``latest_charge`` expanded) says, as polled events.

    Ids are ``poll:<pi>:<state>`` and the refund's carries the refunded total, so a second
    poll of the same state dedupes while a larger refund is a new event.
    """
    if _application_of(intent) != application_id:
        return []  # not the application we asked about: trust nothing in it
    payment_id = _text(intent, "id", "payment_intent")
    status = intent.get("status")
    currency = _currency(intent, "payment_intent")
    if status == "canceled":
        return [
            PaymentEvent(
                f"poll:{payment_id}:canceled",
                "payment.failed",
                payment_id,
                application_id,
                _amount(intent, "amount", "payment_intent"),
                currency,
            )
        ]
    if status != "succeeded":
        return []  # requires_payment_method, processing, ...: nothing to act on yet
    received = intent.get("amount_received")
    amount_key = "amount_received" if received else "amount"
    amount = _amount(intent, amount_key, "payment_intent")
    events = [
        PaymentEvent(
            f"poll:{payment_id}:succeeded",
            "payment.succeeded",
            payment_id,
            application_id,
            amount,
            currency,
        )
    ]
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        refunded = _amount(charge, "amount_refunded", "payment_intent.latest_charge")
        if refunded > 0:
            events.append(
                PaymentEvent(
                    f"poll:{payment_id}:refunded:{refunded}",
                    "payment.refunded",
                    payment_id,
                    application_id,
                    amount,
                    currency,
                    refunded_cents=refunded,
                )
            )
    return events
