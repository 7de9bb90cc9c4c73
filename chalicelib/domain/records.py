"""What the service stores: applications, permits, audit entries and idempotency records.

Plain frozen dataclasses rather than pydantic models: they are built from already-validated
data on every request, so they should cost nothing to import or construct. pydantic is used
at the edges, where untrusted bodies come in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from chalicelib.domain.lifecycle import Status, check_transition

__all__ = [
    "Application",
    "AuditEntry",
    "CheckoutInfo",
    "Draft",
    "IdempotencyRecord",
    "LedgerEntry",
    "OutboxMessage",
    "PaymentEventRecord",
    "PendingChange",
    "PermitRecord",
    "PermitSummary",
    "PlateClaim",
]


@dataclass(frozen=True)
class CheckoutInfo:
    """The provider checkout an application is waiting on.

    ``expires_at`` is when the provider's page closes (what we asked for: never later than
    the application's payment deadline); None only on items written before it was recorded.
    """

    provider: str
    checkout_id: str
    checkout_url: str
    created_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PermitSummary:
    """The permit as the application item keeps it, so status and PDF need one read only."""

    serial: int
    number: str
    zone: str
    plates: tuple[str, ...]
    valid_from: date
    valid_to: date
    token: str
    issued_at: datetime
    permit_type: int = 0  # 0: issued before the type was kept here
    claimed_plates: tuple[str, ...] = ()  # plates held exclusively (one active permit each)


@dataclass(frozen=True)
class PendingChange:
    """A citizen's change that costs a fee: waiting for its payment, or applied once paid.

    ``document`` and ``zone`` are what the application will hold once the payment webhook
    applies the change (exactly once: the event's dedupe marker and the application's
    version are in that transaction). Until then the old permit stays valid. Once applied,
    ``document`` is dropped (it is the application's data then) and ``payment_id`` kept, so
    a late duplicate event for the same payment is recognised.
    """

    id: str
    kind: str  # plate_change | moved
    fee_cents: int
    currency: str
    requested_at: datetime
    zone: str
    document: dict[str, Any] | None
    checkout: CheckoutInfo | None = None
    state: str = "awaiting_payment"  # awaiting_payment | applied
    payment_id: str | None = None


@dataclass(frozen=True)
class Application:
    id: str
    form_id: str
    form_version: int
    schema_hash: str
    data: dict[str, Any]
    status: Status
    version: int
    fee_cents: int
    currency: str
    access_token_hash: str
    created_at: datetime
    updated_at: datetime
    checkout: CheckoutInfo | None = None
    payment_id: str | None = None
    permit: PermitSummary | None = None
    flags: tuple[str, ...] = ()
    fee_breakdown: dict[str, Any] | None = None  # how the fee was computed (JSON-ready)
    zone: str | None = None  # the zone or zone group decided at submission
    lang: str = "de"  # the citizen's language when applying: later mails use it
    renewal_of: str | None = None  # the application this one renews
    renewal_id: str | None = None  # the renewal started from this one (one at a time)
    anonymised_at: datetime | None = None  # personal data removed (retention or erasure)
    #: HMAC of the normalised e-mail address (``domain/email_lookup.py``): the key of the
    #: staff e-mail search index. Never the address itself.
    email_hash: str | None = None
    #: The total refunded so far per payment id, as the provider last reported it (the
    #: largest total seen): the ledger books only the difference to it, so duplicated and
    #: out-of-order refund events book each cent once.
    refunded: tuple[tuple[str, int], ...] = ()
    change: PendingChange | None = None  # a paid change by the citizen (issue 15 item 3)

    def advance(self, target: Status, at: datetime, **changes: Any) -> Application:
        """The next version of this application; refuses transitions the lifecycle forbids."""
        check_transition(self.status, target)
        return replace(self, status=target, version=self.version + 1, updated_at=at, **changes)

    def with_changes(self, at: datetime, **changes: Any) -> Application:
        """A new version without a status change (e.g. a flag or a checkout)."""
        return replace(self, version=self.version + 1, updated_at=at, **changes)


@dataclass(frozen=True)
class PermitRecord:
    serial: int
    number: str
    application_id: str
    form_id: str
    permit_type: int
    zone: str
    plates: tuple[str, ...]
    valid_from: date
    valid_to: date
    token: str
    key_id: int
    status: Status
    issued_at: datetime
    claimed_plates: tuple[str, ...] = ()  # plates held exclusively: see PlateClaim
    #: Lifecycle markers, written by the permit-lifecycle job with conditional updates (never
    #: by a Put): the reminders sent (days before the end) and when personal data went.
    reminded: tuple[int, ...] = ()
    anonymised_at: datetime | None = None


@dataclass(frozen=True)
class PlateClaim:
    """The one active permit of a permit type for a plate (a uniqueness item).

    Written in the issuance transaction; a new claim for the same plate and type succeeds
    only when the held permit's validity ends before the new one starts (or the item is
    gone). Revocation and supersession delete it in their own transaction; expiry needs
    nothing (the validity has ended) and DynamoDB's TTL removes the item later.
    """

    permit_type: int
    plate: str
    application_id: str
    serial: int
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class AuditEntry:
    """One transition or notable event; never holds personal data (ids and statuses only)."""

    application_id: str
    at: datetime
    event: str
    from_status: Status | None
    to_status: Status | None
    actor: str
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IdempotencyRecord:
    scope: str
    key_hash: str
    request_hash: str
    application_id: str
    response: dict[str, Any]
    expires_at: int
    ttl_seconds: int = 24 * 3600


@dataclass(frozen=True)
class PaymentEventRecord:
    """Dedupe marker for a provider event id: written in the same transaction as its effect."""

    provider: str
    event_id: str
    application_id: str
    type: str
    received_at: datetime
    expires_at: int


@dataclass(frozen=True)
class Draft:
    """A citizen's unfinished answers, kept for ``DRAFT_TTL`` (then DynamoDB's TTL deletes it).

    ``resume_nonce`` is part of the e-mailed resume link (signed by the service); a new
    "save and come back later" replaces it, so only the latest link works. Once submitted,
    ``application_id`` is set and the draft only forwards to the application.
    """

    id: str
    form_id: str
    data: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: int
    resume_nonce: str | None = None
    application_id: str | None = None
    renewal_of: str | None = None  # a renewal's draft: the application it renews


@dataclass(frozen=True)
class OutboxMessage:
    """A mail to send because of a state change, written in that change's transaction.

    ``params`` holds only ids and nonces from which the mail's links are derived at send
    time, never an access token; ``to`` is the one piece of personal data the mail needs.
    """

    id: str
    kind: str  # submitted | issued | resume
    to: str
    lang: str
    params: dict[str, str]
    created_at: datetime
    expires_at: int


@dataclass(frozen=True)
class LedgerEntry:
    """One line of the finance ledger: money in, money out, or a permit issued.

    Written in the same transaction as the state change that it books (see
    ``adapters/dynamodb/items.ledger_item``). ``amount_cents`` is never negative: ``kind``
    says the direction (``payment`` in, ``refund`` out, ``issuance`` the fee the permit was
    issued for). ``day`` is the Berlin day the service received the event.
    """

    day: date
    at: datetime
    kind: str  # payment | refund | issuance
    application_id: str
    form_id: str
    amount_cents: int
    currency: str
    provider: str = ""
    payment_id: str = ""
    event_id: str = ""
    permit_number: str = ""
