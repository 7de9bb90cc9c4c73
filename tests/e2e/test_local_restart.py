"""`make run` keeps local data: a permit paid before a restart still verifies and prints.

The stack is started exactly as `make run` starts it (``python -m scripts.run_local``: moto
with its journal, the table, the local secrets and key, `chalice local`), as a process group
of its own, with ``PERMIT_LOCAL_DIR`` pointing at a temporary folder instead of ``.local/``
and a free port. It is stopped the two ways a developer's run ends: Ctrl-C (SIGINT to the
whole group, as a terminal sends it) and a crash (SIGKILL to the whole group: no clean-up
runs at all). After each restart the permits issued before verify as valid, their status is
unchanged and their PDFs download byte for byte as before.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import APP_ROOT
from tests.e2e.conftest import HOST, LiveService, Submitted, _free_port, _wait_until_serving

pytestmark = pytest.mark.e2e


class LocalRun:
    """One `make run` (scripts.run_local) in its own process group."""

    def __init__(self, local_dir: Path, port: int, log_path: Path) -> None:
        self.local_dir = local_dir
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> LiveService:
        _wait_until_port_is_free(self.port)
        env = dict(os.environ)
        env.update(PERMIT_LOCAL_DIR=str(self.local_dir), PERMIT_LOCAL_PORT=str(self.port))
        env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)  # the embedded, journaled DynamoDB
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scripts.run_local"],
                cwd=APP_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, like a terminal's job
            )
        _wait_until_serving(self.base_url, self.process, self.log_path)
        return LiveService(
            self.base_url, env, None, "permits-local", self.log_path, self.local_dir / "mail"
        )

    def stop(self, how: signal.Signals) -> None:
        """SIGINT: Ctrl-C in the terminal; SIGKILL: a crash. Sent to the whole group."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, how)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        self.process = None


def _wait_until_port_is_free(port: int, timeout: float = 20) -> None:
    """A stopped run's `chalice local` may take a moment to let go of the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex((HOST, port)) != 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"port {port} is still in use")


@pytest.fixture
def local_run(tmp_path: Path) -> Iterator[LocalRun]:
    run = LocalRun(tmp_path / "local", _free_port(), tmp_path / "run-local.log")
    try:
        yield run
    finally:
        run.stop(signal.SIGKILL)


def _printed(service: LiveService, submitted: Submitted) -> tuple[str, bytes, dict[str, Any]]:
    """What the citizen holds: the verification token of the QR, the PDF bytes, the status."""
    status = service.status(submitted)
    token = status["permit"]["verify_url"].split("#", 1)[1]
    pdf = service.request(
        "GET",
        f"/api/applications/{submitted.id}/permit.pdf",
        headers={**service.bearer(submitted), "Accept": "application/pdf"},
    )
    assert pdf.status == 200, pdf.text
    assert pdf.body.startswith(b"%PDF-")
    return token, pdf.body, status


def _assert_still_valid(
    service: LiveService, submitted: Submitted, printed: tuple[str, bytes, dict[str, Any]]
) -> None:
    token, pdf, status = printed
    verified = service.request("POST", "/api/verify", {"token": token})
    assert verified.status == 200, verified.text
    assert verified.json()["result"] == "valid", verified.json()
    assert verified.json()["permit"]["number"] == status["permit"]["number"]
    assert service.status(submitted) == status
    again = _printed(service, submitted)
    assert again[1] == pdf  # the same permit, byte for byte
    assert again[0] == token


def test_permits_survive_ctrl_c_and_kill_9(local_run: LocalRun) -> None:
    service = local_run.start()
    first, _ = service.issue_permit()
    first_printed = _printed(service, first)
    _assert_still_valid(service, first, first_printed)
    key = (local_run.local_dir / "signing-key.pem").read_bytes()

    local_run.stop(signal.SIGINT)  # Ctrl-C
    service = local_run.start()
    _assert_still_valid(service, first, first_printed)

    second, _ = service.issue_permit()  # written just before the crash
    second_printed = _printed(service, second)
    local_run.stop(signal.SIGKILL)  # kill -9 of the whole group: nothing gets to clean up

    service = local_run.start()
    _assert_still_valid(service, first, first_printed)
    _assert_still_valid(service, second, second_printed)
    assert (local_run.local_dir / "signing-key.pem").read_bytes() == key
    assert "local data restored" in local_run.log_path.read_text(encoding="utf-8")
