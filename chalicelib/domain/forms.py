"""A service form as the domain sees it: the schema plus the service's own keywords.

The JSON Schema says what a valid document looks like; ``x-service`` says what the service
does with it (fee, permit fields, document mapping). Both live in one staff-edited file so a
new service is one file, checked by the meta-schema before it can be published.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.pointers import MISSING, resolve_pointer

__all__ = ["DocumentSpec", "Fee", "FormDefinition", "PermitSpec", "schema_hash"]


def schema_hash(schema: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON; stored with each application as proof of what was checked."""
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Fee:
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class PermitSpec:
    permit_type: int
    zone: str
    plates: str
    start_date: str
    duration_months: str
    start_max_months_ahead: int


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
    rules: tuple[str, ...]
    _fee: dict[str, Any]

    @classmethod
    def from_schema(cls, schema: dict[str, Any]) -> FormDefinition:
        """Build from a schema that already passed the meta-schema (so keys are present)."""
        service = schema["x-service"]
        permit = service["permit"]
        return cls(
            id=service["id"],
            version=service["version"],
            title=service["title"],
            description=service["description"],
            schema=schema,
            schema_hash=schema_hash(schema),
            permit=PermitSpec(
                permit_type=permit["type"],
                zone=permit["zone"],
                plates=permit["plates"],
                start_date=permit["start_date"],
                duration_months=permit["duration_months"],
                start_max_months_ahead=permit["start_max_months_ahead"],
            ),
            document=DocumentSpec(
                template=service["document"]["template"],
                fields=dict(service["document"]["fields"]),
            ),
            rules=tuple(service.get("rules", ())),
            _fee=service["fee"],
        )

    @property
    def email_pointer(self) -> str | None:
        """Where the citizen's e-mail address is: the first ``format: email`` property."""
        return _first_email(self.schema, "")

    @property
    def currency(self) -> str:
        return str(self._fee["currency"])

    @property
    def fee_options(self) -> dict[str, int]:
        """Fee by option value (as text), or {"": amount} for a flat fee; for listings."""
        if "amount_cents" in self._fee:
            return {"": int(self._fee["amount_cents"])}
        return {key: int(value) for key, value in self._fee["amounts_cents"].items()}

    @property
    def fee_pointer(self) -> str | None:
        by = self._fee.get("by")
        return str(by) if by is not None else None

    def fee_for(self, data: dict[str, Any]) -> Fee | None:
        """The fee for a valid document; None when the option has no price (a form bug)."""
        if "amount_cents" in self._fee:
            return Fee(int(self._fee["amount_cents"]), self.currency)
        choice = resolve_pointer(data, self._fee["by"])
        if choice is MISSING:
            return None
        amount = self._fee["amounts_cents"].get(str(choice))
        return None if amount is None else Fee(int(amount), self.currency)


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
