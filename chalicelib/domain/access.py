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

__all__ = ["derived_access_token", "hash_token", "new_access_token", "token_matches"]

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
