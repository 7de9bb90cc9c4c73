"""What ``GET /api/forms`` shows of a form: enough to choose one, not the whole schema."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from chalicelib.domain.forms import FormDefinition

__all__ = ["form_listing", "permit_type_names"]


def form_listing(form: FormDefinition, today: date) -> dict[str, Any]:
    """Id, version, titles, permit type and the fee in force ``today`` (plus any announced).

    The fee keeps the fields clients already read (``amount_cents`` for a flat fee, ``by``
    and ``options`` for a fee by option) and adds ``kind``, ``effective_from`` and a
    ``summary`` in German and English for every kind.
    """
    schedule = form.fees
    current = schedule.table_on(today)
    fee: dict[str, Any] = {"currency": form.currency}
    if current is not None:
        rule = current.rule
        fee["kind"] = current.kind
        fee["effective_from"] = current.effective_from.isoformat()
        fee["summary"] = schedule.summary(current)
        if current.kind == "flat":
            fee["amount_cents"] = int(rule["amount_cents"])
        elif current.kind == "by_option":
            fee["by"] = rule["by"]
            fee["options"] = {key: int(value) for key, value in rule["amounts_cents"].items()}
    upcoming = [table for table in schedule.tables if table.effective_from > today]
    if upcoming:
        fee["upcoming"] = [
            {
                "kind": table.kind,
                "effective_from": table.effective_from.isoformat(),
                "summary": schedule.summary(table),
            }
            for table in upcoming
        ]
    return {
        "id": form.id,
        "version": form.version,
        "title": form.title,
        "description": form.description,
        "permit_type": form.permit.permit_type,
        "fee": fee,
    }


def permit_type_names(forms: Iterable[FormDefinition]) -> dict[str, dict[str, str]]:
    """Permit type (the token's type byte, as text) -> the form's title in German and English.

    What the officer app shows for a token's type: names come from the forms, so a new form
    (visitor, tradesperson, ...) needs no code. Where two forms issue one type, the form
    whose id sorts first names it, so the answer does not depend on loading order.
    """
    names: dict[str, dict[str, str]] = {}
    for form in sorted(forms, key=lambda f: f.id):
        key = str(form.permit.permit_type)
        if key not in names:
            names[key] = {"de": form.title.get("de", ""), "en": form.title.get("en", "")}
    return dict(sorted(names.items(), key=lambda item: int(item[0])))
