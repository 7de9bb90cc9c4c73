"""RFC 6901 JSON pointers: the one way fields are named in errors and in form definitions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["MISSING", "join_pointer", "resolve_pointer"]

MISSING: Any = object()


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def join_pointer(parts: Iterable[str | int]) -> str:
    return "".join("/" + _escape(str(part)) for part in parts)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Return the value at ``pointer`` or MISSING; never raises for absent or mistyped paths."""
    if pointer == "":
        return document
    current = document
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict) and token in current:
            current = current[token]
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return MISSING
    return current
