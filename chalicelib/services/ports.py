"""Ports: what the use cases need from the outside world, as structural types.

Adapters in :mod:`chalicelib.adapters` implement these; tests inject fakes through
constructor arguments instead of patching. Nothing here imports boto3, Chalice or a heavy
library, so the services stay importable (and testable) without them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import (
    Application,
    AuditEntry,
    Draft,
    IdempotencyRecord,
    LedgerEntry,
    OutboxMessage,
    PaymentEventRecord,
    PermitRecord,
    PlateClaim,
)
from chalicelib.domain.staff_sessions import SignInAttempt, StaffSession

__all__ = [
    "PAYMENT_EVENT_TYPES",
    "ApplicationStore",
    "Checkout",
    "CheckoutRequest",
    "Clock",
    "DocumentRenderer",
    "DraftStore",
    "IdentityProvider",
    "LifecycleStore",
    "MailMessage",
    "Mailer",
    "MetricName",
    "Metrics",
    "OutboxStore",
    "PaymentEvent",
    "PaymentEventType",
    "PaymentProvider",
    "RetentionStore",
    "SecretSource",
    "Signer",
    "StaffSessionStore",
    "StatusEntry",
    "StatusListStore",
    "StoredStatusList",
]


MetricName = Literal["PermitsIssued", "WebhooksRefused", "ServerErrors"]
"""The service's metrics (CloudWatch namespace ``PermitService``, dimension ``Stage``, unit
Count). The deployment's alarms name exactly these, so they are spelt once, here."""


class Metrics(Protocol):
    """Counts business and health events; the adapter decides where they go (EMF on stdout)."""

    def count(self, name: MetricName, value: int = 1) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware current time (UTC)."""
        ...


class Signer(Protocol):
    """Signs permit tokens. ``sign`` returns the raw 64-byte ECDSA P-256 ``r || s``."""

    @property
    def key_id(self) -> int: ...

    def sign(self, message: bytes) -> bytes: ...

    def public_key_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM of the signing key, for the published key set."""
        ...


class SecretSource(Protocol):
    """The service's secrets by name (``chalicelib.config.SECRETS``).

    Environment variables for the local run and the tests, SSM Parameter Store in AWS
    (``chalicelib.adapters.secrets``). ``read`` may answer from a cache; a source whose
    values can rotate re-reads them after its TTL. It raises
    ``chalicelib.config.SecretsUnavailableError`` when it has nothing to give.
    """

    def read(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class CheckoutRequest:
    """What the provider needs to open one checkout.

    ``expires_at``: the provider's page must close by then (earlier is allowed, later never):
    it is the application's payment deadline or sooner, so nobody pays for an application
    that is already cancelled. CheckoutService always sets it and leaves at least 30 minutes
    (Stripe's shortest session); None means the provider's own maximum (tools and tests).
    """

    application_id: str
    amount_cents: int
    currency: str
    description: str
    return_url: str
    _: KW_ONLY  # the optional parts by name only: two defaults side by side are easy to swap
    expires_at: datetime | None = None
    #: The payment reference (Kassenzeichen) the citizen and finance see, at most 27
    #: characters (``chalicelib.domain.payment_reference``); providers that carry a
    #: reference (Stripe metadata, ePayBL) send it, the sandbox shows it.
    reference: str = ""


@dataclass(frozen=True)
class Checkout:
    checkout_id: str
    checkout_url: str


PaymentEventType = Literal["payment.succeeded", "payment.failed", "payment.refunded"]


@dataclass(frozen=True)
class PaymentEvent:
    """A provider event after its signature was verified.

    ``type`` keeps unknown event types as plain strings so they can be acknowledged and
    ignored rather than refused (providers add types without asking).

    ``amount_cents`` is the payment's amount. ``refunded_cents`` matters for
    ``payment.refunded`` only: the **total** refunded for this payment so far, as the provider
    reports it at the time of the event (Stripe's ``amount_refunded``). A total rather than
    the increment, because refund events arrive duplicated and out of order: the largest
    total seen is the truth, and no running sum has to be kept. The permit is revoked only
    when the total covers the fee; a partial refund flags the application for staff.
    """

    event_id: str
    type: str
    payment_id: str
    application_id: str
    amount_cents: int
    currency: str
    refunded_cents: int = 0


PAYMENT_EVENT_TYPES: frozenset[str] = frozenset(
    {"payment.succeeded", "payment.failed", "payment.refunded"}
)


class PaymentProvider(Protocol):
    @property
    def name(self) -> str: ...

    def create_checkout(self, request: CheckoutRequest, *, nonce: str | None = None) -> Checkout:
        """Open a checkout at the provider.

        The same ``nonce`` for the same application must give the same checkout (providers
        call this an idempotency key), so a retry after our own write failed pays once.
        """
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:
        """Verify and parse one webhook delivery.

        Raises WebhookSignatureError (nothing proves the sender) or WebhookMalformedError
        (signed, but not a readable event). Header names are matched case-insensitively.
        """
        ...

    def poll(self, checkout_id: str, application_id: str) -> Sequence[PaymentEvent]:
        """Ask the provider, with our own credentials, what became of one checkout.

        Returns what the provider knows now as events in the order they happened (paid,
        then refunded; empty while the citizen has not paid). Each event id is derived
        from the payment and its state (``poll:<payment>:<state>``), so polling twice
        dedupes, and the payment id equals the one the provider's webhooks carry, so a
        late webhook for the same payment is a duplicate too. Used by the reconciliation
        job and by providers without webhooks. Raises ``ServiceUnavailableError`` when
        the provider cannot be asked right now.
        """
        ...


class DocumentRenderer(Protocol):
    def render(self, template: str, fields: Mapping[str, str], qr_content: str) -> bytes:
        """Fill the named template's placeholder fields and QR rectangle; deterministic bytes."""
        ...


class ApplicationStore(Protocol):
    """Persistence of applications, permits, audit, idempotency and event dedupe records.

    One implementation (DynamoDB, ``chalicelib.adapters.dynamodb.store``), tested by a contract
    suite that runs against any DynamoDB endpoint. Every write is atomic: a failure raises one
    of ``chalicelib.services.store_errors`` and leaves nothing half-written.
    """

    def get_application(self, application_id: str) -> Application | None: ...

    def get_permit(self, serial: int) -> PermitRecord | None: ...

    def get_idempotency(self, scope: str, key_hash: str) -> IdempotencyRecord | None: ...

    def get_plate_claim(self, permit_type: int, plate: str) -> PlateClaim | None: ...

    def list_audit(self, application_id: str) -> list[AuditEntry]: ...

    def all_queued_application_ids(
        self, status: str, day: str, page_size: int = 100
    ) -> list[str]: ...

    def queue_page(
        self, queue: str, day: str, *, after: str | None, limit: int, newest_first: bool = False
    ) -> tuple[list[tuple[str, str]], bool]:
        """(application id, sort key) pairs of one queue partition after ``after``; more?"""
        ...

    def application_ids_by_email(self, email_hash: str, limit: int = 50) -> list[str]: ...

    def create_application(
        self,
        app: Application,
        audits: Sequence[AuditEntry],
        idempotency: IdempotencyRecord | None = None,
        permit: PermitRecord | None = None,
        plate_claims: Sequence[PlateClaim] = (),
        outbox: Sequence[OutboxMessage] = (),
        ledger: Sequence[LedgerEntry] = (),
        renewed: tuple[Application, Application, AuditEntry] | None = None,
    ) -> None: ...

    def save(
        self,
        before: Application,
        after: Application,
        audits: Sequence[AuditEntry],
        *,
        event: PaymentEventRecord | None = None,
        new_permit: PermitRecord | None = None,
        permit_status: tuple[int, Status, Status] | None = None,
        outbox: Sequence[OutboxMessage] = (),
        ledger: Sequence[LedgerEntry] = (),
    ) -> None: ...

    def record_event(
        self, event: PaymentEventRecord, audit: AuditEntry, app_version: int = 0
    ) -> None: ...

    def ledger_entries(self, day: date) -> list[LedgerEntry]:
        """The finance ledger's lines of one Berlin day, in time order."""
        ...

    def add_audit(self, entry: AuditEntry, app_version: int) -> None:
        """Write one audit entry alone (a view of personal data); raises when it cannot."""
        ...

    def replace_permit(
        self,
        before: Application,
        after: Application,
        audits: Sequence[AuditEntry],
        new_permit: PermitRecord,
        *,
        event: PaymentEventRecord | None = None,
        outbox: Sequence[OutboxMessage] = (),
        ledger: Sequence[LedgerEntry] = (),
    ) -> None:
        """Supersede the application's permit with ``new_permit`` in one transaction."""
        ...

    def request_change(
        self, before: Application, after: Application, audits: Sequence[AuditEntry]
    ) -> None:
        """Store a change waiting for its fee, filed by day for the reconciliation job."""
        ...

    def applications_with_change_payments(self, day: date, page_size: int = 100) -> list[str]:
        """The applications that asked for a paid change on ``day`` (Berlin day)."""
        ...


class LifecycleStore(Protocol):
    """What the permit-lifecycle job needs beyond ``ApplicationStore``: the end-day index.

    Permits are filed under the Berlin day their validity ends (sparse index GSI3), so the
    job reads only the days it works on, page by page, never the whole table.
    """

    def permits_ending_on(self, day: date, page_size: int = 100) -> Iterator[PermitRecord]: ...

    def mark_reminded(self, serial: int, days: int, message: OutboxMessage) -> bool:
        """Marker and mail in one transaction; False (nothing written) when either the
        marker exists (another run sent it) or the permit is no longer ISSUED."""
        ...


class RetentionStore(Protocol):
    """Anonymisation and the data export (the DynamoDB store implements it)."""

    def get_application(self, application_id: str) -> Application | None: ...

    def anonymise(
        self,
        before: Application,
        after: Application,
        audit: AuditEntry,
        permit_serials: Sequence[int],
    ) -> None:
        """``after`` (the personal data removed) if the stored one is still ``before``, its
        audit entry and the permits marked as handled, in one transaction; then the mails
        still waiting lose their address. Raises StaleApplicationError when it changed."""
        ...

    def export_application(self, app: Application) -> dict[str, Any]:
        """Everything stored about ``app``: its items and its permit, as plain JSON."""
        ...


class DraftStore(Protocol):
    """Unfinished answers (same table; TTL-expired drafts are filtered on read)."""

    def get_draft(self, draft_id: str, now_epoch: int) -> Draft | None: ...

    def put_draft(
        self, draft: Draft, expected_version: int | None, outbox: Sequence[OutboxMessage] = ()
    ) -> None: ...


class OutboxStore(Protocol):
    """Mails waiting to be sent: claimed conditionally, so each is sent once per event."""

    def claim_outbox(
        self, message_id: str, now_epoch: int, lease_seconds: int
    ) -> OutboxMessage | None: ...

    def finish_outbox(self, message_id: str, sent: bool, expires_at: int) -> None: ...


@dataclass(frozen=True)
class MailMessage:
    to: str
    subject: str
    text: str
    message_id: str  # the outbox id: lets a mail server or a test tell retries apart


class Mailer(Protocol):
    """Sends one plain-text mail; raises MailDeliveryError when the server refuses it."""

    def send(self, message: MailMessage) -> None: ...


@dataclass(frozen=True)
class StatusEntry:
    """A revoked or superseded permit in the revocation list's key-addressed partition."""

    serial: int
    status: Status
    valid_to: date


@dataclass(frozen=True)
class StoredStatusList:
    """The signed list as served: the exact document text and when it was made."""

    document: str
    issued_at: datetime


class StatusListStore(Protocol):
    """What the revocation list needs of the store (the DynamoDB store implements both ports).

    The entries are written by ``ApplicationStore.save`` in the same transaction as the
    permit's REVOKED/SUPERSEDED status, into one key-addressed partition: reading them is one
    Query, never a scan.
    """

    def list_permit_status_entries(self) -> list[StatusEntry]: ...

    def get_status_list(self) -> StoredStatusList | None: ...

    def put_status_list(self, stored: StoredStatusList) -> bool:
        """Store ``stored`` unless a list made later is already there; False when skipped."""
        ...


class StaffSessionStore(Protocol):
    """Staff browser sessions and unfinished sign-ins (same table, own keys, TTL on each).

    Keys are SHA-256 hashes of the browser's secrets, never the secrets themselves; an
    expired item may still be read until DynamoDB deletes it, so callers check the time.
    """

    def put_session(self, session: StaffSession) -> None: ...

    def get_session(self, key_hash: str) -> StaffSession | None: ...

    def touch_session(self, session: StaffSession) -> None:
        """Store the new ``last_seen`` (and TTL) if the session still exists."""
        ...

    def delete_session(self, key_hash: str) -> None: ...

    def put_signin(self, attempt: SignInAttempt) -> None: ...

    def take_signin(self, state_hash: str) -> SignInAttempt | None:
        """Delete the attempt and return it: a ``state`` works once, however often sent."""
        ...


class IdentityProvider(Protocol):
    """The staff's OpenID Connect issuer (the adapter is ``chalicelib.adapters.oidc``).

    ``validate`` and ``exchange_code`` raise ``TokenRejectedError`` for a refused token or
    code, and a ``DependencyUnavailableError`` when the issuer does not answer.
    """

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str, scope: str
    ) -> str: ...

    def exchange_code(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> Mapping[str, object]: ...

    def validate(
        self,
        token: str,
        kind: Literal["id", "access"],
        now: datetime,
        nonce: str | None = None,
    ) -> Mapping[str, object]: ...
