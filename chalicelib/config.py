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

__all__ = ["APP_ROOT", "DEFAULT_AUTHORITY", "ConfigurationError", "Settings"]

# app.py's directory: the repo root locally, /var/task in Lambda (schemas/ and pdf_templates/
# are bundled beside app.py by `make package`).
APP_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOCAL_KEY = APP_ROOT / ".local" / "signing-key.pem"  # git-ignored
DEFAULT_AUTHORITY = "Stadt Musterstadt – Straßenverkehrsbehörde"  # PERMIT_AUTHORITY_NAME


class ConfigurationError(Exception):
    """A required setting is missing or malformed; raised on first use, naming the variable."""


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
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
            authority_name=env.get("PERMIT_AUTHORITY_NAME", "").strip() or DEFAULT_AUTHORITY,
            forms_dir=Path(env["PERMIT_SCHEMAS_DIR"]) if env.get("PERMIT_SCHEMAS_DIR") else None,
            in_lambda=bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
        )
