"""Use case: a citizen reads their application, authorised by the access token.

A wrong, missing or malformed token answers exactly like an unknown id (404), so ids cannot
be probed. The check costs one read and a constant-time hash comparison.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.access import token_matches
from chalicelib.domain.errors import NotFoundError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.payability import checkout_expiry
from chalicelib.domain.records import Application

if TYPE_CHECKING:
    from chalicelib.services.ports import ApplicationStore

__all__ = ["APPLICATION_ID_PATTERN", "ApplicationAccess", "bearer_token", "status_body"]

APPLICATION_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_BEARER = re.compile(r"^Bearer ([A-Za-z0-9_\-]{16,128})$")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    match = _BEARER.match(authorization.strip())
    return match.group(1) if match else None


class ApplicationAccess:
    def __init__(self, store: ApplicationStore) -> None:
        self._store = store

    def get(self, application_id: str, token: str | None) -> Application:
        if not APPLICATION_ID_PATTERN.match(application_id):
            raise NotFoundError("unknown application")
        app = self._store.get_application(application_id)
        if app is None or not token_matches(token, app.access_token_hash):
            raise NotFoundError("unknown application")
        return app


def _fee(app: Application) -> dict[str, Any]:
    fee: dict[str, Any] = {"amount_cents": app.fee_cents, "currency": app.currency}
    if app.fee_breakdown is not None:
        fee["breakdown"] = app.fee_breakdown
    return fee


def status_body(
    app: Application, public_base_url: str, now: datetime | None = None
) -> dict[str, Any]:
    """What the citizen sees: status, fee and the permit once issued; no form data echoed.

    The checkout URL only while its page is open (at ``now``): a closed page cannot be paid.
    """
    body: dict[str, Any] = {
        "id": app.id,
        "form_id": app.form_id,
        "status": app.status.value,
        "fee": _fee(app),
        "created_at": app.created_at.isoformat(),
        "updated_at": app.updated_at.isoformat(),
    }
    checkout = app.checkout
    open_now = checkout is not None and (now is None or now < checkout_expiry(checkout))
    if checkout is not None and open_now and app.status is Status.AWAITING_PAYMENT:
        body["checkout_url"] = checkout.checkout_url
    change = app.change
    if change is not None and change.state == "awaiting_payment" and app.status is Status.ISSUED:
        pending: dict[str, Any] = {
            "kind": change.kind,
            "fee": {"amount_cents": change.fee_cents, "currency": change.currency},
            "requested_at": change.requested_at.isoformat(),
        }
        if change.checkout is not None and (now is None or now < checkout_expiry(change.checkout)):
            pending["checkout_url"] = change.checkout.checkout_url
        body["pending_change"] = pending
    if app.permit is not None:
        permit = app.permit
        body["permit"] = {
            "number": permit.number,
            "zone": permit.zone,
            "plates": list(permit.plates),
            "valid_from": permit.valid_from.isoformat(),
            "valid_until": permit.valid_to.isoformat(),
            "verify_url": f"{public_base_url}/v#{permit.token}",
            "pdf_url": f"{public_base_url}/api/applications/{app.id}/permit.pdf",
        }
    return body
