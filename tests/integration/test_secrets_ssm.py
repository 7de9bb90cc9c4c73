"""Secrets from SSM Parameter Store, against moto's SSM over HTTP (the session's moto server).

What the deployment relies on: SecureString values decrypted in one call, a rotated value
picked up after the TTL without a restart, a missing parameter named in the error, an
unreachable SSM answered in seconds, and the last good values kept through a failed re-read.
The operator's `make put-secret` writes what the service then reads.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters.payments.standard_webhooks import signed_headers
from chalicelib.adapters.secrets.ssm import SsmSecrets
from chalicelib.config import LiveSettings, SecretsUnavailableError, secret_source_from_env
from scripts import put_secret

API_SECRETS = ("app-secret", "webhook-secrets", "staff-token-sha256")


def generate_secret() -> str:
    """A webhook secret as a provider issues one: ``whsec_`` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ssm(dynamodb_endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "ssm",
        endpoint_url=dynamodb_endpoint,
        region_name="eu-central-1",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def prefix(ssm: Any) -> Iterator[str]:
    """A fresh /permit-service/<stage> per test, deleted afterwards."""
    stage = f"t{secrets.token_hex(4)}"
    yield f"/permit-service/{stage}"
    names = [f"/permit-service/{stage}/{name}" for name in API_SECRETS]
    ssm.delete_parameters(Names=names)


def _put(ssm: Any, prefix: str, name: str, value: str) -> None:
    ssm.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="SecureString", Overwrite=True)


def _source(
    ssm: Any, prefix: str, clock: Ticks, names: tuple[str, ...] = API_SECRETS
) -> SsmSecrets:
    return SsmSecrets(
        prefix,
        names,
        optional=frozenset({"staff-token-sha256"}),
        ttl_seconds=300,
        retry_seconds=30,
        client_factory=lambda: ssm,
        clock=clock,
    )


def test_secure_strings_are_read_decrypted_in_one_call(ssm: Any, prefix: str) -> None:
    app_secret, webhook = secrets.token_hex(32), generate_secret()
    _put(ssm, prefix, "app-secret", app_secret)
    _put(ssm, prefix, "webhook-secrets", webhook)
    calls: list[str] = []
    ssm.meta.events.register(
        "before-send.ssm", lambda request, **_: calls.append("x"), unique_id="count-ssm"
    )
    try:
        values = _source(ssm, prefix, Ticks()).read()
    finally:
        ssm.meta.events.unregister("before-send.ssm", unique_id="count-ssm")
    assert values == {"app-secret": app_secret, "webhook-secrets": webhook}
    assert len(calls) == 1


def test_a_rotated_secret_arrives_after_the_ttl_without_a_restart(ssm: Any, prefix: str) -> None:
    old, new = generate_secret(), generate_secret()
    _put(ssm, prefix, "app-secret", secrets.token_hex(32))
    _put(ssm, prefix, "webhook-secrets", old)
    clock = Ticks()
    source = _source(ssm, prefix, clock)
    assert source.read()["webhook-secrets"] == old
    _put(ssm, prefix, "webhook-secrets", f"{new},{old}")
    clock.now += 299
    assert source.read()["webhook-secrets"] == old  # cached: no call per request
    clock.now += 2
    assert source.read()["webhook-secrets"] == f"{new},{old}"


def test_a_missing_required_parameter_is_named(ssm: Any, prefix: str) -> None:
    _put(ssm, prefix, "webhook-secrets", generate_secret())
    with pytest.raises(SecretsUnavailableError) as raised:
        _source(ssm, prefix, Ticks()).read()
    assert raised.value.detail == f"SSM parameters missing: {prefix}/app-secret"
    assert prefix not in str(raised.value)  # clients see no parameter names


def test_the_optional_staff_hashes_may_be_absent(ssm: Any, prefix: str) -> None:
    _put(ssm, prefix, "app-secret", secrets.token_hex(32))
    _put(ssm, prefix, "webhook-secrets", generate_secret())
    assert "staff-token-sha256" not in _source(ssm, prefix, Ticks()).read()


def test_a_function_without_secrets_never_calls_ssm() -> None:
    def no_client() -> Any:
        raise AssertionError("the canceller must not reach SSM")

    assert SsmSecrets("/permit-service/prod", (), client_factory=no_client).read() == {}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unreachable_ssm() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "ssm",
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        region_name="eu-central-1",
        config=Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 2}),
    )


def test_unreachable_ssm_at_cold_start_is_a_fast_503_error() -> None:
    source = SsmSecrets("/permit-service/prod", API_SECRETS, client_factory=_unreachable_ssm)
    started = time.monotonic()
    with pytest.raises(SecretsUnavailableError) as raised:
        source.read()
    assert time.monotonic() - started < 5
    assert raised.value.detail == "SSM Parameter Store did not answer (EndpointConnectionError)"


def test_an_ssm_that_accepts_and_never_answers_fails_within_five_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The service's own client settings (timeouts, retries), via boto3's endpoint variable."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
        source = SsmSecrets("/permit-service/prod", API_SECRETS)
        started = time.monotonic()
        with pytest.raises(SecretsUnavailableError) as raised:
            source.read()
        assert time.monotonic() - started < 5
    assert "did not answer" in raised.value.detail


def test_a_failed_re_read_keeps_the_last_good_values(ssm: Any, prefix: str) -> None:
    from botocore.exceptions import EndpointConnectionError

    webhook = generate_secret()
    _put(ssm, prefix, "app-secret", secrets.token_hex(32))
    _put(ssm, prefix, "webhook-secrets", webhook)
    outage = {"on": False}

    def refuse(request: Any, **_: Any) -> None:
        if outage["on"]:
            raise EndpointConnectionError(endpoint_url=request.url)

    ssm.meta.events.register("before-send.ssm", refuse, unique_id="ssm-outage")
    clock = Ticks()
    source = _source(ssm, prefix, clock)
    first = source.read()
    outage["on"] = True
    clock.now += 301
    assert source.read() == first
    outage["on"] = False
    _put(ssm, prefix, "webhook-secrets", generate_secret())
    clock.now += 29  # the next try waits retry_seconds (30), not a whole TTL
    assert source.read() == first
    clock.now += 2
    assert source.read()["webhook-secrets"] != webhook


def test_put_secret_writes_what_the_service_reads(
    ssm: Any, prefix: str, dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the service's own path: the environment picks SSM, boto3's default client."""
    stage = prefix.rsplit("/", 1)[1]
    assert put_secret.main(["--stage", stage, "app-secret", "--generate"], client=ssm) == 0
    webhook = generate_secret()
    put_secret.put_secret(ssm, stage, "webhook-secrets", f"{webhook}\n")
    assert (
        put_secret.main(["--stage", stage, "staff-token-sha256", "--add-staff-token"], client=ssm)
        == 0
    )
    assert (
        put_secret.main(["--stage", stage, "staff-token-sha256", "--add-staff-token"], client=ssm)
        == 0
    )
    env = {
        "PERMIT_STAGE": "prod",
        "PERMIT_TABLE_NAME": "t",
        "PERMIT_PUBLIC_BASE_URL": "https://permits.example.de",
        "PERMIT_SECRETS_PREFIX": prefix,
        "PERMIT_SECRET_NAMES": ",".join(API_SECRETS),
    }
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", dynamodb_endpoint)  # boto3's own setting
    source = secret_source_from_env(env)
    assert isinstance(source, SsmSecrets)
    settings = LiveSettings(env, source).current()
    assert len(settings.app_secret) == 32
    assert settings.webhook_secrets == (webhook,)
    assert len(settings.staff_token_hashes) == 2  # the second token was added, not replacing


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("app-secret", "not-hex"),
        ("app-secret", "ab" * 16),  # 16 bytes: too short
        ("webhook-secrets", "plain-password"),
        ("staff-token-sha256", "sha256-of-nothing"),
    ],
)
def test_put_secret_refuses_what_the_service_could_not_use(
    ssm: Any, prefix: str, name: str, value: str
) -> None:
    stage = prefix.rsplit("/", 1)[1]
    with pytest.raises(ValueError):
        put_secret.put_secret(ssm, stage, name, value)
    assert ssm.get_parameters(Names=[f"{prefix}/{name}"])["Parameters"] == []


def test_a_webhook_secret_rotated_in_ssm_is_honoured_without_a_redeploy(
    ssm: Any,
    prefix: str,
    table_name: str,
    dynamodb_endpoint: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole path: SSM -> LiveSettings -> the app's Container -> the webhook route."""
    from chalice.test import Client

    import app as app_module
    from chalicelib.web import context

    old, new = generate_secret(), generate_secret()
    _put(ssm, prefix, "app-secret", secrets.token_hex(32))
    _put(ssm, prefix, "webhook-secrets", old)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_endpoint)
    env = {
        "PERMIT_STAGE": "test",
        "PERMIT_TABLE_NAME": table_name,
        "PERMIT_PUBLIC_BASE_URL": "https://permits.example.de",
        "PERMIT_LOCAL_KEY_PATH": str(tmp_path / "key.pem"),
    }
    clock = Ticks()
    context.use_settings(LiveSettings(env, _source(ssm, prefix, clock)))

    def deliver(client: Any, secret: str) -> int:
        body = json.dumps(
            {
                "type": "payment.succeeded",
                "data": {
                    "payment_id": f"pay_{secrets.token_hex(4)}",
                    "application_id": secrets.token_hex(16),
                    "amount_cents": 3000,
                    "currency": "EUR",
                },
            }
        ).encode()
        headers = signed_headers(secret, f"evt_{secrets.token_hex(4)}", int(time.time()), body)
        headers["content-type"] = "application/json"
        response = client.http.post("/api/payments/sandbox/webhook", headers=headers, body=body)
        return int(response.status_code)

    try:
        with Client(app_module.app) as client:
            assert deliver(client, old) == 200
            assert deliver(client, new) == 401
            before = context.container()
            _put(ssm, prefix, "webhook-secrets", new)
            clock.now += 301
            assert deliver(client, new) == 200
            assert deliver(client, old) == 401
            assert context.container() is not before  # rebuilt from the new Settings
            assert context.container() is context.container()  # and kept while unchanged
    finally:
        context.use_settings(None)


def test_a_cold_start_without_ssm_answers_503_not_500(tmp_path: Any) -> None:
    from chalice.test import Client

    import app as app_module
    from chalicelib.web import context

    env = {
        "PERMIT_STAGE": "prod",
        "PERMIT_TABLE_NAME": "unused",
        "PERMIT_PUBLIC_BASE_URL": "https://permits.example.de",
    }
    source = SsmSecrets("/permit-service/prod", API_SECRETS, client_factory=_unreachable_ssm)
    context.use_settings(LiveSettings(env, source))
    try:
        with Client(app_module.app) as client:
            response = client.http.get("/api/forms")
    finally:
        context.use_settings(None)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "SSM" not in response.body.decode()  # no internals in the answer
