"""Secrets from environment variables: the local run and the tests, no AWS account needed."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.config import SECRETS, ConfigurationError

__all__ = ["EnvironmentSecrets"]


class EnvironmentSecrets:
    """Each secret from its variable (``SECRETS[name].env``); a required one must be set.

    The environment does not change while the process runs: read it once.
    """

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._values: Mapping[str, str] | None = None

    def read(self) -> Mapping[str, str]:
        if self._values is None:
            self._values = self._read()
        return self._values

    def _read(self) -> Mapping[str, str]:
        values: dict[str, str] = {}
        for name, secret in SECRETS.items():
            value = self._env.get(secret.env, "").strip()
            if value:
                values[name] = value
            elif not secret.optional:
                raise ConfigurationError(f"environment variable {secret.env} is not set")
        return values
