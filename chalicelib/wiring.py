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
            self.registry, self.store, self.clock, self.settings.app_secret, self.issuer_or_none
        )

    @property
    def issuer_or_none(self) -> Any:
        return self._overrides.get("issuer")

    @functools.cached_property
    def access(self) -> Any:
        from chalicelib.services.applications import ApplicationAccess

        return ApplicationAccess(self.store)
