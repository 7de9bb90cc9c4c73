"""What ``GET /api/forms`` shows of a form: enough to choose one, not the whole schema."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.forms import FormDefinition

__all__ = ["form_listing"]


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
