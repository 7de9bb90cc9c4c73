"""How one application appears in staff lists (queue, search): no answers, no personal data.

A row tells staff what to do next (status, flags, fee, permit number, payment reference);
the answers themselves are shown only on the detail page, where each view is audited.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.records import Application

__all__ = ["application_row"]


def application_row(app: Application) -> dict[str, Any]:
    return {
        "id": app.id,
        "form_id": app.form_id,
        "status": app.status.value,
        "flags": list(app.flags),
        "fee": {"amount_cents": app.fee_cents, "currency": app.currency},
        "created_at": app.created_at.isoformat(),
        "updated_at": app.updated_at.isoformat(),
        "permit_number": app.permit.number if app.permit else None,
        "payment_reference": payment_reference(app.id),
    }
