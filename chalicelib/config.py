"""Settings from the environment, read once and passed down; nothing else reads os.environ.

Chalice sets stage variables as environment variables (.chalice/config.json); the local run
sets them in scripts/run_local.py; tests build Settings directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

__all__ = ["APP_ROOT", "LOCAL_KEY_STAGES", "TEST_STAGES", "ConfigurationError", "Settings"]

# app.py's directory: the repo root locally, /var/task in Lambda (schemas/ and pdf_templates/
# are bundled beside app.py by `make package`).
APP_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOCAL_KEY = APP_ROOT / ".local" / "signing-key.pem"  # git-ignored
DEFAULT_LOCAL_MAIL_DIR = APP_ROOT / ".local" / "mail"  # git-ignored
#: Stages that may use test-only parts (sandbox payments, the local mailbox page, SMTP).
TEST_STAGES = frozenset({"local", "test"})
DEFAULT_STATUS_KEY = APP_ROOT / ".local" / "status-list-key.pem"  # git-ignored
# Stages that may generate and use local key files (never prod, staging or an unset stage):
# the same allow-list as the other test-only parts.
LOCAL_KEY_STAGES = TEST_STAGES
STATUS_LIST_UPDATES = ("on-write", "stream")


class ConfigurationError(Exception):
    """A required setting is missing or malformed; raised on first use, naming the variable."""


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, default).strip() or default
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}")
    return value


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    public_base_url: str
    app_secret: bytes = field(repr=False)
    webhook_secrets: tuple[str, ...] = field(repr=False)
    staff_token_hashes: tuple[str, ...] = field(repr=False)
    signing_backend: str = "local"
    signing_key_id: int = 1
    local_key_path: Path = DEFAULT_LOCAL_KEY
    kms_key_id: str = ""
    retired_keys: tuple[str, ...] = ()
    unpaid_cancel_after: timedelta = timedelta(hours=48)
    resources_dir: Path = APP_ROOT
    authority_name: str = "Stadt Musterstadt – Straßenverkehrsbehörde"
    mail_backend: str = "smtp"  # "smtp" (local run, tests) or "ses" (AWS)
    mail_from: str = "Stadt Musterstadt <noreply@musterstadt.example>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    local_mail_dir: Path = DEFAULT_LOCAL_MAIL_DIR
    #: Origins of the payment provider's checkout pages: a "Pay" form POST ends there, and
    #: browsers apply the pages' CSP ``form-action`` to that redirect (e.g. Stripe's).
    checkout_origins: tuple[str, ...] = ()
    # The revocation list (issue 13): its own signing key, how long phones may trust a list,
    # and who regenerates it after a revocation ("on-write" locally, "stream" in AWS).
    status_key_id: int = 1
    status_local_key_path: Path = DEFAULT_STATUS_KEY
    status_kms_key_id: str = ""
    status_list_max_age: timedelta = timedelta(hours=24)
    status_list_updates: str = "on-write"

    @property
    def schemas_dir(self) -> Path:
        return self.resources_dir / "schemas"

    @property
    def templates_dir(self) -> Path:
        return self.resources_dir / "pdf_templates"

    @property
    def site_config_path(self) -> Path:
        """The city's own texts: legal pages, contacts (``config/site.json``, shipped in the zip)."""
        return self.resources_dir / "config" / "site.json"

    @property
    def is_test_stage(self) -> bool:
        return self.stage in TEST_STAGES

    @property
    def secure_cookies(self) -> bool:
        """Cookies get ``Secure`` (and the ``__Host-`` prefix) whenever the service is on https.

        Only the local run and the tests serve plain http on 127.0.0.1, where some browsers
        (Safari, curl) drop a ``Secure`` cookie; everywhere else the public URL is https.
        """
        return self.public_base_url.startswith("https://")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        secret_hex = _required(env, "PERMIT_APP_SECRET")
        try:
            app_secret = bytes.fromhex(secret_hex)
        except ValueError as error:
            raise ConfigurationError("PERMIT_APP_SECRET must be hex") from error
        if len(app_secret) < 32:
            raise ConfigurationError("PERMIT_APP_SECRET must be at least 32 bytes")
        return cls(
            stage=env.get("PERMIT_STAGE", "local"),
            table_name=_required(env, "PERMIT_TABLE_NAME"),
            public_base_url=_required(env, "PERMIT_PUBLIC_BASE_URL").rstrip("/"),
            app_secret=app_secret,
            webhook_secrets=_csv(_required(env, "PERMIT_WEBHOOK_SECRETS")),
            staff_token_hashes=_csv(env.get("PERMIT_STAFF_TOKEN_SHA256", "")),
            signing_backend=env.get("PERMIT_SIGNING_BACKEND", "local"),
            signing_key_id=int(env.get("PERMIT_SIGNING_KEY_ID", "1")),
            local_key_path=Path(env.get("PERMIT_LOCAL_KEY_PATH", str(DEFAULT_LOCAL_KEY))),
            kms_key_id=env.get("PERMIT_KMS_KEY_ID", ""),
            retired_keys=_csv(env.get("PERMIT_RETIRED_PUBLIC_KEYS", "")),
            unpaid_cancel_after=timedelta(hours=float(env.get("PERMIT_UNPAID_CANCEL_HOURS", "48"))),
            resources_dir=Path(env.get("PERMIT_RESOURCES_DIR", str(APP_ROOT))),
            mail_backend=env.get(
                "PERMIT_MAIL_BACKEND",
                "smtp" if env.get("PERMIT_STAGE", "local") in TEST_STAGES else "ses",
            ),
            mail_from=env.get("PERMIT_MAIL_FROM", cls.mail_from),
            smtp_host=env.get("PERMIT_SMTP_HOST", "127.0.0.1"),
            smtp_port=int(env.get("PERMIT_SMTP_PORT", "1025")),
            local_mail_dir=Path(env.get("PERMIT_LOCAL_MAIL_DIR", str(DEFAULT_LOCAL_MAIL_DIR))),
            checkout_origins=_csv(env.get("PERMIT_CHECKOUT_ORIGINS", "")),
            status_key_id=int(env.get("PERMIT_STATUS_KEY_ID", "1")),
            status_local_key_path=Path(
                env.get("PERMIT_STATUS_LOCAL_KEY_PATH", str(DEFAULT_STATUS_KEY))
            ),
            status_kms_key_id=env.get("PERMIT_STATUS_KMS_KEY_ID", ""),
            status_list_max_age=timedelta(
                hours=float(env.get("PERMIT_STATUS_LIST_MAX_AGE_HOURS", "24"))
            ),
            status_list_updates=_choice(
                env, "PERMIT_STATUS_LIST_UPDATES", STATUS_LIST_UPDATES, "on-write"
            ),
        )
