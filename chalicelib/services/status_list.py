"""Use case: publish the signed revocation list an officer's phone checks offline.

The list is made from the revocation partition (one Query, never a scan), signed with the
list's own key (not the permit signing key, see docs/decisions.md, issue 13) and stored as
one item, so serving it is one GetItem. It is regenerated

- after every revocation or supersession: by the table's stream in AWS
  (:meth:`on_table_records`, called by ``app.table_stream``), right after the write locally;
- when it is older than ``refresh_after`` at the moment someone asks for it, so its ``exp``
  (``iat`` + ``max_age``, 24 h by default) keeps moving while nothing is revoked, and a lost
  stream event heals itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.status_list import (
    StatusList,
    build_payload,
    envelope,
    parse_envelope,
    protected_header,
    signing_input,
)
from chalicelib.services.ports import Clock, Signer, StatusListStore, StoredStatusList

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

__all__ = ["StatusListService", "status_kid"]

# Entries stay listed one day past their last valid day: a phone whose date is a day behind
# (or in another time zone) must still see a revoked permit as revoked, not as valid.
LISTED_AFTER_VALIDITY = timedelta(days=1)


def status_kid(key_id: int) -> str:
    """The list key's ``kid`` in the JWK set; never a bare number, which is a token key id."""
    return f"status-{key_id}"


class StatusListService:
    def __init__(
        self,
        store: StatusListStore,
        signer: Signer,
        clock: Clock,
        *,
        max_age: timedelta = timedelta(hours=24),
        refresh_after: timedelta = timedelta(minutes=10),
        is_status_record: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> None:
        if max_age <= refresh_after:
            raise ValueError("max_age must be longer than refresh_after")
        self._store = store
        self._signer = signer
        self._clock = clock
        self._max_age = max_age
        self._refresh_after = refresh_after
        self._is_status_record = is_status_record or (lambda record: False)

    @property
    def kid(self) -> str:
        return status_kid(self._signer.key_id)

    def _public_key(self) -> EllipticCurvePublicKey:
        from chalicelib.domain.token import load_public_key_pem

        return load_public_key_pem(self._signer.public_key_pem())

    def jwk(self) -> dict[str, str]:
        from chalicelib.services.keyring import jwk_for

        return jwk_for(self.kid, self._public_key())

    def current(self) -> StoredStatusList:
        """The list to serve: the stored one, or a fresh one when it is missing or old."""
        stored = self._store.get_status_list()
        if stored is None or self._clock.now() - stored.issued_at >= self._refresh_after:
            return self.regenerate()
        return stored

    def regenerate(self) -> StoredStatusList:
        now = self._clock.now()
        oldest_listed = berlin_today(now) - LISTED_AFTER_VALIDITY
        revoked: list[int] = []
        superseded: list[int] = []
        for entry in self._store.list_permit_status_entries():
            if entry.valid_to < oldest_listed:
                continue
            (revoked if entry.status is Status.REVOKED else superseded).append(entry.serial)
        payload = build_payload(revoked, superseded, now, self._max_age)
        protected = protected_header(self.kid)
        signature = self._signer.sign(signing_input(protected, payload))
        document = envelope(protected, payload, signature)
        self.read(document)  # a list that does not verify must fail here, not on every phone
        stored = StoredStatusList(document=document, issued_at=now)
        if self._store.put_status_list(stored):
            return stored
        return self._store.get_status_list() or stored  # a newer list won the race: serve it

    def read(self, document: str) -> StatusList:
        """Verify and decode a list signed by this service's key (tests and self-check)."""
        from chalicelib.domain.token import verify_es256

        key = self._public_key()
        return parse_envelope(
            document,
            lambda kid, message, signature: (
                kid == self.kid and verify_es256(key, message, signature)
            ),
        )

    def on_table_records(self, records: Iterable[Mapping[str, Any]]) -> bool:
        """Stream consumer: regenerate once per batch that touched the revocation partition.

        Idempotent (the list is rebuilt from the partition, not patched), so a retried batch
        or a duplicate record only makes the same list again.
        """
        if any(self._is_status_record(record) for record in records):
            self.regenerate()
            return True
        return False
