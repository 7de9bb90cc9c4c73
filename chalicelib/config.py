"""Settings from the environment and the secrets, read once and passed down.

Nothing else reads os.environ. Chalice sets stage variables as environment variables
(.chalice/config.json, infra/resources.json); the local run sets them in
scripts/run_local.py; tests build Settings directly.

Secrets (:data:`SECRETS`) come through a :class:`~chalicelib.services.ports.SecretSource`:
environment variables locally and in tests, SSM Parameter Store in AWS (when
``PERMIT_SECRETS_PREFIX`` is set). :class:`LiveSettings` asks the source on every use; the SSM
source answers from its cache and re-reads after a short TTL, so a rotated secret reaches
every warm Lambda within minutes, without a stack update. Nothing here calls AWS at import.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from chalicelib.services.dependency_errors import DependencyUnavailableError

if TYPE_CHECKING:
    from chalicelib.services.ports import SecretSource

__all__ = [
    "APP_ROOT",
    "DEFAULT_AUTHORITY",
    "DEFAULT_STAFF_GROUPS",
    "LOCAL_KEY_STAGES",
    "SECRETS",
    "TEST_STAGES",
    "ConfigurationError",
    "LiveSettings",
    "Secret",
    "SecretsUnavailableError",
    "Settings",
    "parse_app_secret",
    "parse_staff_token_hashes",
    "secret_source_from_env",
    "stage_from_env",
]

# app.py's directory: the repo root locally, /var/task in Lambda (schemas/ and pdf_templates/
# are bundled beside app.py by `make package`).
APP_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOCAL_KEY = APP_ROOT / ".local" / "signing-key.pem"  # git-ignored
DEFAULT_AUTHORITY = "Stadt Musterstadt – Straßenverkehrsbehörde"  # PERMIT_AUTHORITY_NAME

#: The only stages with test money (the sandbox payment provider) and a signing key on disk.
#: An allow-list, not "anything but prod": a stage named ``staging``, ``production`` or
#: nothing at all (PERMIT_STAGE unset) must never hand out sandbox checkouts or create a key.
TEST_STAGES = frozenset({"local", "test"})
DEFAULT_LOCAL_MAIL_DIR = APP_ROOT / ".local" / "mail"  # git-ignored
DEFAULT_STATUS_KEY = APP_ROOT / ".local" / "status-list-key.pem"  # git-ignored
# Stages that may generate and use local key files (never prod, staging or an unset stage):
# the same allow-list as the other test-only parts (sandbox, local mailbox page, SMTP).
LOCAL_KEY_STAGES = TEST_STAGES
STATUS_LIST_UPDATES = ("on-write", "stream")
#: Role -> the identity provider's group that grants it (PERMIT_STAFF_GROUP_<ROLE> overrides).
DEFAULT_STAFF_GROUPS = (
    ("viewer", "permit-viewer"),
    ("clerk", "permit-clerk"),
    ("admin", "permit-admin"),
)


class ConfigurationError(Exception):
    """A required setting is missing or malformed; raised on first use, naming the variable."""


class SecretsUnavailableError(DependencyUnavailableError):
    """The secret store did not answer, or lacks a parameter this function needs (503, Retry-After).

    Clients see only that the service is unavailable; ``detail`` (for the log) says why.
    """

    def __init__(self, detail: str) -> None:
        super().__init__("the service's configuration cannot be read right now")
        self.detail = detail


@dataclass(frozen=True)
class Secret:
    """One named secret: its SSM parameter is ``<PERMIT_SECRETS_PREFIX>/<name>``."""

    env: str  # the environment variable that holds it for the local run and the tests
    optional: bool = False  # absent means "feature off", not a broken deployment


SECRETS: Final[Mapping[str, Secret]] = {
    # One line per secret. A later one (a Stripe key, an OIDC client secret) is one more
    # line here, a Settings field, and its parameter ARN in its function's role.
    "app-secret": Secret("PERMIT_APP_SECRET"),
    "webhook-secrets": Secret("PERMIT_WEBHOOK_SECRETS"),
    "staff-token-sha256": Secret("PERMIT_STAFF_TOKEN_SHA256", optional=True),
    # Stripe (PERMIT_PAYMENT_PROVIDER=stripe): the restricted API key and the endpoint's
    # signing secrets (comma-separated during rotation). Optional: the sandbox needs neither.
    "stripe-secret-key": Secret("PERMIT_STRIPE_SECRET_KEY", optional=True),
    "stripe-webhook-secrets": Secret("PERMIT_STRIPE_WEBHOOK_SECRETS", optional=True),
    # The staff sign-in's OIDC client secret (Cognito app client, or the city's issuer).
    # Optional: without it staff sign in with nothing but the static script token.
    "oidc-client-secret": Secret("PERMIT_OIDC_CLIENT_SECRET", optional=True),
}
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def stage_from_env(env: Mapping[str, str] | None = None) -> str:
    """PERMIT_STAGE as set, or "" when it is not: an unset stage is no stage, never "local"."""
    env = os.environ if env is None else env
    return env.get("PERMIT_STAGE", "").strip()


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
    authority_name: str = DEFAULT_AUTHORITY
    forms_dir: Path | None = None  # another city's forms and zone map (PERMIT_SCHEMAS_DIR)
    in_lambda: bool = False
    #: ``sandbox`` (the default; stages local/test only) or ``stripe``.
    payment_provider: str = "sandbox"
    stripe_secret_key: str = field(default="", repr=False)
    stripe_publishable_key: str = ""
    stripe_webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    #: A Stripe emulator (localstripe) to talk to instead of Stripe; local/test stages only.
    stripe_api_base: str = ""

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
    # Staff sign-in by OpenID Connect (issue 12). No issuer configured: only script tokens.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    #: The claim holding the staff member's groups (``cognito:groups`` for Cognito).
    oidc_groups_claim: str = "groups"
    #: Which group of the identity provider grants which role (viewer, clerk, admin).
    staff_groups: tuple[tuple[str, str], ...] = DEFAULT_STAFF_GROUPS

    @property
    def schemas_dir(self) -> Path:
        return self.forms_dir if self.forms_dir is not None else self.resources_dir / "schemas"

    @property
    def forms_reload(self) -> bool:
        """Saved form files are picked up without a restart: the local stage only, never Lambda."""
        return self.stage == "local" and not self.in_lambda

    @property
    def check_documents_on_load(self) -> bool:
        """Forms are checked against their PDF templates when loaded (local runs and tests).

        Elsewhere the packaged forms have passed the same check in ``make package``, and a
        cold start should not load the PDF code before the first PDF is asked for.
        """
        return self.stage in ("local", "test") and not self.in_lambda

    @property
    def templates_dir(self) -> Path:
        return self.resources_dir / "pdf_templates"

    @property
    def site_config_path(self) -> Path:
        """The city's own texts: legal pages, contacts (``config/site.json``, shipped in the zip)."""
        return self.resources_dir / "config" / "site.json"

    @property
    def is_test_stage(self) -> bool:
        """Sandbox payments, local key files and the local mailbox exist only here."""
        return self.stage in TEST_STAGES

    @property
    def secure_cookies(self) -> bool:
        """Cookies get ``Secure`` (and the ``__Host-`` prefix) whenever the service is on https.

        Only the local run and the tests serve plain http on 127.0.0.1, where some browsers
        (Safari, curl) drop a ``Secure`` cookie; everywhere else the public URL is https.
        """
        return self.public_base_url.startswith("https://")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, secrets: Mapping[str, str] | None = None
    ) -> Settings:
        """``secrets`` by name (:data:`SECRETS`); read from ``env`` itself when None.

        A secret this function was not given stays empty (the canceller holds none); the
        code that needs one refuses to run without it.
        """
        env = os.environ if env is None else env
        if secrets is None:
            from chalicelib.adapters.secrets.environment import EnvironmentSecrets

            secrets = EnvironmentSecrets(env).read()
        app_secret = secrets.get("app-secret", "")
        return cls(
            stage=stage_from_env(env),
            table_name=_required(env, "PERMIT_TABLE_NAME"),
            public_base_url=_required(env, "PERMIT_PUBLIC_BASE_URL").rstrip("/"),
            app_secret=parse_app_secret(app_secret) if app_secret else b"",
            webhook_secrets=_csv(secrets.get("webhook-secrets", "")),
            staff_token_hashes=parse_staff_token_hashes(secrets.get("staff-token-sha256", "")),
            signing_backend=env.get("PERMIT_SIGNING_BACKEND", "local"),
            signing_key_id=int(env.get("PERMIT_SIGNING_KEY_ID", "1")),
            local_key_path=Path(env.get("PERMIT_LOCAL_KEY_PATH", str(DEFAULT_LOCAL_KEY))),
            kms_key_id=env.get("PERMIT_KMS_KEY_ID", ""),
            retired_keys=_csv(env.get("PERMIT_RETIRED_PUBLIC_KEYS", "")),
            unpaid_cancel_after=timedelta(hours=float(env.get("PERMIT_UNPAID_CANCEL_HOURS", "48"))),
            resources_dir=Path(env.get("PERMIT_RESOURCES_DIR", str(APP_ROOT))),
            payment_provider=env.get("PERMIT_PAYMENT_PROVIDER", "sandbox").strip() or "sandbox",
            stripe_secret_key=secrets.get("stripe-secret-key", "").strip(),
            stripe_publishable_key=env.get("PERMIT_STRIPE_PUBLISHABLE_KEY", "").strip(),
            stripe_webhook_secrets=_csv(secrets.get("stripe-webhook-secrets", "")),
            stripe_api_base=env.get("PERMIT_STRIPE_API_BASE", "").strip(),
            authority_name=env.get("PERMIT_AUTHORITY_NAME", "").strip() or DEFAULT_AUTHORITY,
            forms_dir=Path(env["PERMIT_SCHEMAS_DIR"]) if env.get("PERMIT_SCHEMAS_DIR") else None,
            in_lambda=bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
            mail_backend=env.get(
                "PERMIT_MAIL_BACKEND",
                "smtp" if stage_from_env(env) in TEST_STAGES else "ses",
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
            oidc_issuer=env.get("PERMIT_OIDC_ISSUER", "").strip(),  # compared exactly with `iss`
            oidc_client_id=env.get("PERMIT_OIDC_CLIENT_ID", "").strip(),
            oidc_client_secret=secrets.get("oidc-client-secret", "").strip(),
            oidc_groups_claim=env.get("PERMIT_OIDC_GROUPS_CLAIM", "").strip() or "groups",
            staff_groups=tuple(
                (role, env.get(f"PERMIT_STAFF_GROUP_{role.upper()}", "").strip() or group)
                for role, group in DEFAULT_STAFF_GROUPS
            ),
        )


def parse_app_secret(value: str) -> bytes:
    """Hex of at least 32 random bytes (``secrets.token_hex(32)``)."""
    try:
        secret = bytes.fromhex(value.strip())
    except ValueError as error:
        raise ConfigurationError("the app secret must be hex") from error
    if len(secret) < 32:
        raise ConfigurationError("the app secret must be at least 32 bytes")
    return secret


def parse_staff_token_hashes(value: str) -> tuple[str, ...]:
    """Comma-separated lowercase SHA-256 hex digests; a malformed one is refused, not ignored."""
    hashes = _csv(value)
    for digest in hashes:
        if not _SHA256_HEX.fullmatch(digest):
            raise ConfigurationError("staff token hashes must be lowercase SHA-256 hex digests")
    return hashes


def secret_source_from_env(env: Mapping[str, str]) -> SecretSource:
    """SSM Parameter Store when ``PERMIT_SECRETS_PREFIX`` is set (AWS), else the environment.

    ``PERMIT_SECRET_NAMES`` lists the secrets this function may read (exactly those its role
    grants); ``PERMIT_SECRETS_TTL_SECONDS`` (default 300) bounds how long a rotated value
    takes to arrive. Building the SSM source calls nothing: the first read does.
    """
    prefix = env.get("PERMIT_SECRETS_PREFIX", "").strip()
    if not prefix:
        from chalicelib.adapters.secrets.environment import EnvironmentSecrets

        return EnvironmentSecrets(env)
    from chalicelib.adapters.secrets.ssm import SsmSecrets

    names = _csv(env.get("PERMIT_SECRET_NAMES", ""))
    unknown = sorted(set(names) - set(SECRETS))
    if unknown:
        raise ConfigurationError(f"PERMIT_SECRET_NAMES names unknown secrets: {', '.join(unknown)}")
    return SsmSecrets(
        prefix,
        names,
        optional=frozenset(name for name in names if SECRETS[name].optional),
        ttl_seconds=float(env.get("PERMIT_SECRETS_TTL_SECONDS", "300")),
    )


class LiveSettings:
    """The current Settings: the environment once, the secrets as the source has them now.

    ``current()`` returns the same Settings object while the secrets are unchanged, so the
    caller can keep everything it built from them and rebuild only after a rotation.
    """

    def __init__(self, env: Mapping[str, str], secrets: SecretSource) -> None:
        self._env = env
        self._secrets = secrets
        self._values: dict[str, str] | None = None
        self._settings: Settings | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LiveSettings:
        env = os.environ if env is None else env
        return cls(env, secret_source_from_env(env))

    def current(self) -> Settings:
        values = self._secrets.read()
        with self._lock:
            if self._settings is None or values != self._values:
                self._settings = Settings.from_env(self._env, values)
                self._values = dict(values)
            return self._settings
