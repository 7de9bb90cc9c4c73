"""Test money stays in test stages: sandbox payments and the local key only in ``local``/``test``.

An allow-list, not "anything but prod": ``staging``, ``production``, ``prod`` and an unset
PERMIT_STAGE (which used to mean "local") get no sandbox checkout, no sandbox pages or
webhook, and no signing key file, neither created nor loaded. Over HTTP with
``chalice.test.Client`` against the app wired to moto's DynamoDB.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.config import Settings
from tests.conftest import TEST_APP_SECRET, TEST_WEBHOOK_SECRET, table_items
from tests.integration.payment_helpers import (
    EXAMPLE,
    FORM_ID,
    FREE_FORM_ID,
    FREE_SCHEMAS_DIR,
    free_registry,
)

NON_TEST_STAGES = ("staging", "production", "prod", "unset")


def _settings_for(stage: str, base: Settings) -> Settings:
    if stage != "unset":
        return replace(base, stage=stage)
    env = {  # everything a deployment sets, except PERMIT_STAGE
        "PERMIT_TABLE_NAME": base.table_name,
        "PERMIT_PUBLIC_BASE_URL": base.public_base_url,
        "PERMIT_APP_SECRET": TEST_APP_SECRET.hex(),
        "PERMIT_WEBHOOK_SECRETS": TEST_WEBHOOK_SECRET,
        "PERMIT_LOCAL_KEY_PATH": str(base.local_key_path),
    }
    settings = Settings.from_env(env)
    assert settings.stage == ""
    return settings


@contextlib.contextmanager
def _wired(settings: Settings, dynamodb_client: Any, clock: Any, **overrides: Any) -> Iterator[Any]:
    from chalice.test import Client

    import app as app_module
    from chalicelib.wiring import Container

    app_module.set_container(
        Container(settings, dynamodb=dynamodb_client, clock=clock, **overrides)
    )
    try:
        with Client(app_module.app) as client:
            yield client
    finally:
        app_module.set_container(None)


@pytest.fixture
def app_in_stage(
    request: pytest.FixtureRequest, settings: Settings, dynamodb_client: Any, clock: Any
) -> Iterator[tuple[Any, Settings]]:
    """The app in the stage named by the test's parameter ("unset": no PERMIT_STAGE)."""
    staged = _settings_for(request.param, settings)
    with _wired(staged, dynamodb_client, clock) as client:
        yield client, staged


def _submit(client: Any, form_id: str = FORM_ID, data: dict[str, Any] = EXAMPLE) -> Any:
    return client.http.post(
        f"/api/forms/{form_id}/applications",
        headers={"Content-Type": "application/json"},
        body=json.dumps(data),
    )


def _is_problem(response: Any, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["Content-Type"] == "application/problem+json"
        and json.loads(response.body)["status"] == status
    )


@pytest.mark.parametrize("stage", ["", "staging", "production", "prod", "LOCAL", "tests"])
def test_other_stages_are_not_test_stages(settings: Settings, stage: str) -> None:
    assert not replace(settings, stage=stage).is_test_stage


def test_the_test_stages_are_exactly_local_and_test(settings: Settings) -> None:
    from chalicelib.config import TEST_STAGES

    assert sorted(TEST_STAGES) == ["local", "test"]
    assert replace(settings, stage="local").is_test_stage
    assert replace(settings, stage="test").is_test_stage


def test_an_unset_stage_is_no_stage(settings: Settings) -> None:
    assert _settings_for("unset", settings).stage == ""
    assert not _settings_for("unset", settings).is_test_stage


@pytest.mark.parametrize("app_in_stage", NON_TEST_STAGES, indirect=True)
def test_outside_test_stages_checkout_answers_503_and_the_sandbox_is_404(
    app_in_stage: tuple[Any, Settings], dynamodb_client: Any
) -> None:
    client, staged = app_in_stage
    created = _submit(client)
    assert created.status_code == 201, created.body  # the service itself works
    body = json.loads(created.body)
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    before = table_items(dynamodb_client, staged.table_name)

    checkout = client.http.post(f"/api/applications/{body['id']}/checkout", headers=bearer)
    assert _is_problem(checkout, 503), checkout.body
    assert "sandbox" not in checkout.body.decode()
    assert client.http.get("/sandbox/checkout/abc.def").status_code == 404
    pay = client.http.post(
        "/sandbox/checkout/abc.def/pay",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"",
    )
    assert pay.status_code == 404
    webhook = client.http.post(
        "/api/payments/sandbox/webhook",
        headers={"Content-Type": "application/json"},
        body=b'{"type": "payment.succeeded"}',
    )
    assert _is_problem(webhook, 404)
    assert table_items(dynamodb_client, staged.table_name) == before  # nothing changed


@pytest.mark.parametrize("app_in_stage", NON_TEST_STAGES, indirect=True)
def test_outside_test_stages_no_local_key_is_created(app_in_stage: tuple[Any, Settings]) -> None:
    client, staged = app_in_stage
    assert staged.signing_backend == "local"
    keys = client.http.get("/.well-known/permit-keys.json")
    assert _is_problem(keys, 503)
    verify = client.http.post(
        "/api/verify", headers={"Content-Type": "application/json"}, body=b'{"token": "1234"}'
    )
    assert _is_problem(verify, 503)  # the verifier's keys come from the signer too
    assert not staged.local_key_path.exists()


@pytest.mark.parametrize("stage", NON_TEST_STAGES)
def test_outside_test_stages_a_free_permit_is_not_signed_with_a_local_key(
    stage: str, settings: Settings, dynamodb_client: Any, clock: Any
) -> None:
    """A free form issues at submission, which needs the signer: 503, nothing written."""
    staged = _settings_for(stage, settings)
    free = json.loads((FREE_SCHEMAS_DIR / f"{FREE_FORM_ID}.json").read_text(encoding="utf-8"))
    with _wired(staged, dynamodb_client, clock, registry=free_registry()) as client:
        before = table_items(dynamodb_client, staged.table_name)
        response = _submit(client, FREE_FORM_ID, free["examples"][0])
        assert _is_problem(response, 503), response.body
        assert table_items(dynamodb_client, staged.table_name) == before
    assert not staged.local_key_path.exists()


@pytest.mark.parametrize("app_in_stage", NON_TEST_STAGES, indirect=True)
def test_outside_test_stages_an_existing_key_file_is_not_loaded(
    app_in_stage: tuple[Any, Settings],
) -> None:
    """A key left on disk (by a test run, a copy of .local/) must not start signing permits."""
    from chalicelib.adapters.signing.local_key import ensure_local_key

    client, staged = app_in_stage
    ensure_local_key(staged.local_key_path)
    assert _is_problem(client.http.get("/.well-known/permit-keys.json"), 503)


@pytest.mark.parametrize("app_in_stage", ["local", "test"], indirect=True)
def test_in_test_stages_the_sandbox_and_the_local_key_work(
    app_in_stage: tuple[Any, Settings],
) -> None:
    client, staged = app_in_stage
    body = json.loads(_submit(client).body)
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    checkout = client.http.post(f"/api/applications/{body['id']}/checkout", headers=bearer)
    assert checkout.status_code == 200, checkout.body
    assert "/sandbox/checkout/" in json.loads(checkout.body)["checkout_url"]
    assert client.http.get("/.well-known/permit-keys.json").status_code == 200
    assert staged.local_key_path.exists()
