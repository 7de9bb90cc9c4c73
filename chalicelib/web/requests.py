"""Reading request bodies safely: size first, then JSON, with clear 4xx answers.

Python's JSON parser raises RecursionError on very deep nesting and accepts NaN; both are
turned into a 400 problem here so no client input reaches the handler as a 500.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.web.problems import ClientError

__all__ = ["MAX_BODY_BYTES", "parse_json_body"]

MAX_BODY_BYTES = 64 * 1024


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(raw: bytes | None, max_bytes: int = MAX_BODY_BYTES) -> Any:
    if raw is None or raw == b"":
        raise ClientError(400, "malformed-json", "Leerer Inhalt / Empty body", "The body must be a JSON document.", pointer="")
    if len(raw) > max_bytes:
        raise ClientError(
            413,
            "body-too-large",
            "Inhalt zu groß / Body too large",
            f"The body is {len(raw)} bytes; the limit is {max_bytes}.",
        )
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError as error:
        raise ClientError(400, "malformed-json", "Zu tief verschachtelt / Nested too deeply", "The JSON document is nested too deeply.", pointer="") from error
    except (UnicodeDecodeError, ValueError) as error:
        raise ClientError(400, "malformed-json", "Ungültiges JSON / Malformed JSON", str(error)[:200], pointer="") from error
