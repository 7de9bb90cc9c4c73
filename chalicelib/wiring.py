"""Lazy, injectable construction of every service: the composition root.

Nothing is built at import time (Chalice imports app.py while packaging, and cold starts
should pay only for what a request uses). Tests build a Container with their own Settings
and pass fakes through ``overrides``; no patching of our own code.
"""

from __future__ import annotations

import functools
from typing import Any

from chalicelib.config import Settings
from chalicelib.services.clock import SystemClock

__all__ = ["Container"]


class Container:
    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self.settings = settings
        self._overrides = overrides

    def _get(self, name: str, factory: Any) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        return factory()

    @functools.cached_property
    def clock(self) -> Any:
        return self._get("clock", SystemClock)

    @functools.cached_property
    def dynamodb(self) -> Any:
        def build() -> Any:
            import boto3  # endpoint from AWS_ENDPOINT_URL_DYNAMODB, as boto3 reads it itself

            return boto3.client("dynamodb")

        return self._get("dynamodb", build)

    @functools.cached_property
    def store(self) -> Any:
        def build() -> Any:
            from chalicelib.adapters.dynamodb.store import DynamoDBStore

            return DynamoDBStore(self.dynamodb, self.settings.table_name)

        return self._get("store", build)

    @functools.cached_property
    def registry(self) -> Any:
        def build() -> Any:
            from chalicelib.services.form_registry import FormRegistry

            return FormRegistry(self.settings.schemas_dir)

        return self._get("registry", build)

    @functools.cached_property
    def submissions(self) -> Any:
        from chalicelib.services.submissions import SubmissionService

        return SubmissionService(
            self.registry, self.store, self.clock, self.settings.app_secret, _LazyIssuer(self)
        )

    def subkey(self, purpose: str) -> bytes:
        """A key for one purpose derived from the app secret, so one secret serves several."""
        import hashlib
        import hmac

        return hmac.new(self.settings.app_secret, purpose.encode(), hashlib.sha256).digest()

    @functools.cached_property
    def signer(self) -> Any:
        def build() -> Any:
            settings = self.settings
            if settings.signing_backend == "kms":
                import boto3

                from chalicelib.adapters.signing.kms import KmsSigner

                return KmsSigner(boto3.client("kms"), settings.kms_key_id, settings.signing_key_id)
            from chalicelib.adapters.signing.local_key import LocalKeySigner, ensure_local_key

            if settings.stage != "prod":
                ensure_local_key(settings.local_key_path)
            return LocalKeySigner(settings.local_key_path, settings.signing_key_id)

        return self._get("signer", build)

    @functools.cached_property
    def keyring(self) -> Any:
        def build() -> Any:
            import base64

            from chalicelib.services.keyring import KeyRing

            retired = []
            for entry in self.settings.retired_keys:
                key_id, _, pem_b64 = entry.partition(":")
                retired.append((int(key_id), base64.b64decode(pem_b64)))
            return KeyRing.for_signer(self.signer, retired)

        return self._get("keyring", build)

    @functools.cached_property
    def issuance(self) -> Any:
        from chalicelib.services.issuance import IssuanceService

        return self._get("issuance", lambda: IssuanceService(self.signer, self.clock))

    @property
    def sandbox_enabled(self) -> bool:
        """Never in prod: test money must not issue real permits."""
        return self.settings.stage != "prod"

    @functools.cached_property
    def sandbox(self) -> Any:
        from chalicelib.adapters.payments.sandbox import SandboxProvider
        from chalicelib.domain.errors import NotFoundError

        if not self.sandbox_enabled:
            raise NotFoundError("the sandbox payment provider is disabled in this stage")
        return SandboxProvider(
            self.settings.public_base_url,
            self.settings.webhook_secrets,
            self.subkey("sandbox-session"),
        )

    @functools.cached_property
    def payment_provider(self) -> Any:
        """The configured provider, or None where none is (prod has no real adapter yet)."""
        return self._get("payment_provider", lambda: self.sandbox if self.sandbox_enabled else None)

    @functools.cached_property
    def payments(self) -> Any:
        from chalicelib.services.payments import PaymentService

        provider = self.payment_provider
        providers = {provider.name: provider} if provider is not None else {}
        return PaymentService(self.store, self.registry, _LazyIssuer(self), providers, self.clock)

    @functools.cached_property
    def checkout(self) -> Any:
        from chalicelib.services.checkout import CheckoutService

        return CheckoutService(
            self.access,
            self.store,
            self.registry,
            self.payment_provider,
            self.clock,
            self.settings.public_base_url,
        )

    @functools.cached_property
    def webhook_delivery(self) -> Any:
        from chalicelib.adapters.payments.delivery import WebhookDelivery

        url = f"{self.settings.public_base_url}/api/payments/sandbox/webhook"
        return WebhookDelivery(url, transport=self._overrides.get("webhook_transport"))

    @functools.cached_property
    def renderer(self) -> Any:
        def build() -> Any:
            from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer

            return PdfTemplateRenderer(self.settings.templates_dir)

        return self._get("renderer", build)

    @functools.cached_property
    def documents(self) -> Any:
        from chalicelib.services.documents import DocumentService

        return DocumentService(
            self.access,
            self.registry,
            self.renderer,
            self.settings.public_base_url,
            self.settings.authority_name,
        )

    @functools.cached_property
    def verification(self) -> Any:
        from chalicelib.services.verification import VerificationService

        return VerificationService(self.keyring.verifier, self.store, self.clock)

    @functools.cached_property
    def unpaid_canceller(self) -> Any:
        from chalicelib.services.expiry import UnpaidCanceller

        return UnpaidCanceller(self.store, self.clock, self.settings.unpaid_cancel_after)

    @functools.cached_property
    def access(self) -> Any:
        from chalicelib.services.applications import ApplicationAccess

        return ApplicationAccess(self.store)

    @functools.cached_property
    def staff(self) -> Any:
        from chalicelib.services.staff import StaffService

        return StaffService(self.store, self.clock)


class _LazyIssuer:
    """Builds the issuer (and so loads the signing key) only when a permit is issued.

    Paid submissions and most webhooks (failed, duplicate, refund) never sign anything, so
    they should not pay for loading the key, nor fail where no key is configured.
    """

    def __init__(self, container: Container) -> None:
        self._container = container

    def build(self, form: Any, app: Any, **kwargs: Any) -> Any:
        return self._container.issuance.build(form, app, **kwargs)

    def issue_free(self, form: Any, app: Any) -> Any:
        return self._container.issuance.issue_free(form, app)
