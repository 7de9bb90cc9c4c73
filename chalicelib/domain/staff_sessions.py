"""A signed-in staff member's browser session and an unfinished sign-in, as stored.

Neither holds a secret in the clear: a session is stored under the SHA-256 of its random id
(the id itself lives only in the browser's HttpOnly cookie), a sign-in attempt under the
SHA-256 of its ``state``. Neither holds personal data: the subject id and the role only.

A session ends after ``IDLE`` without a request, and ``ABSOLUTE`` after sign-in whatever
happens (a working day plus a little: BSI IT-Grundschutz ORP.4 asks for both limits).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from chalicelib.domain.errors import StaffAuthError
from chalicelib.domain.staff_roles import Role

__all__ = [
    "ABSOLUTE",
    "IDLE",
    "SIGNIN_LIFETIME",
    "TOUCH_AFTER",
    "SignInAttempt",
    "StaffSession",
    "TokenRejectedError",
]


class TokenRejectedError(StaffAuthError):
    """A token (ID or access) that this service does not accept: 401 like no credential.

    The message says why for the log (wrong issuer, expired, ...), never the token itself.
    """


IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=10)
#: How long the identity provider's page may take (state, nonce and PKCE verifier expire).
SIGNIN_LIFETIME = timedelta(minutes=10)
#: A request refreshes the idle deadline at most this often: no write on every click.
TOUCH_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class StaffSession:
    key_hash: str  # SHA-256 hex of the random session id
    actor: str
    role: Role
    created_at: int  # epoch seconds
    last_seen: int  # epoch seconds

    @property
    def expires_at(self) -> int:
        """When it ends unless used again: the earlier of the idle and the absolute limit.

        Also the item's TTL attribute, so DynamoDB removes dead sessions on its own.
        """
        idle_end = self.last_seen + int(IDLE.total_seconds())
        return min(idle_end, self.created_at + int(ABSOLUTE.total_seconds()))

    def alive_at(self, now: int) -> bool:
        return now < self.expires_at

    def needs_touch(self, now: int) -> bool:
        return now - self.last_seen >= int(TOUCH_AFTER.total_seconds())

    def touched(self, now: int) -> StaffSession:
        return replace(self, last_seen=now)


@dataclass(frozen=True)
class SignInAttempt:
    """What the callback needs to finish a sign-in the browser started (one use only)."""

    state_hash: str
    nonce: str
    code_verifier: str
    next_path: str
    expires_at: int  # epoch seconds
