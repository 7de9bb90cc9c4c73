"""What ``GET /api/forms`` shows of a form: enough to choose one, not the whole schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.domain.forms import FormDefinition

__all__ = ["form_listing", "permit_type_names"]


def form_listing(form: FormDefinition) -> dict[str, Any]:
    options = form.fee_options
    fee: dict[str, Any] = {"currency": form.currency}
    if "" in options:
        fee["amount_cents"] = options[""]
    else:
        fee["by"] = form.fee_pointer
        fee["options"] = options
    return {
        "id": form.id,
        "version": form.version,
        "title": form.title,
        "description": form.description,
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
