"""Turns jsonschema's errors and the domain rules into one list of FieldErrors.

One error per failing field (the first found wins), pointers into the submitted document,
codes named after the JSON Schema keyword so clients can switch on them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from chalicelib.domain.errors import FieldError
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.pointers import join_pointer
from chalicelib.domain.rules import apply_rules
from chalicelib.domain.zones import ZoneMap

__all__ = ["validate_document"]

_TYPE_NAMES = {
    "object": "Objekt/object",
    "array": "Liste/list",
    "string": "Text/string",
    "integer": "Ganzzahl/integer",
    "number": "Zahl/number",
    "boolean": "true/false",
}


def _field_errors(error: Any) -> list[FieldError]:
    path = list(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    override = (
        (error.schema.get("x-messages") or {}).get(keyword)
        if isinstance(error.schema, dict)
        else None
    )
    params: dict[str, object] = {}
    if override:
        params["override"] = override
    if keyword == "required":
        missing = [
            n for n in error.validator_value if isinstance(instance, dict) and n not in instance
        ]
        return [FieldError(join_pointer([*path, name]), "required", params) for name in missing]
    if keyword == "additionalProperties":
        known = set((error.schema.get("properties") or {}).keys())
        extra = [n for n in instance if n not in known] if isinstance(instance, dict) else []
        return [FieldError(join_pointer([*path, name]), "additionalProperties") for name in extra]
    if keyword == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        params["expected"] = " / ".join(_TYPE_NAMES.get(n, n) for n in names)
    elif keyword == "enum":
        params["allowed"] = ", ".join(
            json.dumps(v, ensure_ascii=False) for v in error.validator_value
        )
    elif keyword == "const":
        params["expected"] = json.dumps(error.validator_value, ensure_ascii=False)
    elif keyword == "format":
        params["format"] = error.validator_value
    elif keyword in {"minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum"}:
        params["limit"] = error.validator_value
    return [FieldError(join_pointer(path), keyword, params)]


def validate_document(
    form: FormDefinition,
    validator: Any,
    data: Any,
    today: date,
    zone_map: ZoneMap | None = None,
) -> list[FieldError]:
    """Every failing field of ``data``, schema first, then the form's domain rules."""
    errors: list[FieldError] = []
    for error in validator.iter_errors(data):
        errors.extend(_field_errors(error))
    if isinstance(data, dict):
        refused = {error.pointer for error in errors}
        errors.extend(apply_rules(form, data, today, refused, zone_map))
    seen: set[str] = set()
    unique: list[FieldError] = []
    for field_error in sorted(errors, key=lambda e: e.pointer):
        if field_error.pointer not in seen:
            seen.add(field_error.pointer)
            unique.append(field_error)
    return unique
