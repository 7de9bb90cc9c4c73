"""RFC 6901 JSON pointers: the one way fields are named in errors and in form definitions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MISSING", "join_pointer", "resolve_pointer"]

MISSING: Any = object()

# RFC 6901 section 4: an array index is "0" or ASCII digits without a leading zero.
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def join_pointer(parts: Iterable[str | int]) -> str:
    return "".join("/" + _escape(str(part)) for part in parts)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Return the value at ``pointer`` or MISSING; never raises for absent or mistyped paths.

    Strictly RFC 6901: a pointer is "" or starts with "/", each "/" starts one token (so
    "//x" is the key "" and then "x"), and an array index is plain ASCII digits without a
    leading zero (``str.isdigit`` would admit "01", "²" and Arabic-Indic digits, and
    ``int("²")`` raises).
    """
    if pointer == "":
        return document
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        return MISSING
    current = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            if token not in current:
                return MISSING
            current = current[token]
        elif isinstance(current, list) and _ARRAY_INDEX.fullmatch(token):
            index = int(token)
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current
