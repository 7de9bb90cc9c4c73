"""`make put-secret STAGE=prod NAME=<secret>`: store one secret in SSM Parameter Store.

CloudFormation cannot create SecureString parameters, so the operator puts them once before
the first deploy, and again to rotate (no stack update: the functions re-read them within
PERMIT_SECRETS_TTL_SECONDS). The value is read from stdin (a hidden prompt on a terminal),
never from the command line, where it would land in the shell history and the process list.
It is checked exactly as the service will parse it, then written as a SecureString under
``/permit-service/<stage>/<name>`` with the account's ``aws/ssm`` key.

    make put-secret STAGE=prod NAME=app-secret ARGS=--generate      # 32 random bytes, hex
    make put-secret STAGE=prod NAME=webhook-secrets                 # whsec_new,whsec_old
    make put-secret STAGE=prod NAME=staff-token-sha256 ARGS=--add-staff-token

Uses the AWS credentials and region of the environment (AWS_PROFILE, AWS_REGION, ...).
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import secrets
import sys
from typing import Any

from chalicelib.config import (
    SECRETS,
    ConfigurationError,
    parse_app_secret,
    parse_staff_token_hashes,
)

__all__ = ["check_value", "main", "parameter_name", "put_secret"]


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parameter_name(stage: str, name: str) -> str:
    return f"/permit-service/{stage}/{name}"


def check_value(name: str, value: str) -> str:
    """The value as the service will read it; ValueError (naming no secret) if it cannot."""
    from chalicelib.adapters.payments.standard_webhooks import WebhookVerifier

    value = value.strip()
    if not value:
        raise ValueError("empty value")
    try:
        if name == "app-secret":
            parse_app_secret(value)
        elif name == "webhook-secrets":
            WebhookVerifier(_csv(value))  # refuses anything that is not whsec_<base64>
        elif name == "staff-token-sha256":
            parse_staff_token_hashes(value)
    except ConfigurationError as error:
        raise ValueError(str(error)) from None
    return value


def put_secret(client: Any, stage: str, name: str, value: str) -> str:
    """Check and write one secret; returns the parameter name (never the value)."""
    if name not in SECRETS:
        raise ValueError(f"unknown secret {name!r}; known: {', '.join(SECRETS)}")
    parameter = parameter_name(stage, name)
    client.put_parameter(
        Name=parameter, Value=check_value(name, value), Type="SecureString", Overwrite=True
    )
    return parameter


def _current(client: Any, parameter: str) -> str:
    try:
        found = client.get_parameter(Name=parameter, WithDecryption=True)
    except client.exceptions.ParameterNotFound:
        return ""
    return str(found["Parameter"]["Value"])


def main(argv: list[str] | None = None, client: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("name", choices=sorted(SECRETS))
    way = parser.add_mutually_exclusive_group()
    way.add_argument("--generate", action="store_true", help="app-secret: 32 random bytes")
    way.add_argument(
        "--add-staff-token",
        action="store_true",
        help="staff-token-sha256: make a new staff token, print it once, store its hash",
    )
    args = parser.parse_args(argv)
    if client is None:
        import boto3

        client = boto3.client("ssm")
    parameter = parameter_name(args.stage, args.name)
    token = ""
    if args.generate:
        if args.name != "app-secret":
            parser.error("--generate makes only the app-secret")
        value = secrets.token_hex(32)
    elif args.add_staff_token:
        if args.name != "staff-token-sha256":
            parser.error("--add-staff-token adds to staff-token-sha256 only")
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode()).hexdigest()
        value = ",".join([*_csv(_current(client, parameter)), digest])
    elif sys.stdin.isatty():
        value = getpass.getpass(f"value for {parameter} (hidden): ")
    else:
        value = sys.stdin.read()
    try:
        put_secret(client, args.stage, args.name, value)
    except ValueError as error:
        print(f"put-secret: {args.name}: {error}", file=sys.stderr)
        return 1
    print(f"stored {parameter} (SecureString); running functions pick it up within the TTL")
    if token:
        print(f"new staff token (shown once, keep it safe): {token}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
