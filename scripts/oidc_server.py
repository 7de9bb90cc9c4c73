"""A real OpenID Connect provider on 127.0.0.1 for `make run` and the tests: oidc-provider-mock.

oidc-provider-mock (PyPI, MIT) is a complete provider built on authlib: discovery, JWK set,
the authorization page, the token endpoint, RS256-signed ID tokens with a nonce. Its
authorization page lets one pick a *predefined user* with one click (or type any subject,
who then has no groups); the claims, such as ``groups``, come with the predefined user, so
this launcher predefines one user per staff role (:data:`STAFF_USERS`).

Two things it does not do on its own, added here through its Flask/authlib configuration:

- **Access tokens as JWTs** (RFC 9068, ``typ: at+jwt``): out of the box they are opaque
  random strings. ``OAUTH2_ACCESS_TOKEN_GENERATOR`` makes them JWTs signed with the
  provider's own key, with ``aud`` and ``client_id`` set to the client and the user's
  ``groups``, as Cognito's access tokens carry ``client_id`` and ``cognito:groups``.
- **Minting test tokens** (:meth:`LocalOidcProvider.mint`) with the provider's key, for
  the refusals a browser cannot produce (an expired access token).

It does not check PKCE (no ``CodeChallenge`` extension is registered) and accepts any client
id and secret; Cognito checks both. The service's half of PKCE is unit-tested.

    python -m scripts.oidc_server --port 8470     # serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import secrets
import threading
import time
import urllib.request
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from scripts.local_server import LocalServer

__all__ = ["LOCAL_CLIENT_ID", "LOCAL_CLIENT_SECRET", "STAFF_USERS", "LocalOidcProvider"]

HOST = "127.0.0.1"
#: The local stage's OIDC client (the provider accepts any id and secret; Cognito does not).
LOCAL_CLIENT_ID = "permit-service-local"
LOCAL_CLIENT_SECRET = "local-oidc-client-secret-not-for-production"

#: One predefined user per role (and one in no staff group): the subject to pick on the
#: provider's page, and the groups the service maps to roles.
STAFF_USERS: Mapping[str, tuple[str, ...]] = {
    "viewer": ("permit-viewer",),
    "clerk": ("permit-clerk",),
    "admin": ("permit-admin",),
    "no-role": ("some-other-group",),
}


def _quiet_handler() -> Any:
    import werkzeug.serving

    class Quiet(werkzeug.serving.WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            """No access log line per request (the test output and `make run` stay readable)."""

    return Quiet


class LocalOidcProvider(LocalServer):
    """oidc-provider-mock on a thread, on 127.0.0.1 and a free (or given) port."""

    def __init__(
        self,
        port: int = 0,
        users: Mapping[str, tuple[str, ...]] = STAFF_USERS,
        token_max_age: timedelta = timedelta(hours=1),
    ) -> None:
        self._port = port
        self._users = users
        self._token_max_age = token_max_age
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._app: Any = None
        self.issuer = ""

    @property
    def port(self) -> int:
        return int(self._server.server_port) if self._server is not None else self._port

    def start(self, timeout: float = 10) -> LocalOidcProvider:
        import flask
        import oidc_provider_mock
        import werkzeug.serving

        # Named after the package, so Flask finds its templates (the authorization page).
        app = flask.Flask("oidc_provider_mock")
        app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = self._access_token
        oidc_provider_mock.init_app(
            app,
            require_nonce=True,
            issue_refresh_token=False,
            access_token_max_age=self._token_max_age,
            user_claims=[
                oidc_provider_mock.User(sub=sub, claims={"groups": list(groups)})
                for sub, groups in self._users.items()
            ],
        )
        app.secret_key = secrets.token_bytes(16)
        app.debug = False  # init_app turns it on: no interactive debugger on a port
        self._app = app
        self._server = werkzeug.serving.make_server(
            HOST, self._port, app, threaded=True, request_handler=_quiet_handler()
        )
        self.issuer = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(
                    self.issuer + "/.well-known/openid-configuration", timeout=2
                ):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the local OIDC provider did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- tokens ---------------------------------------------------------------------------

    def _key(self) -> Any:
        """The provider's signing key (oidc-provider-mock keeps it in its per-app storage)."""
        import flask

        with self._app.test_request_context("/"):
            self._app.preprocess_request()  # runs the mock's before_request: sets flask.g
            key = flask.g.oidc_provider_mock_storage.jwk
        key.ensure_kid()
        return key

    def _access_token(self, client: Any, grant_type: str, user: Any, scope: str) -> str:
        """An RFC 9068 access token signed with the provider's key (called by authlib)."""
        now = int(time.time())
        client_id = client.get_client_id()
        claims = {
            "iss": self.issuer,
            "sub": user.sub,
            "aud": client_id,
            "client_id": client_id,
            "scope": scope or "",
            "iat": now,
            "exp": now + int(self._token_max_age.total_seconds()),
            "jti": secrets.token_hex(12),
            **{k: v for k, v in user.claims.items() if k == "groups"},
        }
        return self.mint(claims, typ="at+jwt")

    def mint(self, claims: Mapping[str, Any], typ: str = "at+jwt") -> str:
        """A JWT signed with this provider's key: tokens a browser cannot be made to produce."""
        from joserfc import jwt

        key = self._key()
        header = {"alg": "RS256", "kid": key.kid, "typ": typ}
        return jwt.encode(header, dict(claims), key)

    def access_token(self, sub: str, client_id: str = LOCAL_CLIENT_ID, **extra: Any) -> str:
        """An access token for a predefined user, as the token endpoint would issue it."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": client_id,
            "client_id": client_id,
            "scope": "openid",
            "iat": now,
            "exp": now + int(self._token_max_age.total_seconds()),
            "jti": secrets.token_hex(12),
        }
        if sub in self._users:
            claims["groups"] = list(self._users[sub])
        claims.update(extra)
        return self.mint(claims)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with LocalOidcProvider(args.port) as provider:
        print(f"OIDC provider on {provider.issuer}  (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
