"""The sign-in use case with an injected clock: session limits, one-use state, no open redirect.

The identity provider and the session store are in-memory fakes of their ports; the real
adapters are exercised in tests/integration/test_staff_signin.py (moto over HTTP, the
local OIDC provider).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.config import DEFAULT_STAFF_GROUPS
from chalicelib.domain.errors import StaffAuthError
from chalicelib.domain.staff_roles import Role, role_from_groups
from chalicelib.domain.staff_sessions import SignInAttempt, StaffSession, TokenRejectedError
from chalicelib.services.staff_signin import NoStaffRoleError, StaffSignIn, safe_next_path
from tests.conftest import FixedClock

REDIRECT = "https://permits.example.de/staff/signin/callback"


class MemorySessions:
    def __init__(self) -> None:
        self.sessions: dict[str, StaffSession] = {}
        self.signins: dict[str, SignInAttempt] = {}
        self.touches = 0

    def put_session(self, session: StaffSession) -> None:
        self.sessions[session.key_hash] = session

    def get_session(self, key_hash: str) -> StaffSession | None:
        return self.sessions.get(key_hash)

    def touch_session(self, session: StaffSession) -> None:
        self.touches += 1
        if session.key_hash in self.sessions:
            self.sessions[session.key_hash] = session

    def delete_session(self, key_hash: str) -> None:
        self.sessions.pop(key_hash, None)

    def put_signin(self, attempt: SignInAttempt) -> None:
        self.signins[attempt.state_hash] = attempt

    def take_signin(self, state_hash: str) -> SignInAttempt | None:
        return self.signins.pop(state_hash, None)


class FakeProvider:
    """Hands back what the test says the ID token contained; records the PKCE exchange."""

    def __init__(self, groups: list[str]) -> None:
        self.groups = groups
        self.challenge = ""
        self.nonce = ""
        self.verifier = ""

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str, scope: str
    ) -> str:
        self.challenge, self.nonce = code_challenge, nonce
        return f"https://idp.example/authorize?state={state}"

    def exchange_code(
        self, *, code: str, code_verifier: str, redirect_uri: str
    ) -> Mapping[str, object]:
        if code != "good-code" or redirect_uri != REDIRECT:
            raise TokenRejectedError("bad code")
        self.verifier = code_verifier
        return {"id_token": "id-token", "access_token": "access-token"}

    def validate(
        self,
        token: str,
        kind: Literal["id", "access"],
        now: datetime,
        nonce: str | None = None,
    ) -> Mapping[str, object]:
        if kind == "id" and nonce != self.nonce:
            raise TokenRejectedError("wrong nonce")
        return {"sub": "sub-1", "groups": self.groups}


def _service(groups: list[str], clock: FixedClock) -> tuple[StaffSignIn, MemorySessions]:
    sessions = MemorySessions()
    service = StaffSignIn(
        FakeProvider(groups),
        sessions,
        clock,
        groups_claim="groups",
        staff_groups=DEFAULT_STAFF_GROUPS,
    )
    return service, sessions


def _sign_in(service: StaffSignIn, next_path: str = "/staff/queue") -> str:
    url, state = service.begin(next_path, REDIRECT)
    assert parse_qs(urlsplit(url).query)["state"] == [state]
    signed_in = service.complete(
        cookie_state=state, state=state, code="good-code", redirect_uri=REDIRECT
    )
    assert signed_in.next_path == next_path
    return signed_in.session_id


def test_sign_in_gives_a_session_stored_only_as_its_hash() -> None:
    clock = FixedClock()
    service, sessions = _service(["permit-clerk"], clock)
    session_id = _sign_in(service)
    assert list(sessions.sessions) == [hashlib.sha256(session_id.encode()).hexdigest()]
    assert session_id not in repr(sessions.sessions)
    principal = service.authenticate_session(session_id)
    assert (principal.actor, principal.role) == ("oidc:sub-1", Role.CLERK)


def test_pkce_challenge_is_s256_of_the_verifier_sent_at_exchange() -> None:
    clock = FixedClock()
    service, _ = _service(["permit-viewer"], clock)
    provider = service._provider
    assert isinstance(provider, FakeProvider)
    _sign_in(service)
    digest = hashlib.sha256(provider.verifier.encode()).digest()
    assert provider.challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert 43 <= len(provider.verifier) <= 128


def test_idle_timeout_ends_the_session_and_use_extends_it() -> None:
    clock = FixedClock()
    service, sessions = _service(["permit-viewer"], clock)
    session_id = _sign_in(service)
    for _ in range(4):  # used every 20 minutes: alive after 80 minutes
        clock.advance(minutes=20)
        service.authenticate_session(session_id)
    clock.advance(minutes=30)
    with pytest.raises(StaffAuthError):
        service.authenticate_session(session_id)
    assert sessions.touches == 4


def test_idle_limit_is_thirty_minutes_to_the_second() -> None:
    clock = FixedClock()
    service, _ = _service(["permit-viewer"], clock)
    session_id = _sign_in(service)
    clock.advance(minutes=29, seconds=59)
    service.authenticate_session(session_id)
    clock.advance(minutes=30)
    with pytest.raises(StaffAuthError):
        service.authenticate_session(session_id)


def test_absolute_limit_ends_even_a_busy_session_after_ten_hours() -> None:
    clock = FixedClock()
    service, _ = _service(["permit-admin"], clock)
    session_id = _sign_in(service)
    for _ in range(10 * 6 - 1):  # every 10 minutes for 9 h 50 min
        clock.advance(minutes=10)
        service.authenticate_session(session_id)
    clock.advance(minutes=10)
    with pytest.raises(StaffAuthError):
        service.authenticate_session(session_id)


def test_requests_within_a_minute_write_nothing() -> None:
    clock = FixedClock()
    service, sessions = _service(["permit-viewer"], clock)
    session_id = _sign_in(service)
    for _ in range(5):
        clock.advance(seconds=10)
        service.authenticate_session(session_id)
    assert sessions.touches == 0


def test_sign_out_deletes_the_session() -> None:
    clock = FixedClock()
    service, sessions = _service(["permit-viewer"], clock)
    session_id = _sign_in(service)
    service.sign_out(session_id)
    assert sessions.sessions == {}
    with pytest.raises(StaffAuthError):
        service.authenticate_session(session_id)


def test_state_works_once_and_only_with_this_browsers_cookie() -> None:
    clock = FixedClock()
    service, _ = _service(["permit-viewer"], clock)
    _, state = service.begin("/staff", REDIRECT)
    with pytest.raises(TokenRejectedError, match="state"):
        service.complete(cookie_state="other", state=state, code="good-code", redirect_uri=REDIRECT)
    service.complete(cookie_state=state, state=state, code="good-code", redirect_uri=REDIRECT)
    with pytest.raises(TokenRejectedError, match="used"):
        service.complete(cookie_state=state, state=state, code="good-code", redirect_uri=REDIRECT)


def test_a_sign_in_left_open_for_ten_minutes_expires() -> None:
    clock = FixedClock()
    service, _ = _service(["permit-viewer"], clock)
    _, state = service.begin("/staff", REDIRECT)
    clock.advance(minutes=10)
    with pytest.raises(TokenRejectedError, match="expired"):
        service.complete(cookie_state=state, state=state, code="good-code", redirect_uri=REDIRECT)


def test_no_staff_group_is_no_role_and_no_session() -> None:
    clock = FixedClock()
    service, sessions = _service(["some-other-group"], clock)
    _, state = service.begin("/staff", REDIRECT)
    with pytest.raises(NoStaffRoleError):
        service.complete(cookie_state=state, state=state, code="good-code", redirect_uri=REDIRECT)
    assert sessions.sessions == {}


def test_missing_groups_claim_is_no_role_for_bearer_tokens() -> None:
    clock = FixedClock()
    service, _ = _service([], clock)
    with pytest.raises(NoStaffRoleError):
        service.authenticate_access_token("token")


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["permit-viewer"], Role.VIEWER),
        (["permit-clerk"], Role.CLERK),
        (["permit-admin"], Role.ADMIN),
        (["permit-viewer", "permit-admin", "permit-clerk"], Role.ADMIN),
        (["permit-viewer", "permit-clerk"], Role.CLERK),
        (["Permit-Admin", "permit-admin "], None),  # identifiers compare exactly
        ([], None),
    ],
)
def test_highest_configured_group_wins(groups: list[str], role: Role | None) -> None:
    assert role_from_groups(groups, DEFAULT_STAFF_GROUPS) == role


def test_group_names_are_configurable() -> None:
    mapping = (("viewer", "sg-read"), ("clerk", "sg-act"), ("admin", ""))
    assert role_from_groups(["sg-act"], mapping) == Role.CLERK
    assert role_from_groups(["permit-admin", ""], mapping) is None


@pytest.mark.parametrize(
    ("asked", "given"),
    [
        ("/staff/applications/abc?tab=audit", "/staff/applications/abc?tab=audit"),
        ("/staff", "/staff"),
        ("/staff?q=dn-ab-123", "/staff?q=dn-ab-123"),
        (None, "/staff"),
        ("", "/staff"),
        ("https://evil.example/staff", "/staff"),
        ("//evil.example/staff", "/staff"),
        ("/staffevil", "/staff"),
        ("/staff/../api/forms", "/staff"),
        ("/staff/%2e%2e/x", "/staff"),
        ("/staff//evil.example", "/staff"),
        ("/staff\\evil", "/staff"),
        ("/staff/\nSet-Cookie:x", "/staff"),
        ("/forms/x", "/staff"),
        ("/api/staff/queue", "/staff"),
    ],
)
def test_next_accepts_local_staff_paths_only(asked: str | None, given: str) -> None:
    assert safe_next_path(asked) == given


def test_begin_keeps_only_a_safe_next() -> None:
    clock = FixedClock()
    service, sessions = _service(["permit-viewer"], clock)
    service.begin("https://evil.example/", REDIRECT)
    (attempt,) = sessions.signins.values()
    assert attempt.next_path == "/staff"
    assert attempt.expires_at == int((clock.now() + timedelta(minutes=10)).timestamp())
