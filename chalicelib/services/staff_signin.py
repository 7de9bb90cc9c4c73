"""Staff sign-in with the city's identity provider, staff sessions, and OIDC Bearer tokens.

The flow is OpenID Connect's authorization code flow with PKCE (RFC 7636, S256):

1. :meth:`StaffSignIn.begin` makes ``state``, ``nonce`` and a PKCE verifier, stores them
   server-side under the hash of ``state`` for ten minutes, and names the issuer's page.
   The browser keeps ``state`` in a short-lived HttpOnly cookie, which ties the callback to
   the browser that started it (login CSRF).
2. :meth:`StaffSignIn.complete` takes that record (once), exchanges the code with the
   verifier and the client secret, validates the ID token (issuer, audience, expiry,
   nonce, signature) and makes a session for the role the groups claim grants.

Sessions are random 256-bit ids stored only as their SHA-256, with a 30-minute idle and a
10-hour absolute limit (``domain/staff_sessions.py``). The JSON API takes the issuer's
access tokens as Bearer instead (validated the same way; role from the same claim).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chalicelib.domain.access import hash_token
from chalicelib.domain.errors import StaffAuthError, StaffForbiddenError
from chalicelib.domain.staff_roles import Role, StaffPrincipal, role_from_groups
from chalicelib.domain.staff_sessions import (
    SIGNIN_LIFETIME,
    SignInAttempt,
    StaffSession,
    TokenRejectedError,
)
from chalicelib.services.ports import Clock, IdentityProvider, StaffSessionStore

__all__ = [
    "NoStaffRoleError",
    "SignedIn",
    "StaffSignIn",
    "safe_next_path",
]

SCOPE = "openid"  # no profile, no e-mail: the service needs the subject and the groups only
DEFAULT_NEXT = "/staff"
_NEXT_PATH = re.compile(r"/staff(?:[/?#][\x21-\x7e]*)?")
_MAX_ACTOR = 200


class NoStaffRoleError(StaffForbiddenError):
    """Signed in at the issuer, but in none of the staff groups: 403 "no role"."""


@dataclass(frozen=True)
class SignedIn:
    session_id: str  # for the browser's cookie only; stored nowhere
    principal: StaffPrincipal
    next_path: str


def safe_next_path(value: str | None) -> str:
    """A local ``/staff...`` path to return to, or ``/staff``: no open redirect.

    Only printable ASCII without spaces or backslashes, starting with ``/staff`` followed by
    ``/``, ``?``, ``#`` or nothing, and no ``//``, ``..``, backslash or encoded dot or
    slash, so ``//evil.example``, ``/staffevil``, ``https://...`` and ``/staff/../..`` all
    fall back to the default.
    """
    if not value or len(value) > 2000 or not _NEXT_PATH.fullmatch(value):
        return DEFAULT_NEXT
    if any(bad in value for bad in ("\\", "//", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C")):
        return DEFAULT_NEXT
    return value


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _groups(claims: Mapping[str, object], claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):  # some issuers send one group as a string
        return [value]
    if isinstance(value, list):
        return [group for group in value if isinstance(group, str)]
    return []


class StaffSignIn:
    def __init__(
        self,
        provider: IdentityProvider | None,
        sessions: StaffSessionStore,
        clock: Clock,
        *,
        groups_claim: str,
        staff_groups: Iterable[tuple[str, str]],
    ) -> None:
        self._provider = provider
        self._sessions = sessions
        self._clock = clock
        self._groups_claim = groups_claim
        self._staff_groups = tuple(staff_groups)

    @property
    def enabled(self) -> bool:
        return self._provider is not None

    def _require_provider(self) -> IdentityProvider:
        if self._provider is None:
            from chalicelib.domain.errors import ServiceUnavailableError

            raise ServiceUnavailableError("staff sign-in is not configured in this stage")
        return self._provider

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    # -- sign-in ----------------------------------------------------------------------

    def begin(self, next_path: str | None, redirect_uri: str) -> tuple[str, str]:
        """(the issuer's authorization URL, ``state`` for the browser's cookie)."""
        provider = self._require_provider()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)  # 64 characters: RFC 7636 allows 43-128
        url = provider.authorization_url(
            redirect_uri=redirect_uri,
            state=state,
            nonce=nonce,
            code_challenge=_pkce_challenge(verifier),
            scope=SCOPE,
        )
        self._sessions.put_signin(
            SignInAttempt(
                state_hash=hash_token(state),
                nonce=nonce,
                code_verifier=verifier,
                next_path=safe_next_path(next_path),
                expires_at=self._now() + int(SIGNIN_LIFETIME.total_seconds()),
            )
        )
        return url, state

    def complete(
        self, *, cookie_state: str | None, state: str | None, code: str | None, redirect_uri: str
    ) -> SignedIn:
        """The new session, or TokenRejectedError (bad state, code or ID token) or
        NoStaffRoleError (signed in, but no staff group)."""
        provider = self._require_provider()
        if not (cookie_state and state and code):
            raise TokenRejectedError("sign-in callback without state, cookie or code")
        if not secrets.compare_digest(cookie_state.encode(), state.encode()):
            raise TokenRejectedError("state does not match this browser's sign-in")
        attempt = self._sessions.take_signin(hash_token(state))
        if attempt is None or attempt.expires_at <= self._now():
            raise TokenRejectedError("unknown, used or expired sign-in")
        tokens = provider.exchange_code(
            code=code, code_verifier=attempt.code_verifier, redirect_uri=redirect_uri
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise TokenRejectedError("the token response holds no ID token")
        claims = provider.validate(id_token, "id", self._clock.now(), nonce=attempt.nonce)
        principal = self._principal(claims)
        session_id = secrets.token_urlsafe(32)
        now = self._now()
        self._sessions.put_session(
            StaffSession(hash_token(session_id), principal.actor, principal.role, now, now)
        )
        return SignedIn(session_id, principal, attempt.next_path)

    # -- credentials on each request ----------------------------------------------------

    def authenticate_access_token(self, token: str) -> StaffPrincipal:
        """A Bearer access token of the issuer: its subject and the role of its groups."""
        provider = self._require_provider()
        claims = provider.validate(token, "access", self._clock.now())
        return self._principal(claims)

    def authenticate_session(self, session_id: str) -> StaffPrincipal:
        """The session's principal; StaffAuthError once it has ended (idle or absolute)."""
        if not session_id or len(session_id) > 100:
            raise StaffAuthError("no staff session")
        session = self._sessions.get_session(hash_token(session_id))
        now = self._now()
        if session is None or not session.alive_at(now):
            raise StaffAuthError("staff session ended")
        if session.needs_touch(now):
            self._sessions.touch_session(session.touched(now))
        return StaffPrincipal(session.actor, session.role)

    def sign_out(self, session_id: str | None) -> None:
        if session_id and len(session_id) <= 100:
            self._sessions.delete_session(hash_token(session_id))

    def _principal(self, claims: Mapping[str, object]) -> StaffPrincipal:
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > _MAX_ACTOR:
            raise TokenRejectedError("the token names no subject")
        role = role_from_groups(_groups(claims, self._groups_claim), self._staff_groups)
        if role is None:
            raise NoStaffRoleError("signed in, but in none of the staff groups")
        return StaffPrincipal(f"oidc:{subject}", Role(role))
