"""`make run`: the whole service on http://127.0.0.1:8000 with one command.

Starts moto's DynamoDB server on 127.0.0.1 (unless AWS_ENDPOINT_URL_DYNAMODB already names
one), creates the table from infra/resources.json, makes the local secrets under the
git-ignored .local/ folder, checks every form, starts an embedded SMTP server that keeps
every mail under .local/mail/ (listed at /local/mail) and the drain loop that feeds the
table's stream to every stream consumer (outbox mail, revocation list: the stand-in for the
DynamoDB Streams trigger), then serves the pages and the API with `chalice local`.
Ctrl-C stops everything cleanly.

Local data persists: the embedded DynamoDB journals every write to ``.local/dynamodb.jsonl``
before answering it and replays the journal at the next start (see
``scripts/dynamodb_journal.py``), so applications and permits survive Ctrl-C, a crash and
``kill -9``. The signing key and the secrets in ``.local/`` stay too, so permits printed
before a restart still verify. ``PERMIT_LOCAL_DIR`` puts the folder elsewhere (the restart
test uses a temporary one); deleting the journal starts with empty data.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from chalicelib.config import APP_ROOT

HOST = "127.0.0.1"
PORT = int(os.environ.get("PERMIT_LOCAL_PORT", "8000"))
LOCAL_DIR = Path(os.environ.get("PERMIT_LOCAL_DIR") or APP_ROOT / ".local")
JOURNAL_NAME = "dynamodb.jsonl"
TABLE_NAME = "permits-local"
# Local-only sandbox webhook secret, documented in the README. Never used in another stage.
LOCAL_WEBHOOK_SECRET = "whsec_bG9jYWwtc2FuZGJveC1zZWNyZXQtbm90LWZvci1wcm9kdWN0aW9u"
# Local-only keys for the Stripe emulator (localstripe accepts any sk_ key); documented in
# the README like the sandbox secret. Stripe itself never sees them.
LOCAL_STRIPE_SECRET_KEY = "sk_test_local_emulator_only"
LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_local-stripe-emulator-not-for-production"


def _local_secret(name: str, nbytes: int = 32, local_dir: Path = LOCAL_DIR) -> str:
    """A per-checkout secret kept in .local/ (mode 0600), so restarts keep old links valid."""
    path = local_dir / name
    if not path.exists():
        local_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(nbytes), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


def stripe_environment(localstripe_endpoint: str) -> dict[str, str]:
    """What routes every checkout to localstripe instead of the sandbox."""
    return {
        "PERMIT_PAYMENT_PROVIDER": "stripe",
        "PERMIT_STRIPE_API_BASE": localstripe_endpoint,
        "PERMIT_STRIPE_SECRET_KEY": LOCAL_STRIPE_SECRET_KEY,
        "PERMIT_STRIPE_PUBLISHABLE_KEY": "pk_test_local_emulator_only",
        "PERMIT_STRIPE_WEBHOOK_SECRETS": LOCAL_STRIPE_WEBHOOK_SECRET,
    }


def local_environment(
    dynamodb_endpoint: str,
    port: int = PORT,
    local_dir: Path = LOCAL_DIR,
    smtp_port: int = 1025,
    mail_dir: Path | None = None,
    oidc_issuer: str = "",
) -> dict[str, str]:
    """Everything the service reads, for the local stage (staff sign-in at ``oidc_issuer``)."""
    from chalicelib.adapters.signing.local_key import ensure_local_key

    key_path = local_dir / "signing-key.pem"
    ensure_local_key(key_path)
    mail_dir = local_dir / "mail" if mail_dir is None else mail_dir
    status_key_path = local_dir / "status-list-key.pem"  # signs the revocation list
    ensure_local_key(status_key_path)
    staff_token = _local_secret("staff-token", 24, local_dir)
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
        PERMIT_APP_SECRET=_local_secret("app-secret", local_dir=local_dir),
        PERMIT_WEBHOOK_SECRETS=LOCAL_WEBHOOK_SECRET,
        PERMIT_STAFF_TOKEN_SHA256=hashlib.sha256(staff_token.encode()).hexdigest(),
        PERMIT_SIGNING_BACKEND="local",
        PERMIT_LOCAL_KEY_PATH=str(key_path),
        PERMIT_MAIL_BACKEND="smtp",
        PERMIT_SMTP_HOST=HOST,
        PERMIT_SMTP_PORT=str(smtp_port),
        PERMIT_LOCAL_AWS_READ_TIMEOUT_SECONDS="5",  # moto on a laptop, not DynamoDB
        PERMIT_LOCAL_MAIL_DIR=str(mail_dir),
        PERMIT_STATUS_LOCAL_KEY_PATH=str(status_key_path),
        # The revocation list is remade right after the write, so it is fresh before the
        # revoking call answers; the drain's stream consumer remakes it again (idempotent).
        PERMIT_STATUS_LIST_UPDATES="on-write",
    )
    if oidc_issuer:
        from scripts.oidc_server import LOCAL_CLIENT_ID, LOCAL_CLIENT_SECRET

        env.update(
            PERMIT_OIDC_ISSUER=oidc_issuer,
            PERMIT_OIDC_CLIENT_ID=LOCAL_CLIENT_ID,
            PERMIT_OIDC_CLIENT_SECRET=LOCAL_CLIENT_SECRET,
        )
    return env


def print_staff_sign_in(issuer: str, staff_token: str) -> None:
    """How to sign in to the staff area as each role, and the token for scripts."""
    from scripts.oidc_server import STAFF_USERS

    print(f"staff sign-in: http://{HOST}:{PORT}/staff  (OIDC provider on {issuer})")
    print("  on the provider's page, press the predefined user of the role you want:")
    for sub, groups in STAFF_USERS.items():
        print(f"    {sub:<8} groups {', '.join(groups)}")
    print("  ('no-role' shows what a member of no staff group sees)")
    print(f"staff token for scripts (local only, role admin): {staff_token}")
    print("  curl -H 'Authorization: Bearer <token>' .../api/staff/queue")


def _stop_like_ctrl_c(signum: int, frame: object) -> None:
    """SIGTERM (a process manager, `kill`) stops as cleanly as Ctrl-C does."""
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
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
        started = time.perf_counter()
        server = LocalDynamoDB(HOST, 0, journal_path=LOCAL_DIR / JOURNAL_NAME).start()
        endpoint = server.endpoint
        if server.replayed is not None and server.replayed.lines:
            report = server.replayed
            print(
                f"local data restored from {LOCAL_DIR / JOURNAL_NAME}: {report.items} items "
                f"in {report.tables} table(s), {time.perf_counter() - started:.1f} s"
                + (" (an unfinished last write was skipped)" if report.skipped_torn_line else "")
            )
    from scripts.local_mail import LocalMailServer
    from scripts.oidc_server import LocalOidcProvider
    from scripts.stream_drain import drain_for

    mail = LocalMailServer(LOCAL_DIR / "mail").start()
    oidc = LocalOidcProvider().start()
    env = local_environment(endpoint, smtp_port=mail.port, oidc_issuer=oidc.issuer)
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    create_table(client, TABLE_NAME)
    persisted = f", data kept in {LOCAL_DIR / JOURNAL_NAME}" if server is not None else ""
    print(f"DynamoDB (moto) on {endpoint}, table {TABLE_NAME}{persisted}")
    localstripe = None
    if os.environ.get("PERMIT_PAYMENT_PROVIDER", "sandbox") == "stripe":
        from scripts.localstripe_server import LocalStripe

        localstripe = LocalStripe().start()
        localstripe.register_webhook(
            f"http://{HOST}:{PORT}/api/payments/stripe/webhook", LOCAL_STRIPE_WEBHOOK_SECRET
        )
        env.update(stripe_environment(localstripe.endpoint))
        print(f"payments: Stripe emulator (localstripe) on {localstripe.endpoint}")
        print("  pay with the test card 4242 4242 4242 4242, any future expiry, any CVC")
    drain = drain_for(env).start()
    print(f"mail (SMTP) on {HOST}:{mail.port}, kept in {mail.folder}; read it at /local/mail")
    print(f"permit-service on http://{HOST}:{PORT}/  (Ctrl-C stops)")
    print_staff_sign_in(oidc.issuer, (LOCAL_DIR / "staff-token").read_text().strip())
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
    # `kill <pid>` stops everything as Ctrl-C does (localstripe and moto are our children).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
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
        oidc.stop()
        if localstripe is not None:
            localstripe.stop()
        if server is not None:
            server.stop()
        print("stopped")


if __name__ == "__main__":
    raise SystemExit(main())
