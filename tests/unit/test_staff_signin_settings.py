"""Staff sign-in settings: issuer, client, groups claim and group names from the environment."""

from __future__ import annotations

from chalicelib.config import DEFAULT_STAFF_GROUPS, Settings
from chalicelib.wiring import Container

BASE_ENV = {
    "PERMIT_STAGE": "test",
    "PERMIT_TABLE_NAME": "permits",
    "PERMIT_PUBLIC_BASE_URL": "https://permits.example.de",
    "PERMIT_APP_SECRET": "ab" * 32,
    "PERMIT_WEBHOOK_SECRETS": "whsec_" + "dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm",
}


def test_without_an_issuer_there_is_no_identity_provider() -> None:
    settings = Settings.from_env(BASE_ENV)
    assert settings.oidc_issuer == ""
    assert settings.oidc_groups_claim == "groups"
    assert settings.staff_groups == DEFAULT_STAFF_GROUPS
    container = Container(settings)
    assert container.identity_provider is None
    assert not container.staff_signin.enabled


def test_cognito_settings_from_the_environment_and_the_secret() -> None:
    issuer = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEf"
    env = {
        **BASE_ENV,
        "PERMIT_OIDC_ISSUER": issuer,
        "PERMIT_OIDC_CLIENT_ID": "client-1",
        "PERMIT_OIDC_CLIENT_SECRET": "s3cret-value",
        "PERMIT_OIDC_GROUPS_CLAIM": "cognito:groups",
        "PERMIT_STAFF_GROUP_CLERK": "Sachbearbeitung-Parken",
    }
    settings = Settings.from_env(env)
    assert settings.oidc_issuer == issuer  # exactly as configured: compared with `iss`
    assert settings.oidc_client_id == "client-1"
    assert settings.oidc_client_secret == "s3cret-value"
    assert settings.oidc_groups_claim == "cognito:groups"
    assert dict(settings.staff_groups) == {
        "viewer": "permit-viewer",
        "clerk": "Sachbearbeitung-Parken",
        "admin": "permit-admin",
    }
    assert "s3cret-value" not in repr(settings)
    assert Container(settings).identity_provider is not None
