"""Use case: an enforcement officer's phone asks whether a permit is valid.

The signature is checked from the token alone (no network needed for that part); then one
read gives the permit's current status (revoked, superseded). The answer carries the permit
type (the token's type byte; the officer app names it from the forms), plates, zone and
validity, never a name or an address.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.errors import InvalidTokenError
from chalicelib.domain.lifecycle import Status
from chalicelib.services.ports import ApplicationStore, Clock

__all__ = ["VerificationService", "verdict"]


def verdict(status: Status | None, valid_from: date, valid_to: date, today: date) -> str:
    if status is None:
        return "invalid"
    if status is Status.REVOKED:
        return "revoked"
    if status is Status.SUPERSEDED:
        return "superseded"
    if today < valid_from:
        return "not_yet_valid"
    if today > valid_to or status is Status.EXPIRED:
        return "expired"
    return "valid"


class VerificationService:
    def __init__(self, verifier: Any, store: ApplicationStore, clock: Clock) -> None:
        self._verifier = verifier
        self._store = store
        self._clock = clock

    def verify(self, token: str) -> dict[str, Any]:
        try:
            claims = self._verifier.verify_text(token)
        except InvalidTokenError:
            return {"result": "invalid"}
        permit = self._store.get_permit(claims.serial)
        if permit is None or permit.token != token:
            return {"result": "invalid"}  # a valid signature for a permit we never stored
        result = verdict(
            permit.status, claims.valid_from, claims.valid_to, berlin_today(self._clock.now())
        )
        return {
            "result": result,
            "permit": {
                "number": permit.number,
                "type": claims.permit_type,
                "zone": claims.zone,
                "plates": list(claims.plates),
                "valid_from": claims.valid_from.isoformat(),
                "valid_until": claims.valid_to.isoformat(),
            },
        }
