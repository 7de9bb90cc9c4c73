"""A service form as the domain sees it: the schema plus the service's own keywords.

The JSON Schema says what a valid document looks like; ``x-service`` says what the service
does with it (fee tables, permit fields, rules, document mapping). Both live in one
staff-edited file so a new service is one file, checked by the meta-schema and the form
checks before it can be published.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.dates import validity_end
from chalicelib.domain.fees import FeeResult, FeeSchedule
from chalicelib.domain.pointers import MISSING, resolve_pointer

__all__ = [
    "AgeRule",
    "DocumentSpec",
    "Duration",
    "FormDefinition",
    "LifecycleSpec",
    "PermitSpec",
    "RuleSet",
    "ZoneSpec",
    "schema_hash",
    "schema_node",
]


def schema_hash(schema: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON; stored with each application as proof of what was checked."""
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def schema_node(schema: Any, pointer: str) -> dict[str, Any] | None:
    """The subschema that declares the data at ``pointer`` (through ``properties``/``items``).

    ``/vehicle/plates/0`` and ``/vehicle/plates`` + ``items`` both work: a numeric token
    steps into ``items``. None when the pointer names nothing the schema declares.
    """
    node = schema
    if pointer == "":
        return node if isinstance(node, dict) else None
    for token in pointer[1:].split("/"):
        if not isinstance(node, dict):
            return None
        properties = node.get("properties")
        if isinstance(properties, dict) and token in properties:
            node = properties[token]
        elif token.isdigit() and isinstance(node.get("items"), dict):
            node = node["items"]
        else:
            return None
    return node if isinstance(node, dict) else None


def _titles(schema: dict[str, Any], node: dict[str, Any] | None, pointer: str) -> dict[str, str]:
    if node is None:
        return {"de": pointer, "en": pointer}
    german = str(node.get("title", pointer))
    english = str((node.get("x-en") or {}).get("title", german))
    return {"de": german, "en": english}


@dataclass(frozen=True)
class Duration:
    """How long a permit lasts: a count of ``days`` or ``months`` read from one field."""

    pointer: str
    unit: str  # days | months


@dataclass(frozen=True)
class ZoneSpec:
    """Where the permit's zone (or zone group) comes from.

    ``entered``: a field the applicant fills in (a zone or a group of the zone map).
    ``street``/``house_number``: an address the zone map turns into a zone. With both, the
    entered zone must be the address's zone.
    """

    entered: str | None
    street: str | None
    house_number: str | None

    @property
    def from_address(self) -> bool:
        return self.street is not None and self.house_number is not None


@dataclass(frozen=True)
class PermitSpec:
    permit_type: int
    zone: ZoneSpec
    plates: str
    start_date: str
    duration: Duration


@dataclass(frozen=True)
class AgeRule:
    """A date (of birth) that must lie between ``max_years`` and ``min_years`` ago."""

    pointer: str
    min_years: int
    max_years: int


@dataclass(frozen=True)
class RuleSet:
    start_max_ahead: tuple[int, str]  # (count, "days" | "months")
    several_plates_pointer: str | None = None
    several_plates_values: tuple[str, ...] = ()
    allowed_zones: tuple[str, ...] | None = None  # None: every zone of the map
    one_active_permit_per_plate: bool = False
    ages: tuple[AgeRule, ...] = ()

    @classmethod
    def from_json(cls, rules: dict[str, Any]) -> RuleSet:
        ahead = rules["start_date"]["max_ahead"]
        unit = "days" if "days" in ahead else "months"
        several = rules.get("several_plates_only_for") or {}
        allowed = rules.get("allowed_zones")
        return cls(
            start_max_ahead=(int(ahead[unit]), unit),
            several_plates_pointer=several.get("pointer"),
            several_plates_values=tuple(several.get("values", ())),
            allowed_zones=tuple(allowed) if allowed is not None else None,
            one_active_permit_per_plate=bool(rules.get("one_active_permit_per_plate", False)),
            ages=tuple(
                AgeRule(str(a["pointer"]), int(a["min_years"]), int(a["max_years"]))
                for a in rules.get("ages", ())
            ),
        )


@dataclass(frozen=True)
class LifecycleSpec:
    """What happens after issuance (``x-service.lifecycle``; each key optional).

    ``reminder_days``: mails this many days before the last valid day (each once per permit).
    ``renewal_window_days``: from this many days before the end the citizen may renew.
    ``retention_months``: personal data is kept this long after the end, then anonymised.
    ``ask_again``: answers a renewal does not copy from the last application (the citizen
    gives them anew: where they live now, the declarations they sign); by default
    ``/address`` and ``/declarations``, those of the two the form has.
    An empty ``reminder_days`` sends none; a ``renewal_window_days`` of 0 offers no renewal.
    The defaults follow the issue: 30/7/1 days, a month's window, a year's retention.
    """

    reminder_days: tuple[int, ...] = (30, 7, 1)
    renewal_window_days: int = 30
    retention_months: int = 12
    ask_again: tuple[str, ...] = ("/address", "/declarations")

    @classmethod
    def from_json(cls, lifecycle: dict[str, Any] | None, schema: dict[str, Any]) -> LifecycleSpec:
        given = lifecycle or {}
        default = cls()
        asked = given.get("ask_again")
        if asked is None:
            asked = [p for p in default.ask_again if schema_node(schema, p) is not None]
        days = given.get("reminder_days", default.reminder_days)
        return cls(
            reminder_days=tuple(sorted({int(d) for d in days}, reverse=True)),
            renewal_window_days=int(given.get("renewal_window_days", default.renewal_window_days)),
            retention_months=int(given.get("retention_months", default.retention_months)),
            ask_again=tuple(asked),
        )


@dataclass(frozen=True)
class DocumentSpec:
    template: str
    fields: dict[str, str]


@dataclass(frozen=True)
class FormDefinition:
    id: str
    version: int
    title: dict[str, str]
    description: dict[str, str]
    schema: dict[str, Any]
    schema_hash: str
    permit: PermitSpec
    document: DocumentSpec
    rules: RuleSet
    fees: FeeSchedule = field(compare=False)
    lifecycle: LifecycleSpec = LifecycleSpec()
    #: ``x-service.change_fee.amount_cents``: what a change by the citizen that issues a new
    #: permit (new plate, move to another zone) costs; 0 (the default) means free.
    change_fee_cents: int = 0

    @classmethod
    def from_schema(cls, schema: dict[str, Any]) -> FormDefinition:
        """Build from a schema that already passed the meta-schema (so keys are present)."""
        service = schema["x-service"]
        permit = service["permit"]
        zone = permit["zone"]
        address = zone.get("from_address") or {}
        fee_pointers = {
            str(entry[role])
            for entry in service["fee"]["tables"]
            for role in ("by", "length", "width")
            if role in entry
        }
        labels = {p: _titles(schema, schema_node(schema, p), p) for p in fee_pointers}
        return cls(
            id=service["id"],
            version=service["version"],
            title=service["title"],
            description=service["description"],
            schema=schema,
            schema_hash=schema_hash(schema),
            permit=PermitSpec(
                permit_type=permit["type"],
                zone=ZoneSpec(
                    zone.get("entered"), address.get("street"), address.get("house_number")
                ),
                plates=permit["plates"],
                start_date=permit["start_date"],
                duration=Duration(permit["duration"]["pointer"], permit["duration"]["unit"]),
            ),
            document=DocumentSpec(
                template=service["document"]["template"],
                fields=dict(service["document"]["fields"]),
            ),
            rules=RuleSet.from_json(service["rules"]),
            fees=FeeSchedule.from_json(service["fee"], labels),
            lifecycle=LifecycleSpec.from_json(service.get("lifecycle"), schema),
            change_fee_cents=int((service.get("change_fee") or {}).get("amount_cents", 0)),
        )

    @property
    def email_pointer(self) -> str | None:
        """Where the citizen's e-mail address is: the first ``format: email`` property."""
        return _first_email(self.schema, "")

    @property
    def currency(self) -> str:
        return self.fees.currency

    def fee_on(self, data: dict[str, Any], day: date) -> FeeResult | None:
        """The fee for a valid document submitted on ``day`` (a Europe/Berlin date)."""
        return self.fees.compute(data, day)

    def duration_of(self, data: dict[str, Any]) -> int | None:
        value = resolve_pointer(data, self.permit.duration.pointer)
        if isinstance(value, bool) or not isinstance(value, int) or value is MISSING:
            return None
        return value

    def plates_in(self, data: dict[str, Any]) -> tuple[str, ...]:
        """The plates of a (normalised) document: a list field, or one plate in a text field."""
        value = resolve_pointer(data, self.permit.plates)
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            return tuple(str(plate) for plate in value)
        return ()

    def validity_in(self, data: dict[str, Any]) -> tuple[date, date]:
        """First and last valid day (inclusive, Europe/Berlin dates) of a complete document.

        Days: a permit for 3 days from 5 Dec is valid 5-7 Dec. Months: see ``validity_end``.
        Raises ValueError for a document without a valid start date or duration.
        """
        raw = resolve_pointer(data, self.permit.start_date)
        count = self.duration_of(data)
        if not isinstance(raw, str) or count is None or count < 1:
            raise ValueError("the document has no valid start date or duration")
        start = date.fromisoformat(raw)
        if self.permit.duration.unit == "days":
            return start, start + timedelta(days=count - 1)
        return start, validity_end(start, count)


def _first_email(node: Any, pointer: str) -> str | None:
    if not isinstance(node, dict):
        return None
    if node.get("format") == "email" and pointer:
        return pointer
    for name, child in (node.get("properties") or {}).items():
        found = _first_email(child, f"{pointer}/{name}")
        if found is not None:
            return found
    return None
