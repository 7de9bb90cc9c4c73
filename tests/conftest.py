"""Shared fixtures: a DynamoDB endpoint over HTTP, a fresh table per test, the app wired to it.

The DynamoDB endpoint is moto's server on 127.0.0.1 (started once per session), or any other
endpoint named by PERMIT_TEST_DYNAMODB_ENDPOINT (DynamoDB Local, a real table in AWS), so the
store tests run unchanged against more than one backend.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from chalicelib.config import APP_ROOT, Settings

# No per-example deadline: on a shared 2-core machine one slow example says nothing about the
# code, and Hypothesis then reports the property as flaky. Speed is measured in bench/.
hypothesis_settings.register_profile("shared-machine", deadline=None)
hypothesis_settings.load_profile("shared-machine")

REPO_ROOT = APP_ROOT
TEST_WEBHOOK_SECRET = "whsec_" + "dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"  # test-only
TEST_APP_SECRET = bytes(range(32))  # test-only, never a real secret


@dataclass
class FixedClock:
    """A clock tests move by hand; starts at a fixed instant so dates are reproducible."""

    current: datetime = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current = self.current + timedelta(**delta)


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    external = os.environ.get("PERMIT_TEST_DYNAMODB_ENDPOINT")
    if external:
        yield external
        return
    from scripts.moto_server import LocalDynamoDB

    with LocalDynamoDB() as server:
        yield server.endpoint


@pytest.fixture(scope="session", autouse=True)
def _aws_test_environment() -> Iterator[None]:
    """Dummy credentials and a region, so no test can reach a real AWS account by accident."""
    saved = dict(os.environ)
    if not os.environ.get("PERMIT_TEST_DYNAMODB_ENDPOINT"):
        os.environ.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_SESSION_TOKEN="testing",
        )
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make package` once per test run (chalice package, wheel checks, trimming, cfn-lint).

    Every test that reads the template or the zip shares this build (~40 s of the suite).
    """
    from scripts.package import package

    return package("prod", tmp_path_factory.mktemp("package") / "out", lint=True)


@pytest.fixture(scope="session")
def dynamodb_client(dynamodb_endpoint: str) -> Any:
    import boto3

    return boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="eu-central-1")


@pytest.fixture
def table_name(dynamodb_client: Any) -> Iterator[str]:
    from chalicelib.adapters.dynamodb.table import create_table

    name = f"permits-test-{secrets.token_hex(4)}"
    create_table(dynamodb_client, name)
    yield name
    dynamodb_client.delete_table(TableName=name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def settings(table_name: str, tmp_path: Path) -> Settings:
    return Settings(
        stage="test",
        table_name=table_name,
        public_base_url="https://permits.example.de",
        app_secret=TEST_APP_SECRET,
        webhook_secrets=(TEST_WEBHOOK_SECRET,),
        staff_token_hashes=(),
        local_key_path=tmp_path / "signing-key.pem",
        status_local_key_path=tmp_path / "status-list-key.pem",
    )


@pytest.fixture
def container(settings: Settings, dynamodb_client: Any, clock: FixedClock) -> Any:
    from chalicelib.wiring import Container

    return Container(settings, dynamodb=dynamodb_client, clock=clock)


@pytest.fixture
def client(container: Any) -> Iterator[Any]:
    """chalice.test.Client against the app wired to this test's table and clock."""
    from chalice.test import Client

    import app as app_module

    app_module.set_container(container)
    with Client(app_module.app) as test_client:
        yield test_client
    app_module.set_container(None)


def new_webhook_secret() -> str:
    """A fresh random ``whsec_`` secret, as a provider hands one out (rotation tests)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def table_items(dynamodb_client: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item in the table: the 'nothing changed' assertions compare these."""
    return dynamodb_client.scan(TableName=table_name, ConsistentRead=True)["Items"]


# -- staff sign-in (issue 12) ------------------------------------------------------------

#: The static script token of the staff tests (its SHA-256 is configured; role admin).
STAFF_SCRIPT_TOKEN = "staff-script-token-for-tests-0123456789"


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Any]:
    """A real OpenID Connect provider (oidc-provider-mock) on 127.0.0.1, one per session.

    Predefined users ``viewer``, ``clerk``, ``admin`` and ``no-role`` carry the groups of
    ``scripts.oidc_server.STAFF_USERS``; ``provider.access_token(sub)`` is an access token
    for one of them, signed with the provider's key (served in its JWK set).
    """
    from scripts.oidc_server import LocalOidcProvider

    with LocalOidcProvider() as provider:
        yield provider


@pytest.fixture
def staff_settings(settings: Settings, oidc_provider: Any) -> Settings:
    """The test settings with staff sign-in at the local provider and a script token."""
    import hashlib
    from dataclasses import replace

    from scripts.oidc_server import LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET

    return replace(
        settings,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id=LOCAL_CLIENT_ID,
        oidc_client_secret=LOCAL_CLIENT_SECRET,
        staff_token_hashes=(hashlib.sha256(STAFF_SCRIPT_TOKEN.encode()).hexdigest(),),
    )


@pytest.fixture
def signin_app(staff_settings: Settings, dynamodb_client: Any, clock: FixedClock) -> Iterator[Any]:
    """chalice.test.Client against the app with staff sign-in configured (see staff_settings)."""
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    app_module.set_container(Container(staff_settings, dynamodb=dynamodb_client, clock=clock))
    with Client(app_module.app) as test_client:
        yield test_client
    app_module.set_container(None)
