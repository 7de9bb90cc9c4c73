"""Token checks of the OIDC adapter: each refusal a forged or misused token must meet.

The issuer here is a fake transport (constructor injection) serving a discovery document
and a JWK set made from a key generated for the test; tokens are signed with PyJWT. The
same checks run against the real local provider in tests/integration/test_staff_signin.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.oidc import OidcClient, OidcUnavailableError
from chalicelib.domain.staff_sessions import TokenRejectedError

ISSUER = "https://idp.example.test/pool"
CLIENT = "permit-client"
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _key() -> tuple[Any, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    return private, public_jwk


PRIVATE, PUBLIC_JWK = _key()
OTHER_PRIVATE, _ = _key()


class FakeIssuer:
    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys = keys
        self.calls: list[str] = []
        self.down = False

    def __call__(self, url: str, data: bytes | None, headers: Mapping[str, str]) -> Any:
        self.calls.append(url)
        if self.down:
            raise OidcUnavailableError("down")
        if url.endswith("/.well-known/openid-configuration"):
            return 200, {
                "issuer": ISSUER,
                "authorization_endpoint": ISSUER + "/authorize",
                "token_endpoint": ISSUER + "/token",
                "jwks_uri": ISSUER + "/jwks",
            }
        if url == ISSUER + "/jwks":
            return 200, {"keys": self.keys}
        return 404, None


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer([{**PUBLIC_JWK, "kid": "k1", "use": "sig", "alg": "RS256"}])


@pytest.fixture
def client(issuer: FakeIssuer) -> OidcClient:
    return OidcClient(ISSUER, CLIENT, "secret", fetch=issuer)


def _token(
    *,
    key: Any = PRIVATE,
    kid: str = "k1",
    typ: str = "at+jwt",
    algorithm: str = "RS256",
    **claims: Any,
) -> str:
    body = {
        "iss": ISSUER,
        "sub": "sub-123",
        "aud": CLIENT,
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        "iat": int(NOW.timestamp()),
        "groups": ["permit-clerk"],
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid, "typ": typ})


def test_a_good_access_token_gives_its_claims(client: OidcClient) -> None:
    claims = client.validate(_token(), "access", NOW)
    assert claims["sub"] == "sub-123"
    assert claims["groups"] == ["permit-clerk"]


def test_cognito_style_access_token_names_the_client_in_client_id(client: OidcClient) -> None:
    token = _token(typ="JWT", aud=None, client_id=CLIENT, token_use="access")
    assert client.validate(token, "access", NOW)["sub"] == "sub-123"


@pytest.mark.parametrize(
    ("token_args", "reason"),
    [
        ({"iss": "https://other-issuer.example.test"}, "wrong issuer"),
        ({"aud": "someone-else"}, "wrong audience"),
        ({"aud": None, "client_id": "someone-else", "token_use": "access"}, "wrong audience"),
        ({"aud": None}, "wrong audience"),
        ({"exp": int((NOW - timedelta(minutes=1)).timestamp())}, "expired"),
        ({"nbf": int((NOW + timedelta(minutes=5)).timestamp())}, "not valid yet"),
        ({"key": OTHER_PRIVATE}, "bad signature"),
        ({"kid": "unknown-key"}, "does not publish"),
        ({"typ": "JWT"}, "not an access token"),  # an ID token is no Bearer credential
        ({"sub": None}, "invalid token"),
        ({"exp": None}, "invalid token"),
    ],
)
def test_refused_access_tokens(client: OidcClient, token_args: dict[str, Any], reason: str) -> None:
    with pytest.raises(TokenRejectedError, match=reason):
        client.validate(_token(**token_args), "access", NOW)


def test_expiry_follows_the_injected_clock(client: OidcClient) -> None:
    token = _token()
    client.validate(token, "access", NOW + timedelta(minutes=5))  # within the 30 s leeway
    with pytest.raises(TokenRejectedError, match="expired"):
        client.validate(token, "access", NOW + timedelta(minutes=6))


def test_hmac_signed_with_the_public_key_is_refused(client: OidcClient) -> None:
    """The classic algorithm-confusion forgery: HS256 keyed with the issuer's public key."""
    import base64
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = b64(json.dumps({"alg": "HS256", "kid": "k1", "typ": "at+jwt"}).encode())
    body = b64(json.dumps({"iss": ISSUER, "sub": "x", "aud": CLIENT, "exp": 4102444800}).encode())
    pem = PRIVATE.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    mac = hmac.new(pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{body}.{b64(mac)}"
    with pytest.raises(TokenRejectedError):
        client.validate(forged, "access", NOW)


def test_unsigned_token_is_refused(client: OidcClient) -> None:
    unsigned = jwt.encode(
        {"iss": ISSUER, "sub": "x", "aud": CLIENT, "exp": 4102444800}, None, "none"
    )
    with pytest.raises(TokenRejectedError):
        client.validate(unsigned, "access", NOW)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_garbage_is_refused(client: OidcClient, garbage: str) -> None:
    with pytest.raises(TokenRejectedError):
        client.validate(garbage, "access", NOW)


def test_id_token_needs_its_nonce_and_is_no_access_token(client: OidcClient) -> None:
    id_token = _token(typ="JWT", nonce="n-1", aud=[CLIENT])
    assert client.validate(id_token, "id", NOW, nonce="n-1")["sub"] == "sub-123"
    with pytest.raises(TokenRejectedError, match="nonce"):
        client.validate(id_token, "id", NOW, nonce="n-2")
    with pytest.raises(TokenRejectedError, match="nonce"):
        client.validate(_token(typ="JWT"), "id", NOW, nonce="n-1")
    with pytest.raises(TokenRejectedError, match="not an ID token"):
        client.validate(_token(nonce="n-1"), "id", NOW, nonce="n-1")  # typ at+jwt


def test_id_token_with_several_audiences_needs_us_as_authorized_party(client: OidcClient) -> None:
    token = _token(typ="JWT", nonce="n", aud=[CLIENT, "other"], azp="other")
    with pytest.raises(TokenRejectedError, match="authorized party"):
        client.validate(token, "id", NOW, nonce="n")


def test_rolled_key_is_fetched_once_then_cached(issuer: FakeIssuer) -> None:
    ticks = iter(range(0, 10_000, 100))  # each call 100 s later: refresh allowed
    client = OidcClient(ISSUER, CLIENT, fetch=issuer, monotonic=lambda: float(next(ticks)))
    client.validate(_token(), "access", NOW)
    _, new_jwk = _key()
    new_private = OTHER_PRIVATE
    new_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(new_private.public_key()))
    issuer.keys.append({**new_jwk, "kid": "k2"})
    client.validate(_token(key=new_private, kid="k2"), "access", NOW)
    assert issuer.calls.count(ISSUER + "/jwks") == 2


def test_unknown_kids_do_not_refetch_the_key_set_every_time(issuer: FakeIssuer) -> None:
    client = OidcClient(ISSUER, CLIENT, fetch=issuer, monotonic=lambda: 0.0)
    for _ in range(5):
        with pytest.raises(TokenRejectedError):
            client.validate(_token(kid="nope"), "access", NOW)
    assert issuer.calls.count(ISSUER + "/jwks") == 1


def test_issuer_down_is_unavailable_not_a_refusal(issuer: FakeIssuer, client: OidcClient) -> None:
    issuer.down = True
    with pytest.raises(OidcUnavailableError):
        client.validate(_token(), "access", NOW)


def test_discovery_naming_another_issuer_is_refused(issuer: FakeIssuer) -> None:
    client = OidcClient(ISSUER + "/", CLIENT, fetch=issuer)  # configured with a trailing slash
    with pytest.raises(OidcUnavailableError):
        client.metadata()


def test_authorization_url_carries_pkce_state_and_nonce(client: OidcClient) -> None:
    url = client.authorization_url(
        redirect_uri="https://permits.example.de/staff/signin/callback",
        state="s1",
        nonce="n1",
        code_challenge="c1",
        scope="openid",
    )
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == ISSUER + "/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": "https://permits.example.de/staff/signin/callback",
        "scope": "openid",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": "c1",
        "code_challenge_method": "S256",
    }
