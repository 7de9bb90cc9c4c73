"""The data export of one application: stored items -> plain JSON, field by field.

Generic on purpose: every attribute an item holds is exported (a field added later is
exported without a change here), except the table's own keys and the access token's hash
(a credential, not information about the citizen). JSON held as text (the form data, the
fee breakdown) is exported as JSON.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["NOT_EXPORTED", "plain_item"]

#: Keys of the table and its indexes, and the hash of the citizen's access token.
NOT_EXPORTED = frozenset(
    {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "access_token_hash"}
)
_JSON_TEXT = frozenset({"data", "fee_breakdown"})


def _value(value: dict[str, Any]) -> Any:
    (kind, inner), *_ = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = float(inner)
        return int(number) if number.is_integer() else number
    if kind == "BOOL":
        return bool(inner)
    if kind == "NULL":
        return None
    if kind == "L":
        return [_value(element) for element in inner]
    if kind == "M":
        return {key: _value(element) for key, element in inner.items()}
    if kind in ("SS", "NS"):
        return sorted(inner)
    return None  # binary: the service stores none


def plain_item(item: dict[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for name, value in item.items():
        if name in NOT_EXPORTED:
            continue
        converted = _value(value)
        if name in _JSON_TEXT and isinstance(converted, str):
            converted = json.loads(converted)
        plain[name] = converted
    return plain
