"""Signed values, cookies and CSRF tokens for the citizen's pages.

- **Signed values** (``payload.signature``): HMAC-SHA256 under a key derived from the app
  secret for one purpose, compared in constant time. They carry an expiry where they grant
  anything, so a copied cookie or link stops working on its own.
- **Cookies** are ``HttpOnly`` and ``SameSite=Lax`` (the citizen comes back from the payment
  provider with a top-level GET, which Lax admits and Strict would not), ``Path=/``, and on
  https ``Secure`` with the ``__Host-`` prefix (no ``Domain``, so no sibling host can set
  or read them). On the plain-http local run (127.0.0.1) neither is possible in every
  browser, so neither is sent: see :attr:`Settings.secure_cookies`.
- **CSRF**: a random per-browser value in a cookie, and in every form an HMAC of it (signed
  double submit, OWASP). A POST whose token does not match is refused, as is one a browser
  marks as cross-site (``Sec-Fetch-Site``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from http.cookies import CookieError, SimpleCookie

from chalicelib.domain.access import sign, unsign

__all__ = [
    "CSRF_COOKIE",
    "cookie_name",
    "csrf_matches",
    "csrf_token",
    "new_csrf_secret",
    "parse_cookies",
    "set_cookie",
    "sign",
    "unsign",
]

CSRF_COOKIE = "csrf"


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def cookie_name(name: str, secure: bool) -> str:
    return f"__Host-{name}" if secure else name


def set_cookie(
    name: str,
    value: str,
    *,
    secure: bool,
    max_age: int | None = None,
    http_only: bool = True,
) -> str:
    """One ``Set-Cookie`` value; ``max_age=None`` makes a session cookie (gone on quit)."""
    parts = [f"{cookie_name(name, secure)}={value}", "Path=/", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def parse_cookies(header: str | None, secure: bool) -> dict[str, str]:
    """Our cookies by their plain names (the ``__Host-`` prefix removed where it is required)."""
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    found: dict[str, str] = {}
    for key, morsel in jar.items():
        if secure:
            if key.startswith("__Host-"):
                found[key.removeprefix("__Host-")] = morsel.value
        elif not key.startswith("__Host-"):
            found[key] = morsel.value
    return found


def new_csrf_secret() -> str:
    return secrets.token_urlsafe(18)


def csrf_token(key: bytes, secret: str) -> str:
    return _mac(key, f"csrf\x00{secret}")


def csrf_matches(key: bytes, secret: str | None, token: str | None) -> bool:
    if not secret or not token:
        return False
    return hmac.compare_digest(csrf_token(key, secret), token)
