"""Reading request bodies safely: size first, then JSON, with clear 4xx answers.

Python's JSON parser raises RecursionError on very deep nesting, accepts NaN and lets
``"\\ud800"`` through as a lone UTF-16 surrogate (which no UTF-8 encoder, DynamoDB's
included, can write); all three are turned into a 400 problem here so no client input
reaches the handler as a 500. Integral numbers written with a fraction (``12.0``) are read
as integers: JSON does not tell them apart, and JSON Schema's ``integer`` accepts both.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from chalicelib.web.problems import ClientError

__all__ = ["MAX_BODY_BYTES", "parse_json_body"]

MAX_BODY_BYTES = 64 * 1024


_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _number(text: str) -> int | float:
    """``12.0`` and ``1.2e1`` are the integer 12, as in JSON; other numbers stay floats.

    A number too large for a float (``1e400``) would become infinity, which JSON cannot
    write back; it is refused like NaN.
    """
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of range")
    return int(value) if value.is_integer() else value


def _has_lone_surrogate(document: Any) -> bool:
    """Whether any string or key holds an unpaired surrogate; iterative (no recursion limit)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def parse_json_body(raw: bytes | None, max_bytes: int = MAX_BODY_BYTES) -> Any:
    if raw is None or raw == b"":
        raise ClientError(
            400,
            "malformed-json",
            "Leerer Inhalt / Empty body",
            "The body must be a JSON document.",
            pointer="",
        )
    if len(raw) > max_bytes:
        raise ClientError(
            413,
            "body-too-large",
            "Inhalt zu groß / Body too large",
            f"The body is {len(raw)} bytes; the limit is {max_bytes}.",
        )
    try:
        text = raw.decode("utf-8")
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_number)
    except RecursionError as error:
        raise ClientError(
            400,
            "malformed-json",
            "Zu tief verschachtelt / Nested too deeply",
            "The JSON document is nested too deeply.",
            pointer="",
        ) from error
    except (UnicodeDecodeError, ValueError) as error:
        raise ClientError(
            400, "malformed-json", "Ungültiges JSON / Malformed JSON", str(error)[:200], pointer=""
        ) from error
    # Only a "\\u" escape can produce a surrogate (UTF-8 decoding refuses encoded ones).
    if "\\u" in text and _has_lone_surrogate(document):
        raise ClientError(
            400,
            "malformed-json",
            "Ungültiges JSON / Malformed JSON",
            "The body contains an unpaired UTF-16 surrogate escape.",
        )
    return document
