"""Lazy, injectable construction of every service: the composition root.

Nothing is built at import time (Chalice imports app.py while packaging, and cold starts
should pay only for what a request uses). Tests build a Container with their own Settings
and pass fakes through keyword overrides, never by patching our own code. The overrides are
a ``TypedDict``, so mypy checks their names and types at every call site, and an unknown
name is refused at run time too: a misspelt override must fail, not be silently ignored.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, cast

from chalicelib.config import Settings
from chalicelib.services.clock import SystemClock

if TYPE_CHECKING:
    from datetime import date, datetime

    from chalicelib.adapters.payments.delivery import Transport, WebhookDelivery
    from chalicelib.adapters.payments.sandbox import SandboxProvider
    from chalicelib.adapters.payments.stripe_provider import StripeProvider
    from chalicelib.domain.forms import FormDefinition
    from chalicelib.domain.records import Application, AuditEntry, PermitRecord, PermitSummary
    from chalicelib.services.applications import ApplicationAccess
    from chalicelib.services.changes import ChangeService
    from chalicelib.services.checkout import CheckoutService
    from chalicelib.services.documents import DocumentService
    from chalicelib.services.drafts import DraftService
    from chalicelib.services.expiry import UnpaidCanceller
    from chalicelib.services.form_registry import FormRegistry
    from chalicelib.services.issuance import Issuer, NewPermit
    from chalicelib.services.keyring import KeyRing
    from chalicelib.services.links import CitizenLinks
    from chalicelib.services.notifications import Notifier
    from chalicelib.services.payment_export import PaymentExport
    from chalicelib.services.payments import PaymentService
    from chalicelib.services.permit_lifecycle import PermitLifecycle
    from chalicelib.services.ports import (
        ApplicationStore,
        Clock,
        DocumentRenderer,
        IdentityProvider,
        Mailer,
        Metrics,
        PaymentProvider,
        Signer,
        StatusListStore,
    )
    from chalicelib.services.reconciliation import PaymentReconciler
    from chalicelib.services.renewal import RenewalService
    from chalicelib.services.retention import Anonymiser
    from chalicelib.services.staff import StaffService
    from chalicelib.services.staff_queue import StaffQueue
    from chalicelib.services.staff_search import StaffSearch
    from chalicelib.services.staff_signin import StaffSignIn
    from chalicelib.services.status_list import StatusListService
    from chalicelib.services.submissions import SubmissionService
    from chalicelib.services.verification import VerificationService

__all__ = ["Container", "Overrides"]

DynamoDBClient = Any
"""A boto3 DynamoDB client; boto3 ships no type stubs, so this is the honest type."""


class Overrides(TypedDict, total=False):
    """What a test (or the local run) may replace; each is built lazily otherwise."""

    clock: Clock
    metrics: Metrics
    dynamodb: DynamoDBClient
    store: ApplicationStore
    registry: FormRegistry
    signer: Signer
    status_signer: Signer
    keyring: KeyRing
    issuance: Issuer
    payment_provider: PaymentProvider | None
    webhook_transport: Transport
    renderer: DocumentRenderer
    mailer: Mailer
    identity_provider: IdentityProvider | None


_OVERRIDABLE = frozenset(Overrides.__annotations__)


class Container:
    def __init__(self, settings: Settings, **overrides: Unpack[Overrides]) -> None:
        unknown = set(overrides) - _OVERRIDABLE
        if unknown:
            raise TypeError(f"unknown Container override(s): {', '.join(sorted(unknown))}")
        self.settings = settings
        self._overrides = overrides

    @functools.cached_property
    def clock(self) -> Clock:
        return self._overrides.get("clock") or SystemClock()

    @functools.cached_property
    def metrics(self) -> Metrics:
        if "metrics" in self._overrides:
            return self._overrides["metrics"]
        from chalicelib.adapters.metrics.emf import EmfMetrics

        return EmfMetrics(self.settings.stage)

    @functools.cached_property
    def dynamodb(self) -> DynamoDBClient:
        if "dynamodb" in self._overrides:
            return self._overrides["dynamodb"]
        from chalicelib.adapters.aws import aws_client  # timeouts and retry budget

        return aws_client("dynamodb")  # endpoint from AWS_ENDPOINT_URL_DYNAMODB, as boto3 reads it

    @functools.cached_property
    def store(self) -> ApplicationStore:
        if "store" in self._overrides:
            return self._overrides["store"]
        from chalicelib.adapters.dynamodb.store import DynamoDBStore

        return DynamoDBStore(
            self.dynamodb,
            self.settings.table_name,
            # Locally nothing reads the table's stream: regenerate the list right after the write.
            on_permit_status_change=(
                self._regenerate_status_list
                if self.settings.status_list_updates == "on-write"
                else None
            ),
        )

    def _regenerate_status_list(self) -> None:
        self.status_list.regenerate()

    @functools.cached_property
    def registry(self) -> FormRegistry:
        if "registry" in self._overrides:
            return self._overrides["registry"]
        from chalicelib.services.form_registry import FormRegistry

        settings = self.settings
        check = None
        if settings.check_documents_on_load:
            from chalicelib.services.document_check import document_check

            check = document_check(settings.templates_dir, settings.authority_name)
        return FormRegistry(
            settings.schemas_dir, reload=settings.forms_reload, document_check=check
        )

    @functools.cached_property
    def submissions(self) -> SubmissionService:
        from chalicelib.services.submissions import SubmissionService

        return SubmissionService(
            self.registry,
            self.store,
            self.clock,
            self.settings.app_secret,
            _LazyIssuer(self),
            metrics=self.metrics,
        )

    def subkey(self, purpose: str) -> bytes:
        """A key for one purpose derived from the app secret, so one secret serves several."""
        from chalicelib.domain.access import purpose_key

        if len(self.settings.app_secret) < 32:  # never derive keys from a missing secret
            raise ValueError("this function was given no app secret")
        return purpose_key(self.settings.app_secret, purpose)

    @functools.cached_property
    def signer(self) -> Signer:
        if "signer" in self._overrides:
            return self._overrides["signer"]
        settings = self.settings
        if settings.signing_backend == "kms":
            from chalicelib.adapters.aws import aws_client
            from chalicelib.adapters.signing.kms import KmsSigner

            return KmsSigner(aws_client("kms"), settings.kms_key_id, settings.signing_key_id)
        if not settings.is_test_stage:
            # Neither created nor loaded: a key file outside the test stages would be a
            # secret shipped and rotated by hand, or one left behind by a test.
            from chalicelib.domain.errors import ServiceUnavailableError

            raise ServiceUnavailableError(
                "permit signing is not configured in this stage (the local key is for tests)"
            )
        from chalicelib.adapters.signing.local_key import LocalKeySigner, ensure_local_key

        ensure_local_key(settings.local_key_path)
        return LocalKeySigner(settings.local_key_path, settings.signing_key_id)

    @functools.cached_property
    def keyring(self) -> KeyRing:
        if "keyring" in self._overrides:
            return self._overrides["keyring"]
        import base64

        from chalicelib.services.keyring import KeyRing

        retired = []
        for entry in self.settings.retired_keys:
            key_id, _, pem_b64 = entry.partition(":")
            retired.append((int(key_id), base64.b64decode(pem_b64)))
        return KeyRing.for_signer(self.signer, retired)

    @functools.cached_property
    def status_signer(self) -> Signer:
        """The revocation list's own key: KMS in AWS, a local PEM only in local/test stages."""
        if "status_signer" in self._overrides:
            return self._overrides["status_signer"]
        settings = self.settings
        if settings.signing_backend == "kms":
            import boto3

            from chalicelib.adapters.signing.kms import KmsSigner

            return KmsSigner(
                boto3.client("kms"), settings.status_kms_key_id, settings.status_key_id
            )
        from chalicelib.adapters.signing.local_key import LocalKeySigner, ensure_local_key
        from chalicelib.config import LOCAL_KEY_STAGES

        if settings.stage in LOCAL_KEY_STAGES:
            ensure_local_key(settings.status_local_key_path)
        return LocalKeySigner(settings.status_local_key_path, settings.status_key_id)

    @property
    def status_list_store(self) -> StatusListStore:
        # The one store implements both ports; an injected fake store must do the same.
        return cast("StatusListStore", self.store)

    @functools.cached_property
    def status_list(self) -> StatusListService:
        from chalicelib.adapters.dynamodb.items import is_permit_status_record
        from chalicelib.services.status_list import StatusListService

        return StatusListService(
            self.status_list_store,
            self.status_signer,
            self.clock,
            max_age=self.settings.status_list_max_age,
            is_status_record=is_permit_status_record,
        )

    def published_keys(self) -> dict[str, Any]:
        """The JWK set at /.well-known/permit-keys.json: token keys and the list's key."""
        jwks = self.keyring.jwks()
        jwks["keys"].append(self.status_list.jwk())
        return jwks

    @functools.cached_property
    def issuance(self) -> Issuer:
        if "issuance" in self._overrides:
            return self._overrides["issuance"]
        from chalicelib.services.issuance import IssuanceService

        return IssuanceService(self.signer, self.clock)

    @property
    def sandbox_enabled(self) -> bool:
        """Only in the test stages (an allow-list): test money must not issue real permits."""
        return self.settings.is_test_stage

    @functools.cached_property
    def sandbox(self) -> SandboxProvider:
        from chalicelib.adapters.payments.sandbox import SandboxProvider
        from chalicelib.domain.errors import NotFoundError

        if not self.sandbox_enabled:
            raise NotFoundError("the sandbox payment provider is disabled in this stage")
        from chalicelib.adapters.dynamodb.sandbox_ledger import DynamoDBSandboxLedger

        clock = self.clock  # the service's clock: sessions and deadlines agree
        return SandboxProvider(
            self.settings.public_base_url,
            self.settings.webhook_secrets,
            self.subkey("sandbox-session"),
            clock=lambda: clock.now().timestamp(),
            ledger=DynamoDBSandboxLedger(lambda: self.dynamodb, self.settings.table_name),
        )

    @functools.cached_property
    def stripe(self) -> StripeProvider:
        """Stripe; against an emulator (localstripe) only in the stages that allow test money."""
        from chalicelib.adapters.payments.stripe_provider import StripeProvider
        from chalicelib.config import ConfigurationError

        settings = self.settings
        if not settings.stripe_secret_key:
            raise ConfigurationError("PERMIT_STRIPE_SECRET_KEY is not set")
        if not settings.stripe_webhook_secrets:
            raise ConfigurationError("PERMIT_STRIPE_WEBHOOK_SECRETS is not set")
        if settings.stripe_api_base and not settings.is_test_stage:
            raise ConfigurationError("PERMIT_STRIPE_API_BASE (an emulator) is for local/test only")
        return StripeProvider(
            secret_key=settings.stripe_secret_key,
            webhook_secrets=settings.stripe_webhook_secrets,
            public_base_url=settings.public_base_url,
            session_key=self.subkey("stripe-checkout-session"),
            publishable_key=settings.stripe_publishable_key,
            api_base=settings.stripe_api_base,
        )

    @functools.cached_property
    def payment_provider(self) -> PaymentProvider | None:
        """The provider configured for this stage (PERMIT_PAYMENT_PROVIDER), or None.

        None (checkout answers 503) where the sandbox is configured but not allowed.
        """
        if "payment_provider" in self._overrides:
            return self._overrides["payment_provider"]
        chosen = self.settings.payment_provider
        if chosen == "stripe":
            return self.stripe
        if chosen == "sandbox":
            return self.sandbox if self.sandbox_enabled else None
        from chalicelib.config import ConfigurationError

        raise ConfigurationError("PERMIT_PAYMENT_PROVIDER must be 'sandbox' or 'stripe'")

    @functools.cached_property
    def payments(self) -> PaymentService:
        from chalicelib.services.payments import PaymentService

        provider = self.payment_provider
        providers = {provider.name: provider} if provider is not None else {}
        return PaymentService(
            self.store,
            self.registry,
            _LazyIssuer(self),
            providers,
            self.clock,
            metrics=self.metrics,
            changes=self.changes,
        )

    @functools.cached_property
    def reconciler(self) -> PaymentReconciler:
        from chalicelib.services.reconciliation import PaymentReconciler

        provider = self.payment_provider
        providers = {provider.name: provider} if provider is not None else {}
        return PaymentReconciler(
            self.store, self.payments, providers, self.clock, self.settings.unpaid_cancel_after
        )

    @functools.cached_property
    def checkout(self) -> CheckoutService:
        from chalicelib.services.checkout import CheckoutService

        return CheckoutService(
            self.access,
            self.store,
            self.registry,
            self.payment_provider,
            self.clock,
            self.settings.public_base_url,
            self.settings.unpaid_cancel_after,
        )

    @functools.cached_property
    def webhook_delivery(self) -> WebhookDelivery:
        from chalicelib.adapters.payments.delivery import WebhookDelivery

        transport = self._overrides.get("webhook_transport")
        return WebhookDelivery(self.sandbox.webhook_url, transport=transport)

    @functools.cached_property
    def renderer(self) -> DocumentRenderer:
        if "renderer" in self._overrides:
            return self._overrides["renderer"]
        from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer

        return PdfTemplateRenderer(self.settings.templates_dir)

    @functools.cached_property
    def documents(self) -> DocumentService:
        from chalicelib.services.documents import DocumentService

        return DocumentService(
            self.access,
            self.registry,
            self.renderer,
            self.settings.public_base_url,
            self.settings.authority_name,
        )

    @functools.cached_property
    def verification(self) -> VerificationService:
        from chalicelib.services.verification import VerificationService

        return VerificationService(self.keyring.verifier, self.store, self.clock)

    @functools.cached_property
    def unpaid_canceller(self) -> UnpaidCanceller:
        from chalicelib.services.expiry import UnpaidCanceller

        return UnpaidCanceller(self.store, self.clock, self.settings.unpaid_cancel_after)

    @functools.cached_property
    def permit_lifecycle(self) -> PermitLifecycle:
        from chalicelib.services.permit_lifecycle import PermitLifecycle

        return PermitLifecycle(
            self.store,  # type: ignore[arg-type]  # the DynamoDB store implements both ports
            self.registry,
            self.clock,
            anonymiser=self.anonymiser,
        )

    @functools.cached_property
    def anonymiser(self) -> Anonymiser:
        from chalicelib.services.retention import Anonymiser

        return Anonymiser(self.store, self.registry, self.clock)  # type: ignore[arg-type]

    @functools.cached_property
    def renewal(self) -> RenewalService:
        from chalicelib.services.renewal import RenewalService

        return RenewalService(self.store, self.registry, self.clock, self.submissions)

    @functools.cached_property
    def access(self) -> ApplicationAccess:
        from chalicelib.services.applications import ApplicationAccess

        return ApplicationAccess(self.store)

    @functools.cached_property
    def links(self) -> CitizenLinks:
        from chalicelib.services.links import CitizenLinks

        return CitizenLinks(self.settings.public_base_url, self.settings.app_secret)

    @functools.cached_property
    def drafts(self) -> DraftService:
        from chalicelib.services.drafts import DraftService

        return DraftService(self.store, self.registry, self.clock)  # type: ignore[arg-type]

    @functools.cached_property
    def mailer(self) -> Mailer:
        """SES v2 in AWS; SMTP where configured (the local run's embedded server, tests)."""
        if "mailer" in self._overrides:
            return self._overrides["mailer"]
        settings = self.settings
        if settings.mail_backend == "ses":
            import boto3

            from chalicelib.adapters.mail.ses import SesMailer

            return SesMailer(boto3.client("sesv2"), settings.mail_from)
        from chalicelib.adapters.mail.smtp import SmtpMailer

        return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from)

    @functools.cached_property
    def notifier(self) -> Notifier:
        from chalicelib.services.notifications import Notifier

        return Notifier(
            self.store,  # type: ignore[arg-type]
            self.mailer,
            self.registry,
            self.links,
            self.clock,
            self.settings.authority_name,
        )

    @functools.cached_property
    def staff(self) -> StaffService:
        from chalicelib.services.staff import StaffService

        return StaffService(self.store, self.clock)

    @functools.cached_property
    def identity_provider(self) -> IdentityProvider | None:
        """The staff's OIDC issuer (PERMIT_OIDC_ISSUER), or None where none is configured."""
        if "identity_provider" in self._overrides:
            return self._overrides["identity_provider"]
        settings = self.settings
        if not (settings.oidc_issuer and settings.oidc_client_id):
            return None
        from chalicelib.adapters.oidc import OidcClient

        return OidcClient(
            settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret
        )

    @functools.cached_property
    def staff_signin(self) -> StaffSignIn:
        from chalicelib.adapters.dynamodb.staff_sessions import DynamoDBStaffSessions
        from chalicelib.services.staff_signin import StaffSignIn

        return StaffSignIn(
            self.identity_provider,
            DynamoDBStaffSessions(lambda: self.dynamodb, self.settings.table_name),
            self.clock,
            groups_claim=self.settings.oidc_groups_claim,
            staff_groups=self.settings.staff_groups,
        )

    @functools.cached_property
    def changes(self) -> ChangeService:
        """Supersede (staff), plate change and move (citizen): issue 12 item 3, issue 15 item 3."""
        from chalicelib.services.changes import ChangeService

        return ChangeService(
            self.store,
            self.registry,
            _LazyIssuer(self),
            self.clock,
            metrics=self.metrics,
            provider=lambda: self.payment_provider,
            public_base_url=self.settings.public_base_url,
        )

    @functools.cached_property
    def staff_queue(self) -> StaffQueue:
        from chalicelib.services.staff_queue import StaffQueue

        return StaffQueue(self.store, self.clock, self.subkey("staff-queue-cursor"))

    @functools.cached_property
    def payment_export(self) -> PaymentExport:
        from chalicelib.services.payment_export import PaymentExport

        return PaymentExport(self.store)

    @functools.cached_property
    def staff_search(self) -> StaffSearch:
        from chalicelib.domain.email_lookup import email_lookup_key
        from chalicelib.services.staff_search import StaffSearch

        registry = self.registry
        return StaffSearch(
            self.store,
            email_lookup_key(self.settings.app_secret),
            lambda: (form.permit.permit_type for form in registry.load_all().values()),
        )


class _LazyIssuer:
    """Builds the issuer (and so loads the signing key) only when a permit is issued.

    Paid submissions and most webhooks (failed, duplicate, refund) never sign anything, so
    they should not pay for loading the key, nor fail where no key is configured.
    """

    def __init__(self, container: Container) -> None:
        self._container = container

    def build(
        self,
        form: FormDefinition,
        app: Application,
        *,
        actor: str,
        payment_id: str | None = None,
        now: datetime | None = None,
    ) -> NewPermit:
        return self._container.issuance.build(
            form, app, actor=actor, payment_id=payment_id, now=now
        )

    def issue_free(
        self, form: FormDefinition, app: Application
    ) -> tuple[Application, PermitRecord, AuditEntry]:
        return self._container.issuance.issue_free(form, app)

    def sign(
        self,
        form: FormDefinition,
        app: Application,
        zone: str,
        plates: tuple[str, ...],
        valid_from: date,
        valid_to: date,
        now: datetime,
    ) -> tuple[PermitSummary, PermitRecord]:
        return self._container.issuance.sign(form, app, zone, plates, valid_from, valid_to, now)
