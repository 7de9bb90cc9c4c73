"""Which payment provider a stage gets: configuration, with test money kept out of prod."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib.adapters.payments.sandbox import SandboxProvider
from chalicelib.adapters.payments.stripe_provider import StripeProvider
from chalicelib.config import ConfigurationError, Settings
from chalicelib.wiring import Container

STRIPE = {
    "PERMIT_PAYMENT_PROVIDER": "stripe",
    "PERMIT_STRIPE_SECRET_KEY": "sk_test_choice",
    "PERMIT_STRIPE_PUBLISHABLE_KEY": "pk_test_choice",
    "PERMIT_STRIPE_WEBHOOK_SECRETS": "whsec_new_secret_for_tests, whsec_old_secret_for_tests",
}


def settings(stage: str = "test", **env: str) -> Settings:
    base = {
        "PERMIT_STAGE": stage,
        "PERMIT_TABLE_NAME": "unused",
        "PERMIT_PUBLIC_BASE_URL": "https://permits.example.de",
        "PERMIT_APP_SECRET": "00" * 32,
        "PERMIT_WEBHOOK_SECRETS": "whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm",
    }
    return Settings.from_env({**base, **env})


def test_the_sandbox_is_the_default_where_test_money_is_allowed() -> None:
    assert isinstance(Container(settings()).payment_provider, SandboxProvider)
    assert Container(settings("prod")).payment_provider is None  # checkout answers 503


def test_stripe_is_chosen_by_configuration_in_any_stage_with_its_secrets(tmp_path: Path) -> None:
    chosen = Container(settings("prod", **STRIPE)).payment_provider
    assert isinstance(chosen, StripeProvider)
    assert not chosen.emulated
    assert chosen.publishable_key == "pk_test_choice"
    parsed = settings("prod", **STRIPE)
    assert parsed.stripe_webhook_secrets == (
        "whsec_new_secret_for_tests",
        "whsec_old_secret_for_tests",
    )
    assert "sk_test_choice" not in repr(parsed) and "whsec_new" not in repr(parsed)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("PERMIT_STRIPE_SECRET_KEY", "PERMIT_STRIPE_SECRET_KEY is not set"),
        ("PERMIT_STRIPE_WEBHOOK_SECRETS", "PERMIT_STRIPE_WEBHOOK_SECRETS is not set"),
    ],
)
def test_stripe_without_its_secrets_fails_naming_the_variable(missing: str, message: str) -> None:
    env = {key: value for key, value in STRIPE.items() if key != missing}
    with pytest.raises(ConfigurationError, match=message):
        _ = Container(settings("prod", **env)).payment_provider


def test_an_emulator_is_refused_outside_local_and_test() -> None:
    emulated = {**STRIPE, "PERMIT_STRIPE_API_BASE": "http://127.0.0.1:8420"}
    assert Container(settings("local", **emulated)).stripe.emulated
    for stage in ("prod", "staging"):
        with pytest.raises(ConfigurationError, match="emulator"):
            _ = Container(settings(stage, **emulated)).payment_provider


def test_an_unknown_provider_name_is_refused() -> None:
    bad = replace(settings(), payment_provider="paypal")
    with pytest.raises(ConfigurationError, match="must be 'sandbox' or 'stripe'"):
        _ = Container(bad).payment_provider
