"""Rules a JSON Schema cannot say, configured per form in ``x-service.rules``.

- the start-date window (today up to N days or months ahead);
- plates: the token's format, no duplicates after normalisation, and several plates only
  for certain relations to the vehicle (company cars);
- the zone: derived from the address through the city's zone map, or entered and checked
  against it, and one of the zones the form allows;
- ages: a date of birth between two bounds (no 0001-01-01, no 2999-01-01).

(One active permit per plate and permit type needs the store: see ``SubmissionService``.)

They return the same FieldError shape as schema validation, so a citizen sees one list.
Each rule reads its inputs defensively: a field the schema already refused is skipped here
rather than reported twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.dates import add_months, format_de
from chalicelib.domain.errors import FieldError
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.plates import PLATE_PATTERN, normalise_plate
from chalicelib.domain.pointers import MISSING, resolve_pointer
from chalicelib.domain.zones import ZoneMap

__all__ = ["ZoneDecision", "apply_rules", "latest_start", "normalise_document", "resolve_zone"]


def normalise_document(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """Return the document with plates in canonical form; the stored copy is this one."""
    plates = resolve_pointer(data, form.permit.plates)
    normalised: Any
    if isinstance(plates, str):
        normalised = normalise_plate(plates)
    elif isinstance(plates, list):
        normalised = [normalise_plate(p) if isinstance(p, str) else p for p in plates]
    else:
        return data
    parent_path, _, key = form.permit.plates.rpartition("/")
    parent = resolve_pointer(data, parent_path)
    if isinstance(parent, dict):
        parent[key] = normalised
    return data


def latest_start(form: FormDefinition, today: date) -> date:
    count, unit = form.rules.start_max_ahead
    return today + timedelta(days=count) if unit == "days" else add_months(today, count)


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
    latest = latest_start(form, today)
    if start < today:
        return [FieldError(pointer, "start_date_in_past", {"earliest": format_de(today)})]
    if start > latest:
        count, unit = form.rules.start_max_ahead
        if unit == "days":
            params: dict[str, object] = {"days": count, "latest": format_de(latest)}
            return [FieldError(pointer, "start_date_too_far_days", params)]
        params = {"months": count, "latest": format_de(latest)}
        return [FieldError(pointer, "start_date_too_far", params)]
    return []


def _check_plates(
    form: FormDefinition, data: dict[str, Any], refused: Collection[str]
) -> list[FieldError]:
    pointer = form.permit.plates
    plates = resolve_pointer(data, pointer)
    if isinstance(plates, str):
        if pointer in refused or PLATE_PATTERN.match(normalise_plate(plates)):
            return []
        return [FieldError(pointer, "plate_format")]
    if not isinstance(plates, list):
        return []
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, plate in enumerate(plates):
        if not isinstance(plate, str) or f"{pointer}/{index}" in refused:
            continue
        canonical = normalise_plate(plate)
        if not PLATE_PATTERN.match(canonical):
            errors.append(FieldError(f"{pointer}/{index}", "plate_format"))
        elif canonical in seen:
            errors.append(FieldError(f"{pointer}/{index}", "duplicate_plate"))
        seen.add(canonical)
    relation_pointer = form.rules.several_plates_pointer
    if relation_pointer is None or len(plates) <= 1:
        return errors
    relation = resolve_pointer(data, relation_pointer)
    # A relation the schema refused (a typo, a number) says nothing about company cars.
    if relation is MISSING or relation_pointer in refused:
        return errors
    if relation not in form.rules.several_plates_values:
        errors.append(FieldError(pointer, "plates_require_company_car"))
    return errors


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _check_ages(
    form: FormDefinition, data: dict[str, Any], today: date, refused: Collection[str]
) -> list[FieldError]:
    errors = []
    for rule in form.rules.ages:
        raw = resolve_pointer(data, rule.pointer)
        if not isinstance(raw, str) or rule.pointer in refused:
            continue
        try:
            born = date.fromisoformat(raw)
        except ValueError:
            continue  # the schema's format check reports it
        youngest = _years_before(today, rule.min_years)  # born on or before this day
        oldest = _years_before(today, rule.max_years)  # born on or after this day
        if born > today:
            errors.append(FieldError(rule.pointer, "date_of_birth_in_future"))
        elif born > youngest:
            errors.append(FieldError(rule.pointer, "too_young", {"years": rule.min_years}))
        elif born < oldest:
            errors.append(
                FieldError(rule.pointer, "date_of_birth_too_early", {"earliest": format_de(oldest)})
            )
    return errors


@dataclass(frozen=True)
class ZoneDecision:
    """The permit's zone (or group) for a document, or the errors that prevent one."""

    zone: str | None
    errors: tuple[FieldError, ...] = ()


def resolve_zone(
    form: FormDefinition, data: dict[str, Any], zone_map: ZoneMap, refused: Collection[str] = ()
) -> ZoneDecision:
    """Derive the zone from the address and/or check the entered one (see ZoneSpec)."""
    spec = form.permit.zone
    entered = resolve_pointer(data, spec.entered) if spec.entered else MISSING
    entered_ok = isinstance(entered, str) and spec.entered not in refused
    derived: str | None = None
    if spec.from_address:
        assert spec.street is not None and spec.house_number is not None
        street = resolve_pointer(data, spec.street)
        number = resolve_pointer(data, spec.house_number)
        if not (isinstance(street, str) and isinstance(number, str)):
            return ZoneDecision(None)
        if spec.street in refused or spec.house_number in refused:
            return ZoneDecision(None)
        found = zone_map.lookup(street, number)
        city = zone_map.city.get("de", "")
        if found.problem == "unknown_street":
            params: dict[str, object] = {"street": street.strip(), "city": city}
            return ZoneDecision(None, (FieldError(spec.street, "zone_unknown_street", params),))
        if found.zone is None:
            street_name = zone_map.street_name(street) or street.strip()
            params = {"street": street_name, "number": number.strip()}
            return ZoneDecision(
                None, (FieldError(spec.house_number, "zone_number_outside", params),)
            )
        derived = found.zone
    if derived is not None and entered_ok and entered != derived:
        title = zone_map.title(derived)
        mismatch: dict[str, object] = {
            "zone": derived,
            "entered": str(entered),
            "name": title["de"],
        }
        assert spec.entered is not None
        return ZoneDecision(None, (FieldError(spec.entered, "zone_mismatch", mismatch),))
    zone = derived if derived is not None else (str(entered) if entered_ok else None)
    if zone is None:
        return ZoneDecision(None)
    pointer = spec.entered if spec.entered else spec.street
    assert pointer is not None
    if not zone_map.knows(zone):
        return ZoneDecision(None, (FieldError(pointer, "zone_unknown", {"zone": zone}),))
    allowed = form.rules.allowed_zones
    if allowed is not None and zone not in allowed:
        offered: dict[str, object] = {"zone": zone, "name": zone_map.title(zone)["de"]}
        return ZoneDecision(None, (FieldError(pointer, "zone_not_offered", offered),))
    return ZoneDecision(zone)


def apply_rules(
    form: FormDefinition,
    data: dict[str, Any],
    today: date,
    refused: Collection[str] = (),
    zone_map: ZoneMap | None = None,
) -> list[FieldError]:
    """All rule violations of a document (already schema-checked or not).

    ``refused`` holds the pointers the schema already refused; a rule whose input is among
    them stays silent instead of adding a second, misleading error about another field.
    Without a zone map the zone is not checked (unit tests of the other rules).
    """
    refused = frozenset(refused)
    errors = _check_start_date(form, data, today, refused)
    errors += _check_plates(form, data, refused)
    errors += _check_ages(form, data, today, refused)
    if zone_map is not None:
        errors += resolve_zone(form, data, zone_map, refused).errors
    return errors
