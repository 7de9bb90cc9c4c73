"""Settings and secrets: the environment locally, SSM in AWS, each function only its own.

No AWS here: a source is anything with ``read()``; the SSM adapter is tested against moto's
server in tests/integration/test_secrets_ssm.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import pytest

from chalicelib.adapters.secrets.environment import EnvironmentSecrets
from chalicelib.adapters.secrets.ssm import SsmSecrets
from chalicelib.config import (
    SECRETS,
    ConfigurationError,
    LiveSettings,
    Settings,
    secret_source_from_env,
)

WEBHOOK = "whsec_" + "dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"
BASE_ENV = {
    "PERMIT_STAGE": "test",
    "PERMIT_TABLE_NAME": "permits",
    "PERMIT_PUBLIC_BASE_URL": "https://permits.example.de/",
}
LOCAL_ENV = {
    **BASE_ENV,
    "PERMIT_APP_SECRET": "ab" * 32,
    "PERMIT_WEBHOOK_SECRETS": WEBHOOK,
    "PERMIT_STAFF_TOKEN_SHA256": hashlib.sha256(b"staff").hexdigest(),
}


class Rotating:
    """A SecretSource whose values the test changes (stands in for SSM after its TTL)."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.reads = 0

    def read(self) -> Mapping[str, str]:
        self.reads += 1
        return dict(self.values)


def test_the_local_run_reads_every_secret_from_its_environment_variable() -> None:
    settings = Settings.from_env(LOCAL_ENV)
    assert settings.app_secret == bytes.fromhex("ab" * 32)
    assert settings.webhook_secrets == (WEBHOOK,)
    assert settings.staff_token_hashes == (hashlib.sha256(b"staff").hexdigest(),)
    assert settings.public_base_url == "https://permits.example.de"
    assert isinstance(secret_source_from_env(LOCAL_ENV), EnvironmentSecrets)


@pytest.mark.parametrize("variable", ["PERMIT_APP_SECRET", "PERMIT_WEBHOOK_SECRETS"])
def test_a_required_secret_missing_locally_names_its_variable(variable: str) -> None:
    env = {key: value for key, value in LOCAL_ENV.items() if key != variable}
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env(env)


def test_no_staff_token_locally_means_the_staff_api_refuses_everyone() -> None:
    env = {key: value for key, value in LOCAL_ENV.items() if key != "PERMIT_STAFF_TOKEN_SHA256"}
    assert Settings.from_env(env).staff_token_hashes == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("app-secret", "not-hex"),
        ("app-secret", "ab" * 31),
        ("staff-token-sha256", "F" * 64),  # uppercase is not what hashlib writes
        ("staff-token-sha256", "abc"),
    ],
)
def test_a_malformed_secret_is_refused_not_ignored(name: str, value: str) -> None:
    good = {"app-secret": "ab" * 32, "webhook-secrets": WEBHOOK}
    with pytest.raises(ConfigurationError):
        Settings.from_env(BASE_ENV, {**good, name: value})


def test_in_aws_the_environment_names_the_ssm_parameters_and_holds_no_secret() -> None:
    env = {
        **BASE_ENV,
        "PERMIT_SECRETS_PREFIX": "/permit-service/prod",
        "PERMIT_SECRET_NAMES": "app-secret,webhook-secrets",
    }
    source = secret_source_from_env(env)
    assert isinstance(source, SsmSecrets)
    assert source.parameter_name("app-secret") == "/permit-service/prod/app-secret"


def test_an_unknown_secret_name_is_refused() -> None:
    env = {
        **BASE_ENV,
        "PERMIT_SECRETS_PREFIX": "/permit-service/prod",
        "PERMIT_SECRET_NAMES": "app-secrte",
    }
    with pytest.raises(ConfigurationError, match="app-secrte"):
        secret_source_from_env(env)


def test_the_canceller_holds_no_secret_and_cannot_derive_keys(tmp_path: Path) -> None:
    """Its role grants no SSM parameter; the code that needs the app secret refuses to run."""
    from chalicelib.wiring import Container

    env = {**BASE_ENV, "PERMIT_SECRETS_PREFIX": "/permit-service/prod"}
    settings = LiveSettings(env, secret_source_from_env(env)).current()
    assert (settings.app_secret, settings.webhook_secrets, settings.staff_token_hashes) == (
        b"",
        (),
        (),
    )
    container = Container(settings)
    with pytest.raises(ValueError, match="app secret"):
        container.subkey("sandbox-session")
    with pytest.raises(ValueError, match="app secret"):
        _ = container.submissions


def test_settings_stay_the_same_object_until_a_secret_changes() -> None:
    source = Rotating({"app-secret": "ab" * 32, "webhook-secrets": WEBHOOK})
    live = LiveSettings(BASE_ENV, source)
    first = live.current()
    assert live.current() is first  # the app keeps its Container
    new = "whsec_" + "bmV3LXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY="
    source.values["webhook-secrets"] = f"{new},{WEBHOOK}"
    rotated = live.current()
    assert rotated is not first
    assert rotated.webhook_secrets == (new, WEBHOOK)
    assert source.reads == 3  # asked every time; the SSM source answers from its cache


def test_every_secret_has_its_own_environment_variable() -> None:
    variables = [secret.env for secret in SECRETS.values()]
    assert len(set(variables)) == len(variables)
    assert all(variable.startswith("PERMIT_") for variable in variables)


def test_the_container_follows_rotated_settings() -> None:
    from chalicelib.web import context

    source = Rotating({"app-secret": "ab" * 32, "webhook-secrets": WEBHOOK})
    context.use_settings(LiveSettings(BASE_ENV, source))
    try:
        first = context.container()
        assert context.container() is first
        source.values["app-secret"] = "cd" * 32
        second = context.container()
        assert second is not first
        assert second.settings.app_secret == bytes.fromhex("cd" * 32)
    finally:
        context.use_settings(None)
