"""Citizen access tokens: random, shown once, stored only as a SHA-256 hash.

A token given out under an ``Idempotency-Key`` is derived (HMAC under the service secret)
from the key and the application id instead of drawn at random, so that replaying the
request can answer with the same token without the token ever being stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = [
    "derived_access_token",
    "hash_token",
    "new_access_token",
    "purpose_key",
    "sign",
    "token_matches",
    "unsign",
]

_TOKEN_BYTES = 24  # 192 bits


def new_access_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def derived_access_token(secret: bytes, scope: str, key_hash: str, application_id: str) -> str:
    message = f"access-token\x00{scope}\x00{key_hash}\x00{application_id}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:_TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, stored_hash: str) -> bool:
    """Constant-time; a missing token is hashed too so both paths cost the same."""
    candidate = hash_token(token or "")
    return hmac.compare_digest(candidate, stored_hash) and bool(token)


def purpose_key(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose derived from the service secret, so one secret serves several."""
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign(key: bytes, payload: str) -> str:
    """``payload.signature`` (HMAC-SHA256, base64url): for cookies and links the service mints."""
    return f"{payload}.{_mac(key, payload)}"


def unsign(key: bytes, value: str | None) -> str | None:
    """The payload if ``value`` carries a valid signature under ``key`` (constant time); else None."""
    if not value or "." not in value:
        return None
    payload, _, signature = value.rpartition(".")
    if hmac.compare_digest(_mac(key, payload), signature):
        return payload
    return None
