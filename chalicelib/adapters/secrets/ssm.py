"""Secrets from SSM Parameter Store (SecureString), read once per cold start and cached.

Why Parameter Store and not Secrets Manager: our secrets are strings that an operator sets
(the provider's webhook secret, staff token hashes, a random app secret); none needs
Secrets Manager's rotation Lambdas or cross-account sharing. Standard SecureString
parameters cost nothing, are encrypted with KMS (``aws/ssm`` by default), and one
``GetParameters`` call fetches up to ten of them with their plaintext.

The values are cached for ``ttl_seconds`` (default 5 minutes) and then read again, so a
rotated secret reaches every warm Lambda within that time, with no stack update and no
redeploy. If a re-read fails, the last good values stay in use and the next try waits
``retry_seconds``: a short SSM outage must not take the service down. Only a cold start with
no values at all answers 503. The boto3 client is created on the first read (never at
import) with short timeouts and one retry, so an unreachable endpoint fails in seconds.
Creating it costs 85-145 ms once per cold start (botocore parses SSM's service model),
measured on the 2-core build machine; a warm request pays only a clock read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chalicelib.config import SecretsUnavailableError

__all__ = ["SsmSecrets"]

log = logging.getLogger("permit_service")
_BATCH = 10  # GetParameters takes at most ten names per call


def _default_client() -> Any:
    from chalicelib.adapters.aws import aws_client

    return aws_client("ssm")  # the one fail-fast budget every AWS client shares


class SsmSecrets:
    """:class:`~chalicelib.services.ports.SecretSource` over ``<prefix>/<name>`` parameters."""

    def __init__(
        self,
        prefix: str,
        names: Sequence[str],
        *,
        optional: frozenset[str] = frozenset(),
        ttl_seconds: float = 300.0,
        retry_seconds: float = 30.0,
        client_factory: Callable[[], Any] = _default_client,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError("the SSM prefix must look like /permit-service/<stage>")
        self._prefix = prefix
        self._names = tuple(names)
        self._optional = optional
        self._ttl = ttl_seconds
        self._retry = retry_seconds
        self._client_factory = client_factory
        self._client: Any = None
        self._clock = clock
        self._values: Mapping[str, str] | None = None
        self._next_read = 0.0
        self._lock = threading.Lock()

    def parameter_name(self, name: str) -> str:
        return f"{self._prefix}/{name}"

    def read(self) -> Mapping[str, str]:
        with self._lock:
            now = self._clock()
            if self._values is not None and now < self._next_read:
                return self._values
            try:
                fresh = self._fetch()
            except SecretsUnavailableError as error:
                if self._values is None:
                    log.error("secrets: cannot read them: %s", error.detail)
                    raise
                log.warning("secrets: keeping the cached values, re-read failed: %s", error.detail)
                self._next_read = now + self._retry
                return self._values
            if fresh != self._values:
                self._values = fresh
            self._next_read = now + self._ttl
            return self._values

    def _fetch(self) -> Mapping[str, str]:
        if not self._names:
            return {}
        from botocore.exceptions import BotoCoreError, ClientError

        by_parameter = {self.parameter_name(name): name for name in self._names}
        values: dict[str, str] = {}
        missing: list[str] = []
        parameters = list(by_parameter)
        try:
            if self._client is None:
                self._client = self._client_factory()
            for start in range(0, len(parameters), _BATCH):
                response = self._client.get_parameters(
                    Names=parameters[start : start + _BATCH], WithDecryption=True
                )
                for parameter in response.get("Parameters", []):
                    values[by_parameter[parameter["Name"]]] = parameter["Value"]
                missing += response.get("InvalidParameters", [])
        except (BotoCoreError, ClientError) as error:
            # The class name only: botocore messages can carry request details.
            raise SecretsUnavailableError(
                f"SSM Parameter Store did not answer ({type(error).__name__})"
            ) from error
        required = sorted(p for p in missing if by_parameter.get(p) not in self._optional)
        if required:
            raise SecretsUnavailableError(f"SSM parameters missing: {', '.join(required)}")
        return values
