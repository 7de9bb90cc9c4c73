"""What ``GET /api/forms`` shows of a form: enough to choose one, not the whole schema."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain.forms import FormDefinition

__all__ = ["form_listing"]


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
