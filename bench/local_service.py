"""The service as the tests run it: moto's DynamoDB server, one table, test-like settings.

Settings mirror tests/conftest.py (stage ``test``, fixed test-only secrets, a throwaway
signing key); the clock is the real one, because the sandbox provider's webhook verifier
reads the wall clock too. In-process benchmarks get a :class:`Container` wired to an explicit
boto3 client (as the tests do); fresh processes get the same settings as environment
variables (:meth:`LocalService.child_env`), as Lambda would.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chalicelib.config import Settings
from scripts.local_server import LocalServer

__all__ = ["LocalService"]

REGION = "eu-central-1"
PUBLIC_BASE_URL = "https://permits.example.de"
# Benchmark-only values, like tests/conftest.py; never a real secret.
BENCH_APP_SECRET = bytes(range(32))
BENCH_WEBHOOK_SECRET = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"
_DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class LocalService(LocalServer):
    def __init__(self) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="permit-bench-")
        self.workdir = Path(self._workdir.name)
        self._server: Any = None
        self.endpoint = ""
        self.client: Any = None
        self.table_name = f"permits-bench-{secrets.token_hex(4)}"
        self.settings = Settings(
            stage="test",
            table_name=self.table_name,
            public_base_url=PUBLIC_BASE_URL,
            app_secret=BENCH_APP_SECRET,
            webhook_secrets=(BENCH_WEBHOOK_SECRET,),
            staff_token_hashes=(),
            local_key_path=self.workdir / "signing-key.pem",
            status_local_key_path=self.workdir / "status-list-key.pem",
        )

    def start(self) -> LocalService:
        import boto3

        from chalicelib.adapters.dynamodb.table import create_table
        from scripts.moto_server import LocalDynamoDB

        self._server = LocalDynamoDB().start()
        self.endpoint = self._server.endpoint
        self.client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=_DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=_DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=_DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
        )
        create_table(self.client, self.table_name)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._workdir.cleanup()

    def container(self) -> Any:
        """A fresh Container on this table (real clock, sandbox payment provider)."""
        from chalicelib.wiring import Container

        return Container(self.settings, dynamodb=self.client)

    @contextlib.contextmanager
    def wired_app(self) -> Iterator[tuple[Any, Any]]:
        """``(app module, container)`` with the app's process-wide Container set; undone after."""
        import app as app_module

        container = self.container()
        app_module.set_container(container)
        try:
            yield app_module, container
        finally:
            app_module.set_container(None)

    def child_env(self) -> dict[str, str]:
        """The environment of a fresh process that serves requests like a Lambda would."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AWS_", "PERMIT_", "PYTHON"))
        }
        settings = self.settings
        env.update(_DUMMY_CREDENTIALS)
        env.update(
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL_DYNAMODB=self.endpoint,
            AWS_CONFIG_FILE=str(self.workdir / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.workdir / "no-aws-credentials"),
            PERMIT_STAGE=settings.stage,
            PERMIT_TABLE_NAME=settings.table_name,
            PERMIT_PUBLIC_BASE_URL=settings.public_base_url,
            PERMIT_APP_SECRET=settings.app_secret.hex(),
            PERMIT_WEBHOOK_SECRETS=",".join(settings.webhook_secrets),
            PERMIT_LOCAL_KEY_PATH=str(settings.local_key_path),
        )
        return env
