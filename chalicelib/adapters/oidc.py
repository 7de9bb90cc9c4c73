"""The city's OpenID Connect issuer: discovery, its keys, the token endpoint, token checks.

Any OIDC issuer works by configuration (a Cognito user pool in AWS, the city's Keycloak or
Entra ID, the local provider of ``make run``): everything else is read from the issuer's
``/.well-known/openid-configuration``. Tokens are checked with PyJWT (signature against the
issuer's JWK set, issuer, algorithm), never by hand; audience, token kind and expiry are
checked here against the service's injected clock, so tests can move time.

PyJWT (and ``cryptography`` under it) is imported inside the methods: ``import app`` and
every request that never meets a staff token stay free of it.

Network: discovery and the JWK set are cached (an hour; the JWK set is re-read at most once
a minute when a token names an unknown key id, which is how issuers roll their keys). Every
call has a short timeout; an issuer that does not answer is a 503, never a hang.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chalicelib.domain.staff_sessions import TokenRejectedError
from chalicelib.services.dependency_errors import DependencyUnavailableError

__all__ = [
    "Fetch",
    "OidcClient",
    "OidcUnavailableError",
    "ProviderMetadata",
    "TokenRejectedError",
    "http_fetch",
]

#: Signature algorithms accepted from an issuer (never ``none``, never HMAC with a public key).
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
LEEWAY_SECONDS = 30  # clock skew between the issuer and this service
METADATA_TTL_SECONDS = 3600
JWKS_TTL_SECONDS = 3600
JWKS_REFRESH_MIN_SECONDS = 60
TIMEOUT_SECONDS = 3.0
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})

TokenKind = Literal["id", "access"]


class OidcUnavailableError(DependencyUnavailableError):
    """The issuer did not answer (or answered garbage): 503, the caller may retry."""

    def __init__(self, detail: str) -> None:
        super().__init__("the identity provider cannot be reached right now")
        self.detail = detail


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""


#: GET a URL and parse its JSON, or POST a form (``data``) with extra headers.
Fetch = Callable[[str, bytes | None, Mapping[str, str]], tuple[int, Any]]


def http_fetch(url: str, data: bytes | None, headers: Mapping[str, str]) -> tuple[int, Any]:
    """The real transport: urllib with a short timeout; (status, parsed JSON or None)."""
    if not url.startswith(("https://", "http://")):
        raise OidcUnavailableError("the issuer's URL is not http(s)")
    request = urllib.request.Request(url, data=data, headers=dict(headers))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (OSError, ValueError) as error:
        raise OidcUnavailableError(f"{type(error).__name__} from the issuer") from error
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, None


class OidcClient:
    """One relying party (client id) at one issuer."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str = "",
        *,
        fetch: Fetch = http_fetch,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._client_secret = client_secret
        self._fetch = fetch
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._jwks: tuple[float, Any] | None = None  # (fetched at, jwt.PyJWKSet)

    # -- discovery --------------------------------------------------------------------

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            cached = self._metadata
        if cached is not None and self._monotonic() - cached[0] < METADATA_TTL_SECONDS:
            return cached[1]
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        status, body = self._fetch(url, None, {"Accept": "application/json"})
        if status != 200 or not isinstance(body, dict):
            raise OidcUnavailableError(f"discovery answered {status}")
        try:
            metadata = ProviderMetadata(
                issuer=str(body["issuer"]),
                authorization_endpoint=str(body["authorization_endpoint"]),
                token_endpoint=str(body["token_endpoint"]),
                jwks_uri=str(body["jwks_uri"]),
                end_session_endpoint=str(body.get("end_session_endpoint") or ""),
            )
        except KeyError as error:
            raise OidcUnavailableError(f"discovery lacks {error}") from error
        if metadata.issuer != self.issuer:  # OIDC Discovery 4.3: must be identical
            raise OidcUnavailableError("discovery names another issuer")
        with self._lock:
            self._metadata = (self._monotonic(), metadata)
        return metadata

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str, scope: str
    ) -> str:
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        endpoint = self.metadata().authorization_endpoint
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    # -- token endpoint ---------------------------------------------------------------

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> dict[str, Any]:
        """The token response for an authorization code (PKCE verifier, client secret).

        Raises TokenRejectedError when the issuer refuses the code (used, expired, forged).
        """
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": self.client_id,
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        if self._client_secret:  # client_secret_basic (RFC 6749 2.3.1: form-encoded parts)
            pair = f"{urllib.parse.quote(self.client_id, safe='')}:" + urllib.parse.quote(
                self._client_secret, safe=""
            )
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        status, body = self._fetch(
            self.metadata().token_endpoint, urllib.parse.urlencode(form).encode(), headers
        )
        if status >= 500:
            raise OidcUnavailableError(f"token endpoint answered {status}")
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            error = body.get("error") if isinstance(body, dict) else None
            raise TokenRejectedError(f"the token endpoint refused the code ({error or status})")
        return body

    # -- token checks -----------------------------------------------------------------

    def validate(
        self, token: str, kind: TokenKind, now: datetime, nonce: str | None = None
    ) -> dict[str, Any]:
        """The token's claims once signature, issuer, audience, kind, expiry (and nonce) hold."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRejectedError("not a JWT") from error
        key = self._signing_key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                issuer=self.issuer,
                options={
                    "verify_exp": False,  # checked below against the service's clock
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,  # checked below: access tokens may carry client_id
                    "require": ["iss", "sub", "exp"],
                },
            )
        except jwt.InvalidIssuerError as error:
            raise TokenRejectedError("wrong issuer") from error
        except jwt.InvalidSignatureError as error:
            raise TokenRejectedError("bad signature") from error
        except jwt.PyJWTError as error:
            raise TokenRejectedError(f"invalid token ({type(error).__name__})") from error
        self._check_audience(claims, kind)
        self._check_kind(header, claims, kind)
        self._check_times(claims, now)
        if kind == "id" and (nonce is None or claims.get("nonce") != nonce):
            raise TokenRejectedError("wrong nonce")
        return claims

    def _check_audience(self, claims: Mapping[str, Any], kind: TokenKind) -> None:
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience or []
        if not isinstance(audiences, list):
            raise TokenRejectedError("wrong audience")
        if kind == "access" and not audiences:
            # Cognito's access tokens name the app client in ``client_id``, not in ``aud``.
            if claims.get("client_id") == self.client_id:
                return
            raise TokenRejectedError("wrong audience")
        if self.client_id not in audiences:
            raise TokenRejectedError("wrong audience")
        if len(audiences) > 1 and claims.get("azp", self.client_id) != self.client_id:
            raise TokenRejectedError("wrong authorized party")

    @staticmethod
    def _check_kind(header: Mapping[str, Any], claims: Mapping[str, Any], kind: TokenKind) -> None:
        """An ID token is no access token and the other way round (each is for one use)."""
        typ = str(header.get("typ", "")).lower()
        token_use = claims.get("token_use")  # Cognito's marker
        looks_like_access = typ in ACCESS_TOKEN_TYPES or token_use == "access"  # noqa: S105
        if kind == "access" and not looks_like_access:
            raise TokenRejectedError("not an access token")
        if kind == "id" and (looks_like_access or token_use not in (None, "id")):
            raise TokenRejectedError("not an ID token")

    @staticmethod
    def _check_times(claims: Mapping[str, Any], now: datetime) -> None:
        current = now.timestamp()
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or expires <= current - LEEWAY_SECONDS:
            raise TokenRejectedError("expired")
        not_before = claims.get("nbf")
        if isinstance(not_before, int | float) and not_before > current + LEEWAY_SECONDS:
            raise TokenRejectedError("not valid yet")

    def _signing_key(self, kid: object) -> Any:
        """The issuer's key named by ``kid`` (re-reading the set once when it is unknown)."""
        keys = self._key_set(refresh=False)
        found = _find_key(keys, kid)
        if found is None:
            keys = self._key_set(refresh=True)
            found = _find_key(keys, kid)
        if found is None:
            raise TokenRejectedError("signed with a key the issuer does not publish")
        return found

    def _key_set(self, refresh: bool) -> Any:
        import jwt

        with self._lock:
            cached = self._jwks
        if cached is not None:
            # Unknown key ids re-read the set, but at most once a minute (no fetch per token).
            limit = JWKS_REFRESH_MIN_SECONDS if refresh else JWKS_TTL_SECONDS
            if self._monotonic() - cached[0] < limit:
                return cached[1]
        status, body = self._fetch(self.metadata().jwks_uri, None, {"Accept": "application/json"})
        if status != 200 or not isinstance(body, dict):
            raise OidcUnavailableError(f"the JWK set answered {status}")
        try:
            keys = jwt.PyJWKSet.from_dict(body)
        except jwt.PyJWTError as error:
            raise OidcUnavailableError("the JWK set holds no usable key") from error
        with self._lock:
            self._jwks = (self._monotonic(), keys)
        return keys


def _find_key(keys: Any, kid: object) -> Any:
    candidates = [key for key in keys.keys if key.public_key_use in (None, "sig")]
    if kid is None:
        return candidates[0].key if len(candidates) == 1 else None
    for key in candidates:
        if key.key_id == kid:
            return key.key
    return None
