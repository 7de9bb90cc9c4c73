"""Rules a JSON Schema cannot say: the start-date window and plates versus relation.

They return the same FieldError shape as schema validation, so a citizen sees one list.
Each rule reads its inputs defensively: a field the schema already refused is skipped here
rather than reported twice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from chalicelib.domain.dates import add_months, format_de
from chalicelib.domain.errors import FieldError
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.plates import PLATE_PATTERN, normalise_plate
from chalicelib.domain.pointers import MISSING, resolve_pointer

__all__ = ["apply_rules", "normalise_document"]


def normalise_document(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """Return the document with plates in canonical form; the stored copy is this one."""
    plates = resolve_pointer(data, form.permit.plates)
    if not isinstance(plates, list):
        return data
    normalised = [normalise_plate(p) if isinstance(p, str) else p for p in plates]
    parent_path, _, key = form.permit.plates.rpartition("/")
    parent = resolve_pointer(data, parent_path)
    if isinstance(parent, dict):
        parent[key] = normalised
    return data


def _check_start_date(
    form: FormDefinition, data: dict[str, Any], today: date, refused: Collection[str]
) -> list[FieldError]:
    pointer = form.permit.start_date
    raw = resolve_pointer(data, pointer)
    if not isinstance(raw, str) or pointer in refused:
        return []
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        return []  # the schema's format check reports it
    latest = add_months(today, form.permit.start_max_months_ahead)
    if start < today:
        return [FieldError(pointer, "start_date_in_past", {"earliest": format_de(today)})]
    if start > latest:
        params = {"months": form.permit.start_max_months_ahead, "latest": format_de(latest)}
        return [FieldError(pointer, "start_date_too_far", params)]
    return []


def _check_plates(
    form: FormDefinition, data: dict[str, Any], refused: Collection[str]
) -> list[FieldError]:
    pointer = form.permit.plates
    plates = resolve_pointer(data, pointer)
    if not isinstance(plates, list):
        return []
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, plate in enumerate(plates):
        if not isinstance(plate, str):
            continue
        canonical = normalise_plate(plate)
        if not PLATE_PATTERN.match(canonical):
            errors.append(FieldError(f"{pointer}/{index}", "plate_format"))
        elif canonical in seen:
            errors.append(FieldError(f"{pointer}/{index}", "duplicate_plate"))
        seen.add(canonical)
    relation_pointer = pointer.rpartition("/")[0] + "/relation"
    relation = resolve_pointer(data, relation_pointer)
    # A relation the schema refused (a typo, a number) says nothing about company cars.
    if relation is MISSING or relation_pointer in refused:
        return errors
    if len(plates) > 1 and relation != "company_car":
        errors.append(FieldError(pointer, "plates_require_company_car"))
    return errors


def apply_rules(
    form: FormDefinition, data: dict[str, Any], today: date, refused: Collection[str] = ()
) -> list[FieldError]:
    """All rule violations of a document (already schema-checked or not).

    ``refused`` holds the pointers the schema already refused; a rule whose input is among
    them stays silent instead of adding a second, misleading error about another field.
    """
    if "resident-parking" not in form.rules:
        return []
    refused = frozenset(refused)
    return _check_start_date(form, data, today, refused) + _check_plates(form, data, refused)
