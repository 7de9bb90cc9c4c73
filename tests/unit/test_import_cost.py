"""`import app` stays light: heavy libraries load only in the handlers that use them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT

HEAVY = (
    "pypdf",
    "reportlab",
    "segno",
    "jsonschema",
    "email_validator",
    "dns",
    "cryptography",
    "pydantic",
    "boto3",
    "botocore",
    "moto",
    "stripe",  # the Stripe SDK: only when a Stripe checkout, webhook or poll is handled
    "requests",
    "aiohttp",
    "localstripe",
    "jinja2",
    "jwt",  # PyJWT (with cryptography): only when a staff token or sign-in is checked
    "oidc_provider_mock",
    "flask",
    "authlib",
    "joserfc",
)


def test_import_app_loads_no_heavy_library() -> None:
    probe = "import json, sys, app; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
