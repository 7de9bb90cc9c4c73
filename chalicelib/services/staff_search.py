"""Use case: find applications by whatever a caller reads out, through keys only.

Each kind of query is one key lookup (see ``domain/staff_search.py``): a permit number is
the permit item's key (its serial), a plate is a plate-claim item per permit type (the one
active permit holding the plate), an application id or a payment reference is the
application item's key, an e-mail address is the sparse index GSI2 under an HMAC of the
address. Nothing here scans or filters a table. Results are list rows without answers;
opening one is the audited detail view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.domain.email_lookup import email_lookup_hash
from chalicelib.domain.errors import FieldError, ValidationFailedError
from chalicelib.domain.records import Application
from chalicelib.domain.staff_search import MAX_QUERY_LENGTH, QueryKind, read_query
from chalicelib.services.ports import ApplicationStore
from chalicelib.services.staff_rows import application_row

__all__ = ["StaffSearch"]


class StaffSearch:
    def __init__(
        self,
        store: ApplicationStore,
        email_key: bytes,
        permit_types: Callable[[], Iterable[int]],
    ) -> None:
        self._store = store
        self._email_key = email_key
        self._permit_types = permit_types

    def search(self, raw: str | None) -> dict[str, Any]:
        text = (raw or "").strip()
        if not text:
            raise ValidationFailedError([FieldError("/q", "required")])
        if len(text) > MAX_QUERY_LENGTH:
            raise ValidationFailedError(
                [FieldError("/q", "maxLength", {"limit": MAX_QUERY_LENGTH})]
            )
        query = read_query(text)
        found: list[Application] = []
        did_you_mean: list[str] = []
        if query.kind is QueryKind.PERMIT_NUMBER and query.value:
            found = self._by_serial(int(query.value))
        elif query.kind is QueryKind.PERMIT_NUMBER:
            for number, serial in query.suggestions:
                permit = self._store.get_permit(serial)
                if permit is not None and permit.number == number:
                    did_you_mean.append(number)
        elif query.kind is QueryKind.PLATE:
            found = self._by_plate(query.value)
        elif query.kind in (QueryKind.APPLICATION_ID, QueryKind.PAYMENT_REFERENCE):
            found = self._apps([query.value])
        elif query.kind is QueryKind.EMAIL:
            email_hash = email_lookup_hash(self._email_key, query.value)
            found = self._apps(self._store.application_ids_by_email(email_hash))
        return {
            "query": text,
            "kind": query.kind.value,
            "applications": [application_row(app) for app in found],
            "did_you_mean": did_you_mean,
        }

    def _by_serial(self, serial: int) -> list[Application]:
        permit = self._store.get_permit(serial)
        return self._apps([permit.application_id]) if permit is not None else []

    def _by_plate(self, plate: str) -> list[Application]:
        ids = []
        for permit_type in sorted(set(self._permit_types())):
            claim = self._store.get_plate_claim(permit_type, plate)
            if claim is not None and claim.application_id not in ids:
                ids.append(claim.application_id)
        return self._apps(ids)

    def _apps(self, ids: Iterable[str]) -> list[Application]:
        apps = (self._store.get_application(app_id) for app_id in ids)
        return [app for app in apps if app is not None]
