"""`make run`: the whole service on http://127.0.0.1:8000 with one command.

Starts moto's DynamoDB server on 127.0.0.1 (unless AWS_ENDPOINT_URL_DYNAMODB already names
one), creates the table from infra/resources.json, makes the local secrets under the
git-ignored .local/ folder, checks every form, starts an embedded SMTP server that keeps
every mail under .local/mail/ (listed at /local/mail) and the drain loop that feeds the
table's stream to every stream consumer (outbox mail, revocation list: the stand-in for the
DynamoDB Streams trigger), then serves the pages and the API with `chalice local`.
Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from chalicelib.config import APP_ROOT

HOST = "127.0.0.1"
PORT = int(os.environ.get("PERMIT_LOCAL_PORT", "8000"))
LOCAL_DIR = APP_ROOT / ".local"
TABLE_NAME = "permits-local"
# Local-only sandbox webhook secret, documented in the README. Never used in another stage.
LOCAL_WEBHOOK_SECRET = "whsec_bG9jYWwtc2FuZGJveC1zZWNyZXQtbm90LWZvci1wcm9kdWN0aW9u"


def _local_secret(name: str, nbytes: int = 32) -> str:
    """A per-checkout secret kept in .local/ (mode 0600), so restarts keep old links valid."""
    path = LOCAL_DIR / name
    if not path.exists():
        LOCAL_DIR.mkdir(mode=0o700, exist_ok=True)
        path.write_text(secrets.token_hex(nbytes), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def local_environment(
    dynamodb_endpoint: str,
    port: int = PORT,
    smtp_port: int = 1025,
    mail_dir: Path = LOCAL_DIR / "mail",
) -> dict[str, str]:
    """Everything the service reads, for the local stage."""
    from chalicelib.adapters.signing.local_key import ensure_local_key

    key_path = LOCAL_DIR / "signing-key.pem"
    ensure_local_key(key_path)
    status_key_path = LOCAL_DIR / "status-list-key.pem"  # signs the revocation list
    ensure_local_key(status_key_path)
    staff_token = _local_secret("staff-token", 24)
    import hashlib

    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=env.get("AWS_ACCESS_KEY_ID", "local"),
        AWS_SECRET_ACCESS_KEY=env.get("AWS_SECRET_ACCESS_KEY", "local"),
        AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "eu-central-1"),
        AWS_ENDPOINT_URL_DYNAMODB=dynamodb_endpoint,
        PERMIT_STAGE="local",
        PERMIT_TABLE_NAME=TABLE_NAME,
        PERMIT_PUBLIC_BASE_URL=f"http://{HOST}:{port}",
        PERMIT_APP_SECRET=_local_secret("app-secret"),
        PERMIT_WEBHOOK_SECRETS=LOCAL_WEBHOOK_SECRET,
        PERMIT_STAFF_TOKEN_SHA256=hashlib.sha256(staff_token.encode()).hexdigest(),
        PERMIT_SIGNING_BACKEND="local",
        PERMIT_LOCAL_KEY_PATH=str(key_path),
        PERMIT_MAIL_BACKEND="smtp",
        PERMIT_SMTP_HOST=HOST,
        PERMIT_SMTP_PORT=str(smtp_port),
        PERMIT_LOCAL_MAIL_DIR=str(mail_dir),
        PERMIT_STATUS_LOCAL_KEY_PATH=str(status_key_path),
        # The revocation list is remade right after the write, so it is fresh before the
        # revoking call answers; the drain's stream consumer remakes it again (idempotent).
        PERMIT_STATUS_LIST_UPDATES="on-write",
    )
    return env


def main() -> int:
    from scripts.check_forms import check

    problems = check()
    if problems:
        for problem in problems:
            print(f"FORM ERROR {problem}", file=sys.stderr)
        return 1

    import boto3

    from chalicelib.adapters.dynamodb.table import create_table
    from scripts.moto_server import LocalDynamoDB

    server: LocalDynamoDB | None = None
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    if not endpoint:
        server = LocalDynamoDB(HOST, 0).start()
        endpoint = server.endpoint
    from scripts.local_mail import LocalMailServer
    from scripts.stream_drain import drain_for

    mail = LocalMailServer(LOCAL_DIR / "mail").start()
    env = local_environment(endpoint, smtp_port=mail.port)
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    create_table(client, TABLE_NAME)
    print(f"DynamoDB (moto) on {endpoint}, table {TABLE_NAME}")
    drain = drain_for(env).start()
    print(f"mail (SMTP) on {HOST}:{mail.port}, kept in {mail.folder}; read it at /local/mail")
    print(f"permit-service on http://{HOST}:{PORT}/  (Ctrl-C stops)")
    print(f"staff token (local only): {(LOCAL_DIR / 'staff-token').read_text().strip()}")
    chalice = Path(sys.executable).parent / "chalice"
    command = [
        str(chalice),
        "local",
        "--host",
        HOST,
        "--port",
        str(PORT),
        "--stage",
        "local",
        "--no-autoreload",
    ]
    child = subprocess.Popen(command, cwd=APP_ROOT, env=env)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
        return 0
    finally:
        drain.stop()
        mail.stop()
        if server is not None:
            server.stop()
        print("stopped")


if __name__ == "__main__":
    raise SystemExit(main())
