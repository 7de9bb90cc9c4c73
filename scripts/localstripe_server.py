"""localstripe, the stateful Stripe emulator, on 127.0.0.1 for `make run` and the tests.

localstripe's own command listens on every interface (``::``) on a fixed port and pickles
its state to ``/tmp/localstripe.pickle`` on every write, a path shared by every process on
the machine. This launcher runs the same aiohttp app on 127.0.0.1 and a free port, keeps
the state in memory only, and (``LocalStripe``) registers our webhook endpoint, which
localstripe then signs (``Stripe-Signature``) and calls like Stripe does, one second after
the event.

    python -m scripts.localstripe_server --port 8420      # serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from chalicelib.config import APP_ROOT
from scripts.local_server import LocalServer

__all__ = ["LocalStripe"]

HOST = "127.0.0.1"
_WEBHOOK_ID = "permit-service"


def serve(host: str, port: int) -> None:
    import logging

    from aiohttp import web
    from localstripe import resources, server

    # In memory only: no shared pickle file under /tmp, no state from an earlier run.
    resources.store.dump_to_disk = lambda: None
    logging.basicConfig(level=logging.WARNING)
    web.run_app(server.app, host=host, port=port, access_log=None, print=None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalStripe(LocalServer):
    """A localstripe child process on 127.0.0.1; ``with LocalStripe() as stripe: ...``."""

    def __init__(self, port: int = 0) -> None:
        self.port = port or _free_port()
        self.endpoint = f"http://{HOST}:{self.port}"
        self._child: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> LocalStripe:
        env = {**os.environ, "PYTHONPATH": str(APP_ROOT)}
        command = [sys.executable, "-m", "scripts.localstripe_server", "--port", str(self.port)]
        self._child = subprocess.Popen(command, cwd=APP_ROOT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._child.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self._child.returncode}")
            try:
                # Any HTTP answer (401 without a key) means it is serving.
                urllib.request.urlopen(self.endpoint + "/v1/balance", timeout=2)
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.1)
                continue
            return self
        self.stop()
        raise RuntimeError(f"localstripe did not start within {timeout} s")

    def register_webhook(self, url: str, secret: str) -> None:
        """Point localstripe's webhooks at ``url``, signed with ``secret`` (replaces earlier)."""
        body = json.dumps({"url": url, "secret": secret}).encode()
        request = urllib.request.Request(
            f"{self.endpoint}/_config/webhooks/{_WEBHOOK_ID}",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
